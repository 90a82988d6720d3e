/**
 * Seeded synthetic series with labelled anomalies: level + trend + daily/weekly/other seasonality
 * + noise (Gaussian, heavy-tailed Student-t or Poisson counts), optional irregular sampling and
 * unlabelled short gaps, and anomalies of a known kind placed after enough history to learn from.
 * Pure: the same spec and seed give the same rows, bit for bit.
 */
import { Random } from '../random.js';
import { formatNabTime } from '../eval/nab-csv.js';

/** The anomaly kinds the generator can inject. */
export const SYNTH_KINDS = [
  'spike',
  'dip',
  'outage_missing',
  'outage_zero',
  'level_shift_up',
  'level_shift_down',
  'variance_change',
  'trend_change',
  'weekday_as_sunday',
  'holiday',
  'wellness_day',
  'weekend_as_weekday',
  'frequency_change',
] as const;

export type SynthKind = (typeof SYNTH_KINDS)[number];

export type NoiseModel =
  | { model: 'gaussian'; sigma: number }
  | { model: 'student_t'; sigma: number; df: number }
  | { model: 'poisson' };

export interface SeriesSpec {
  category: string;
  /** File name without `.csv`. */
  name: string;
  /** Grid spacing in ms. */
  stepMs: number;
  rows: number;
  /** First timestamp (epoch ms, UTC). Default 2024-01-01 00:00 (a Monday). */
  startMs?: number;
  level: number;
  /** Linear trend, value units per day. */
  trendPerDay?: number;
  /** Daily shape: none, a sine peaking at noon, or business hours (a bump over the working day). */
  daily: 'none' | 'sine' | 'business';
  /** Amplitude of the daily shape. */
  amplitude: number;
  /** Weekly seasonality: weekend days scale the daily shape by `weekendFactor` (default 0.25). */
  weekly?: boolean;
  weekendFactor?: number;
  /** Another seasonality, added: a sine of this period. */
  extra?: { periodMs: number; amplitude: number };
  noise: NoiseModel;
  /** The anomalies to inject, in order of time. */
  anomalies: SynthKind[];
  /** Irregular sampling: timestamps jittered by up to ±jitter·step, rows dropped at `dropRate`, `gaps` short unlabelled gaps. */
  irregular?: { jitter: number; dropRate: number; gaps: number };
}

/** One injected anomaly, located in the output rows. */
export interface SynthAnomaly {
  kind: SynthKind;
  /** Output row where the anomaly shows first (for a missing-data outage: the first row after the gap). */
  onsetRow: number;
  /** Extent of the anomaly itself, epoch ms (for a missing-data outage: the missing span). */
  startMs: number;
  endMs: number;
  /** NAB-style window, output rows inclusive. */
  window: [number, number];
}

export interface SynthSeries {
  category: string;
  name: string;
  stamps: string[];
  valueTexts: string[];
  anomalies: SynthAnomaly[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const DEFAULT_START = Date.UTC(2024, 0, 1); // Monday

/** FNV-1a, to derive a file's seed from the suite seed and its name. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function dailyShape(kind: SeriesSpec['daily'], hour: number): number {
  if (kind === 'sine') return Math.sin((2 * Math.PI * (hour - 6)) / 24);
  if (kind === 'business') {
    const z = (hour - 13) / 3.5;
    return Math.exp(-z * z);
  }
  return 0;
}

/** Whether a kind lasts until the end of the series (its window is not stretched over it). */
function isPermanent(kind: SynthKind): boolean {
  return kind === 'level_shift_up' || kind === 'level_shift_down' || kind === 'trend_change';
}

function isPattern(kind: SynthKind): boolean {
  return kind === 'weekday_as_sunday' || kind === 'holiday' || kind === 'wellness_day' || kind === 'weekend_as_weekday';
}

interface Placed {
  kind: SynthKind;
  start: number; // grid row
  end: number; // grid row, inclusive
  magnitude: number;
}

/** Generates one series from its spec with the given seed. */
export function generateSeries(spec: SeriesSpec, seed: number): SynthSeries {
  const rng = new Random((seed ^ hashString(spec.category + '/' + spec.name)) >>> 0);
  const n = spec.rows;
  const step = spec.stepMs;
  const start = spec.startMs ?? DEFAULT_START;
  const rowsPerDay = Math.max(1, Math.round(DAY / step));
  const weekendFactor = spec.weekendFactor ?? 0.25;
  const grid = new Float64Array(n);
  for (let k = 0; k < n; k++) grid[k] = start + k * step;
  const weekday = (k: number): number => new Date(grid[k]).getUTCDay(); // 0 Sunday
  const dayIndex = (k: number): number => Math.floor((grid[k] - start) / DAY);

  // --- place anomalies in equal slots over [0.35 n, 0.95 n) ---
  const placed: Placed[] = [];
  const m = spec.anomalies.length;
  const lo = Math.floor(0.35 * n);
  const hi = Math.floor(0.95 * n);
  for (let a = 0; a < m; a++) {
    const kind = spec.anomalies[a];
    const s0 = lo + Math.floor(((hi - lo) * a) / m);
    const s1 = lo + Math.floor(((hi - lo) * (a + 1)) / m);
    let onset = s0 + Math.floor((s1 - s0) * (0.3 + 0.4 * rng.next()));
    let end = onset;
    let magnitude = 0;
    if (isPattern(kind)) {
      // snap to the start of a day of the right type inside the slot
      const wantWeekend = kind === 'weekend_as_weekday';
      const wantDay = kind === 'wellness_day' ? 5 : kind === 'holiday' ? 1 : -1;
      let best = -1;
      for (let k = s0; k + rowsPerDay <= s1 && k + rowsPerDay <= n; k++) {
        if ((grid[k] - start) % DAY !== 0) continue;
        const wd = weekday(k);
        const ok = wantWeekend ? wd === 0 || wd === 6 : wantDay >= 0 ? wd === wantDay : wd >= 1 && wd <= 5;
        if (ok && (best < 0 || Math.abs(k - onset) < Math.abs(best - onset))) best = k;
      }
      if (best < 0) throw new Error(`${spec.name}: no day for ${kind} in rows ${s0}..${s1}`);
      onset = best;
      end = onset + rowsPerDay - 1;
    } else if (kind === 'spike' || kind === 'dip') {
      magnitude = 6 + 4 * rng.next();
      end = onset + (rng.next() < 0.25 ? 1 : 0);
    } else if (kind === 'outage_missing' || kind === 'outage_zero') {
      const hours = 2 + Math.floor(5 * rng.next());
      end = onset + Math.max(3, Math.round((hours * HOUR) / step)) - 1;
    } else if (kind === 'level_shift_up' || kind === 'level_shift_down') {
      magnitude = (kind === 'level_shift_up' ? 1 : -1) * (4 + 3 * rng.next());
      end = n - 1;
    } else if (kind === 'variance_change') {
      magnitude = 3 + 2 * rng.next();
      end = onset + Math.round(rowsPerDay * (1 + rng.next())) - 1;
    } else if (kind === 'trend_change') {
      magnitude = (rng.next() < 0.5 ? -1 : 1) * (2 + 2 * rng.next()); // noise scales per day
      end = n - 1;
    } else if (kind === 'frequency_change') {
      magnitude = rng.next() < 0.5 ? 2 : 3; // the daily cycle runs 2× or 3× faster
      end = onset + rowsPerDay * (2 + Math.floor(2 * rng.next())) - 1;
    }
    placed.push({ kind, start: onset, end: Math.min(end, n - 1), magnitude });
  }

  // --- day types (weekday/weekend), overridden by pattern anomalies ---
  const nDays = dayIndex(n - 1) + 1;
  const weekendDay = new Uint8Array(nDays);
  for (let d = 0; d < nDays; d++) {
    const wd = new Date(start + d * DAY).getUTCDay();
    weekendDay[d] = wd === 0 || wd === 6 ? 1 : 0;
  }
  for (const p of placed) if (isPattern(p.kind)) weekendDay[dayIndex(p.start)] = p.kind === 'weekend_as_weekday' ? 0 : 1;

  // --- noise scale of the series (what anomaly magnitudes are measured in) ---
  const sigma = spec.noise.model === 'poisson' ? Math.sqrt(Math.max(1, spec.level)) : spec.noise.sigma;
  const trend = spec.trendPerDay ?? 0;

  const values = new Float64Array(n);
  const missing = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const days = (grid[k] - start) / DAY;
    let hour = ((grid[k] - start) % DAY) / HOUR;
    let level = spec.level + trend * days;
    let scale = 1;
    for (const p of placed) {
      if (k < p.start) continue;
      if (p.kind === 'level_shift_up' || p.kind === 'level_shift_down') level += p.magnitude * sigma;
      else if (p.kind === 'trend_change') level += p.magnitude * sigma * (days - (grid[p.start] - start) / DAY);
      else if (k <= p.end && p.kind === 'variance_change') scale = p.magnitude;
      else if (k <= p.end && p.kind === 'frequency_change') {
        const h0 = ((grid[p.start] - start) % DAY) / HOUR;
        hour = (h0 + ((grid[k] - grid[p.start]) / HOUR) * p.magnitude) % 24;
      }
    }
    let season = dailyShape(spec.daily, hour);
    if (spec.weekly && weekendDay[dayIndex(k)]) season *= weekendFactor;
    let mean = level + spec.amplitude * season;
    if (spec.extra) mean += spec.extra.amplitude * Math.sin((2 * Math.PI * (grid[k] - start)) / spec.extra.periodMs);
    let v: number;
    const noise = spec.noise;
    if (noise.model === 'poisson') {
      const lambda = Math.max(0, mean);
      v = rng.poisson(lambda);
      if (scale !== 1) v = Math.max(0, Math.round(v + (scale - 1) * Math.sqrt(Math.max(1, lambda)) * rng.normal()));
    } else if (noise.model === 'student_t') {
      v = mean + noise.sigma * scale * rng.studentT(noise.df);
    } else {
      v = mean + noise.sigma * scale * rng.normal();
    }
    for (const p of placed) {
      if (k < p.start || k > p.end) continue;
      const local = noise.model === 'poisson' ? Math.sqrt(Math.max(1, mean)) : sigma;
      if (p.kind === 'spike') v += p.magnitude * local;
      else if (p.kind === 'dip') v -= p.magnitude * local;
      else if (p.kind === 'outage_zero') v = 0;
      else if (p.kind === 'outage_missing') missing[k] = 1;
    }
    if (noise.model === 'poisson') v = Math.max(0, Math.round(v));
    values[k] = v;
  }

  // --- irregular sampling and unlabelled gaps (never over an anomaly or next to one) ---
  const times = Float64Array.from(grid);
  if (spec.irregular) {
    const protect = new Uint8Array(n);
    for (const p of placed) {
      const to = isPermanent(p.kind) ? p.start : p.end;
      for (let k = Math.max(0, p.start - 3); k <= Math.min(n - 1, to + 3); k++) protect[k] = 1;
    }
    for (let g = 0; g < spec.irregular.gaps; g++) {
      const at = Math.floor(0.2 * n + 0.75 * n * rng.next());
      const len = 2 + Math.floor(5 * rng.next());
      let clear = true;
      for (let k = at; k < at + len && k < n; k++) if (protect[k]) clear = false;
      if (clear) for (let k = at; k < at + len && k < n; k++) missing[k] = 1;
    }
    for (let k = 1; k < n; k++) {
      const r = rng.next();
      const j = (2 * rng.next() - 1) * spec.irregular.jitter * step;
      if (!protect[k] && r < spec.irregular.dropRate) missing[k] = 1;
      times[k] = Math.round((grid[k] + j) / 1000) * 1000;
    }
  }

  // --- output rows ---
  const rowOf = new Int32Array(n); // grid row → first output row at or after it
  const stamps: string[] = [];
  const valueTexts: string[] = [];
  const isCount = spec.noise.model === 'poisson';
  for (let k = 0; k < n; k++) {
    rowOf[k] = stamps.length;
    if (missing[k]) continue;
    stamps.push(formatNabTime(times[k]));
    valueTexts.push(isCount ? String(values[k]) : values[k].toFixed(3));
  }
  const rows = stamps.length;
  const half = m > 0 ? Math.floor((0.1 * rows) / m / 2) : 0;
  const anomalies: SynthAnomaly[] = [];
  let prevEnd = -1;
  for (const p of placed) {
    const onsetRow = Math.min(rowOf[p.start], rows - 1);
    const extentEnd = isPermanent(p.kind) ? onsetRow : Math.min(rowOf[p.end], rows - 1);
    let ws = Math.max(0, onsetRow - half, prevEnd + 1);
    const we = Math.min(rows - 1, Math.max(onsetRow + half, extentEnd));
    if (ws > onsetRow) ws = onsetRow;
    anomalies.push({ kind: p.kind, onsetRow, startMs: grid[p.start], endMs: grid[p.end], window: [ws, we] });
    prevEnd = we;
  }
  return { category: spec.category, name: spec.name, stamps, valueTexts, anomalies };
}
