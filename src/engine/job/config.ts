/**
 * Elastic-compatible anomaly-detection job configuration: validation of a PUT body with Elastic's
 * rules and messages, Elastic's defaults filled in, the GET/PUT response shape, detector validation
 * (`_validate/detector`) and `_update` rules. Pure: no I/O, no clock (the caller passes times).
 *
 * The normalised {@link JobConfig} is plain JSON in Elastic's own field names, so the server can
 * store it as is and render it with {@link toElasticJob}; numbers the engine needs (bucket span in
 * ms, memory limit in bytes…) come from {@link jobSettings}.
 *
 * The parts live in config/: the shapes (types.ts), one validator per section (analysis-config.ts,
 * detectors.ts, custom-rules.ts, analysis-limits.ts, data-description.ts, model-plot.ts), the whole
 * job (validate-job.ts), derived settings and rendering (render.ts), `_update` (update.ts) and the
 * checks they share (checks.ts). This file is their public face.
 */
export type {
  AnalysisConfig,
  AnalysisLimits,
  AppliesTo,
  DataDescription,
  DetectionRule,
  DetectorConfig,
  ExcludeFrequent,
  FilterRef,
  JobConfig,
  JobSettings,
  ModelPlotConfig,
  RuleAction,
  RuleCondition,
  RuleOperator,
  ValidateJobOptions,
} from './config/types.js';
export { analysisFieldNames } from './config/analysis-config.js';
export { referencedFilters } from './config/custom-rules.js';
export { defaultDetectorDescription, validateDetector } from './config/detectors.js';
export { JOB_VERSION, jobSettings, toElasticDetector, toElasticJob, type JobMeta } from './config/render.js';
export { updateJobConfig, type UpdateJobOptions } from './config/update.js';
export { validateJobConfig, validateJobId } from './config/validate-job.js';

/** True when `v` is a plain JSON object (re-exported for callers validating bodies). */
export { isObject } from './strict-reader.js';
