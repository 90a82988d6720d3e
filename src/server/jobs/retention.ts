/**
 * Elastic's retention of model snapshots, as a pure choice: snapshots older than
 * `model_snapshot_retention_days` before the newest one are deleted; between
 * `daily_model_snapshot_retention_after_days` and that, only the first snapshot of each day is
 * kept. Retained snapshots (`retain: true`) and the job's active one are never deleted, nor are the
 * newest `keepNewest` (the server's snapshot.keep floor).
 */
import type { ModelSnapshotRecord } from '../../store/store.js';

const DAY = 86_400_000;

export interface RetentionPolicy {
  model_snapshot_retention_days: number;
  daily_model_snapshot_retention_after_days: number;
}

/**
 * @example
 * snapshotsToDelete(snaps, { model_snapshot_retention_days: 10, daily_model_snapshot_retention_after_days: 1 }, activeId)
 * // ids of snapshots more than 10 days older than the newest, and all but the first of each day beyond 1 day
 */
export function snapshotsToDelete(snaps: readonly ModelSnapshotRecord[], policy: RetentionPolicy, activeId: string | undefined, keepNewest = 1): string[] {
  if (snaps.length === 0) return [];
  const byTime = [...snaps].sort((a, b) => a.timestamp - b.timestamp || Number(a.snapshot_id) - Number(b.snapshot_id));
  const newest = byTime[byTime.length - 1].timestamp;
  const protectedIds = new Set(byTime.slice(-Math.max(1, keepNewest)).map((s) => s.snapshot_id));
  if (activeId) protectedIds.add(activeId);
  const dropBefore = newest - policy.model_snapshot_retention_days * DAY;
  const dailyBefore = newest - policy.daily_model_snapshot_retention_after_days * DAY;
  const out: string[] = [];
  const daysSeen = new Set<number>();
  for (const s of byTime) {
    if (s.retain || protectedIds.has(s.snapshot_id)) {
      daysSeen.add(Math.floor(s.timestamp / DAY));
      continue;
    }
    if (s.timestamp < dropBefore) {
      out.push(s.snapshot_id);
      continue;
    }
    if (s.timestamp < dailyBefore) {
      const day = Math.floor(s.timestamp / DAY);
      if (daysSeen.has(day)) out.push(s.snapshot_id);
      else daysSeen.add(day);
    }
  }
  return out;
}
