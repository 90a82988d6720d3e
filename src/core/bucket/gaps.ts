/**
 * Missing-data runs in a bucketed series: where the series has no value (NaN), or, when the caller
 * passes record counts, where no record arrived at all (a count function's empty bucket is a real
 * 0 to the model, but it is still "no data" to someone watching an ingest pipeline).
 */

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
