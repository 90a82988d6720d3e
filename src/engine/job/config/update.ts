/**
 * `_update`: applies a POST `_ml/anomaly_detectors/<id>/_update` body to a configuration, with
 * Elastic's rules on what may change and Elastic's messages.
 */
import { modelName, requestedModel, seriesModelOf, validateModel, validateSensitivity } from '../controls.js';
import { lookupFunction, type FunctionInfo } from '../functions.js';
import { invalid, parseError } from '../job-error.js';
import { StrictReader } from '../strict-reader.js';
import { formatBytes, parseTimeValue } from '../units.js';
import { parseAnalysisLimits } from './analysis-limits.js';
import { MIB, categorizationRefused, checkBackgroundPersistInterval, checkGroups, checkNotLessThan, checkPruneWindow, checkRetentionConsistent } from './checks.js';
import { parseRule, validateRuleForDetector } from './custom-rules.js';
import { parseModelPlotConfig } from './model-plot.js';
import type { JobConfig } from './types.js';


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
  // the model the job was built with, written out: a job stored before series_model existed reads it
  // from custom_settings, which this update may replace
  next.series_model = seriesModelOf(config);
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
      checkBackgroundPersistInterval(parseTimeValue(t, 'background_persist_interval'));
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
    validateModel(cs?.vigil_model);
    // the job's models were built as this kind; a new kind would mix two models in one job
    const has = seriesModelOf(config);
    const asked = requestedModel(cs);
    if (asked !== undefined && asked !== has) {
      throw invalid(
        `custom_settings.vigil_model cannot be changed on an existing job: its models are [${modelName(has)}]; create a new job with [${modelName(asked)}]`,
      );
    }
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
    checkPruneWindow(parseTimeValue(prune, 'model_prune_window'), bucketSpanMs);
    next.analysis_config.model_prune_window = prune;
  }
  return next;
}
