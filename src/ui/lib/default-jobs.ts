import type { Job, JobStats } from './api.js';

/**
 * The jobs shown when the URL names none: the ten with the newest data (then by id). The first ten
 * ids alphabetically could all be jobs without results while others had anomalies.
 */
export function defaultJobs(jobs: readonly Job[], stats: readonly JobStats[] | undefined, n = 10): Job[] {
  const newest = new Map<string, number>();
  for (const s of stats ?? []) {
    const t = Number(s.data_counts?.latest_record_timestamp);
    if (Number.isFinite(t)) newest.set(s.job_id, t);
  }
  const at = (j: Job): number => newest.get(j.job_id) ?? -Infinity;
  return [...jobs].sort((a, b) => at(b) - at(a) || (a.job_id < b.job_id ? -1 : a.job_id > b.job_id ? 1 : 0)).slice(0, n);
}
