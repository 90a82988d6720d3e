/**
 * Choosing a bucket span: the data's own resolution (its typical spacing, robust to jitter and
 * gaps) and the span a user should pick for a detector, with a reason the CLI can print.
 *
 * Guidance followed (Elastic's bucket_span advice): usually 5m–1h; never finer than the data;
 * for count-type or sparse data long enough that most buckets hold several records; long enough
 * to average out noise, short enough that an anomaly is reported soon after it starts. Every span
 * suggested divides a day (or is whole days), as Elastic requires.
 */
import { VigilError } from '../errors.js';
import { formatDuration } from '../time/duration.js';
import { medianInPlace, toFunctionSpec, type FunctionSpec } from './functions.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** The spans Vigil snaps to: 1s … 1d, each dividing a day. */
export const NICE_SPANS_MS: readonly number[] = Object.freeze([
  1 * S, 5 * S, 10 * S, 15 * S, 30 * S,
  1 * M, 2 * M, 5 * M, 10 * M, 15 * M, 30 * M,
  1 * H, 2 * H, 3 * H, 4 * H, 6 * H, 12 * H,
  1 * D,
]);

/** Elastic's usual bucket_span range. */
export const TYPICAL_MIN_SPAN_MS = 5 * M;
export const TYPICAL_MAX_SPAN_MS = 1 * H;
/** Longest span suggested for sparse data. */
export const MAX_SUGGESTED_SPAN_MS = 1 * D;
/** Fewer buckets than this over the data's duration leaves a model too little history. */
export const MIN_USEFUL_BUCKETS = 100;

/**
 * Snaps a duration to a nice span: `nearest` (in ratio, so 45s is as far from 30s as from 1m… and
 * goes to 1m), `up` (smallest nice span ≥ ms) or `down` (largest ≤ ms). Below 1s gives 1s; beyond
 * a day gives whole days.
 */
export function snapToNiceSpan(ms: number, mode: 'nearest' | 'up' | 'down' = 'nearest'): number {
  if (!(ms > 0)) return NICE_SPANS_MS[0];
  if (ms > D) {
    const days = ms / D;
    const whole = mode === 'up' ? Math.ceil(days - 1e-9) : mode === 'down' ? Math.floor(days) : Math.round(days);
    return Math.max(1, whole) * D;
  }
  if (mode === 'up') {
    for (const s of NICE_SPANS_MS) if (s >= ms) return s;
    return D;
  }
  if (mode === 'down') {
    let best = NICE_SPANS_MS[0];
    for (const s of NICE_SPANS_MS) if (s <= ms) best = s;
    return best;
  }
  let best = NICE_SPANS_MS[0];
  let bestDist = Infinity;
  const lm = Math.log(ms);
  for (const s of NICE_SPANS_MS) {
    const d = Math.abs(Math.log(s) - lm);
    if (d < bestDist - 1e-12) {
      best = s;
      bestDist = d;
    }
  }
  return best;
}

/**
 * The median positive gap between consecutive times (sorted first if needed), in ms. Duplicate
 * times are ignored; gaps in the data barely move a median. Throws NOT_ENOUGH_DATA without two
 * distinct finite times.
 */
export function medianSpacing(times: ArrayLike<number>): number {
  let sorted = true;
  let finite = 0;
  let prev = -Infinity;
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (!Number.isFinite(t)) continue;
    finite++;
    if (t < prev) sorted = false;
    prev = t;
  }
  let ts: Float64Array;
  if (sorted && finite === times.length && times instanceof Float64Array) {
    ts = times;
  } else {
    ts = new Float64Array(finite);
    let j = 0;
    for (let i = 0; i < times.length; i++) if (Number.isFinite(times[i])) ts[j++] = times[i];
    if (!sorted) ts.sort();
  }
  const diffs = new Float64Array(Math.max(0, ts.length - 1));
  let n = 0;
  for (let i = 1; i < ts.length; i++) {
    const d = ts[i] - ts[i - 1];
    if (d > 0) diffs[n++] = d;
  }
  if (n === 0) {
    throw new VigilError('NOT_ENOUGH_DATA', `need at least two distinct timestamps to infer the data's resolution, got ${finite} time(s)`);
  }
  return medianInPlace(diffs, 0, n);
}

/**
 * The data's resolution: its typical spacing (median positive gap, robust to jitter and gaps)
 * snapped to the nearest nice span (1s … 1d, whole days beyond). Pass a sample of times (any
 * order) from one series; times from many interleaved series look finer than each series is.
 *
 * @example
 * inferResolution([0, 59_000, 121_000, 180_000, 600_000]) // 60_000 (1m)
 */
export function inferResolution(times: ArrayLike<number>): number {
  return snapToNiceSpan(medianSpacing(times), 'nearest');
}

export interface SuggestSpanInput {
  /** The data's resolution (from `inferResolution`), ms. */
  resolutionMs: number;
  /** Records per second, per series (or over all series: see `series`). */
  rowsPerSecond?: number;
  /** Alternatively: how many records over `durationMs`. */
  count?: number;
  /** How long the data covers, ms; also used to keep enough buckets for a model to learn from. */
  durationMs?: number;
  /** The detector function (default `mean`). */
  function?: string | FunctionSpec;
  /** How many series (partitions) share the rate given (default 1). */
  series?: number;
}

export interface SpanSuggestion {
  spanMs: number;
  /** One or two sentences saying why, for the CLI to print. */
  reason: string;
  /** Expected records per bucket per series (NaN when the rate is unknown). */
  recordsPerBucket: number;
}

/** Records wanted per bucket on average: counts need several for a rate to mean something. */
function targetRecords(spec: FunctionSpec): number {
  return spec.isCount || spec.base === 'sum' ? 10 : 1;
}

/**
 * Suggests a bucket span for a detector over data of the given resolution and rate.
 *
 * @example
 * suggestBucketSpan({ resolutionMs: 10_000, function: 'mean' })
 * // { spanMs: 300_000, reason: '5m: …', recordsPerBucket: 30 }
 */
export function suggestBucketSpan(input: SuggestSpanInput): SpanSuggestion {
  const spec = toFunctionSpec(input.function ?? 'mean');
  const resolution = input.resolutionMs;
  if (!(resolution > 0) || !Number.isFinite(resolution)) {
    throw new VigilError('INVALID_ARGUMENT', `resolutionMs must be a positive number, got ${resolution}`);
  }
  const series = Math.max(1, input.series ?? 1);
  let perMs = NaN; // records per ms per series
  if (input.rowsPerSecond !== undefined && input.rowsPerSecond > 0) perMs = input.rowsPerSecond / 1000 / series;
  else if (input.count !== undefined && input.count > 0 && input.durationMs !== undefined && input.durationMs > 0) {
    perMs = input.count / input.durationMs / series;
  }
  const rateKnown = Number.isFinite(perMs) && perMs > 0;
  const duration = input.durationMs !== undefined && input.durationMs > 0 ? input.durationMs : NaN;

  const floor = snapToNiceSpan(resolution, 'up'); // never finer than the data
  const target = targetRecords(spec);
  const densityNeed = rateKnown ? target / perMs : 0;
  const why: string[] = [];

  let span = Math.max(floor, TYPICAL_MIN_SPAN_MS);
  let sparse = false;
  // 20 % slack: n records over a duration give n − 1 gaps, and a gap or two in the data must not
  // double the span of data that arrives exactly once per bucket
  if (densityNeed > span * 1.2) {
    span = Math.min(snapToNiceSpan(densityNeed, 'up'), Math.max(MAX_SUGGESTED_SPAN_MS, floor));
    sparse = true;
  }
  span = snapToNiceSpan(Math.max(span, floor), 'up');

  // Short data: a model needs history, so trade smoothing for buckets, but not below the data's
  // resolution nor (for counts) below the span that gives a bucket several records.
  const longSpan = span;
  if (Number.isFinite(duration) && duration / span < MIN_USEFUL_BUCKETS) {
    const lowest = sparse ? Math.max(floor, snapToNiceSpan(densityNeed, 'up')) : floor;
    for (let i = NICE_SPANS_MS.length - 1; i >= 0; i--) {
      const s = NICE_SPANS_MS[i];
      if (s >= longSpan || s < lowest) continue;
      span = s;
      if (duration / s >= MIN_USEFUL_BUCKETS) break;
    }
  }
  const short = span !== longSpan;
  const capped = sparse && densityNeed > span;

  const recordsPerBucket = rateKnown ? perMs * span : NaN;
  const fmt = formatDuration;
  const res = fmt(Math.round(resolution));
  if (capped) {
    why.push(
      `the data is very sparse (about ${formatRate(perMs)} per series): even ${fmt(span)} buckets, the longest suggested, hold only ~${formatCount(recordsPerBucket)} records each; ` +
        `consider non_zero_count, fewer partitions, or more data`,
    );
  } else if (sparse) {
    why.push(
      `the data is sparse (about ${formatRate(perMs)} per series), so ${spec.isCount ? 'a count' : `${spec.base}`} needs ${fmt(span)} buckets to hold ~${formatCount(recordsPerBucket)} records each`,
    );
  } else if (floor > TYPICAL_MAX_SPAN_MS) {
    why.push(`the data arrives only every ${res}, and a bucket cannot be finer than the data`);
  } else if (floor > TYPICAL_MIN_SPAN_MS) {
    why.push(`the data arrives every ${res}, and a bucket cannot be finer than the data`);
  } else if (short) {
    why.push(`the data arrives every ${res}`);
  } else {
    why.push(
      `within Elastic's usual 5m–1h; the data arrives every ${res}` +
        (rateKnown ? `, so each bucket ${spec.isCount ? 'counts' : 'averages'} ~${formatCount(recordsPerBucket)} records` : '') +
        ', enough to smooth noise while an anomaly still shows within one bucket',
    );
  }
  const buckets = Math.floor(duration / span);
  if (short) {
    why.push(
      `shorter than ${fmt(longSpan)} because ${humanDuration(duration)} of data would give only ${Math.floor(duration / longSpan)} buckets at ${fmt(longSpan)}` +
        (buckets < MIN_USEFUL_BUCKETS
          ? ` and still gives only ${buckets} at ${fmt(span)}; results will improve with more history`
          : ` and gives ${buckets} at ${fmt(span)}; with more history prefer ${fmt(longSpan)}`),
    );
  } else if (Number.isFinite(duration) && buckets < MIN_USEFUL_BUCKETS) {
    why.push(`only ${buckets} buckets fit in ${humanDuration(duration)} of data; results will improve with more history`);
  }
  const reason = `${fmt(span)}: ${why.join('; ')}.`;
  return { spanMs: span, reason, recordsPerBucket };
}

/** An approximate duration for prose: "6h", "3.5 days", "90s". */
function humanDuration(ms: number): string {
  if (ms >= 2 * D) return `${formatCount(ms / D)} days`;
  if (ms >= 2 * H) return `${formatCount(ms / H)} hours`;
  if (ms >= 2 * M) return `${formatCount(ms / M)} minutes`;
  return `${formatCount(ms / S)} seconds`;
}

function formatRate(perMs: number): string {
  const perHour = perMs * H;
  if (perHour >= 1) return `${formatCount(perHour)} records/hour`;
  return `${formatCount(perHour * 24)} records/day`;
}

function formatCount(x: number): string {
  return x >= 10 ? String(Math.round(x)) : String(Math.round(x * 10) / 10);
}
