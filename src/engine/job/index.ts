/**
 * Vigil's Elastic-compatible anomaly-detection jobs, without I/O: configuration (validation,
 * defaults, rendering, updates), the job engine (AnomalyJob: data in, Elastic-shaped results,
 * renormalisation, stats, versioned state) and the result document types. See docs/job-engine.md.
 */
export * from './config.js';
export { validateDatafeedConfig, type DatafeedConfig } from './datafeed-config.js';
export { ELASTIC_FUNCTION_NAMES, lookupFunction, type FunctionInfo, type FunctionFamily } from './functions.js';
export { ID_LENGTH_LIMIT, isValidId, invalidIdMessage } from './ids.js';
export { JobConfigError, type ElasticErrorType, type ElasticCause } from './job-error.js';
export { parseTimeValue, parseByteSize, formatTimeValue, formatBytes } from './units.js';
export { readTimeParam } from './time-reader.js';
export {
  AnomalyJob,
  emptyDataCounts,
  type AnomalyJobOptions,
  type DataCounts,
  type FlushOptions,
  type FlushResult,
  type InvalidValueProblem,
  type MemoryStatus,
  type ModelSizeStats,
  type PostDataOptions,
  type TimingStats,
} from './anomaly-job.js';
export * from './results.js';
export * from './controls.js';
export { estimateModelMemory, type EstimateRequest } from './estimate-memory.js';
