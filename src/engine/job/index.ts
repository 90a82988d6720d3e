/**
 * Vigil's Elastic-compatible anomaly-detection jobs, without I/O: configuration (validation,
 * defaults, rendering, updates) and, in later modules, the job engine itself.
 */
export * from './config.js';
export { validateDatafeedConfig, type DatafeedConfig } from './datafeed-config.js';
export { ELASTIC_FUNCTION_NAMES, lookupFunction, type FunctionInfo, type FunctionFamily } from './functions.js';
export { ID_LENGTH_LIMIT, isValidId, invalidIdMessage } from './ids.js';
export { JobConfigError, type ElasticErrorType, type ElasticCause } from './job-error.js';
export { parseTimeValue, parseByteSize, formatTimeValue, formatBytes } from './units.js';
export {
  AnomalyJob,
  type AnomalyJobOptions,
  type DataCounts,
  type FlushOptions,
  type FlushResult,
  type MemoryStatus,
  type ModelSizeStats,
  type PostDataOptions,
  type TimingStats,
} from './anomaly-job.js';
export * from './results.js';
