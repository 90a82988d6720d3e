/**
 * The default detector's words: the kind of an anomaly, its one-line explanation and Elastic's
 * multi-bucket impact, from the statistics update() computed. Pure functions.
 */
import type { AnomalyKind } from '../detector.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** `seasonal`: whether the model currently uses a seasonal component (a sustained deviation is then a pattern). */
export function kindOf(z: number, single: number, multi: number, variance: number, shifted: boolean, seasonal: boolean): AnomalyKind {
  if (shifted) return z > 0 ? 'level_shift_up' : 'level_shift_down';
  if (variance > single && variance > multi) return 'variance_increase';
  if (multi > single && seasonal) return 'pattern';
  return z >= 0 ? 'spike' : 'dip';
}

/** `activePeriods`: the seasonal periods (ms) the model currently uses. */
export function explain(kind: AnomalyKind, value: number, typical: number, z: number, activePeriods: number[]): string {
  const periods = activePeriods.map((p) => (p === DAY ? 'daily' : p === WEEK ? 'weekly' : `${p / 3_600_000}h`));
  const model = periods.length ? `${periods.join(' + ')} seasonality` : 'no seasonality';
  const dev = `${fmt(value)} vs typical ${fmt(typical)} (${z >= 0 ? '+' : ''}${z.toFixed(1)}σ, model: ${model})`;
  switch (kind) {
    case 'level_shift_up':
      return `level shift up: ${dev}`;
    case 'level_shift_down':
      return `level shift down: ${dev}`;
    case 'variance_increase':
      return `variance increase: recent values scatter far more than usual; ${dev}`;
    case 'pattern':
      return `sustained deviation from the seasonal pattern: ${dev}`;
    case 'missing':
      return `data returned after a gap longer than this series usually has: ${dev}`;
    case 'spike':
      return `unusually high: ${dev}`;
    case 'dip':
      return `unusually low: ${dev}`;
    default:
      return dev;
  }
}

/** Elastic's multi_bucket_impact: −5 (only this bucket is unusual) … +5 (only the run of buckets is). */
export function impact(single: number, multi: number): number {
  const total = single + multi;
  if (!(total > 0)) return 0;
  // a value so far out that a surprise is infinite (1e200 on a series near 10): the larger side wins
  if (total === Infinity) return single === multi ? 0 : multi > single ? 5 : -5;
  return Math.round(((multi - single) / total) * 5 * 10) / 10;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}
