/**
 * A whole job: validation of a PUT `_ml/anomaly_detectors/<jobId>` body in Elastic's order (the
 * sections first, then the job-level rules), with Elastic's defaults filled in.
 */
import { DEFAULT_SERIES_MODEL, requestedModel, validateModel, validateSensitivity } from '../controls.js';
import { validateDatafeedConfig } from '../datafeed-config.js';
import { ID_LENGTH_LIMIT, invalidIdMessage, isValidId } from '../ids.js';
import { invalid } from '../job-error.js';
import { StrictReader } from '../strict-reader.js';
import { parseTimeValue } from '../units.js';
import { analysisFieldNames, parseAnalysisConfig } from './analysis-config.js';
import { parseAnalysisLimits } from './analysis-limits.js';
import { checkBackgroundPersistInterval, checkGroups, checkNotLessThan, checkRetentionConsistent } from './checks.js';
import { parseDataDescription } from './data-description.js';
import { parseModelPlotConfig } from './model-plot.js';
import type { DetectorConfig, JobConfig, ValidateJobOptions } from './types.js';

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
  validateModel(customSettings?.vigil_model);
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
  if (bpi !== undefined) checkBackgroundPersistInterval(bpi);
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
  config.series_model = requestedModel(customSettings) ?? DEFAULT_SERIES_MODEL;
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

function checkDetectorsUnique(detectors: DetectorConfig[]): void {
  const seen = new Set<string>();
  for (const d of detectors) {
    const key = JSON.stringify({ ...d, detector_index: 0 });
    if (seen.has(key)) throw invalid(`Duplicate detectors are not allowed: [${d.detector_description}]`);
    seen.add(key);
  }
}
