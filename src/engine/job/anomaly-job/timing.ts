/**
 * Bucket processing times and Elastic's timing_stats document (count, total, min, max, mean, an
 * exponential average per bucket and one per hour of data).
 */

/** Elastic's timing_stats document. */
export interface TimingStats {
  job_id: string;
  bucket_count: number;
  total_bucket_processing_time_ms: number;
  minimum_bucket_processing_time_ms?: number;
  maximum_bucket_processing_time_ms?: number;
  average_bucket_processing_time_ms?: number;
  exponential_average_bucket_processing_time_ms?: number;
  exponential_average_bucket_processing_time_per_hour_ms?: number;
}

/** The running figures (the layout of JobStateBody.timing, where min Infinity and hourStart NaN are saved as -1). */
export interface Timing {
  count: number;
  total: number;
  min: number;
  max: number;
  expAvg: number;
  hourAvg: number;
  hourStart: number;
  hourTotal: number;
}

export function emptyTiming(): Timing {
  return { count: 0, total: 0, min: Infinity, max: 0, expAvg: 0, hourAvg: 0, hourStart: NaN, hourTotal: 0 };
}

/** Counts one final bucket's processing time, `ms`. */
export function recordTiming(t: Timing, ms: number, bucket: number): void {
  t.count++;
  t.total += ms;
  if (ms < t.min) t.min = ms;
  if (ms > t.max) t.max = ms;
  const alpha = 0.01;
  t.expAvg = t.count === 1 ? ms : (1 - alpha) * t.expAvg + alpha * ms;
  const hour = Math.floor(bucket / 3_600_000) * 3_600_000;
  if (hour !== t.hourStart) {
    if (!Number.isNaN(t.hourStart)) t.hourAvg = t.hourAvg === 0 ? t.hourTotal : 0.9 * t.hourAvg + 0.1 * t.hourTotal;
    t.hourStart = hour;
    t.hourTotal = 0;
  }
  t.hourTotal += ms;
}

/** Elastic's timing_stats. */
export function timingStats(jobId: string, t: Timing): TimingStats {
  const out: TimingStats = { job_id: jobId, bucket_count: t.count, total_bucket_processing_time_ms: round3(t.total) };
  if (t.count > 0) {
    out.minimum_bucket_processing_time_ms = round3(t.min);
    out.maximum_bucket_processing_time_ms = round3(t.max);
    out.average_bucket_processing_time_ms = round3(t.total / t.count);
    out.exponential_average_bucket_processing_time_ms = round3(t.expAvg);
    out.exponential_average_bucket_processing_time_per_hour_ms = round3(t.hourAvg || t.hourTotal);
  }
  return out;
}

/** JSON-safe copy (no Infinity, no NaN). */
export function timingToState(t: Timing): Timing {
  return { ...t, min: Number.isFinite(t.min) ? t.min : -1, hourStart: Number.isNaN(t.hourStart) ? -1 : t.hourStart };
}

export function timingFromState(t: Timing): Timing {
  return { ...t, min: t.min < 0 ? Infinity : t.min, hourStart: t.hourStart < 0 ? NaN : t.hourStart };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
