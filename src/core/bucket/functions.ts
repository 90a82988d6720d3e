/**
 * Elastic's anomaly-detection functions over one bucket (count, mean, median, varp, …): what each
 * name means (`parseFunction`) and the accumulators that reduce a bucket's records to its one
 * value. The accumulators are struct-of-arrays over numbered slots, so the streaming bucketizer and
 * the batch `bucketSeries` share one kernel and the hot loop allocates nothing per record.
 *
 * Empty-bucket semantics follow Elastic's documentation:
 * - count, high_count, low_count, distinct_count (and variants), sum (and variants): an empty
 *   bucket is a real 0;
 * - non_zero_count and non_null_sum (and variants): an empty bucket is ignored (missing, NaN);
 * - mean/avg, median, min, max, varp, metric: an empty bucket has no value (missing, NaN).
 */
import { VigilError } from '../errors.js';
import type { DetectorContext, Side } from '../detect/detector.js';

/** The reduction a function applies, whatever its side. */
export type FunctionBase =
  | 'count'
  | 'non_zero_count'
  | 'distinct_count'
  | 'mean'
  | 'median'
  | 'min'
  | 'max'
  | 'sum'
  | 'non_null_sum'
  | 'varp'
  | 'metric';

export interface FunctionSpec {
  /** The name as given, lower-cased and trimmed (`avg` stays `avg`). */
  name: string;
  /** The reduction (`avg` → `mean`, `high_sum` → `sum`). */
  base: FunctionBase;
  /** Which side of typical counts as anomalous (high_/low_ variants). */
  side: Side;
  /** The value is a count of records or distinct values (non-negative integers). */
  isCount: boolean;
  /** An empty bucket is a real 0 (true) or missing data, NaN (false). */
  emptyIsZero: boolean;
  /** The detector needs a `field_name`. */
  needsField: boolean;
  /** What the field holds: numbers, strings (distinct_count) or nothing (count). */
  valueKind: 'number' | 'string' | 'none';
}

interface BaseInfo {
  isCount: boolean;
  emptyIsZero: boolean;
  valueKind: 'number' | 'string' | 'none';
  sided: boolean;
}

const BASES: Record<FunctionBase, BaseInfo> = {
  count: { isCount: true, emptyIsZero: true, valueKind: 'none', sided: true },
  non_zero_count: { isCount: true, emptyIsZero: false, valueKind: 'none', sided: true },
  distinct_count: { isCount: true, emptyIsZero: true, valueKind: 'string', sided: true },
  mean: { isCount: false, emptyIsZero: false, valueKind: 'number', sided: true },
  median: { isCount: false, emptyIsZero: false, valueKind: 'number', sided: true },
  min: { isCount: false, emptyIsZero: false, valueKind: 'number', sided: false },
  max: { isCount: false, emptyIsZero: false, valueKind: 'number', sided: false },
  sum: { isCount: false, emptyIsZero: true, valueKind: 'number', sided: true },
  non_null_sum: { isCount: false, emptyIsZero: false, valueKind: 'number', sided: true },
  varp: { isCount: false, emptyIsZero: false, valueKind: 'number', sided: true },
  metric: { isCount: false, emptyIsZero: false, valueKind: 'number', sided: false },
};

/** Short names Elastic also accepts, mapped to the base they stand for. */
const ALIASES: Record<string, FunctionBase> = { avg: 'mean', nzc: 'non_zero_count', dc: 'distinct_count' };

/** Every function name Vigil accepts (Elastic's names and aliases), in Elastic's documentation order. */
export const FUNCTION_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const base of Object.keys(BASES) as FunctionBase[]) {
    const alias = Object.keys(ALIASES).find((a) => ALIASES[a] === base);
    names.push(base);
    if (alias) names.push(alias);
    if (BASES[base].sided) {
      names.push(`high_${base}`, `low_${base}`);
      if (alias) names.push(`high_${alias}`, `low_${alias}`);
    }
  }
  return Object.freeze(names);
})();

const SPECS = new Map<string, FunctionSpec>();
for (const name of FUNCTION_NAMES) {
  let side: Side = 'both';
  let rest = name;
  if (name.startsWith('high_')) {
    side = 'high';
    rest = name.slice(5);
  } else if (name.startsWith('low_')) {
    side = 'low';
    rest = name.slice(4);
  }
  const base = (ALIASES[rest] ?? rest) as FunctionBase;
  const info = BASES[base];
  SPECS.set(
    name,
    Object.freeze({
      name,
      base,
      side,
      isCount: info.isCount,
      emptyIsZero: info.emptyIsZero,
      needsField: info.valueKind !== 'none',
      valueKind: info.valueKind,
    }),
  );
}

/**
 * Reads an Elastic detector function name.
 *
 * @example
 * parseFunction('low_count')  // { name: 'low_count', base: 'count', side: 'low', isCount: true, emptyIsZero: true, needsField: false, valueKind: 'none' }
 * parseFunction('avg').base    // 'mean'
 * @throws VigilError UNKNOWN_FUNCTION listing the valid names.
 */
export function parseFunction(name: string): FunctionSpec {
  const spec = typeof name === 'string' ? SPECS.get(name.trim().toLowerCase()) : undefined;
  if (!spec) {
    throw new VigilError('UNKNOWN_FUNCTION', `unknown function [${String(name)}]; valid functions: ${FUNCTION_NAMES.join(', ')}`, {
      function: name,
      valid: FUNCTION_NAMES,
    });
  }
  return spec;
}

/** Accepts a name or an already parsed spec. */
export function toFunctionSpec(fn: string | FunctionSpec): FunctionSpec {
  return typeof fn === 'string' ? parseFunction(fn) : fn;
}

/**
 * What a detector needs to know about a function's buckets.
 *
 * @example
 * createDetector('ewma', toDetectorContext(parseFunction('high_count'), 300_000))
 */
export function toDetectorContext(fn: string | FunctionSpec, bucketSpanMs: number): DetectorContext {
  const spec = toFunctionSpec(fn);
  return { bucketSpanMs, side: spec.side, isCount: spec.isCount };
}

// Reduction codes: a small integer switch in the hot loop beats string compares.
const K_COUNT = 0;
const K_DISTINCT = 1;
const K_MEAN = 2;
const K_MEDIAN = 3;
const K_MIN = 4;
const K_MAX = 5;
const K_SUM = 6;
const K_VARP = 7;
const K_METRIC = 8;

function kindOf(base: FunctionBase): number {
  switch (base) {
    case 'count':
    case 'non_zero_count':
      return K_COUNT;
    case 'distinct_count':
      return K_DISTINCT;
    case 'mean':
      return K_MEAN;
    case 'median':
      return K_MEDIAN;
    case 'min':
      return K_MIN;
    case 'max':
      return K_MAX;
    case 'sum':
    case 'non_null_sum':
      return K_SUM;
    case 'varp':
      return K_VARP;
    case 'metric':
      return K_METRIC;
  }
}

/**
 * Per-slot running state for one function. A slot is one open bucket (of one partition). `add`
 * feeds a record, `value` reads the bucket's value, `reset` empties the slot for reuse.
 *
 * `count[slot]` is the number of records that contributed (for numeric functions, records with a
 * finite value; for distinct_count, records with a category; for count, every record).
 */
export class BucketAccumulators {
  readonly spec: FunctionSpec;
  readonly kind: number;
  capacity: number;
  /** Records that contributed, per slot. */
  count: Float64Array;
  /** Sum of values (varp: sum of deviations from `shift`). */
  sum: Float64Array;
  /** varp only: sum of squared deviations from `shift`. */
  sumSq: Float64Array;
  /** varp only: the bucket's first value, subtracted for numerical stability. */
  shift: Float64Array;
  min: Float64Array;
  max: Float64Array;
  private lists: (Float64Array | null)[];
  private sets: (Set<string> | null)[];

  constructor(fn: string | FunctionSpec, capacity: number) {
    this.spec = toFunctionSpec(fn);
    this.kind = kindOf(this.spec.base);
    this.capacity = 0;
    this.count = new Float64Array(0);
    this.sum = new Float64Array(0);
    this.sumSq = new Float64Array(0);
    this.shift = new Float64Array(0);
    this.min = new Float64Array(0);
    this.max = new Float64Array(0);
    this.lists = [];
    this.sets = [];
    this.grow(capacity);
  }

  /** Enlarges to at least `capacity` slots, keeping existing slots' state. */
  grow(capacity: number): void {
    if (capacity <= this.capacity) return;
    const k = this.kind;
    const needsMinMax = k === K_MIN || k === K_MAX || k === K_METRIC;
    this.count = growArray(this.count, capacity, 0);
    this.sum = growArray(this.sum, capacity, 0);
    if (k === K_VARP) {
      this.sumSq = growArray(this.sumSq, capacity, 0);
      this.shift = growArray(this.shift, capacity, 0);
    }
    if (needsMinMax) {
      this.min = growArray(this.min, capacity, Infinity);
      this.max = growArray(this.max, capacity, -Infinity);
    }
    if (k === K_MEDIAN) for (let i = this.capacity; i < capacity; i++) this.lists.push(null);
    if (k === K_DISTINCT) for (let i = this.capacity; i < capacity; i++) this.sets.push(null);
    this.capacity = capacity;
  }

  /** Empties one slot. */
  reset(slot: number): void {
    this.count[slot] = 0;
    this.sum[slot] = 0;
    switch (this.kind) {
      case K_VARP:
        this.sumSq[slot] = 0;
        break;
      case K_MIN:
      case K_MAX:
      case K_METRIC:
        this.min[slot] = Infinity;
        this.max[slot] = -Infinity;
        break;
      case K_DISTINCT: {
        const set = this.sets[slot];
        if (set !== null && set.size > 0) set.clear();
        break;
      }
    }
  }

  /**
   * Feeds one record into `slot`. Returns false when the record carries nothing this function can
   * use (a non-finite value for a numeric function, no category for distinct_count).
   */
  add(slot: number, value: number, category?: string): boolean {
    const k = this.kind;
    if (k === K_COUNT) {
      this.count[slot]++;
      return true;
    }
    if (k === K_DISTINCT) {
      if (category === undefined || category === null) return false;
      let set = this.sets[slot];
      if (set === null) {
        set = new Set<string>();
        this.sets[slot] = set;
      }
      set.add(category);
      this.count[slot]++;
      return true;
    }
    if (!Number.isFinite(value)) return false;
    const n = this.count[slot]++;
    switch (k) {
      case K_MEAN:
      case K_SUM:
        this.sum[slot] += value;
        break;
      case K_METRIC:
        this.sum[slot] += value;
        if (value < this.min[slot]) this.min[slot] = value;
        if (value > this.max[slot]) this.max[slot] = value;
        break;
      case K_MIN:
        if (value < this.min[slot]) this.min[slot] = value;
        break;
      case K_MAX:
        if (value > this.max[slot]) this.max[slot] = value;
        break;
      case K_VARP: {
        if (n === 0) this.shift[slot] = value;
        const d = value - this.shift[slot];
        this.sum[slot] += d;
        this.sumSq[slot] += d * d;
        break;
      }
      case K_MEDIAN: {
        let list = this.lists[slot];
        if (list === null || n >= list.length) {
          const bigger = new Float64Array(Math.max(8, n * 2));
          if (list !== null) bigger.set(list);
          list = bigger;
          this.lists[slot] = list;
        }
        list[n] = value;
        break;
      }
    }
    return true;
  }

  /** The bucket's value: 0 or NaN when empty, per the function's empty-bucket rule. */
  value(slot: number): number {
    const n = this.count[slot];
    if (n === 0) return this.spec.emptyIsZero ? 0 : NaN;
    switch (this.kind) {
      case K_COUNT:
        return n;
      case K_DISTINCT: {
        const set = this.sets[slot];
        return set === null ? 0 : set.size;
      }
      case K_MEAN:
      case K_METRIC:
        return this.sum[slot] / n;
      case K_SUM:
        return this.sum[slot];
      case K_MIN:
        return this.min[slot];
      case K_MAX:
        return this.max[slot];
      case K_VARP: {
        const s = this.sum[slot];
        const v = (this.sumSq[slot] - (s * s) / n) / n;
        return v > 0 ? v : 0;
      }
      case K_MEDIAN:
        // Reorders the slot's values in place; the slot is about to be reset anyway.
        return medianInPlace(this.lists[slot] as Float64Array, 0, n);
    }
    return NaN;
  }

  /** Smallest finite value in the slot (NaN when empty or not tracked: only min, max and metric track it). */
  minOf(slot: number): number {
    const m = this.min.length > slot ? this.min[slot] : Infinity;
    return this.count[slot] > 0 && m !== Infinity ? m : NaN;
  }

  /** Largest finite value in the slot (NaN when empty or not tracked). */
  maxOf(slot: number): number {
    const m = this.max.length > slot ? this.max[slot] : -Infinity;
    return this.count[slot] > 0 && m !== -Infinity ? m : NaN;
  }
}

function growArray(old: Float64Array, capacity: number, fill: number): Float64Array {
  const next = new Float64Array(capacity);
  next.set(old);
  if (fill !== 0) next.fill(fill, old.length);
  return next;
}

/**
 * Median of `values[from, to)`, reordering that range in place (quickselect, O(n)). Even counts
 * give the mean of the two middle values. Empty range → NaN.
 */
export function medianInPlace(values: Float64Array, from: number, to: number): number {
  const n = to - from;
  if (n <= 0) return NaN;
  const k = from + (n >> 1);
  const upper = selectInPlace(values, from, to - 1, k);
  if (n & 1) return upper;
  // The lower middle is the largest value left of k after selection.
  let lower = -Infinity;
  for (let i = from; i < k; i++) if (values[i] > lower) lower = values[i];
  return (lower + upper) / 2;
}

/**
 * Puts the k-th smallest of values[lo..hi] at index k and returns it (Hoare quickselect,
 * median-of-three pivot): smaller values end up left of k, larger ones right. NaN-free input.
 */
export function selectInPlace(a: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three into a[mid]
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}
