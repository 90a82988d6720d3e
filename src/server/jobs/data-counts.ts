/**
 * A job's data_counts in Elastic's shape (the engine keeps them; this is their empty value and
 * Elastic's field order for responses).
 */
import { emptyDataCounts as engineEmptyDataCounts, type DataCounts as EngineDataCounts } from '../../engine/job/index.js';

export type DataCounts = Record<string, unknown> & EngineDataCounts;

/** A job's data_counts before any data: the engine's own empty value. */
export function emptyDataCounts(jobId: string): DataCounts {
  return engineEmptyDataCounts(jobId) as DataCounts;
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
