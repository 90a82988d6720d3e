/**
 * A job's cumulative data_counts in Elastic's shape, merged from the engine's per-batch deltas plus
 * what only the service knows (input bytes, record count, wall-clock times).
 */
import type { DataCountsDelta } from './engine-port.js';

export type DataCounts = Record<string, unknown> & {
  job_id: string;
  processed_record_count: number;
  processed_field_count: number;
  input_bytes: number;
  input_field_count: number;
  invalid_date_count: number;
  missing_field_count: number;
  out_of_order_timestamp_count: number;
  empty_bucket_count: number;
  sparse_bucket_count: number;
  bucket_count: number;
  input_record_count: number;
};

const SUMS = [
  'processed_record_count',
  'processed_field_count',
  'input_field_count',
  'invalid_date_count',
  'missing_field_count',
  'out_of_order_timestamp_count',
  'empty_bucket_count',
  'sparse_bucket_count',
  'bucket_count',
] as const;
const MAXES = ['latest_record_timestamp', 'latest_empty_bucket_timestamp', 'latest_sparse_bucket_timestamp', 'latest_bucket_timestamp'] as const;

export function emptyDataCounts(jobId: string): DataCounts {
  return {
    job_id: jobId,
    processed_record_count: 0,
    processed_field_count: 0,
    input_bytes: 0,
    input_field_count: 0,
    invalid_date_count: 0,
    missing_field_count: 0,
    out_of_order_timestamp_count: 0,
    empty_bucket_count: 0,
    sparse_bucket_count: 0,
    bucket_count: 0,
    input_record_count: 0,
  };
}

/** Adds one batch: the engine's delta, the request's bytes and documents, at wall time `now`. */
export function addBatch(c: DataCounts, delta: DataCountsDelta, inputBytes: number, inputRecords: number, now: number): DataCounts {
  const out: DataCounts = { ...c };
  for (const k of SUMS) out[k] = (out[k] ?? 0) + (delta[k] ?? 0);
  for (const k of MAXES) {
    const v = delta[k];
    if (v !== undefined && (out[k] === undefined || v > (out[k] as number))) out[k] = v;
  }
  const e = delta.earliest_record_timestamp;
  if (e !== undefined && (out.earliest_record_timestamp === undefined || e < (out.earliest_record_timestamp as number))) out.earliest_record_timestamp = e;
  out.input_bytes += inputBytes;
  out.input_record_count += inputRecords;
  if (inputRecords > 0) out.last_data_time = now;
  out.log_time = now;
  return out;
}

/** Adds a flush's effect (bucket counts may advance) without input. */
export function addFlush(c: DataCounts, delta: DataCountsDelta | undefined, now: number): DataCounts {
  return delta ? { ...addBatch(c, delta, 0, 0, now) } : c;
}

/** Elastic's field order for the response body. */
export function renderDataCounts(c: DataCounts): Record<string, unknown> {
  const order = [
    'job_id',
    'processed_record_count',
    'processed_field_count',
    'input_bytes',
    'input_field_count',
    'invalid_date_count',
    'missing_field_count',
    'out_of_order_timestamp_count',
    'empty_bucket_count',
    'sparse_bucket_count',
    'bucket_count',
    'earliest_record_timestamp',
    'latest_record_timestamp',
    'last_data_time',
    'latest_empty_bucket_timestamp',
    'latest_sparse_bucket_timestamp',
    'latest_bucket_timestamp',
    'input_record_count',
    'log_time',
  ];
  const out: Record<string, unknown> = {};
  for (const k of order) if (c[k] !== undefined) out[k] = c[k];
  return out;
}
