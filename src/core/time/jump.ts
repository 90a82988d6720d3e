/**
 * How far after the newest time so far a record may be before it is taken for a typo (2204 for
 * 2024): more than a year and more than 100 000 buckets. Without the rule one such record makes a
 * job or `vigil detect` step through, and store or report, every empty bucket in between (19 M
 * five-minute buckets for 180 years). Shared by the jobs engine and the CLI so both refuse the same
 * records; a job can still be moved ahead on purpose with `_flush?skip_time`.
 */
export const MAX_JUMP_MS = 366 * 86_400_000;
export const MAX_JUMP_BUCKETS = 100_000;

/** The rule in words, for the messages that name a refused record. */
export const JUMP_RULE_TEXT = `more than a year (and ${MAX_JUMP_BUCKETS} buckets)`;

/** The largest step ahead a record may take at this bucket span. */
export function maxJumpMs(bucketSpanMs: number): number {
  return Math.max(MAX_JUMP_MS, MAX_JUMP_BUCKETS * bucketSpanMs);
}

/**
 * The time range of `times` without records that jump more than a year ahead of every earlier one
 * (for choosing a bucket span before the span is known).
 */
export function rangeWithoutJumps(times: ArrayLike<number>, n = times.length): { min: number; max: number } {
  let min = NaN;
  let max = NaN;
  for (let i = 0; i < n; i++) {
    const t = times[i];
    if (!Number.isFinite(t) || t - max > MAX_JUMP_MS) continue;
    if (!(t >= min)) min = t;
    if (!(t <= max)) max = t;
  }
  return { min, max };
}
