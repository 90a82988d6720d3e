/**
 * Elastic's data_counts of a job: the document, its empty value, the increments of one `_data`
 * call, and what each final bucket adds (bucket, empty and sparse bucket counts).
 */

/** Elastic's data_counts document. */
export interface DataCounts {
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
  earliest_record_timestamp?: number;
  latest_record_timestamp?: number;
  last_data_time?: number;
  latest_empty_bucket_timestamp?: number;
  latest_sparse_bucket_timestamp?: number;
  latest_bucket_timestamp?: number;
  log_time?: number;
}

/** A job's data_counts before any data (Elastic's zeroes). */
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

const ADDITIVE: (keyof DataCounts)[] = [
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
  'input_record_count',
];

/** The counts of `now` less those of `before` (timestamps are `now`'s): one call's increments. */
export function diffCounts(now: DataCounts, before: DataCounts): DataCounts {
  const out = { ...now };
  for (const k of ADDITIVE) (out as unknown as Record<string, number>)[k] = (now[k] as number) - (before[k] as number);
  return out;
}

/**
 * Counts a bucket that became final with `eventCount` events: an empty bucket, or a sparse one
 * (fewer than a tenth of the mean of the last non-empty buckets, once there are 10 of them);
 * `recentCounts` keeps the event counts of the last 30 non-empty buckets.
 */
export function countFinalBucket(c: DataCounts, recentCounts: number[], bucket: number, eventCount: number): void {
  c.bucket_count++;
  c.latest_bucket_timestamp = bucket;
  if (eventCount === 0) {
    c.empty_bucket_count++;
    c.latest_empty_bucket_timestamp = bucket;
  } else {
    const rc = recentCounts;
    if (rc.length >= 10) {
      let mean = 0;
      for (const x of rc) mean += x;
      mean /= rc.length;
      if (eventCount < 0.1 * mean) {
        c.sparse_bucket_count++;
        c.latest_sparse_bucket_timestamp = bucket;
      }
    }
    rc.push(eventCount);
    if (rc.length > 30) rc.shift();
  }
}
