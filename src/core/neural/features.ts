/**
 * From a bucketed series to network inputs: robust normalisation (statistics of the training set
 * only), gap interpolation for inputs, and sliding windows of `window` past buckets with channels
 * [value, value one seasonal period earlier?, time of day (sin, cos)?, day of week (sin, cos)?].
 * With `anchor`, values and targets are taken relative to the window's last value, so a level
 * never seen in training (a shift, a trend) does not push the network outside what it learnt.
 *
 * Targets are the next `horizon` buckets (normalised, anchored); a window whose targets include a
 * missing bucket is not used for training. Inputs and outputs are Float32Arrays (row-major).
 */
import type { HyperParams } from './spec.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** 1970-01-01 was a Thursday; Monday 00:00 UTC is 4 days later. */
const MONDAY = 4 * DAY;

export interface Scaler {
  center: number;
  scale: number;
}

/** Median and a robust spread (IQR / 1.349, else standard deviation, else 1) of the finite values. */
export function fitScaler(y: ArrayLike<number>): Scaler {
  const v: number[] = [];
  for (let i = 0; i < y.length; i++) if (Number.isFinite(y[i])) v.push(y[i]);
  if (v.length === 0) return { center: 0, scale: 1 };
  v.sort((a, b) => a - b);
  const q = (p: number): number => {
    const pos = p * (v.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(v.length - 1, lo + 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
  };
  const center = q(0.5);
  let scale = (q(0.75) - q(0.25)) / 1.349;
  if (!(scale > 0)) {
    let m = 0;
    for (const x of v) m += x;
    m /= v.length;
    let s = 0;
    for (const x of v) s += (x - m) ** 2;
    scale = Math.sqrt(s / v.length);
  }
  if (!(scale > 0)) scale = Math.max(1e-9, Math.abs(center) * 1e-3) || 1;
  return { center, scale };
}

/** Linear interpolation of NaN runs (ends carry the nearest value); all-NaN gives zeros. */
export function interpolateGaps(y: ArrayLike<number>): Float64Array {
  const n = y.length;
  const out = new Float64Array(n);
  let prev = -1;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(y[i])) {
      out[i] = y[i];
      if (prev < i - 1) {
        const from = prev >= 0 ? y[prev] : y[i];
        for (let k = prev + 1; k < i; k++) out[k] = prev >= 0 ? from + ((y[i] - from) * (k - prev)) / (i - prev) : y[i];
      }
      prev = i;
    }
  }
  if (prev < 0) return out;
  for (let k = prev + 1; k < n; k++) out[k] = y[prev];
  return out;
}

/** How windows are laid out for one set of hyperparameters and a bucket span. */
export interface FeatureLayout {
  window: number;
  anchor: boolean;
  seasonalLag: number;
  /** Time-of-day channels (bucket span shorter than a day). */
  day: boolean;
  /** Day-of-week channels (bucket span shorter than a week). */
  week: boolean;
  channels: number;
  horizon: number;
}

export function featureLayout(hp: HyperParams, bucketSpanMs: number, horizon: number): FeatureLayout {
  const day = bucketSpanMs < DAY;
  const week = bucketSpanMs < WEEK;
  const channels = 1 + (hp.seasonalLag > 0 ? 1 : 0) + (day ? 2 : 0) + (week ? 2 : 0);
  return { window: hp.window, anchor: hp.anchor, seasonalLag: hp.seasonalLag, day, week, channels, horizon };
}

/** Buckets of history a window needs before its first target. */
export function historyNeeded(l: FeatureLayout): number {
  return l.window + Math.max(0, l.seasonalLag - 1);
}

/** Calendar channels per step of a layout (time of day and day of week, sin and cos each). */
export function calendarChannels(l: FeatureLayout): number {
  return (l.day ? 2 : 0) + (l.week ? 2 : 0);
}

/** Writes the calendar channels of a bucket starting at `tm` into `out` at `o`; returns the next offset. */
export function writeCalendar(tm: number, l: FeatureLayout, out: Float32Array, o: number): number {
  if (l.day) {
    const a = (2 * Math.PI * (((tm % DAY) + DAY) % DAY)) / DAY;
    out[o++] = Math.sin(a);
    out[o++] = Math.cos(a);
  }
  if (l.week) {
    const a = (2 * Math.PI * ((((tm - MONDAY) % WEEK) + WEEK) % WEEK)) / WEEK;
    out[o++] = Math.sin(a);
    out[o++] = Math.cos(a);
  }
  return o;
}

/**
 * Writes the window whose first target is bucket `t` of `z` (normalised, gap-free) into `out` at
 * `off` ([window × channels], row-major); returns the anchor base (0 without `anchor`).
 * `timeOf(i)` gives the start time of bucket i. `calendar`, when given, holds the calendar channels
 * of every step already ([window × calendarChannels], as `writeCalendar` writes them): live scoring
 * keeps them from one bucket to the next instead of recomputing the trigonometry.
 */
export function writeWindow(z: ArrayLike<number>, t: number, l: FeatureLayout, timeOf: (i: number) => number, out: Float32Array, off: number, calendar?: Float32Array): number {
  const L = l.window;
  const C = l.channels;
  const base = l.anchor ? z[t - 1] : 0;
  const K = calendarChannels(l);
  for (let k = 0; k < L; k++) {
    const i = t - L + k;
    let o = off + k * C;
    out[o++] = z[i] - base;
    if (l.seasonalLag > 0) {
      const j = i + 1 - l.seasonalLag;
      out[o++] = (j >= 0 ? z[j] : z[0]) - base;
    }
    if (K > 0) {
      // calendar of the bucket after step k, so the last step carries the first target's time
      if (calendar) for (let c = 0; c < K; c++) out[o++] = calendar[k * K + c];
      else writeCalendar(timeOf(i + 1), l, out, o);
    }
  }
  return base;
}

export interface WindowSet {
  /** Inputs, n × window × channels. */
  x: Float32Array;
  /** Targets, n × horizon (normalised, relative to `base`). */
  y: Float32Array;
  /** Anchor base per window. */
  base: Float32Array;
  /** First target index per window. */
  t: Int32Array;
  n: number;
}

/**
 * Windows whose targets all lie in [from, to) and are observed (`raw` finite), at most `max` of
 * them (the most recent). `z` is the normalised, interpolated series.
 */
export function buildWindows(z: Float64Array, raw: ArrayLike<number>, from: number, to: number, l: FeatureLayout, timeOf: (i: number) => number, max = Infinity): WindowSet {
  const H = l.horizon;
  const first = Math.max(from, historyNeeded(l));
  const ts: number[] = [];
  for (let t = to - H; t >= first && ts.length < max; t--) {
    let ok = true;
    for (let j = 0; j < H; j++) if (!Number.isFinite(raw[t + j])) ok = false;
    if (ok) ts.push(t);
  }
  ts.reverse();
  const n = ts.length;
  const per = l.window * l.channels;
  const x = new Float32Array(n * per);
  const y = new Float32Array(n * H);
  const base = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const t = ts[r];
    const b = writeWindow(z, t, l, timeOf, x, r * per);
    base[r] = b;
    for (let j = 0; j < H; j++) y[r * H + j] = z[t + j] - b;
  }
  return { x, y, base, t: Int32Array.from(ts), n };
}
