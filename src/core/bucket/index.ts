/**
 * Bucketing and remediation: Elastic's detector functions, the streaming bucketizer and its batch
 * twin, missing-data runs and bucket-span inference.
 */
export * from './functions.js';
export * from './bucketizer.js';
export * from './gaps.js';
export * from './span.js';
