/**
 * Model-change annotations: after a default-detector model learned a final bucket, what changed
 * (a seasonal component added or dropped, a new trend direction, a level shift), judged against
 * what the entity's model used after the previous final bucket.
 */
import type { Detector, DetectorOutput } from '../../../core/detect/detector.js';
import type { ModelChange } from '../detector-runner.js';

/** What an entity remembers between final buckets, per feature model. */
export interface ChangeWatch {
  partition: string | null;
  by: string | null;
  /** Seasonal periods (ms) each default-detector model used after the last final bucket. */
  periods?: (number[] | null)[];
  /** Trend direction (−1, 0, +1) each default-detector model saw after the last final bucket. */
  trends?: number[];
}

/** Adds the changes of feature model `f` (which just learned `value` with output `o`) to `changes`. */
export function observeChange(e: ChangeWatch, f: number, d: Detector, o: DetectorOutput, value: number, changes: ModelChange[]): void {
  const model = d as Detector & { activePeriods?: () => number[]; activeComponentCount?: () => number };
  if (typeof model.activePeriods !== 'function') return;
  if (!e.periods) e.periods = [];
  const was = e.periods[f];
  // the periods list is only built when the number of seasonal components changed (the common
  // case, nothing changed, costs one call and no allocation: it was ~6 % of the engine's time)
  const count = typeof model.activeComponentCount === 'function' ? model.activeComponentCount() : -1;
  const now = was !== undefined && was !== null && count === was.length ? was : model.activePeriods();
  if (was !== undefined && was !== null && now !== was) {
    for (const p of now) if (!was.includes(p)) changes.push({ kind: 'seasonality_added', text: `Detected a new seasonal component: ${periodName(p)}`, partition: e.partition, by: e.by });
    for (const p of was) if (!now.includes(p)) changes.push({ kind: 'seasonality_removed', text: `Seasonal component no longer used: ${periodName(p)}`, partition: e.partition, by: e.by });
  }
  e.periods[f] = now;
  const trendOf = (d as Detector & { trendDirection?: () => number }).trendDirection;
  if (typeof trendOf === 'function') {
    const dir = trendOf.call(d);
    if (!e.trends) e.trends = [];
    const before = e.trends[f];
    if (before !== undefined && before !== dir) {
      const what = dir > 0 ? 'the series is now rising' : dir < 0 ? 'the series is now falling' : 'the series has stopped rising or falling';
      changes.push({ kind: 'trend_change', text: `Detected a change of trend: ${what}`, partition: e.partition, by: e.by });
    }
    e.trends[f] = dir;
  }
  if (o.kind === 'level_shift_up' || o.kind === 'level_shift_down') {
    changes.push({
      kind: 'level_shift',
      text: `Detected a level shift: the series moved to ${roundTo(value, 4)} where the model expected ${roundTo(o.typical, 4)}`,
      partition: e.partition,
      by: e.by,
    });
  }
}

function periodName(ms: number): string {
  if (ms === 86_400_000) return 'daily';
  if (ms === 7 * 86_400_000) return 'weekly';
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms / 60_000}m`;
}

function roundTo(x: number, digits: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;
}
