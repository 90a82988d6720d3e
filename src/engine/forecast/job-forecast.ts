/**
 * Job forecasts as Elastic's `POST _ml/anomaly_detectors/<id>/_forecast` makes them, without I/O:
 * validate the request (duration, expires_in, max_model_memory) against the job, forecast every
 * modelled entity's bucket history (per detector, partition and by value) with Vigil's `auto`
 * forecaster at the 95 % level, and return Elastic's `model_forecast` result documents and the
 * `model_forecast_request_stats` document. Refusals carry Elastic's messages (ES
 * `ForecastJobAction` / `TransportForecastJobAction`, ml-cpp `CForecastRunner`).
 *
 * @example
 *   const run = runJobForecast({ job, request: { duration: '3d' }, histories, now: Date.now() });
 *   run.response;   // { acknowledged: true, forecast_id }
 *   run.results;    // model_forecast documents, one per entity and future bucket
 *   run.stats;      // the model_forecast_request_stats document
 */
import { VigilError } from '../../core/errors.js';
import { createForecaster } from '../../core/forecast/registry.js';
import { parseByteSize, parseTimeValue, timeRep } from './elastic-values.js';

// ---------------------------------------------------------------------------------------------
// Inputs

/** One detector of the job, with Elastic's field names (the subset a forecast needs). */
export interface ForecastDetectorConfig {
  function: string;
  field_name?: string;
  by_field_name?: string;
  over_field_name?: string;
  partition_field_name?: string;
  /** Defaults to the detector's position in the list. */
  detector_index?: number;
}

/**
 * The job as far as forecasting is concerned, shaped as Elastic's job JSON so that the engine's
 * JobConfig (src/engine/job/) can be passed as it is.
 */
export interface ForecastJobConfig {
  job_id: string;
  analysis_config: {
    /** Elastic time value ("15m") or milliseconds. */
    bucket_span: string | number;
    detectors: ForecastDetectorConfig[];
  };
  analysis_limits?: { model_memory_limit?: string | number };
}

/** The bucket history of one modelled entity (one detector × partition value × by value). */
export interface EntityHistory {
  detector_index: number;
  partition_field_value?: string | null;
  by_field_value?: string | null;
  /** Bucket start times, epoch ms, ascending. */
  time: ArrayLike<number>;
  /** The detector's bucket value (count, mean, …) per bucket; NaN marks an empty bucket. */
  value: ArrayLike<number>;
}

/** The request body (or query parameters) of `_forecast`. */
export interface ForecastRequest {
  duration?: string | number;
  expires_in?: string | number;
  max_model_memory?: string | number;
}

export interface JobForecastInput {
  job: ForecastJobConfig;
  request?: ForecastRequest;
  histories: EntityHistory[];
  /** Create time, epoch ms (the caller's clock). */
  now: number;
  /** Forecast id (default: derived from the job id and `now`). */
  forecastId?: string;
  /** Most entities forecast (default 1 000; the rest are listed in a message). */
  maxEntities?: number;
  /** Clock for processing_time_ms (default performance.now). */
  clock?: () => number;
}

// ---------------------------------------------------------------------------------------------
// Outputs (Elastic's documents)

export interface ModelForecastDoc {
  job_id: string;
  forecast_id: string;
  result_type: 'model_forecast';
  /** Seconds, as Elastic writes it. */
  bucket_span: number;
  detector_index: number;
  /** Bucket start, epoch ms. */
  timestamp: number;
  model_feature: string;
  partition_field_name?: string;
  partition_field_value?: string;
  by_field_name?: string;
  by_field_value?: string;
  forecast_lower: number;
  forecast_upper: number;
  forecast_prediction: number;
}

export type ForecastStatus = 'scheduled' | 'started' | 'finished' | 'failed';

export interface ForecastRequestStatsDoc {
  job_id: string;
  result_type: 'model_forecast_request_stats';
  forecast_id: string;
  processed_record_count: number;
  forecast_messages: string[];
  timestamp: number;
  forecast_start_timestamp: number;
  forecast_end_timestamp: number;
  forecast_create_timestamp: number;
  forecast_expiry_timestamp: number;
  forecast_progress: number;
  processing_time_ms: number;
  forecast_memory_bytes: number;
  forecast_status: ForecastStatus;
}

export interface JobForecastRun {
  /** What `_forecast` answers (HTTP 200). */
  response: { acknowledged: true; forecast_id: string };
  stats: ForecastRequestStatsDoc;
  results: ModelForecastDoc[];
  /** Elastic `_id`s of the documents, for a store that keys them as Elastic does. */
  ids: { stats: string; results: string[] };
  /** Audit warnings (max_model_memory reduced to below 40 % of the job's limit). */
  warnings: string[];
}

/** A validated request. */
export interface ParsedForecastRequest {
  durationMs: number;
  expiresInMs: number;
  maxModelMemory: number | null;
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// Constants and messages

export const DEFAULT_DURATION_MS = 86_400_000; // 1 day
export const DEFAULT_EXPIRES_IN_MS = 14 * 86_400_000; // 14 days
/** Elastic's MAX_DURATION: 10 years. */
export const MAX_DURATION_MS = 3650 * 86_400_000;
export const MIN_MODEL_MEMORY = 1024 * 1024;
export const FORECAST_LOCAL_STORAGE_LIMIT = 500 * 1024 * 1024;
const DEFAULT_JOB_MODEL_MEMORY_MB = 1024;
/** Bounds at Elastic's default percentile. */
export const FORECAST_LEVEL = 95;
/** Fewest non-empty buckets an entity needs to be forecast (Vigil's threshold). */
export const MIN_FORECAST_BUCKETS = 8;
/** Future buckets above which a forecast is refused (memory; Vigil's threshold). */
const MAX_FORECAST_DOCS = 5_000_000;

/** ml-cpp CForecastRunner's messages (the failed ones reach the caller as "Cannot run forecast: …"). */
export const FORECAST_MESSAGES = {
  noDataProcessed: 'Forecast cannot be executed as job requires data to have been processed and modeled',
  population: 'Forecast is not supported for population analysis',
  unsupportedFunctions: 'Forecast is not supported for the used functions',
  insufficientHistory: 'Insufficient history to forecast for all models',
  memoryLimitDisk: 'Forecast cannot be executed as forecast memory usage is predicted to exceed 500MB',
} as const;

/** Functions ml-cpp cannot forecast (function_t::isForecastSupported, plus lat_long). */
export const UNSUPPORTED_FORECAST_FUNCTIONS = new Set(['rare', 'freq_rare', 'info_content', 'high_info_content', 'low_info_content', 'lat_long', 'time_of_day', 'time_of_week']);

/** Failure of a forecast request, with Elastic's message and status (400 unless said). */
function refuse(message: string, elasticType = 'status_exception'): VigilError {
  return new VigilError('INVALID_ARGUMENT', message, { elasticType });
}

// ---------------------------------------------------------------------------------------------

function bucketSpanMs(job: ForecastJobConfig): number {
  const b = job.analysis_config.bucket_span;
  if (typeof b === 'number') return b;
  const tv = parseTimeValue(b, 'bucket_span');
  if (!(tv.ms > 0)) throw refuse(`bucket_span must be positive, got [${b}]`, 'illegal_argument_exception');
  return tv.ms;
}

/**
 * Validates a `_forecast` request against the job as Elastic does (defaults: duration 1d,
 * expires_in 14d). Throws VigilError INVALID_ARGUMENT with Elastic's message.
 */
export function validateForecastRequest(job: ForecastJobConfig, request: ForecastRequest = {}): ParsedForecastRequest {
  const warnings: string[] = [];
  let durationMs = DEFAULT_DURATION_MS;
  if (request.duration !== undefined && request.duration !== null) {
    const d = parseTimeValue(request.duration, 'duration');
    if (d.ms <= 0) throw refuse(`[duration] must be positive: [${d.rep}]`, 'illegal_argument_exception');
    if (d.ms > MAX_DURATION_MS) throw refuse(`[duration] must be 3650d or less: [${d.rep}]`, 'illegal_argument_exception');
    const span = bucketSpanMs(job);
    if (d.ms < span) {
      const spanRep = typeof job.analysis_config.bucket_span === 'string' ? job.analysis_config.bucket_span : timeRep(span);
      throw refuse(`[duration] must be greater or equal to the bucket span: [${d.rep}/${spanRep}]`);
    }
    durationMs = d.ms;
  }
  let expiresInMs = DEFAULT_EXPIRES_IN_MS;
  if (request.expires_in !== undefined && request.expires_in !== null) {
    const e = parseTimeValue(request.expires_in, 'expires_in');
    if (e.ms < 0) throw refuse(`[expires_in] must be non-negative: [${e.rep}]`, 'illegal_argument_exception');
    expiresInMs = e.ms;
  }
  let maxModelMemory: number | null = null;
  if (request.max_model_memory !== undefined && request.max_model_memory !== null) {
    const bytes = parseByteSize(request.max_model_memory, 'max_model_memory');
    if (bytes < MIN_MODEL_MEMORY) throw refuse('[max_model_memory] must be at least 1mb.', 'illegal_argument_exception');
    if (bytes >= FORECAST_LOCAL_STORAGE_LIMIT) throw refuse('[max_model_memory] must be less than 500mb');
    const limit = job.analysis_limits?.model_memory_limit;
    const jobBytes = limit === undefined ? DEFAULT_JOB_MODEL_MEMORY_MB * 1024 * 1024 : typeof limit === 'number' ? limit * 1024 * 1024 : parseByteSize(limit, 'model_memory_limit');
    const allowedMax = Math.floor(jobBytes * 0.4);
    const adjusted = Math.min(bytes, allowedMax - 1);
    if (adjusted !== bytes) {
      warnings.push(`requested forecast memory limit [${bytes}] bytes is greater than or equal to [${allowedMax}] bytes (40% of the job memory limit). Reducing to [${adjusted}].`);
    }
    maxModelMemory = adjusted;
  }
  return { durationMs, expiresInMs, maxModelMemory, warnings };
}

/** ml-cpp's printed feature name for a detector function (the `model_feature` field). */
export function modelFeature(fn: string): string {
  const f = fn.replace(/^(high|low)_/, '');
  switch (f) {
    case 'count':
      return "'count per bucket by person'";
    case 'non_zero_count':
      return "'non-zero count per bucket by person'";
    case 'distinct_count':
      return "'unique count per bucket by person'";
    case 'min':
      return "'minimum value by person'";
    case 'max':
      return "'maximum value by person'";
    case 'sum':
      return "'bucket sum by person'";
    case 'non_null_sum':
      return "'bucket non-null sum by person'";
    case 'median':
      return "'median value by person'";
    case 'varp':
      return "'variance of values by person'";
    default:
      return "'arithmetic mean value by person'"; // mean, metric
  }
}

/** Functions whose values cannot be negative: forecasts and bounds are clamped at 0. */
function nonNegative(fn: string): boolean {
  return /^(high_|low_)?(count|non_zero_count|distinct_count|varp)$/.test(fn);
}

function isPopulation(d: ForecastDetectorConfig): boolean {
  return typeof d.over_field_name === 'string' && d.over_field_name !== '';
}

function fnv(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/** Elastic's stats document id. */
export function forecastStatsId(jobId: string, forecastId: string): string {
  return `${jobId}_model_forecast_request_stats_${forecastId}`;
}

/**
 * Runs a forecast for a job. Throws (VigilError INVALID_ARGUMENT, Elastic's message, meant for an
 * HTTP 400) when Elastic refuses: bad duration / expires_in / max_model_memory, no data processed,
 * only population detectors, only unsupported functions, predicted memory over 500MB. Entities with
 * fewer than MIN_FORECAST_BUCKETS non-empty buckets are skipped; when none is left the forecast
 * finishes without results and with Elastic's "Insufficient history" message.
 */
export function runJobForecast(input: JobForecastInput): JobForecastRun {
  const clock = input.clock ?? (() => performance.now());
  const t0 = clock();
  const { job } = input;
  const req = validateForecastRequest(job, input.request);
  const span = bucketSpanMs(job);
  const forecastId = input.forecastId ?? fnv(`${job.job_id}:${input.now}`) + fnv(`${input.now}:${job.job_id}`);
  const detectors = job.analysis_config.detectors.map((d, i) => ({ ...d, detector_index: d.detector_index ?? i }));

  // the job's last bucket: the forecast starts at the end of it ("the last record processed")
  let lastBucket = -Infinity;
  let anyData = false;
  for (const h of input.histories) {
    for (let i = 0; i < h.time.length; i++) {
      if (Number.isFinite(h.value[i])) anyData = true;
      if (h.time[i] > lastBucket) lastBucket = h.time[i];
    }
  }
  const fail = (message: string) => refuse(`Cannot run forecast: ${message}`);
  if (!anyData || !Number.isFinite(lastBucket)) throw fail(FORECAST_MESSAGES.noDataProcessed);
  if (!detectors.some((d) => !isPopulation(d))) throw fail(FORECAST_MESSAGES.population);
  const usable = new Set(detectors.filter((d) => !isPopulation(d) && !UNSUPPORTED_FORECAST_FUNCTIONS.has(d.function)).map((d) => d.detector_index));
  if (usable.size === 0) throw fail(FORECAST_MESSAGES.unsupportedFunctions);

  const start = lastBucket + span;
  const end = start + req.durationMs;
  const h = Math.max(1, Math.ceil(req.durationMs / span));
  const messages: string[] = [...req.warnings];

  // the entities to forecast, in a stable order
  const entities = input.histories
    .filter((e) => usable.has(e.detector_index))
    .map((e) => ({ e, valid: countValid(e.value) }))
    .filter((x) => x.valid >= MIN_FORECAST_BUCKETS)
    .sort((a, b) => a.e.detector_index - b.e.detector_index || cmp(a.e.partition_field_value, b.e.partition_field_value) || cmp(a.e.by_field_value, b.e.by_field_value));
  const cap = input.maxEntities ?? 1000;
  if (entities.length > cap) {
    messages.push(`Forecast limited to ${cap} of ${entities.length} series`);
    entities.length = cap;
  }
  const memoryBytes = entities.reduce((s, x) => s + 8 * (Math.min(x.e.time.length, 2000) + 3 * h) + 512, 0);
  if (memoryBytes >= FORECAST_LOCAL_STORAGE_LIMIT || entities.length * h > MAX_FORECAST_DOCS) throw fail(FORECAST_MESSAGES.memoryLimitDisk);

  const results: ModelForecastDoc[] = [];
  const ids: string[] = [];
  if (entities.length === 0) messages.push(FORECAST_MESSAGES.insufficientHistory);
  for (const { e } of entities) {
    const det = detectors.find((d) => d.detector_index === e.detector_index)!;
    const y = toGrid(e, span, lastBucket);
    const f = createForecaster('auto', { stepMs: span }).fit(y).predict(h, [FORECAST_LEVEL]);
    const iv = f.intervals[0];
    const clamp = nonNegative(det.function);
    const feature = modelFeature(det.function);
    const entityKey = fnv(`${e.by_field_value ?? ''}\u0000${e.partition_field_value ?? ''}`);
    for (let j = 0; j < h; j++) {
      const timestamp = start + j * span;
      let lo = iv.lower[j];
      let up = iv.upper[j];
      let mid = f.mean[j];
      if (clamp) {
        lo = Math.max(0, lo);
        up = Math.max(0, up);
        mid = Math.max(0, mid);
      }
      const doc: ModelForecastDoc = {
        job_id: job.job_id,
        forecast_id: forecastId,
        result_type: 'model_forecast',
        bucket_span: span / 1000,
        detector_index: e.detector_index,
        timestamp,
        model_feature: feature,
        forecast_lower: lo,
        forecast_upper: up,
        forecast_prediction: mid,
      };
      if (det.partition_field_name) {
        doc.partition_field_name = det.partition_field_name;
        doc.partition_field_value = e.partition_field_value ?? '';
      }
      if (det.by_field_name) {
        doc.by_field_name = det.by_field_name;
        doc.by_field_value = e.by_field_value ?? '';
      }
      results.push(doc);
      ids.push(`${job.job_id}_model_forecast_${forecastId}_${timestamp}_${span / 1000}_${e.detector_index}_${entityKey}`);
    }
  }
  const stats: ForecastRequestStatsDoc = {
    job_id: job.job_id,
    result_type: 'model_forecast_request_stats',
    forecast_id: forecastId,
    processed_record_count: results.length,
    forecast_messages: messages,
    timestamp: start,
    forecast_start_timestamp: start,
    forecast_end_timestamp: end,
    forecast_create_timestamp: input.now,
    // expires_in 0: never deleted (the expiry equals the create time, as ml-cpp writes it)
    forecast_expiry_timestamp: input.now + req.expiresInMs,
    forecast_progress: 1,
    processing_time_ms: Math.max(0, Math.round(clock() - t0)),
    forecast_memory_bytes: memoryBytes,
    forecast_status: 'finished',
  };
  return {
    response: { acknowledged: true, forecast_id: forecastId },
    stats,
    results,
    ids: { stats: forecastStatsId(job.job_id, forecastId), results: ids },
    warnings: req.warnings,
  };
}

function cmp(a: string | null | undefined, b: string | null | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function countValid(v: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) c++;
  return c;
}

/**
 * The entity's values on the regular bucket grid from its first bucket to the job's last (empty
 * buckets NaN, interpolated by the forecaster). Only the most recent 20 000 buckets are kept.
 */
function toGrid(e: EntityHistory, span: number, lastBucket: number): Float64Array {
  let first = Infinity;
  for (let i = 0; i < e.time.length; i++) if (Number.isFinite(e.value[i]) && e.time[i] < first) first = e.time[i];
  const n = Math.min(20_000, Math.floor((lastBucket - first) / span) + 1);
  const origin = lastBucket - (n - 1) * span;
  const y = new Float64Array(n).fill(NaN);
  for (let i = 0; i < e.time.length; i++) {
    const k = Math.round((e.time[i] - origin) / span);
    if (k >= 0 && k < n && Number.isFinite(e.value[i])) y[k] = e.value[i];
  }
  return y;
}

/** Elastic's `forecasts_stats` of a job's `_stats`, from its request-stats documents. */
export function forecastsStats(docs: ForecastRequestStatsDoc[]): Record<string, unknown> {
  if (docs.length === 0) return { total: 0, forecasted_jobs: 0 };
  const agg = (vals: number[]) => ({ total: vals.reduce((a, b) => a + b, 0), min: Math.min(...vals), max: Math.max(...vals), avg: vals.reduce((a, b) => a + b, 0) / vals.length });
  const status: Record<string, number> = {};
  for (const d of docs) status[d.forecast_status] = (status[d.forecast_status] ?? 0) + 1;
  return {
    total: docs.length,
    forecasted_jobs: 1,
    memory_bytes: agg(docs.map((d) => d.forecast_memory_bytes)),
    records: agg(docs.map((d) => d.processed_record_count)),
    processing_time_ms: agg(docs.map((d) => d.processing_time_ms)),
    status,
  };
}
