/** Alerting without I/O: rules, evaluation, idempotency keys, retry schedule, payloads. */
export * from './rule.js';
export * from './evaluate.js';
export * from './keys.js';
export * from './backoff.js';
export * from './payload.js';
