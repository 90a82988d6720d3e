/**
 * The retry schedule of a delivery: exponential backoff (initial × 2^(attempt−1), capped) with a
 * deterministic jitter of up to −25 % derived from the alert's key, so receivers that fail together
 * are not retried in lock-step and the schedule is reproducible in tests. After `maxAttempts`
 * failed attempts the delivery is dead-lettered.
 */

export interface RetryPolicy {
  /** Delay after the first failure (default 2 s). */
  initialMs: number;
  /** Upper bound of any delay (default 10 min). */
  maxDelayMs: number;
  /** Attempts before the delivery is dead-lettered (default 10: about 30 minutes of retrying). */
  maxAttempts: number;
  /** Jitter fraction (default 0.25: a delay is shortened by up to 25 %). */
  jitter: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 2000, maxDelayMs: 600_000, maxAttempts: 10, jitter: 0.25 };

function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 2 ** 32;
}

/**
 * Delay before the next attempt after `failedAttempts` failures, or null when no attempt is left
 * (dead letter).
 *
 * @example
 * retryDelay(1, 'k', { ...DEFAULT_RETRY, jitter: 0 }) // 2000
 * retryDelay(3, 'k', { ...DEFAULT_RETRY, jitter: 0 }) // 8000
 * retryDelay(10, 'k') // null
 */
export function retryDelay(failedAttempts: number, key: string, policy: RetryPolicy = DEFAULT_RETRY): number | null {
  if (failedAttempts >= policy.maxAttempts) return null;
  const base = Math.min(policy.maxDelayMs, policy.initialMs * 2 ** Math.max(0, failedAttempts - 1));
  const cut = policy.jitter * unitHash(`${key}#${failedAttempts}`);
  return Math.max(1, Math.round(base * (1 - cut)));
}
