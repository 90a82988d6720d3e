/**
 * Turns records (time, value[, category][, partition]) into one value per bucket, the way Elastic's
 * anomaly detection does: buckets are [offset + k·span, offset + (k+1)·span), records may arrive up
 * to `latencyMs` late, and every bucket from a series' first record to the last is emitted in time
 * order, empty ones included (0 for count-type functions, NaN, i.e. missing, otherwise).
 *
 * `createBucketizer` streams; `bucketSeries` does the same for arrays already in memory.
 */
import { VigilError, check } from '../errors.js';
import { BucketAccumulators, toFunctionSpec, type FunctionSpec } from './functions.js';

/** Extra figures about the bucket being emitted; one object reused for every call (copy what you keep). */
export interface BucketStats {
  /** Smallest value in the bucket (NaN unless the function is min, max or metric, or the bucket is empty). */
  min: number;
  /** Largest value in the bucket (NaN unless the function is min, max or metric, or the bucket is empty). */
  max: number;
}

/**
 * Receives each closed bucket. `partition` is null when the bucketizer is not partitioned.
 * `value` is NaN for a missing bucket; `recordCount` is the number of records that contributed.
 */
export type OnBucket = (
  partition: string | null,
  bucketStart: number,
  value: number,
  recordCount: number,
  stats: Readonly<BucketStats>,
) => void;

export interface BucketizerOptions {
  /** Bucket span in ms (Elastic's bucket_span). */
  spanMs: number;
  /** Detector function name (`mean`, `high_count`, …) or a parsed spec. */
  function: string | FunctionSpec;
  /** How late a record may arrive after its bucket's end and still count (Elastic's latency). Default 0. */
  latencyMs?: number;
  /** Buckets start at epoch + offsetMs + k·spanMs. Default 0. */
  offsetMs?: number;
  /**
   * Keep one series per partition key (all partitions share one clock). A partition's series starts
   * at its first record and, once started, gets every bucket up to the newest one, so a partition
   * that goes silent reports 0 (count functions) or missing (NaN). Default false.
   */
  partitioned?: boolean;
  onBucket: OnBucket;
}

/** Elastic-style data counts for the records seen so far. */
export interface BucketizerCounts {
  /** Records accepted into a bucket. */
  processedRecordCount: number;
  /** Records for an already closed bucket (rejected). */
  outOfOrderTimestampCount: number;
  /** Records with a non-finite time (rejected). */
  invalidDateCount: number;
  /** Accepted records that had no usable value (non-finite number, or no category for distinct_count). */
  missingFieldCount: number;
  /** Buckets emitted, over all partitions. */
  bucketCount: number;
  /** Emitted buckets with no contributing record. */
  emptyBucketCount: number;
  /** Newest record time seen (epoch ms), NaN before the first record. */
  latestRecordTimeStamp: number;
  /** Number of partitions (1 when not partitioned and a record was seen). */
  partitionCount: number;
}

export interface Bucketizer {
  readonly spec: FunctionSpec;
  readonly spanMs: number;
  /**
   * Adds one record. Returns false when it is rejected: its bucket has already closed (out of
   * order) or its time is not a finite number. A record far ahead of the others closes, and emits,
   * every bucket in between (a mistyped year means many empty buckets: validate times upstream).
   */
  add(time: number, value: number, category?: string, partition?: string): boolean;
  /** Closes every open bucket (up to the one holding the newest record) and emits them. */
  flush(): void;
  /** Start (epoch ms) of the oldest bucket still open; records before it are rejected. NaN before any record. */
  openFrom(): number;
  counts(): BucketizerCounts;
}

/** Start (epoch ms) of the bucket holding `time`. */
export function bucketStartOf(time: number, spanMs: number, offsetMs = 0): number {
  return Math.floor((time - offsetMs) / spanMs) * spanMs + offsetMs;
}

/**
 * Creates a streaming bucketizer.
 *
 * @example
 * const b = createBucketizer({ spanMs: 60_000, function: 'mean', onBucket: (p, t, v, n) => out.push(t, v) });
 * for (const r of records) b.add(r.time, r.value);
 * b.flush();
 */
export function createBucketizer(options: BucketizerOptions): Bucketizer {
  const spec = toFunctionSpec(options.function);
  const span = options.spanMs;
  const latency = options.latencyMs ?? 0;
  const offset = options.offsetMs ?? 0;
  const partitioned = options.partitioned === true;
  const onBucket = options.onBucket;
  check(Number.isFinite(span) && span > 0, `spanMs must be a positive number, got ${span}`);
  check(Number.isFinite(latency) && latency >= 0, `latencyMs must be >= 0, got ${latency}`);
  check(Number.isFinite(offset), `offsetMs must be a finite number, got ${offset}`);
  check(typeof onBucket === 'function', 'onBucket must be a function');

  // Ring of open buckets per partition: at most floor(latency/span) + 2 are open at once.
  const K = Math.floor(latency / span) + 2;
  let partitionCapacity = partitioned ? 16 : 1;
  const acc = new BucketAccumulators(spec, partitionCapacity * K);
  let firstBucket = new Float64Array(partitionCapacity);
  const keys: (string | null)[] = [];
  const index = new Map<string, number>();
  let partitions = 0;

  // The bucket of the previous record (see add) and the previous partition looked up.
  let curB = NaN;
  let curRing = 0;
  let curStart = Infinity;
  let curEnd = -Infinity;
  let lastKey: string | null = null;
  let lastP = 0;

  let maxTime = -Infinity;
  /** Index of the oldest open bucket; buckets below it are closed and emitted. */
  let open = -Infinity;
  const stats: BucketStats = { min: NaN, max: NaN };
  const tracksMinMax = spec.base === 'min' || spec.base === 'max' || spec.base === 'metric';
  const counts: BucketizerCounts = {
    processedRecordCount: 0,
    outOfOrderTimestampCount: 0,
    invalidDateCount: 0,
    missingFieldCount: 0,
    bucketCount: 0,
    emptyBucketCount: 0,
    latestRecordTimeStamp: NaN,
    partitionCount: 0,
  };

  function newPartition(key: string | null, b: number): number {
    if (partitions === partitionCapacity) {
      partitionCapacity *= 2;
      acc.grow(partitionCapacity * K);
      const fb = new Float64Array(partitionCapacity);
      fb.set(firstBucket);
      firstBucket = fb;
    }
    const p = partitions++;
    keys.push(key);
    if (key !== null) index.set(key, p);
    firstBucket[p] = b;
    return p;
  }

  /** Emits buckets [open, until) for every partition started by then, in time order. */
  function closeBefore(until: number): void {
    if (open === -Infinity || partitions === 0) {
      open = until;
      return;
    }
    for (let b = open; b < until; b++) {
      const ring = ((b % K) + K) % K;
      const start = b * span + offset;
      for (let p = 0; p < partitions; p++) {
        if (firstBucket[p] > b) continue;
        const slot = p * K + ring;
        const n = acc.count[slot];
        const value = acc.value(slot);
        if (tracksMinMax) {
          stats.min = acc.minOf(slot);
          stats.max = acc.maxOf(slot);
        }
        acc.reset(slot);
        counts.bucketCount++;
        if (n === 0) counts.emptyBucketCount++;
        onBucket(keys[p], start, value, n, stats);
      }
      // Advance as we go, so a callback that throws leaves no bucket emitted twice.
      open = b + 1;
    }
    open = until;
  }

  function add(time: number, value: number, category?: string, partition?: string): boolean {
    if (!Number.isFinite(time)) {
      counts.invalidDateCount++;
      return false;
    }
    if (time > maxTime) {
      maxTime = time;
      const o = Math.floor((time - latency - offset) / span);
      if (o > open) closeBefore(o);
    }
    // Records come mostly in order, so most fall in the same bucket as the one before: skip the
    // division and the ring modulo then.
    let b: number;
    let ring: number;
    if (time >= curStart && time < curEnd) {
      b = curB;
      ring = curRing;
    } else {
      b = Math.floor((time - offset) / span);
      ring = ((b % K) + K) % K;
      curB = b;
      curRing = ring;
      curStart = b * span + offset;
      curEnd = curStart + span;
    }
    if (b < open) {
      counts.outOfOrderTimestampCount++;
      return false;
    }
    let p: number;
    if (partitioned) {
      const key = partition ?? '';
      if (key === lastKey) {
        p = lastP;
      } else {
        const found = index.get(key);
        p = found === undefined ? newPartition(key, b) : found;
        lastKey = key;
        lastP = p;
      }
    } else {
      p = partitions === 0 ? newPartition(null, b) : 0;
    }
    if (b < firstBucket[p]) firstBucket[p] = b;
    const slot = p * K + ring;
    if (!acc.add(slot, value, category)) counts.missingFieldCount++;
    counts.processedRecordCount++;
    return true;
  }

  return {
    spec,
    spanMs: span,
    add,
    flush(): void {
      if (maxTime === -Infinity) return;
      closeBefore(Math.floor((maxTime - offset) / span) + 1);
    },
    openFrom(): number {
      return open === -Infinity ? NaN : open * span + offset;
    },
    counts(): BucketizerCounts {
      return {
        ...counts,
        latestRecordTimeStamp: maxTime === -Infinity ? NaN : maxTime,
        partitionCount: partitions,
      };
    },
  };
}

/** Buckets of one series held in memory. */
export interface BucketSeries {
  /** Start of the first bucket (epoch ms). */
  start: number;
  spanMs: number;
  /** One value per bucket; NaN marks a missing bucket. */
  values: Float64Array;
  /** Records that contributed to each bucket. */
  counts: Float64Array;
  /** metric/min/max only: smallest and largest value per bucket (NaN when empty). */
  min?: Float64Array;
  max?: Float64Array;
}

export interface BucketSeriesOptions {
  /** Buckets start at epoch + offsetMs + k·spanMs. Default 0. */
  offsetMs?: number;
  /** distinct_count: the category of each row (undefined = no value). */
  categories?: ArrayLike<string | undefined>;
}

/** Most buckets `bucketSeries` will allocate (guards against a tiny span over a long range). */
export const MAX_BATCH_BUCKETS = 50_000_000;

/**
 * Buckets arrays already in memory: rows may be in any order; every bucket from the first row's
 * to the last row's is present. Rows with a non-finite time are skipped. `values` may be null for
 * count functions.
 *
 * @example
 * const { start, values } = bucketSeries(times, values, 300_000, 'mean');
 */
export function bucketSeries(
  times: Float64Array,
  values: Float64Array | null,
  spanMs: number,
  fn: string | FunctionSpec,
  options: BucketSeriesOptions = {},
): BucketSeries {
  const spec = toFunctionSpec(fn);
  const offset = options.offsetMs ?? 0;
  const categories = options.categories;
  check(Number.isFinite(spanMs) && spanMs > 0, `spanMs must be a positive number, got ${spanMs}`);
  check(Number.isFinite(offset), `offsetMs must be a finite number, got ${offset}`);
  if (spec.valueKind === 'number') check(values !== null && values.length === times.length, `function ${spec.name} needs one value per time`);
  if (spec.valueKind === 'string') check(categories !== undefined && categories.length === times.length, `function ${spec.name} needs one category per time`);

  let tmin = Infinity;
  let tmax = -Infinity;
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (!Number.isFinite(t)) continue;
    if (t < tmin) tmin = t;
    if (t > tmax) tmax = t;
  }
  if (tmin === Infinity) return { start: NaN, spanMs, values: new Float64Array(0), counts: new Float64Array(0) };
  const first = Math.floor((tmin - offset) / spanMs);
  const last = Math.floor((tmax - offset) / spanMs);
  const n = last - first + 1;
  if (n > MAX_BATCH_BUCKETS) {
    throw new VigilError('INVALID_ARGUMENT', `span ${spanMs} ms over ${tmax - tmin} ms makes ${n} buckets (limit ${MAX_BATCH_BUCKETS}); use a longer span`);
  }
  const acc = new BucketAccumulators(spec, n);
  const vals = values ?? new Float64Array(0);
  const hasValues = values !== null;
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (!Number.isFinite(t)) continue;
    const slot = Math.floor((t - offset) / spanMs) - first;
    acc.add(slot, hasValues ? vals[i] : NaN, categories === undefined ? undefined : categories[i]);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = acc.value(i);
  const result: BucketSeries = { start: first * spanMs + offset, spanMs, values: out, counts: acc.count.slice(0, n) };
  if (spec.base === 'metric' || spec.base === 'min' || spec.base === 'max') {
    const mn = new Float64Array(n);
    const mx = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      mn[i] = acc.minOf(i);
      mx[i] = acc.maxOf(i);
    }
    result.min = mn;
    result.max = mx;
  }
  return result;
}

/**
 * Maps each row to the index of its bucket in a series starting at `start` (a bucket start):
 * `out[i] = floor((times[i] - start) / spanMs)`, or -1 for a non-finite time or one before `start`.
 */
export function bucketIndices(times: Float64Array, start: number, spanMs: number, out?: Int32Array): Int32Array {
  const res = out ?? new Int32Array(times.length);
  check(res.length >= times.length, 'out is shorter than times');
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    const b = Math.floor((t - start) / spanMs);
    res[i] = b >= 0 && b <= 0x7fffffff ? b : -1;
  }
  return res;
}
