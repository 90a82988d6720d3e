/**
 * The shapes of a validated job configuration: plain JSON in Elastic's own field names, with
 * Elastic's defaults filled in (what the server stores and renders), and the options of validation.
 */
import type { DatafeedConfig } from '../datafeed-config.js';
import type { JsonObject } from '../strict-reader.js';

export type RuleAction = 'skip_result' | 'skip_model_update';
export type AppliesTo = 'actual' | 'typical' | 'diff_from_typical' | 'time';
export type RuleOperator = 'gt' | 'gte' | 'lt' | 'lte';

export interface RuleCondition {
  applies_to: AppliesTo;
  operator: RuleOperator;
  value: number;
}

export interface FilterRef {
  filter_id: string;
  filter_type: 'include' | 'exclude';
}

export interface DetectionRule {
  actions: RuleAction[];
  scope?: Record<string, FilterRef>;
  conditions?: RuleCondition[];
}

export type ExcludeFrequent = 'all' | 'none' | 'by' | 'over';

/** One detector, normalised (Elastic's field names; `use_null` always present). */
export interface DetectorConfig {
  detector_description: string;
  /** Elastic's full function name (`nzc` becomes `non_zero_count`). */
  function: string;
  field_name?: string;
  by_field_name?: string;
  over_field_name?: string;
  partition_field_name?: string;
  use_null: boolean;
  exclude_frequent?: ExcludeFrequent;
  custom_rules: DetectionRule[];
  detector_index: number;
}

export interface AnalysisConfig {
  bucket_span: string;
  latency?: string;
  summary_count_field_name?: string;
  detectors: DetectorConfig[];
  influencers: string[];
  multivariate_by_fields?: boolean;
  model_prune_window: string;
}

export interface AnalysisLimits {
  /** Always in MiB, as Elastic renders it ("1024mb"). */
  model_memory_limit: string;
  categorization_examples_limit: number;
}

export interface DataDescription {
  time_field: string;
  /** `epoch` (seconds), `epoch_ms` or a Java DateTimeFormatter pattern. */
  time_format: string;
}

export interface ModelPlotConfig {
  enabled: boolean;
  annotations_enabled: boolean;
  terms?: string;
}

/** A validated job configuration with Elastic's defaults filled in. Plain JSON. */
export interface JobConfig {
  job_id: string;
  description?: string;
  groups: string[];
  analysis_config: AnalysisConfig;
  analysis_limits: AnalysisLimits;
  data_description: DataDescription;
  model_plot_config?: ModelPlotConfig;
  /** Unset means Elastic's default: the longer of 30 days or 100 bucket spans (see jobSettings). */
  renormalization_window_days?: number;
  background_persist_interval?: string;
  model_snapshot_retention_days: number;
  daily_model_snapshot_retention_after_days: number;
  results_retention_days?: number;
  custom_settings?: JsonObject;
  /**
   * Detector type of each single-series entity's model, fixed when the job is created
   * (custom_settings.vigil_model, else `auto`). Internal, not rendered. Absent in jobs created
   * before `auto` became the default: they keep `default`, the point model (seriesModelOf).
   */
  series_model?: string;
  /** `shared`, or `custom-<name>` for a name given by the user. */
  results_index_name: string;
  allow_lazy_open: boolean;
  datafeed_config?: DatafeedConfig;
}

export interface ValidateJobOptions {
  /**
   * The largest model_memory_limit allowed (Elastic's xpack.ml.max_model_memory_limit), as a byte
   * size ("2gb") or MiB; also the default limit when it is below 1024mb.
   */
  maxModelMemoryLimit?: string | number;
}

/** Numbers the engine needs, derived from a JobConfig. */
export interface JobSettings {
  bucketSpanMs: number;
  latencyMs: number;
  modelPruneWindowMs: number;
  modelMemoryLimitBytes: number;
  /** The renormalisation window (explicit or Elastic's default), ms. */
  renormalizationWindowMs: number;
}
