/**
 * Derived settings (the numbers the engine works with) and rendering: the job document Elastic
 * returns from PUT and GET, with Elastic's field order.
 */
import type { JsonObject } from '../strict-reader.js';
import { parseTimeValue } from '../units.js';
import { DAY_MS, MIB } from './checks.js';
import type { DetectorConfig, JobConfig, JobSettings } from './types.js';

/** The Elasticsearch version Vigil's job documents claim (clients read it as the job's version). */
export const JOB_VERSION = '9.0.0';

/** The numbers the engine works with. */
export function jobSettings(config: JobConfig): JobSettings {
  const bucketSpanMs = parseTimeValue(config.analysis_config.bucket_span, 'bucket_span');
  const latencyMs = config.analysis_config.latency === undefined ? 0 : parseTimeValue(config.analysis_config.latency, 'latency');
  const modelPruneWindowMs = parseTimeValue(config.analysis_config.model_prune_window, 'model_prune_window');
  const modelMemoryLimitBytes = Number.parseInt(config.analysis_limits.model_memory_limit, 10) * MIB;
  const renormalizationWindowMs =
    config.renormalization_window_days !== undefined
      ? config.renormalization_window_days * DAY_MS
      : Math.max(30 * DAY_MS, 100 * bucketSpanMs);
  return { bucketSpanMs, latencyMs, modelPruneWindowMs, modelMemoryLimitBytes, renormalizationWindowMs };
}

/** What the store knows about a job beyond its configuration. */
export interface JobMeta {
  /** Epoch ms. */
  create_time: number;
  job_version?: string;
  finished_time?: number;
  model_snapshot_id?: string;
  blocked?: { reason: 'delete' | 'reset' | 'revert' | 'none'; task_id?: string };
  deleting?: boolean;
}

/** Renders a detector the way Elastic does (use_null only when true, custom_rules only when any). */
export function toElasticDetector(d: DetectorConfig): JsonObject {
  const out: JsonObject = { detector_description: d.detector_description, function: d.function };
  if (d.field_name !== undefined) out.field_name = d.field_name;
  if (d.by_field_name !== undefined) out.by_field_name = d.by_field_name;
  if (d.over_field_name !== undefined) out.over_field_name = d.over_field_name;
  if (d.partition_field_name !== undefined) out.partition_field_name = d.partition_field_name;
  if (d.use_null) out.use_null = true;
  if (d.exclude_frequent !== undefined) out.exclude_frequent = d.exclude_frequent;
  if (d.custom_rules.length > 0) out.custom_rules = structuredClone(d.custom_rules) as unknown as JsonObject[];
  out.detector_index = d.detector_index;
  return out;
}

/**
 * The job document Elastic returns from PUT and GET `_ml/anomaly_detectors` (one element of
 * `jobs`). Field order follows Elastic's.
 */
export function toElasticJob(config: JobConfig, meta: JobMeta): JsonObject {
  const a = config.analysis_config;
  const analysis: JsonObject = { bucket_span: a.bucket_span };
  if (a.latency !== undefined) analysis.latency = a.latency;
  if (a.summary_count_field_name !== undefined) analysis.summary_count_field_name = a.summary_count_field_name;
  analysis.detectors = a.detectors.map(toElasticDetector);
  analysis.influencers = [...a.influencers];
  if (a.multivariate_by_fields !== undefined) analysis.multivariate_by_fields = a.multivariate_by_fields;
  analysis.model_prune_window = a.model_prune_window;

  const out: JsonObject = {
    job_id: config.job_id,
    job_type: 'anomaly_detector',
    job_version: meta.job_version ?? JOB_VERSION,
  };
  if (config.groups.length > 0) out.groups = [...config.groups];
  if (config.description !== undefined) out.description = config.description;
  out.create_time = meta.create_time;
  if (meta.finished_time !== undefined) out.finished_time = meta.finished_time;
  if (meta.model_snapshot_id !== undefined) out.model_snapshot_id = meta.model_snapshot_id;
  if (config.custom_settings !== undefined) out.custom_settings = structuredClone(config.custom_settings);
  out.analysis_config = analysis;
  out.analysis_limits = { ...config.analysis_limits };
  out.data_description = { ...config.data_description };
  if (config.model_plot_config) out.model_plot_config = { ...config.model_plot_config };
  if (config.renormalization_window_days !== undefined) out.renormalization_window_days = config.renormalization_window_days;
  if (config.background_persist_interval !== undefined) out.background_persist_interval = config.background_persist_interval;
  out.model_snapshot_retention_days = config.model_snapshot_retention_days;
  out.daily_model_snapshot_retention_after_days = config.daily_model_snapshot_retention_after_days;
  if (config.results_retention_days !== undefined) out.results_retention_days = config.results_retention_days;
  out.results_index_name = config.results_index_name;
  if (meta.deleting) out.deleting = true;
  out.allow_lazy_open = config.allow_lazy_open;
  if (meta.blocked && meta.blocked.reason !== 'none') out.blocked = { ...meta.blocked };
  if (config.datafeed_config) out.datafeed_config = structuredClone(config.datafeed_config) as unknown as JsonObject;
  return out;
}
