/**
 * What the jobs service needs from a job engine: the seam between the service (I/O, durability,
 * HTTP) and the pure job engine in src/engine/job. It mirrors the engine's AnomalyJob, so the
 * default factory (engine-adapter.ts) is a thin wrapper; tests may pass another factory.
 */
import type { InvalidValueProblem, JobConfig, JobControls } from '../../engine/job/index.js';
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

/** Results handed over by the engine since the last drain. */
export interface DrainedResults {
  /** Delete the job's stored interim results before storing these. */
  clearInterim: boolean;
  buckets: ResultDoc[];
  records: ResultDoc[];
  influencers: ResultDoc[];
  modelPlots: ResultDoc[];
  /** Model-change annotations (Elastic's annotation documents), when the engine makes them. */
  annotations?: Record<string, unknown>[];
}

/** A renormalised score for a stored result, by id. */
export type ScoreUpdate =
  | { id: string; result_type: 'bucket'; timestamp: number; anomaly_score: number; bucket_influencers: { influencer_field_name: string; anomaly_score: number }[] }
  | { id: string; result_type: 'record'; timestamp: number; record_score: number }
  | { id: string; result_type: 'influencer'; timestamp: number; influencer_score: number };

export interface EngineJob {
  /** Processes parsed input documents (`inputBytes`: the request body's size). */
  postData(docs: Record<string, unknown>[], options: { inputBytes?: number; onInvalidValue?: (index: number, field: string, value: unknown, problem: InvalidValueProblem) => void }): unknown;
  /** Cumulative data_counts in Elastic's shape. */
  dataCounts(): Record<string, unknown>;
  /** Elastic's flush; throws the engine's errors for inconsistent parameters. */
  flush(options: FlushOptions): { last_finalized_bucket_end?: number };
  drainResults(): DrainedResults;
  /** Scores of stored results that changed since they were handed out. */
  renormalise(): ScoreUpdate[];
  modelSizeStats(): Record<string, unknown>;
  timingStats(): Record<string, unknown>;
  /** Versioned, JSON-serialisable state. */
  toState(): unknown;
  /** Filters and scheduled events in force from the next bucket on (src/server/control). */
  setControls?(controls: JobControls): void;
  /** Calls `fn` with each bucket's start as it becomes final (null stops); absent: the job service reports no final buckets. */
  setBucketListener?(fn: ((bucket: number) => void) | null): void;
  /** Each modelled series' kept bucket values, the input of `_forecast` (absent: the job cannot forecast). */
  forecastHistories?(only?: { detector_index: number; partition_field_value?: string | null; by_field_value?: string | null }): { detector_index: number; partition_field_value?: string; by_field_value?: string; time: ArrayLike<number>; value: ArrayLike<number> }[];
}

export interface EngineOptions {
  /** Wall clock, epoch ms (last_data_time, log_time). */
  wallClock?: () => number;
}

export interface EngineFactory {
  create(config: JobConfig, options: EngineOptions): EngineJob;
  restore(config: JobConfig, state: unknown, options: EngineOptions): EngineJob;
  /** The id of a result document, the one renormalisation updates name. */
  resultId(doc: ResultDoc): string;
}
