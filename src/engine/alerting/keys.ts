/**
 * Idempotency keys: the same alert always gets the same key — derived only from the rule, the job,
 * the event's time (data time, not the wall clock) and its kind — so an evaluation repeated after a
 * restart, a replayed write-ahead log or a redelivery produces a key the history (and any receiver)
 * has already seen. Sent as the `Idempotency-Key` header, in the body, and as the e-mail Message-ID.
 */
import { createHash } from 'node:crypto';

export type AlertKind = 'anomaly' | 'no_data' | 'missing_data_run' | 'volume_low' | 'volume_high';
export type AlertPhase = 'fired' | 'recovered';

/**
 * @example
 * alertKey({ ruleId: 'web-down', jobId: 'web', eventTime: 1_700_000_000_000, kind: 'no_data', phase: 'fired' })
 * // → 'vigil-…' (32 hex digits after the prefix; identical on every call with these inputs)
 */
export function alertKey(k: { ruleId: string; jobId: string; eventTime: number; kind: AlertKind; phase: AlertPhase; entity?: string }): string {
  const text = [k.ruleId, k.jobId, String(k.eventTime), k.kind, k.phase, k.entity ?? ''].join('\u0000');
  return 'vigil-' + createHash('sha256').update(text).digest('hex').slice(0, 32);
}
