/**
 * What the jobs service needs from a job engine: the seam between the service (I/O, durability,
 * HTTP) and the pure job engine in src/engine/job. The default factory (engine-adapter.ts) wraps
 * the engine's AnomalyJob; tests may pass another factory.
 */
import type { JobConfig } from '../../engine/job/index.js';
import type { ResultDoc } from '../../store/store.js';

export interface FlushOptions {
  calcInterim?: boolean;
  /** Epoch ms. */
  advanceTime?: number;
  /** Epoch ms. */
  skipTime?: number;
  /** Epoch ms (with calcInterim). */
  start?: number;
  /** Epoch ms (with calcInterim). */
  end?: number;
}

/** Elastic's data_counts fields an engine reports for one batch (increments; timestamps epoch ms). */
export interface DataCountsDelta {
  processed_record_count?: number;
  processed_field_count?: number;
  input_field_count?: number;
  invalid_date_count?: number;
  missing_field_count?: number;
  out_of_order_timestamp_count?: number;
  empty_bucket_count?: number;
  sparse_bucket_count?: number;
  bucket_count?: number;
  earliest_record_timestamp?: number;
  latest_record_timestamp?: number;
  latest_empty_bucket_timestamp?: number;
  latest_sparse_bucket_timestamp?: number;
  latest_bucket_timestamp?: number;
}

export interface EngineJob {
  /** Processes parsed input documents; returns the counts for this batch. */
  postData(docs: unknown[]): DataCountsDelta;
  /** Flushes (interim results, advance/skip time); returns the end of the last finalised bucket. */
  flush(options: FlushOptions): { lastFinalizedBucketEnd?: number };
  /** Elastic-shaped result documents produced since the last call (renormalised ones included). */
  drainResults(): ResultDoc[];
  modelSizeStats(): Record<string, unknown>;
  timingStats(): Record<string, unknown>;
  /** Versioned, JSON-serialisable model state. */
  toState(): unknown;
}

export interface EngineFactory {
  create(config: JobConfig): EngineJob;
  restore(config: JobConfig, state: unknown): EngineJob;
}
