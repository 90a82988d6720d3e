/**
 * The one Store interface of the jobs service: job configurations and their runtime record (state,
 * data counts, model size and timing stats), results documents in Elastic's shapes (buckets,
 * records, influencers, model plot) with Elastic's filters, sorting and paging, and model snapshots.
 *
 * The embedded default is DuckDB (duckdb-store.ts); memory-store.ts is the reference used to prove
 * the contract (test-kit/store-contract.ts) that every backend, including later scale-out ones,
 * must pass. Input durability is not the store's job: accepted `_data` goes to the per-job
 * write-ahead log (wal.ts) first.
 */

/** An Elastic-shaped results document (bucket, record, influencer, model_plot). */
export type ResultDoc = Record<string, unknown> & { result_type: string; timestamp: number; job_id: string };

export type ResultType = 'bucket' | 'record' | 'influencer' | 'model_plot';

/** What the job service keeps about a job: its validated config and its runtime record. */
export interface JobRecord {
  job_id: string;
  /** The engine's validated JobConfig, stored as JSON. */
  config: unknown;
  /** Group names of the job (for id expressions). */
  groups: string[];
  /** Epoch ms. */
  create_time: number;
  runtime: JobRuntime;
}

export interface JobRuntime {
  /** `opened` survives restarts: the server re-opens such jobs when it starts; `opening`: opened lazily, waiting for capacity. */
  state: 'opened' | 'closed' | 'failed' | 'opening';
  /** Epoch ms of the last open. */
  open_time?: number;
  data_counts?: Record<string, unknown>;
  model_size_stats?: Record<string, unknown>;
  timing_stats?: Record<string, unknown>;
  /** Id of the snapshot the job resumes from. */
  model_snapshot_id?: string;
  /** Epoch ms of the last close. */
  finished_time?: number;
  /** Why the job failed, when state is `failed`. */
  failure_reason?: string;
}

/** Fields results can be sorted by (the ones Elastic users sort by in practice). */
export const SORT_FIELDS = [
  'timestamp',
  'anomaly_score',
  'record_score',
  'influencer_score',
  'initial_anomaly_score',
  'initial_record_score',
  'initial_influencer_score',
  'probability',
  'detector_index',
  'partition_field_value',
  'by_field_value',
  'over_field_value',
  'influencer_field_name',
  'influencer_field_value',
] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export interface ResultQuery {
  jobIds: string[];
  resultType: ResultType;
  /** Epoch ms, inclusive. */
  start?: number;
  /** Epoch ms, exclusive. */
  end?: number;
  /** Exactly this timestamp (a single bucket). */
  timestamp?: number;
  excludeInterim?: boolean;
  /** Minimum anomaly_score (bucket), record_score (record) or influencer_score (influencer). */
  minScore?: number;
  detectorIndex?: number;
  partitionFieldValue?: string;
  byFieldValue?: string;
  overFieldValue?: string;
  influencerFieldName?: string;
  sort?: SortField;
  desc?: boolean;
  from?: number;
  size?: number;
}

export interface WriteOptions {
  /** Delete the job's stored interim results first. */
  deleteInterim?: boolean;
  /** The documents' ids (parallel to docs); default resultId(doc) of result-id.ts. */
  ids?: string[];
}

export interface ResultUpdate {
  id: string;
  /** The document's timestamp (lets a store narrow the search). */
  timestamp: number;
  apply: (doc: ResultDoc) => ResultDoc;
}

export interface ResultPage {
  /** Number of documents matching the filters (before paging). */
  count: number;
  docs: ResultDoc[];
}

/** A light row per bucket, for overall buckets and expand. */
export interface BucketScore {
  job_id: string;
  timestamp: number;
  anomaly_score: number;
  is_interim: boolean;
}

/**
 * A job's newest bucket and its highest bucket anomaly_score, interim buckets included (the jobs
 * list): what `queryResults` answers for the job's buckets sorted by timestamp, then by
 * anomaly_score, descending, size 1. A missing score counts as 0, as in BucketScore.
 */
export interface BucketSummary {
  job_id: string;
  /** The newest bucket; of two at the same time (different bucket spans), the one with the smaller result id, as `queryResults` orders them. */
  latest: { timestamp: number; anomaly_score: number; is_interim: boolean };
  max_anomaly_score: number;
}

export interface ModelSnapshotRecord {
  job_id: string;
  snapshot_id: string;
  /** Epoch ms (wall clock) when taken. */
  timestamp: number;
  description: string;
  latest_record_time_stamp?: number;
  latest_result_time_stamp?: number;
  model_size_stats?: Record<string, unknown>;
  retain: boolean;
  min_version: string;
  snapshot_doc_count: number;
  /** Vigil: the last write-ahead-log sequence number the state includes. */
  wal_seq: number;
  /** Vigil: data counts at the snapshot (replay continues from them). */
  data_counts: Record<string, unknown>;
  /** Vigil: other runtime counters at the snapshot. */
  extra?: Record<string, unknown>;
}

/** A forecast's `model_forecast_request_stats` document (Elastic's shape; the forecast_id is its key within the job). */
export type ForecastStatsDoc = Record<string, unknown> & { job_id: string; forecast_id: string };

/** Which `model_forecast` documents of one forecast to read (sorted by timestamp, then entity). */
export interface ForecastQuery {
  jobId: string;
  forecastId: string;
  /** Epoch ms, inclusive. */
  start?: number;
  /** Epoch ms, exclusive. */
  end?: number;
  detectorIndex?: number;
  partitionFieldValue?: string;
  byFieldValue?: string;
  from?: number;
  size?: number;
}

export interface Store {
  /** Short name for logs and `GET /` ("duckdb", "memory"). */
  readonly kind: string;
  close(): Promise<void>;

  /** Creates the job; false when the id is taken. */
  createJob(job: JobRecord): Promise<boolean>;
  /** Replaces the job's record (config and runtime). */
  saveJob(job: JobRecord): Promise<void>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
  listJobs(): Promise<JobRecord[]>;
  /** Deletes the job, its results and snapshots. */
  deleteJob(jobId: string): Promise<void>;

  /**
   * Writes results: each document replaces any stored one with the same identity (see
   * result-id.ts), so replays and renormalisation are idempotent. `deleteInterim` first removes the
   * job's interim results (Elastic replaces them when newer results arrive).
   */
  writeResults(jobId: string, docs: ResultDoc[], opts?: WriteOptions): Promise<void>;
  /**
   * Rewrites stored documents by id (renormalised scores): `apply` gets the stored document and
   * returns its new version. Ids not stored are skipped.
   */
  updateResults(jobId: string, updates: ResultUpdate[]): Promise<number>;
  queryResults(q: ResultQuery): Promise<ResultPage>;
  bucketScores(q: { jobIds: string[]; start?: number; end?: number; excludeInterim?: boolean }): Promise<BucketScore[]>;
  /**
   * Each job's newest bucket and highest bucket score, computed in the store (one query for the
   * list, not a row per bucket); jobs without bucket results are left out. Sorted by job id.
   */
  bucketSummaries(jobIds: string[]): Promise<BucketSummary[]>;

  putSnapshot(meta: ModelSnapshotRecord, state: string): Promise<void>;
  /** Newest snapshot first. */
  listSnapshots(jobId: string): Promise<ModelSnapshotRecord[]>;
  getSnapshotState(jobId: string, snapshotId: string): Promise<string | undefined>;
  /** Replaces a stored snapshot's metadata (description, retain); false when there is no such snapshot. */
  updateSnapshot(meta: ModelSnapshotRecord): Promise<boolean>;
  /** Deletes one snapshot; false when there was none. */
  deleteSnapshot(jobId: string, snapshotId: string): Promise<boolean>;
  /**
   * Deletes a job's results (every type) with timestamps in [start, end) — either bound may be
   * left out; returns how many were deleted (reset, revert, results retention).
   */
  deleteResults(jobId: string, range: { start?: number; end?: number }): Promise<number>;
  /** Deletes all but the newest `keep` snapshots (and any retained ones). */
  pruneSnapshots(jobId: string, keep: number): Promise<void>;

  /**
   * Stores a forecast (`_forecast`): its request-stats document and its `model_forecast`
   * documents, replacing a stored forecast with the same id. Kept apart from the results (their
   * timestamps lie in the future) and deleted with the job.
   */
  putForecast(jobId: string, stats: ForecastStatsDoc, docs: ResultDoc[]): Promise<void>;
  /** The request-stats documents of the jobs' forecasts, oldest first. */
  listForecasts(jobIds: string[]): Promise<ForecastStatsDoc[]>;
  queryForecast(q: ForecastQuery): Promise<ResultPage>;
  /** Deletes these forecasts of a job (stats and documents); returns how many were stored. */
  deleteForecasts(jobId: string, forecastIds: string[]): Promise<number>;
}

/** Which score column a result type filters on. */
export function scoreField(type: ResultType): string | undefined {
  switch (type) {
    case 'bucket':
      return 'anomaly_score';
    case 'record':
      return 'record_score';
    case 'influencer':
      return 'influencer_score';
    default:
      return undefined;
  }
}
