/**
 * Per-pixel-column downsampling for chart lines and bands, so a chart of 1 M+ points stays small
 * and fast. Lines keep, per column, the first, minimum, maximum and last finite points (a min/max
 * envelope, so spikes survive); bands keep the column's lowest lower and highest upper bound.
 * Gaps (NaN) are kept as NaN points so the drawn line breaks there; within a single pixel column
 * at most {@link MAX_GAPS_PER_COLUMN} gaps are kept (more are invisible at that resolution).
 * Anomaly markers are never downsampled: they are drawn from their own list.
 */

/** A downsampled line: times and values, NaN marking a break. */
export interface SampledLine {
  times: Float64Array;
  values: Float64Array;
}

/** A downsampled set of channels sharing one time axis, NaN marking a break. */
export interface SampledChannels {
  times: Float64Array;
  channels: Float64Array[];
}

export type Reducer = 'min' | 'max' | 'mean';

/** Most gaps kept inside one pixel column. */
export const MAX_GAPS_PER_COLUMN = 2;

/** Below this many points per column the data is passed through unchanged. */
const PASS_THROUGH_POINTS_PER_COLUMN = 4;

class Growable {
  buf: Float64Array;
  len = 0;
  constructor(capacity: number) {
    this.buf = new Float64Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.len === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.len++] = v;
  }
  last(): number {
    return this.len > 0 ? this.buf[this.len - 1] : NaN;
  }
  done(): Float64Array {
    return this.buf.slice(0, this.len);
  }
}

function columnOf(t: number, t0: number, scale: number, columns: number): number {
  const c = Math.floor((t - t0) * scale);
  return c < 0 ? 0 : c >= columns ? columns - 1 : c;
}

function timeRange(times: Float64Array): [number, number] {
  return [times[0], times[times.length - 1]];
}

/**
 * Min/max envelope of a line: at most ~4 points per pixel column per gap-free segment.
 *
 * @example
 * const { times, values } = downsampleLine(t, v, 1200); // ≤ ~5k points, spikes and gaps kept
 */
export function downsampleLine(
  times: Float64Array,
  values: Float64Array,
  columns: number,
  range: [number, number] = timeRange(times),
): SampledLine {
  const n = Math.min(times.length, values.length);
  if (n <= columns * PASS_THROUGH_POINTS_PER_COLUMN) {
    return { times: times.slice(0, n), values: values.slice(0, n) };
  }
  const [t0, t1] = range;
  const scale = t1 > t0 ? columns / (t1 - t0) : 0;
  const outT = new Growable(columns * 4);
  const outV = new Growable(columns * 4);
  let col = -1;
  let gapsInCol = 0;
  let first = -1;
  let last = -1;
  let lo = -1;
  let hi = -1;
  const emit = (i: number) => {
    outT.push(times[i]);
    outV.push(values[i]);
  };
  const flush = () => {
    if (first < 0) return;
    // emit first, min, max, last in time order without duplicates
    const a = lo < hi ? lo : hi;
    const b = lo < hi ? hi : lo;
    emit(first);
    if (a !== first) emit(a);
    if (b !== a && b !== first) emit(b);
    if (last !== b && last !== first) emit(last);
    first = last = lo = hi = -1;
  };
  const gap = (t: number) => {
    if (outV.len > 0 && !Number.isNaN(outV.last())) {
      outT.push(t);
      outV.push(NaN);
      gapsInCol++;
    }
  };
  for (let i = 0; i < n; i++) {
    const c = columnOf(times[i], t0, scale, columns);
    if (c !== col) {
      flush();
      col = c;
      gapsInCol = 0;
    }
    const v = values[i];
    if (!Number.isFinite(v)) {
      if (gapsInCol < MAX_GAPS_PER_COLUMN) {
        flush();
        gap(times[i]);
      }
      continue;
    }
    if (first < 0) {
      first = last = lo = hi = i;
      continue;
    }
    last = i;
    if (v < values[lo]) lo = i;
    if (v > values[hi]) hi = i;
  }
  flush();
  return { times: outT.done(), values: outV.done() };
}

/**
 * Downsamples several aligned channels (e.g. lower bound, upper bound, typical) together: per
 * pixel column and gap-free segment, two points (the segment's first and last time) carrying each
 * channel's reduction (`min` for a lower bound, `max` for an upper bound, `mean` for a line). A
 * bucket is missing when any channel is NaN there.
 */
export function downsampleChannels(
  times: Float64Array,
  channels: { values: Float64Array; reduce: Reducer }[],
  columns: number,
  range: [number, number] = timeRange(times),
): SampledChannels {
  const n = Math.min(times.length, ...channels.map((c) => c.values.length));
  const k = channels.length;
  const missingAt = (i: number) => {
    for (let j = 0; j < k; j++) if (!Number.isFinite(channels[j].values[i])) return true;
    return false;
  };
  if (n <= columns * PASS_THROUGH_POINTS_PER_COLUMN) {
    const ch = channels.map((c) => c.values.slice(0, n));
    for (let i = 0; i < n; i++) if (missingAt(i)) for (let j = 0; j < k; j++) ch[j][i] = NaN;
    return { times: times.slice(0, n), channels: ch };
  }
  const [t0, t1] = range;
  const scale = t1 > t0 ? columns / (t1 - t0) : 0;
  const outT = new Growable(columns * 2);
  const outC = channels.map(() => new Growable(columns * 2));
  const acc = new Float64Array(k);
  let count = 0;
  let first = -1;
  let last = -1;
  let col = -1;
  let gapsInCol = 0;
  const reset = () => {
    count = 0;
    first = last = -1;
    for (let j = 0; j < k; j++) {
      const r = channels[j].reduce;
      acc[j] = r === 'min' ? Infinity : r === 'max' ? -Infinity : 0;
    }
  };
  const flush = () => {
    if (count === 0) return;
    const pts = first === last ? [first] : [first, last];
    for (const i of pts) {
      outT.push(times[i]);
      for (let j = 0; j < k; j++) outC[j].push(channels[j].reduce === 'mean' ? acc[j] / count : acc[j]);
    }
    reset();
  };
  reset();
  for (let i = 0; i < n; i++) {
    const c = columnOf(times[i], t0, scale, columns);
    if (c !== col) {
      flush();
      col = c;
      gapsInCol = 0;
    }
    if (missingAt(i)) {
      if (gapsInCol < MAX_GAPS_PER_COLUMN) {
        flush();
        if (outT.len > 0 && !Number.isNaN(outC[0].last())) {
          outT.push(times[i]);
          for (let j = 0; j < k; j++) outC[j].push(NaN);
          gapsInCol++;
        }
      }
      continue;
    }
    if (first < 0) first = i;
    last = i;
    count++;
    for (let j = 0; j < k; j++) {
      const v = channels[j].values[i];
      const r = channels[j].reduce;
      if (r === 'min') acc[j] = v < acc[j] ? v : acc[j];
      else if (r === 'max') acc[j] = v > acc[j] ? v : acc[j];
      else acc[j] += v;
    }
  }
  flush();
  return { times: outT.done(), channels: outC.map((g) => g.done()) };
}

/**
 * Merges [start, end) runs closer than `minGap` ms apart and caps their number, so thousands of
 * one-bucket holes become a few shaded areas.
 */
export function mergeRuns(
  runs: { start: number; end: number }[],
  minGap: number,
  maxRuns = 2000,
): { start: number; end: number }[] {
  const sorted = [...runs].filter((r) => r.end >= r.start).sort((a, b) => a.start - b.start);
  let gap = minGap;
  for (;;) {
    const out: { start: number; end: number }[] = [];
    for (const r of sorted) {
      const prev = out[out.length - 1];
      if (prev && r.start - prev.end <= gap) prev.end = Math.max(prev.end, r.end);
      else out.push({ start: r.start, end: r.end });
    }
    if (out.length <= maxRuns) return out;
    gap = gap > 0 ? gap * 2 : 1;
  }
}

/** Runs of NaN in `values` as [start, end) ms, `end` being the next bucket's start. */
export function missingRunsOf(times: Float64Array, values: Float64Array): { start: number; end: number }[] {
  const n = Math.min(times.length, values.length);
  const step = n > 1 ? (times[n - 1] - times[0]) / (n - 1) : 0;
  const runs: { start: number; end: number }[] = [];
  let i = 0;
  while (i < n) {
    if (!Number.isNaN(values[i])) {
      i++;
      continue;
    }
    const s = i;
    while (i < n && Number.isNaN(values[i])) i++;
    runs.push({ start: times[s], end: i < n ? times[i] : times[n - 1] + step });
  }
  return runs;
}
