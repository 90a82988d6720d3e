/**
 * Choosing training data (seed 000's model-creation screen): records in a time range are bucketed
 * at a bucket span (given, or suggested by `suggestBucketSpan` from the data's resolution and
 * rate, with the reason), with a small preview (min/mean/max per display column) to judge the span
 * and range by, and the split into training, validation and test sets in time order.
 */
import { bucketSeries } from '../bucket/bucketizer.js';
import { inferResolution, suggestBucketSpan, type SpanSuggestion } from '../bucket/span.js';
import { VigilError } from '../errors.js';

/** A bucketed single-metric series: value per bucket, NaN = missing. */
export interface TrainingSeries {
  start: number;
  spanMs: number;
  values: Float64Array;
}

export interface PreviewPoint {
  time: number;
  min: number;
  mean: number;
  max: number;
}

export interface DataSelection {
  series: TrainingSeries;
  /** The suggestion (always computed; used when no span was given). */
  suggestion: SpanSuggestion;
  spanGiven: boolean;
  records: number;
  missingBuckets: number;
  preview: PreviewPoint[];
}

export interface SelectOptions {
  /** Epoch ms, inclusive / exclusive; default the whole input. */
  from?: number;
  to?: number;
  bucketSpanMs?: number;
  /** Bucket function (default mean). */
  function?: string;
  /** Preview columns (default 200). */
  previewPoints?: number;
}

/**
 * Buckets raw records for training.
 *
 * @example
 * const sel = selectTrainingData(times, values, { from: Date.parse('2024-01-01'), bucketSpanMs: 300_000 });
 * sel.series.values.length; sel.suggestion.reason; sel.preview
 */
export function selectTrainingData(times: Float64Array, values: Float64Array, o: SelectOptions = {}): DataSelection {
  const from = o.from ?? -Infinity;
  const to = o.to ?? Infinity;
  let n = 0;
  for (let i = 0; i < times.length; i++) if (times[i] >= from && times[i] < to) n++;
  if (n < 2) throw new VigilError('NOT_ENOUGH_DATA', `the time range holds ${n} record(s); training needs many more`);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let k = 0;
  let tmin = Infinity;
  let tmax = -Infinity;
  for (let i = 0; i < times.length; i++) {
    if (!(times[i] >= from && times[i] < to)) continue;
    t[k] = times[i];
    v[k++] = values[i];
    if (times[i] < tmin) tmin = times[i];
    if (times[i] > tmax) tmax = times[i];
  }
  const fn = o.function ?? 'mean';
  const suggestion = suggestBucketSpan({ resolutionMs: inferResolution(t), count: n, durationMs: Math.max(1, tmax - tmin), function: fn });
  const spanMs = o.bucketSpanMs ?? suggestion.spanMs;
  const b = bucketSeries(t, v, spanMs, fn);
  let missing = 0;
  for (let i = 0; i < b.values.length; i++) if (!Number.isFinite(b.values[i])) missing++;
  return {
    series: { start: b.start, spanMs, values: b.values },
    suggestion,
    spanGiven: o.bucketSpanMs !== undefined,
    records: n,
    missingBuckets: missing,
    preview: previewOf({ start: b.start, spanMs, values: b.values }, o.previewPoints ?? 200),
  };
}

/** Min/mean/max of the buckets in each of `points` equal columns. */
export function previewOf(s: TrainingSeries, points: number): PreviewPoint[] {
  const n = s.values.length;
  const cols = Math.max(1, Math.min(points, n));
  const out: PreviewPoint[] = [];
  for (let c = 0; c < cols; c++) {
    const a = Math.floor((c * n) / cols);
    const b = Math.floor(((c + 1) * n) / cols);
    let mn = Infinity;
    let mx = -Infinity;
    let sum = 0;
    let cnt = 0;
    for (let i = a; i < b; i++) {
      const x = s.values[i];
      if (!Number.isFinite(x)) continue;
      if (x < mn) mn = x;
      if (x > mx) mx = x;
      sum += x;
      cnt++;
    }
    out.push({ time: s.start + a * s.spanMs, min: cnt ? mn : NaN, mean: cnt ? sum / cnt : NaN, max: cnt ? mx : NaN });
  }
  return out;
}

/** Bucket index ranges [from, to) of the three sets, in time order. */
export interface Split {
  train: [number, number];
  validation: [number, number];
  test: [number, number];
}

export function splitSeries(n: number, validationSplit: number, testSplit: number): Split {
  const nTest = Math.round(n * testSplit);
  const nVal = Math.max(1, Math.round(n * validationSplit));
  const trainEnd = n - nVal - nTest;
  return { train: [0, trainEnd], validation: [trainEnd, trainEnd + nVal], test: [trainEnd + nVal, n] };
}
