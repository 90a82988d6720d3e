/**
 * A job's data_counts in Elastic's shape (the engine keeps them; this is their empty value and
 * Elastic's field order for responses).
 */

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
