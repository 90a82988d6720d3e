/**
 * Elastic-compatible anomaly-detection job configuration: validation of a PUT body with Elastic's
 * rules and messages, Elastic's defaults filled in, the GET/PUT response shape, detector validation
 * (`_validate/detector`) and `_update` rules. Pure: no I/O, no clock (the caller passes times).
 *
 * The normalised {@link JobConfig} is plain JSON in Elastic's own field names, so the server can
 * store it as is and render it with {@link toElasticJob}; numbers the engine needs (bucket span in
 * ms, memory limit in bytes…) come from {@link jobSettings}.
 */
import { makeTimestampParser } from '../../core/time/parse-timestamp.js';
import { validateSensitivity } from './controls.js';
import { validateDatafeedConfig, type DatafeedConfig } from './datafeed-config.js';
import { lookupFunction, type FunctionInfo } from './functions.js';
import { ID_LENGTH_LIMIT, invalidGroupMessage, invalidIdMessage, isValidId } from './ids.js';
import { JobConfigError, invalid, parseError } from './job-error.js';
import { StrictReader, isObject, type JsonObject } from './strict-reader.js';
import { formatBytes, formatNumber, formatTimeValue, parseByteSize, parseTimeValue, timeValueText } from './units.js';

/** The Elasticsearch version Vigil's job documents claim (clients read it as the job's version). */
export const JOB_VERSION = '9.0.0';

const DAY_MS = 86_400_000;
const MIB = 1024 * 1024;

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

const JOB_FIELDS = [
  'job_id',
  'job_type',
  'job_version',
  'groups',
  'description',
  'create_time',
  'finished_time',
  'analysis_config',
  'analysis_limits',
  'data_description',
  'model_plot_config',
  'renormalization_window_days',
  'background_persist_interval',
  'results_retention_days',
  'model_snapshot_retention_days',
  'daily_model_snapshot_retention_after_days',
  'custom_settings',
  'model_snapshot_id',
  'model_snapshot_min_version',
  'results_index_name',
  'deleting',
  'allow_lazy_open',
  'blocked',
  'datafeed_config',
];

const ANALYSIS_FIELDS = [
  'bucket_span',
  'categorization_field_name',
  'categorization_filters',
  'categorization_analyzer',
  'per_partition_categorization',
  'latency',
  'summary_count_field_name',
  'detectors',
  'influencers',
  'multivariate_by_fields',
  'model_prune_window',
];

const DETECTOR_FIELDS = [
  'detector_description',
  'function',
  'field_name',
  'by_field_name',
  'over_field_name',
  'partition_field_name',
  'use_null',
  'exclude_frequent',
  'custom_rules',
  'detector_index',
];

const CATEGORIZATION_REFUSED =
  'log categorization is not supported by Vigil: remove [{0}] (categorization_field_name, categorization_filters, categorization_analyzer and mlcategory are not available)';

function categorizationRefused(field: string): JobConfigError {
  return invalid(CATEGORIZATION_REFUSED.replace('{0}', field));
}

const isEmpty = (s: string | undefined): s is undefined => s === undefined || s === '';

// ---------------------------------------------------------------------------------------------
// detectors

/**
 * Validates one detector as `_validate/detector` and job creation do.
 *
 * @example
 * validateDetector({ function: 'mean', field_name: 'responsetime', by_field_name: 'airline' })
 * // { detector_description: 'mean(responsetime) by airline', function: 'mean', …, detector_index: 0 }
 * @throws JobConfigError with Elastic's message.
 */
export function validateDetector(body: unknown, detectorIndex = 0): DetectorConfig {
  const r = new StrictReader('detector', body, DETECTOR_FIELDS);
  const fnName = r.string('function');
  if (fnName === undefined || fnName === '') throw invalid('Unknown function \'null\'');
  const info = lookupFunction(fnName);
  if (!info) {
    throw parseError('[detector] failed to parse field [function]', { type: 'illegal_argument_exception', reason: `Unknown function '${fnName}'` });
  }
  const fieldName = emptyToUndefined(r.string('field_name'));
  const byField = emptyToUndefined(r.string('by_field_name'));
  const overField = emptyToUndefined(r.string('over_field_name'));
  const partitionField = emptyToUndefined(r.string('partition_field_name'));
  const useNull = r.bool('use_null') ?? false;
  const excludeText = r.string('exclude_frequent');
  let excludeFrequent: ExcludeFrequent | undefined;
  if (excludeText !== undefined) {
    const e = excludeText.toLowerCase();
    if (e !== 'all' && e !== 'none' && e !== 'by' && e !== 'over') {
      throw parseError('[detector] failed to parse field [exclude_frequent]', {
        type: 'illegal_argument_exception',
        reason: `exclude_frequent must be one of [all, none, by, over]; got [${excludeText}]`,
      });
    }
    excludeFrequent = e;
  }
  const rulesBody = r.objectArray('custom_rules') ?? [];
  const rules = rulesBody.map(parseRule);
  r.long('detector_index'); // accepted and ignored, as Elastic does

  checkDetectorRules(info, fieldName, byField, overField);
  for (const f of [fieldName, byField, overField, partitionField]) verifyFieldName(f);
  for (const rule of rules) validateRuleForDetector(rule, info, byField, overField, partitionField);
  checkDistinctSplitFields(byField, overField, partitionField);
  for (const f of [byField, overField, partitionField]) {
    if (f === 'mlcategory') throw categorizationRefused('mlcategory');
  }

  const detector: DetectorConfig = {
    detector_description: '',
    function: info.name,
    use_null: useNull,
    custom_rules: rules,
    detector_index: detectorIndex,
  };
  if (fieldName !== undefined) detector.field_name = fieldName;
  if (byField !== undefined) detector.by_field_name = byField;
  if (overField !== undefined) detector.over_field_name = overField;
  if (partitionField !== undefined) detector.partition_field_name = partitionField;
  if (excludeFrequent !== undefined) detector.exclude_frequent = excludeFrequent;
  const description = r.string('detector_description');
  detector.detector_description = description ?? defaultDetectorDescription(detector);
  return detector;
}

function emptyToUndefined(s: string | undefined): string | undefined {
  return s === '' ? undefined : s;
}

function checkDetectorRules(info: FunctionInfo, field?: string, by?: string, over?: string): void {
  if (isEmpty(field) && isEmpty(by) && isEmpty(over) && !info.countWithoutField) {
    throw invalid('Unless a count or temporal function is used one of field_name, by_field_name or over_field_name must be set');
  }
  if (isEmpty(field) && info.needsField) throw invalid(`field_name must be set when the '${info.name}' function is used`);
  if (!isEmpty(field) && !info.needsField) throw invalid(`field_name cannot be used with function '${info.name}'`);
  if (isEmpty(by) && info.needsBy) throw invalid(`by_field_name must be set when the '${info.name}' function is used`);
  if (isEmpty(over) && info.needsOver) throw invalid(`over_field_name must be set when the '${info.name}' function is used`);
  if (!isEmpty(over) && info.noOver) throw invalid(`over_field_name cannot be used with function '${info.name}'`);
}

function checkDistinctSplitFields(by?: string, over?: string, partition?: string): void {
  if (!isEmpty(partition)) {
    if (partition === by) throw invalid(`partition_field_name and by_field_name cannot be the same: '${partition}'`);
    if (partition === over) throw invalid(`partition_field_name and over_field_name cannot be the same: '${partition}'`);
  }
  if (!isEmpty(by) && by === over) throw invalid(`by_field_name and over_field_name cannot be the same: '${by}'`);
  if (by === 'count') throw invalid("'count' is not a permitted value for by_field_name");
  if (over === 'count') throw invalid("'count' is not a permitted value for over_field_name");
  if (by === 'by') throw invalid("'by' is not a permitted value for by_field_name");
  if (over === 'by') throw invalid("'by' is not a permitted value for over_field_name");
  if (by === 'over') throw invalid("'over' is not a permitted value for by_field_name");
  if (over === 'over') throw invalid("'over' is not a permitted value for over_field_name");
}

/** Field names cannot contain `"`, `\` or control characters, nor be `.`. */
function verifyFieldName(field: string | undefined): void {
  if (field === undefined) return;
  // eslint-disable-next-line no-control-regex
  if (/["\\\u0000-\u001f\u007f-\u009f]/.test(field)) {
    throw invalid(`Invalid field name '${field}'. Field names including over, by and partition fields cannot contain any of these characters: ",\\`);
  }
  if (field === '.') throw invalid("Invalid field name '.'. Field names including over, by and partition fields cannot be '.'");
}

/** Elastic's DefaultDetectorDescription: `mean(responsetime) by airline`, `count partitionfield="response.keyword"`. */
export function defaultDetectorDescription(d: Pick<DetectorConfig, 'function' | 'field_name' | 'by_field_name' | 'over_field_name' | 'partition_field_name' | 'use_null' | 'exclude_frequent'>): string {
  let s = d.function;
  if (!isEmpty(d.field_name)) s += `(${quoteField(d.field_name)})`;
  if (!isEmpty(d.by_field_name)) s += ` by ${quoteField(d.by_field_name)}`;
  if (!isEmpty(d.over_field_name)) s += ` over ${quoteField(d.over_field_name)}`;
  if (d.use_null) s += ' usenull=true';
  if (!isEmpty(d.partition_field_name)) s += ` partitionfield=${quoteField(d.partition_field_name)}`;
  if (d.exclude_frequent !== undefined) s += ` excludefrequent=${d.exclude_frequent}`;
  return s;
}

function quoteField(field: string): string {
  if (/^\w*$/.test(field)) return field;
  return `"${field.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

// ---------------------------------------------------------------------------------------------
// custom rules

function parseRule(body: JsonObject): DetectionRule {
  const r = new StrictReader('detection_rule', body, ['actions', 'scope', 'conditions']);
  const actionNames = r.stringArray('actions');
  const actions: RuleAction[] = [];
  for (const a of actionNames ?? ['skip_result']) {
    const lower = a.toLowerCase();
    if (lower !== 'skip_result' && lower !== 'skip_model_update') {
      throw parseError('[detection_rule] failed to parse field [actions]', {
        type: 'illegal_argument_exception',
        reason: `Invalid rule action [${a}]; valid actions: skip_result, skip_model_update`,
      });
    }
    if (!actions.includes(lower)) actions.push(lower);
  }
  if (actions.length === 0) throw invalid('Invalid detector rule: at least one action is required');
  const rule: DetectionRule = { actions };
  const scopeBody = r.object('scope');
  if (scopeBody && Object.keys(scopeBody).length > 0) {
    const scope: Record<string, FilterRef> = {};
    for (const [field, ref] of Object.entries(scopeBody)) {
      const f = new StrictReader('filter_ref', ref, ['filter_id', 'filter_type']);
      const filterId = f.string('filter_id');
      if (filterId === undefined) throw parseError('[filter_ref] Required [filter_id]');
      const type = (f.string('filter_type') ?? 'include').toLowerCase();
      if (type !== 'include' && type !== 'exclude') {
        throw parseError('[filter_ref] failed to parse field [filter_type]', {
          type: 'illegal_argument_exception',
          reason: `filter_type must be include or exclude; got [${type}]`,
        });
      }
      scope[field] = { filter_id: filterId, filter_type: type };
    }
    rule.scope = scope;
  }
  const conditionsBody = r.objectArray('conditions');
  if (conditionsBody && conditionsBody.length > 0) {
    rule.conditions = conditionsBody.map((c) => {
      const cr = new StrictReader('rule_condition', c, ['applies_to', 'operator', 'value']);
      const missing = ['applies_to', 'operator', 'value'].filter((k) => !cr.has(k));
      if (missing.length > 0) throw parseError(`[rule_condition] Required [${missing.join(', ')}]`);
      const appliesTo = (cr.string('applies_to') as string).toLowerCase();
      if (!['actual', 'typical', 'diff_from_typical', 'time'].includes(appliesTo)) {
        throw parseError('[rule_condition] failed to parse field [applies_to]', {
          type: 'illegal_argument_exception',
          reason: `applies_to must be one of [actual, typical, diff_from_typical, time]; got [${appliesTo}]`,
        });
      }
      const operator = (cr.string('operator') as string).toLowerCase();
      if (!['gt', 'gte', 'lt', 'lte'].includes(operator)) {
        throw parseError('[rule_condition] failed to parse field [operator]', {
          type: 'illegal_argument_exception',
          reason: `operator must be one of [gt, gte, lt, lte]; got [${operator}]`,
        });
      }
      return { applies_to: appliesTo as AppliesTo, operator: operator as RuleOperator, value: cr.double('value') as number };
    });
  }
  if (!rule.scope && !rule.conditions) throw invalid('Invalid detector rule: at least scope or a condition is required');
  return rule;
}

function validateRuleForDetector(rule: DetectionRule, info: FunctionInfo, by?: string, over?: string, partition?: string): void {
  if (info.timeConditionsOnly && rule.conditions?.some((c) => c.applies_to !== 'time')) {
    throw invalid(`Invalid detector rule: function ${info.name} only supports conditions that apply to time`);
  }
  if (rule.scope) {
    const available = [by, over, partition].filter((f): f is string => !isEmpty(f)).sort();
    for (const field of Object.keys(rule.scope)) {
      if (available.includes(field)) continue;
      if (available.length === 0) {
        throw invalid(`Invalid detector rule: scope field '${field}' is invalid; detector has no available fields for scoping`);
      }
      throw invalid(`Invalid detector rule: scope field '${field}' is invalid; select from [${available.join(', ')}]`);
    }
  }
}

/** Filter ids the job's custom rules refer to (the server checks they exist). */
export function referencedFilters(config: JobConfig): string[] {
  const ids = new Set<string>();
  for (const d of config.analysis_config.detectors) {
    for (const rule of d.custom_rules) for (const ref of Object.values(rule.scope ?? {})) ids.add(ref.filter_id);
  }
  return [...ids].sort();
}

// ---------------------------------------------------------------------------------------------
// the whole job

/**
 * Validates a PUT `_ml/anomaly_detectors/<jobId>` body and returns the normalised configuration.
 * The body may also carry `job_id` (the v8 client sends it); it must then equal `jobId`.
 *
 * @example
 * const config = validateJobConfig('total-requests', {
 *   analysis_config: { bucket_span: '10m', detectors: [{ function: 'sum', field_name: 'total' }] },
 *   data_description: { time_field: 'timestamp', time_format: 'epoch_ms' },
 * });
 * config.analysis_limits.model_memory_limit // '1024mb'
 * @throws JobConfigError (a VigilError, status 400) with Elastic's message and error type.
 */
export function validateJobConfig(jobId: string, body: unknown, options: ValidateJobOptions = {}): JobConfig {
  const r = new StrictReader('job_details', body ?? {}, JOB_FIELDS);
  const bodyId = r.string('job_id');
  if (bodyId !== undefined && bodyId !== jobId) {
    throw invalid(`Inconsistent job_id; '${bodyId}' specified in the body differs from '${jobId}' specified as a URL argument`);
  }
  const illegal = ['model_snapshot_id', 'finished_time', 'create_time'].filter((f) => r.has(f));
  if (illegal.length > 0) throw invalid(`The job is configured with fields [${illegal.join(', ')}] that are illegal to set at job creation`);
  const jobType = r.string('job_type');
  if (jobType !== undefined && jobType !== 'anomaly_detector') {
    throw invalid(`Invalid job_type [${jobType}]; only anomaly_detector jobs are supported`);
  }
  r.string('job_version');
  r.string('model_snapshot_min_version');
  r.bool('deleting');
  r.object('blocked');

  // parse the parts (Elastic parses, and validates sub-objects, before job-level rules)
  const analysisBody = r.object('analysis_config');
  const analysis = analysisBody ? parseAnalysisConfig(analysisBody) : undefined;
  const limits = parseAnalysisLimits(r.object('analysis_limits'), options);
  const ddBody = r.object('data_description');
  const dataDescription = ddBody ? parseDataDescription(ddBody) : undefined;
  const modelPlotBody = r.object('model_plot_config');
  const modelPlot = modelPlotBody ? parseModelPlotConfig(modelPlotBody) : undefined;
  const renormalizationWindowDays = r.long('renormalization_window_days');
  const bpiText = r.string('background_persist_interval');
  const bpi = bpiText === undefined ? undefined : parseTimeValue(bpiText, 'background_persist_interval');
  const resultsRetentionDays = r.long('results_retention_days');
  const modelSnapshotRetentionDays = r.long('model_snapshot_retention_days');
  const dailyRetention = r.long('daily_model_snapshot_retention_after_days');
  const customSettings = r.object('custom_settings');
  validateSensitivity(customSettings?.vigil_sensitivity);
  const resultsIndexName = r.string('results_index_name');
  const allowLazyOpen = r.bool('allow_lazy_open') ?? false;
  const groups = r.stringArray('groups') ?? [];
  const description = r.string('description');

  // Job.Builder.validateInputFields, in Elastic's order
  if (!analysis) throw invalid('An analysis_config must be set');
  if (!dataDescription) throw invalid('A data_description must be set');
  if (analysisFieldNames(analysis).includes(dataDescription.time_field)) {
    throw invalid('data_description.time_field may not be used in the analysis_config');
  }
  if (bpi !== undefined) {
    if (bpi % 1000 !== 0) throw invalid(`background_persist_interval has to be a multiple of 1s; actual was '${formatTimeValue(bpi)}'`);
    if (bpi / 1000 < 3600) throw invalid(`background_persist_interval cannot be less than ${formatNumber(3600)}. Value = ${formatNumber(bpi / 1000)}`);
  }
  checkNotLessThan(0, 'renormalization_window_days', renormalizationWindowDays);
  checkNotLessThan(0, 'results_retention_days', resultsRetentionDays);
  checkJobId(jobId);
  checkNotLessThan(0, 'model_snapshot_retention_days', modelSnapshotRetentionDays);
  checkNotLessThan(0, 'daily_model_snapshot_retention_after_days', dailyRetention);
  const retention = modelSnapshotRetentionDays ?? 10;
  checkRetentionConsistent(dailyRetention, retention);
  checkGroups(groups, jobId);
  if (resultsIndexName !== undefined && resultsIndexName !== '' && !isValidId(resultsIndexName)) {
    throw invalid(invalidIdMessage('results_index_name', resultsIndexName));
  }
  checkDetectorsUnique(analysis.detectors);

  const bucketSpanMs = parseTimeValue(analysis.bucket_span, 'bucket_span');
  const config: JobConfig = {
    job_id: jobId,
    groups,
    analysis_config: analysis,
    analysis_limits: limits,
    data_description: dataDescription,
    model_snapshot_retention_days: retention,
    // Elastic: default 1 when the retention allows it, else the retention itself
    daily_model_snapshot_retention_after_days: dailyRetention ?? Math.min(1, retention),
    results_index_name:
      resultsIndexName === undefined || resultsIndexName === '' || resultsIndexName === 'shared'
        ? 'shared'
        : resultsIndexName.startsWith('custom-')
          ? resultsIndexName
          : `custom-${resultsIndexName}`,
    allow_lazy_open: allowLazyOpen,
  };
  if (description !== undefined) config.description = description;
  if (modelPlot) config.model_plot_config = modelPlot;
  if (renormalizationWindowDays !== undefined) config.renormalization_window_days = renormalizationWindowDays;
  if (bpiText !== undefined) config.background_persist_interval = bpiText;
  if (resultsRetentionDays !== undefined) config.results_retention_days = resultsRetentionDays;
  if (customSettings !== undefined) config.custom_settings = customSettings;
  const datafeedBody = r.raw('datafeed_config');
  if (datafeedBody !== undefined && datafeedBody !== null) {
    config.datafeed_config = validateDatafeedConfig(datafeedBody, jobId, bucketSpanMs);
    if (analysis.latency !== undefined && parseTimeValue(analysis.latency, 'latency') > 0) {
      throw invalid('A job configured with datafeed cannot support latency');
    }
  }
  return config;
}

function checkJobId(jobId: string): void {
  if (typeof jobId !== 'string' || !isValidId(jobId)) throw invalid(invalidIdMessage('job_id', String(jobId)));
  if (jobId.length > ID_LENGTH_LIMIT) throw invalid(`The job id cannot contain more than ${ID_LENGTH_LIMIT} characters.`);
}

/** Checks a job id as Elastic does before anything else (e.g. in a URL); throws JobConfigError. */
export function validateJobId(jobId: string): void {
  checkJobId(jobId);
}

function checkNotLessThan(min: number, name: string, value: number | undefined): void {
  if (value !== undefined && value < min) throw invalid(`${name} cannot be less than ${formatNumber(min)}. Value = ${formatNumber(value)}`);
}

function checkRetentionConsistent(daily: number | undefined, retention: number): void {
  if (daily !== undefined && daily > retention) {
    throw invalid(`The value of 'daily_model_snapshot_retention_after_days' [${daily}] cannot be greater than 'model_snapshot_retention_days' [${retention}]`);
  }
}

function checkGroups(groups: string[], jobId: string): void {
  for (const g of groups) {
    if (!isValidId(g)) throw invalid(invalidGroupMessage(g));
    if (g === jobId) {
      throw new JobConfigError(
        `job and group names must be unique but job [${g}] and group [${g}] have the same name`,
        'resource_already_exists_exception',
      );
    }
  }
}

function checkDetectorsUnique(detectors: DetectorConfig[]): void {
  const seen = new Set<string>();
  for (const d of detectors) {
    const key = JSON.stringify({ ...d, detector_index: 0 });
    if (seen.has(key)) throw invalid(`Duplicate detectors are not allowed: [${d.detector_description}]`);
    seen.add(key);
  }
}

function parseAnalysisConfig(body: JsonObject): AnalysisConfig {
  const r = new StrictReader('analysis_config', body, ANALYSIS_FIELDS);
  for (const f of ['categorization_field_name', 'categorization_filters', 'categorization_analyzer'] as const) {
    if (r.has(f)) throw categorizationRefused(f);
  }
  const ppc = r.object('per_partition_categorization');
  if (ppc) {
    const p = new StrictReader('per_partition_categorization', ppc, ['enabled', 'stop_on_warn']);
    if (p.bool('enabled') === true) throw categorizationRefused('per_partition_categorization');
    if (p.bool('stop_on_warn') === true) throw invalid('stop_on_warn cannot be true in per_partition_categorization when enabled is false');
  }
  const bucketSpanText = r.string('bucket_span') ?? '5m';
  const bucketSpanMs = parseTimeValue(bucketSpanText, 'bucket_span');
  if (bucketSpanMs <= 0) throw invalid(`bucket_span cannot be less or equal than 0. Value = ${formatTimeValue(bucketSpanMs)}`);
  if (bucketSpanMs % 1000 !== 0) throw invalid(`bucket_span has to be a multiple of 1s; actual was '${formatTimeValue(bucketSpanMs)}'`);

  const pruneText = r.string('model_prune_window');
  let prune = pruneText;
  if (pruneText !== undefined) {
    const ms = parseTimeValue(pruneText, 'model_prune_window');
    if (ms % bucketSpanMs !== 0) {
      throw invalid(`model_prune_window [${formatTimeValue(ms)}] must be a multiple of bucket_span [${formatTimeValue(bucketSpanMs)}]`);
    }
    if (ms / bucketSpanMs < 2) {
      throw invalid(`model_prune_window [${formatTimeValue(ms)}] must be at least 2 times greater than bucket_span [${formatTimeValue(bucketSpanMs)}]`);
    }
  } else {
    prune = timeValueText(Math.max(30 * DAY_MS, 20 * bucketSpanMs));
  }

  const latencyText = r.string('latency');
  if (latencyText !== undefined) {
    const ms = parseTimeValue(latencyText, 'latency');
    if (ms < 0) throw invalid(`latency cannot be less than 0. Value = ${formatTimeValue(ms)}`);
    if (ms % 1000 !== 0) throw invalid(`latency has to be a multiple of 1s; actual was '${formatTimeValue(ms)}'`);
  }

  const detectorBodies = r.objectArray('detectors');
  if (!detectorBodies || detectorBodies.length === 0) throw invalid('No detectors configured');
  const detectors = detectorBodies.map((d, i) => validateDetector(d, i));
  const summaryCountField = emptyToUndefined(r.string('summary_count_field_name'));
  verifyFieldName(summaryCountField);
  if (summaryCountField !== undefined && detectors.some((d) => d.function === 'metric')) {
    throw invalid("The 'metric' function cannot be used in jobs that will take pre-summarized input");
  }
  const influencers = r.stringArray('influencers') ?? [];
  for (const inf of influencers) if (inf === 'mlcategory') throw categorizationRefused('mlcategory');
  const multivariate = r.bool('multivariate_by_fields');

  const config: AnalysisConfig = {
    bucket_span: bucketSpanText,
    detectors,
    influencers,
    model_prune_window: prune as string,
  };
  if (latencyText !== undefined) config.latency = latencyText;
  if (summaryCountField !== undefined) config.summary_count_field_name = summaryCountField;
  if (multivariate !== undefined) config.multivariate_by_fields = multivariate;

  // nested term fields may not clash (a and a.b)
  const terms = [...termFields(config)].sort();
  for (let i = 1; i < terms.length; i++) {
    if (terms[i].startsWith(`${terms[i - 1]}.`)) {
      throw invalid(`Fields [${terms[i - 1]}] and [${terms[i]}] cannot both be used in the same analysis_config`);
    }
  }
  return config;
}

/** by, over and partition fields of every detector, plus the influencers. */
function termFields(a: Pick<AnalysisConfig, 'detectors' | 'influencers'>): Set<string> {
  const s = new Set<string>();
  for (const d of a.detectors) {
    for (const f of [d.by_field_name, d.over_field_name, d.partition_field_name]) if (!isEmpty(f)) s.add(f);
  }
  for (const i of a.influencers) if (i !== '') s.add(i);
  return s;
}

/** Every field the analysis reads (term fields, field_name of each detector, summary count field). */
export function analysisFieldNames(a: AnalysisConfig): string[] {
  const s = termFields(a);
  for (const d of a.detectors) if (!isEmpty(d.field_name)) s.add(d.field_name);
  if (!isEmpty(a.summary_count_field_name)) s.add(a.summary_count_field_name);
  return [...s].sort();
}

function parseAnalysisLimits(body: JsonObject | undefined, options: ValidateJobOptions): AnalysisLimits {
  const maxMb = options.maxModelMemoryLimit === undefined ? undefined : memoryLimitMb(options.maxModelMemoryLimit);
  const defaultMb = maxMb !== undefined && maxMb > 0 && maxMb < 1024 ? maxMb : 1024;
  let mb = defaultMb;
  let examples = 4;
  if (body) {
    const r = new StrictReader('analysis_limits', body, ['model_memory_limit', 'categorization_examples_limit']);
    const raw = r.raw('model_memory_limit');
    if (raw !== undefined && raw !== null) {
      if (typeof raw !== 'string' && typeof raw !== 'number') {
        throw parseError('[analysis_limits] failed to parse field [model_memory_limit]', {
          type: 'illegal_argument_exception',
          reason: `Unsupported token [${Array.isArray(raw) ? 'START_ARRAY' : 'START_OBJECT'}]`,
        });
      }
      mb = memoryLimitMb(raw);
      if (mb < 1) throw invalid(`model_memory_limit must be at least 1 MiB. Value = ${mb}`);
      if (maxMb !== undefined && maxMb > 0 && mb > maxMb) {
        throw invalid(`model_memory_limit [${mb}mb] must be less than the value of the xpack.ml.max_model_memory_limit setting [${maxMb}mb]`);
      }
    }
    const ex = r.long('categorization_examples_limit');
    if (ex !== undefined) {
      checkNotLessThan(0, 'categorization_examples_limit', ex);
      examples = ex;
    }
  }
  return { model_memory_limit: `${mb}mb`, categorization_examples_limit: examples };
}

/** A model_memory_limit in whole MiB (numbers are MiB; byte sizes round down to MiB). */
function memoryLimitMb(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw invalid(`model_memory_limit must be a whole number of MiB; got [${v}]`);
    return v;
  }
  if (/^\s*-?\d+\s*$/.test(v)) return Number(v);
  const bytes = parseByteSize(v, 'model_memory_limit');
  return bytes < 0 ? bytes : Math.floor(bytes / MIB);
}

function parseDataDescription(body: JsonObject): DataDescription {
  const r = new StrictReader('data_description', body, ['format', 'time_field', 'time_format', 'field_delimiter', 'quote_character']);
  const format = r.string('format');
  if (format !== undefined && !['json', 'xcontent'].includes(format.toLowerCase())) {
    throw invalid(`Invalid data_description.format [${format}]: only JSON is supported (xcontent, json)`);
  }
  r.string('field_delimiter');
  r.string('quote_character');
  const timeField = r.string('time_field') ?? 'time';
  const timeFormat = r.string('time_format') ?? 'epoch';
  if (timeFormat !== 'epoch' && timeFormat !== 'epoch_ms') {
    try {
      makeTimestampParser(timeFormat, { timeZone: 'UTC' });
    } catch {
      throw invalid(`Invalid Time format string '${timeFormat}'`);
    }
  }
  return { time_field: timeField, time_format: timeFormat };
}

function parseModelPlotConfig(body: JsonObject): ModelPlotConfig {
  const r = new StrictReader('model_plot_config', body, ['enabled', 'terms', 'annotations_enabled']);
  const enabled = r.bool('enabled');
  if (enabled === undefined) throw parseError('[model_plot_config] Required [enabled]');
  const out: ModelPlotConfig = { enabled, annotations_enabled: r.bool('annotations_enabled') ?? enabled };
  const terms = r.string('terms');
  if (terms !== undefined) out.terms = terms;
  return out;
}

// ---------------------------------------------------------------------------------------------
// derived settings and rendering

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

// ---------------------------------------------------------------------------------------------
// _update

export interface UpdateJobOptions {
  /** The job is open (Elastic refuses analysis_limits changes then). */
  isOpen?: boolean;
  /** Current model bytes (model_size_stats.model_bytes): the limit cannot go below it. */
  modelBytes?: number;
  maxModelMemoryLimit?: string | number;
}

const UPDATE_FIELDS = [
  'groups',
  'description',
  'detectors',
  'per_partition_categorization',
  'model_plot_config',
  'analysis_limits',
  'background_persist_interval',
  'renormalization_window_days',
  'results_retention_days',
  'model_snapshot_retention_days',
  'daily_model_snapshot_retention_after_days',
  'categorization_filters',
  'custom_settings',
  'allow_lazy_open',
  'model_prune_window',
];

/**
 * Applies a POST `_ml/anomaly_detectors/<id>/_update` body to a configuration, with Elastic's rules
 * on what may change (analysis_config and data_description may not: "[job_update] unknown field").
 * Returns a new configuration; the input is not modified.
 *
 * @throws JobConfigError with Elastic's message.
 */
export function updateJobConfig(config: JobConfig, update: unknown, options: UpdateJobOptions = {}): JobConfig {
  const r = new StrictReader('job_update', update ?? {}, UPDATE_FIELDS);
  const next: JobConfig = structuredClone(config);
  const bucketSpanMs = parseTimeValue(config.analysis_config.bucket_span, 'bucket_span');

  if (r.has('categorization_filters')) throw categorizationRefused('categorization_filters');
  const ppc = r.object('per_partition_categorization');
  if (ppc) {
    const p = new StrictReader('per_partition_categorization', ppc, ['enabled', 'stop_on_warn']);
    if (p.bool('enabled') === true) throw categorizationRefused('per_partition_categorization');
    p.bool('stop_on_warn');
  }
  const groups = r.stringArray('groups');
  if (groups !== undefined) {
    checkGroups(groups, config.job_id);
    next.groups = groups;
  }
  if (r.raw('description') !== undefined) {
    const d = r.string('description');
    if (d === undefined) delete next.description;
    else next.description = d;
  }
  const detectorUpdates = r.objectArray('detectors');
  if (detectorUpdates) {
    for (const du of detectorUpdates) {
      const dr = new StrictReader('detector_update', du, ['detector_index', 'description', 'custom_rules']);
      const index = dr.long('detector_index');
      if (index === undefined) throw parseError('[detector_update] Required [detector_index]');
      const count = next.analysis_config.detectors.length;
      if (index < 0 || index >= count) throw invalid(`Supplied detector_index [${index}] is >= the number of detectors [${count}]`);
      const detector = next.analysis_config.detectors[index];
      const desc = dr.string('description');
      if (desc !== undefined) detector.detector_description = desc;
      const rulesBody = dr.objectArray('custom_rules');
      if (rulesBody !== undefined) {
        const info = lookupFunction(detector.function) as FunctionInfo;
        const rules = rulesBody.map(parseRule);
        for (const rule of rules) {
          validateRuleForDetector(rule, info, detector.by_field_name, detector.over_field_name, detector.partition_field_name);
        }
        detector.custom_rules = rules;
      }
    }
  }
  const mpc = r.object('model_plot_config');
  if (mpc) next.model_plot_config = parseModelPlotConfig(mpc);
  const limitsBody = r.object('analysis_limits');
  if (limitsBody) {
    if (options.isOpen) throw invalid('Cannot update analysis_limits while the job is open');
    const limits = parseAnalysisLimits(
      { categorization_examples_limit: config.analysis_limits.categorization_examples_limit, ...limitsBody },
      { maxModelMemoryLimit: options.maxModelMemoryLimit },
    );
    if (!('model_memory_limit' in limitsBody)) limits.model_memory_limit = config.analysis_limits.model_memory_limit;
    const newBytes = Number.parseInt(limits.model_memory_limit, 10) * MIB;
    const oldBytes = Number.parseInt(config.analysis_limits.model_memory_limit, 10) * MIB;
    if (options.modelBytes !== undefined && newBytes < oldBytes && newBytes < options.modelBytes) {
      throw invalid(
        `Invalid update value for analysis_limits: model_memory_limit cannot be decreased below current usage; current usage [${formatBytes(options.modelBytes)}], update had [${limits.model_memory_limit}]`,
      );
    }
    next.analysis_limits = limits;
  }
  if (r.raw('background_persist_interval') !== undefined) {
    const t = r.string('background_persist_interval');
    if (t === undefined) delete next.background_persist_interval;
    else {
      const ms = parseTimeValue(t, 'background_persist_interval');
      if (ms % 1000 !== 0) throw invalid(`background_persist_interval has to be a multiple of 1s; actual was '${formatTimeValue(ms)}'`);
      if (ms / 1000 < 3600) throw invalid(`background_persist_interval cannot be less than ${formatNumber(3600)}. Value = ${formatNumber(ms / 1000)}`);
      next.background_persist_interval = t;
    }
  }
  for (const name of ['renormalization_window_days', 'results_retention_days'] as const) {
    if (r.raw(name) === undefined) continue;
    const v = r.long(name);
    if (v === undefined) delete next[name];
    else {
      checkNotLessThan(0, name, v);
      next[name] = v;
    }
  }
  const retention = r.long('model_snapshot_retention_days');
  const daily = r.long('daily_model_snapshot_retention_after_days');
  checkNotLessThan(0, 'model_snapshot_retention_days', retention);
  checkNotLessThan(0, 'daily_model_snapshot_retention_after_days', daily);
  if (retention !== undefined) next.model_snapshot_retention_days = retention;
  if (daily !== undefined) next.daily_model_snapshot_retention_after_days = daily;
  checkRetentionConsistent(next.daily_model_snapshot_retention_after_days, next.model_snapshot_retention_days);
  if (r.raw('custom_settings') !== undefined) {
    const cs = r.object('custom_settings');
    if (cs === undefined) delete next.custom_settings;
    else {
      validateSensitivity(cs.vigil_sensitivity);
      next.custom_settings = structuredClone(cs);
    }
  }
  const lazy = r.bool('allow_lazy_open');
  if (lazy !== undefined) next.allow_lazy_open = lazy;
  const prune = r.string('model_prune_window');
  if (prune !== undefined) {
    const ms = parseTimeValue(prune, 'model_prune_window');
    if (ms % bucketSpanMs !== 0) {
      throw invalid(`model_prune_window [${formatTimeValue(ms)}] must be a multiple of bucket_span [${formatTimeValue(bucketSpanMs)}]`);
    }
    if (ms / bucketSpanMs < 2) {
      throw invalid(`model_prune_window [${formatTimeValue(ms)}] must be at least 2 times greater than bucket_span [${formatTimeValue(bucketSpanMs)}]`);
    }
    next.analysis_config.model_prune_window = prune;
  }
  return next;
}

/** True when `v` is a plain JSON object (re-exported for callers validating bodies). */
export { isObject };
