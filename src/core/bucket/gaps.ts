/**
 * Missing data in a bucketed series: runs where the series has no value (NaN), or, when the caller
 * passes record counts, where no record arrived at all (a count function's empty bucket is a real
 * 0 to the model, but it is still "no data" to someone watching an ingest pipeline); and filling
 * short gaps for consumers that need a complete series (charts, forecasters). Detectors should get
 * the NaNs: they are told data is missing rather than fed made-up values.
 */
import { check } from '../errors.js';

export interface MissingRun {
  /** Start of the run's first bucket (epoch ms). */
  start: number;
  /** Index of the run's first bucket in the series. */
  index: number;
  /** Buckets in the run. */
  length: number;
  /** End of the run (epoch ms, exclusive): start + length · span. */
  end: number;
}

export interface MissingRuns {
  /** Runs of at least `minLength` buckets, in time order. */
  runs: MissingRun[];
  /** Buckets in the longest run (0 when nothing is missing), whatever `minLength` is. */
  longest: number;
  /** The longest run itself (the first of equal length), or null. */
  longestRun: MissingRun | null;
  /** Missing buckets in all, whatever `minLength` is. */
  totalMissing: number;
}

export interface MissingRunOptions {
  /**
   * Records per bucket (as `bucketSeries` or the bucketizer report them). When given, a bucket with
   * 0 records counts as missing even if its value is 0 (count functions), i.e. a "no data" run.
   */
  counts?: Float64Array;
  /** Report only runs of at least this many buckets (default 1). */
  minLength?: number;
}

/**
 * Finds runs of missing buckets.
 *
 * @example
 * const { runs, longest } = findMissingRuns(series.values, series.start, series.spanMs, { counts: series.counts });
 */
export function findMissingRuns(values: Float64Array, start: number, spanMs: number, options: MissingRunOptions = {}): MissingRuns {
  const counts = options.counts;
  const minLength = Math.max(1, options.minLength ?? 1);
  const n = values.length;
  const runs: MissingRun[] = [];
  let longest = 0;
  let longestRun: MissingRun | null = null;
  let totalMissing = 0;
  let runStart = -1;
  for (let i = 0; i <= n; i++) {
    const missing = i < n && (values[i] !== values[i] || (counts !== undefined && counts[i] === 0));
    if (missing) {
      totalMissing++;
      if (runStart < 0) runStart = i;
      continue;
    }
    if (runStart < 0) continue;
    const length = i - runStart;
    const runStartMs = start + runStart * spanMs;
    const run: MissingRun = { start: runStartMs, index: runStart, length, end: runStartMs + length * spanMs };
    if (length >= minLength) runs.push(run);
    if (length > longest) {
      longest = length;
      longestRun = run;
    }
    runStart = -1;
  }
  return { runs, longest, longestRun, totalMissing };
}

/** How `fillMissing` fills a gap. */
export type FillMethod = 'zero' | 'previous' | 'linear';

export interface FillOptions {
  /** Leave runs longer than this many buckets missing (default: fill every run). */
  maxRun?: number;
}

/**
 * A copy of `values` with NaN runs filled: `zero`, `previous` (last value carried forward) or
 * `linear` (straight line between the values either side). Runs at the start (and, for linear, at
 * the end) have no neighbour and stay NaN, except that `zero` fills them too. Runs longer than
 * `maxRun` stay NaN.
 *
 * @example
 * fillMissing(Float64Array.from([1, NaN, 3]), 'linear') // [1, 2, 3]
 */
export function fillMissing(values: Float64Array, method: FillMethod, options: FillOptions = {}): Float64Array {
  check(method === 'zero' || method === 'previous' || method === 'linear', `unknown fill method [${String(method)}]; use zero, previous or linear`);
  const maxRun = options.maxRun ?? Infinity;
  const out = values.slice();
  const n = out.length;
  let i = 0;
  while (i < n) {
    if (out[i] === out[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && out[j] !== out[j]) j++;
    // NaN run [i, j)
    if (j - i <= maxRun) {
      const before = i > 0 ? out[i - 1] : NaN;
      const after = j < n ? out[j] : NaN;
      if (method === 'zero') {
        out.fill(0, i, j);
      } else if (method === 'previous') {
        if (i > 0) out.fill(before, i, j);
      } else if (i > 0 && j < n) {
        const step = (after - before) / (j - i + 1);
        for (let k = i; k < j; k++) out[k] = before + step * (k - i + 1);
      }
    }
    i = j;
  }
  return out;
}
