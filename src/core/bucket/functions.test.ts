import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { BucketAccumulators, FUNCTION_NAMES, medianInPlace, parseFunction, toDetectorContext } from './functions.js';

/** Reduces one bucket of values with a function, through the same accumulator the bucketizer uses. */
function reduce(fn: string, values: number[], categories?: (string | undefined)[]): { value: number; count: number } {
  const acc = new BucketAccumulators(fn, 3);
  const slot = 1;
  for (let i = 0; i < values.length; i++) acc.add(slot, values[i], categories?.[i]);
  return { value: acc.value(slot), count: acc.count[slot] };
}

describe('parseFunction', () => {
  it('knows every Elastic function and its sided variants', () => {
    const expected = [
      'count', 'high_count', 'low_count',
      'non_zero_count', 'high_non_zero_count', 'low_non_zero_count', 'nzc', 'high_nzc', 'low_nzc',
      'distinct_count', 'high_distinct_count', 'low_distinct_count', 'dc', 'high_dc', 'low_dc',
      'mean', 'avg', 'high_mean', 'low_mean', 'high_avg', 'low_avg',
      'median', 'high_median', 'low_median', 'min', 'max',
      'sum', 'high_sum', 'low_sum', 'non_null_sum', 'high_non_null_sum', 'low_non_null_sum',
      'varp', 'high_varp', 'low_varp', 'metric',
    ];
    expect([...FUNCTION_NAMES].sort()).toEqual([...expected].sort());
    for (const name of expected) expect(parseFunction(name).name).toBe(name);
  });

  it.each([
    ['count', { base: 'count', side: 'both', isCount: true, emptyIsZero: true, needsField: false, valueKind: 'none' }],
    ['high_count', { base: 'count', side: 'high', isCount: true, emptyIsZero: true, needsField: false, valueKind: 'none' }],
    ['low_count', { base: 'count', side: 'low', isCount: true, emptyIsZero: true, needsField: false, valueKind: 'none' }],
    ['non_zero_count', { base: 'non_zero_count', side: 'both', isCount: true, emptyIsZero: false, needsField: false, valueKind: 'none' }],
    ['high_non_zero_count', { base: 'non_zero_count', side: 'high', isCount: true, emptyIsZero: false }],
    ['low_non_zero_count', { base: 'non_zero_count', side: 'low', isCount: true, emptyIsZero: false }],
    ['distinct_count', { base: 'distinct_count', side: 'both', isCount: true, emptyIsZero: true, needsField: true, valueKind: 'string' }],
    ['high_distinct_count', { base: 'distinct_count', side: 'high', valueKind: 'string' }],
    ['low_distinct_count', { base: 'distinct_count', side: 'low', valueKind: 'string' }],
    ['mean', { base: 'mean', side: 'both', isCount: false, emptyIsZero: false, needsField: true, valueKind: 'number' }],
    ['avg', { base: 'mean', side: 'both' }],
    ['high_mean', { base: 'mean', side: 'high', emptyIsZero: false }],
    ['low_mean', { base: 'mean', side: 'low' }],
    ['median', { base: 'median', side: 'both', emptyIsZero: false, needsField: true }],
    ['high_median', { base: 'median', side: 'high' }],
    ['low_median', { base: 'median', side: 'low' }],
    ['min', { base: 'min', side: 'both', emptyIsZero: false, isCount: false }],
    ['max', { base: 'max', side: 'both', emptyIsZero: false }],
    ['sum', { base: 'sum', side: 'both', emptyIsZero: true, isCount: false, needsField: true, valueKind: 'number' }],
    ['high_sum', { base: 'sum', side: 'high', emptyIsZero: true }],
    ['low_sum', { base: 'sum', side: 'low', emptyIsZero: true }],
    ['non_null_sum', { base: 'non_null_sum', side: 'both', emptyIsZero: false, needsField: true }],
    ['high_non_null_sum', { base: 'non_null_sum', side: 'high', emptyIsZero: false }],
    ['low_non_null_sum', { base: 'non_null_sum', side: 'low', emptyIsZero: false }],
    ['varp', { base: 'varp', side: 'both', emptyIsZero: false, needsField: true }],
    ['high_varp', { base: 'varp', side: 'high' }],
    ['low_varp', { base: 'varp', side: 'low' }],
    ['metric', { base: 'metric', side: 'both', emptyIsZero: false, isCount: false, needsField: true, valueKind: 'number' }],
    ['dc', { base: 'distinct_count', side: 'both' }],
    ['low_nzc', { base: 'non_zero_count', side: 'low' }],
  ])('%s', (name, expected) => {
    expect(parseFunction(name)).toMatchObject(expected);
  });

  it('is case- and space-insensitive', () => {
    expect(parseFunction(' High_Mean ').base).toBe('mean');
    expect(parseFunction(' High_Mean ').side).toBe('high');
  });

  it('rejects unknown names with UNKNOWN_FUNCTION listing the valid ones', () => {
    for (const bad of ['average', 'high_min', 'low_metric', 'rare', '', 'high_']) {
      let err: unknown;
      try {
        parseFunction(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).code).toBe('UNKNOWN_FUNCTION');
      expect((err as VigilError).message).toContain('high_non_null_sum');
    }
  });

  it('gives detectors their context', () => {
    expect(toDetectorContext('low_non_zero_count', 300_000)).toEqual({ bucketSpanMs: 300_000, side: 'low', isCount: true });
    expect(toDetectorContext(parseFunction('high_mean'), 60_000)).toEqual({ bucketSpanMs: 60_000, side: 'high', isCount: false });
  });

  it('returns frozen specs (callers cannot corrupt the table)', () => {
    expect(Object.isFrozen(parseFunction('mean'))).toBe(true);
  });
});

describe('bucket functions', () => {
  const xs = [4, 1, 7, 2, 2, 9];

  it('count counts records, whatever their value', () => {
    expect(reduce('count', [NaN, 1, 2])).toEqual({ value: 3, count: 3 });
    expect(reduce('high_count', [0, 0])).toEqual({ value: 2, count: 2 });
  });

  it('mean / avg', () => {
    expect(reduce('mean', xs).value).toBeCloseTo(25 / 6, 12);
    expect(reduce('avg', xs).value).toBeCloseTo(25 / 6, 12);
  });

  it('mean ignores non-finite values and counts only the records it used', () => {
    expect(reduce('mean', [1, NaN, 3, Infinity])).toEqual({ value: 2, count: 2 });
  });

  it('median on odd and even counts', () => {
    expect(reduce('median', [5, 1, 3]).value).toBe(3);
    expect(reduce('median', xs).value).toBe(3); // sorted 1 2 2 4 7 9 → (2+4)/2
    expect(reduce('low_median', [10, 20]).value).toBe(15);
    expect(reduce('median', [42]).value).toBe(42);
  });

  it('median matches a sort on many random sizes', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let n = 1; n < 60; n++) {
      const vals = Array.from({ length: n }, () => Math.floor(rnd() * 10)); // many ties
      const sorted = [...vals].sort((a, b) => a - b);
      const want = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
      expect(reduce('median', vals).value).toBe(want);
      expect(medianInPlace(Float64Array.from(vals), 0, n)).toBe(want);
    }
  });

  it('min, max, sum', () => {
    expect(reduce('min', xs).value).toBe(1);
    expect(reduce('max', xs).value).toBe(9);
    expect(reduce('sum', xs).value).toBe(25);
    expect(reduce('non_null_sum', [0, 0]).value).toBe(0); // a zero-valued bucket is analysed
    expect(reduce('min', [-3, -1]).value).toBe(-3);
    expect(reduce('max', [-3, -1]).value).toBe(-1);
  });

  it('varp is the population variance', () => {
    // mean 25/6; population variance = Σ(x-μ)²/n
    const mu = 25 / 6;
    const want = xs.reduce((s, x) => s + (x - mu) ** 2, 0) / xs.length;
    expect(reduce('varp', xs).value).toBeCloseTo(want, 12);
    expect(reduce('varp', [5]).value).toBe(0);
    expect(reduce('varp', [2, 4]).value).toBe(1); // sample variance would be 2
  });

  it('varp stays accurate for large values with small spread', () => {
    const base = 1.7e12; // epoch-like magnitudes
    expect(reduce('varp', [base + 1, base + 2, base + 3]).value).toBeCloseTo(2 / 3, 6);
  });

  it('metric reports the mean and keeps min and max', () => {
    const acc = new BucketAccumulators('metric', 1);
    for (const x of xs) acc.add(0, x);
    expect(acc.value(0)).toBeCloseTo(25 / 6, 12);
    expect(acc.minOf(0)).toBe(1);
    expect(acc.maxOf(0)).toBe(9);
  });

  it('distinct_count counts distinct string values and ignores records without one', () => {
    const r = reduce('distinct_count', [NaN, NaN, NaN, NaN, NaN], ['a', 'b', 'a', undefined, 'c']);
    expect(r).toEqual({ value: 3, count: 4 });
  });

  it.each([
    ['count', 0], ['high_count', 0], ['low_count', 0], ['distinct_count', 0], ['sum', 0], ['low_sum', 0],
    ['non_zero_count', NaN], ['high_non_zero_count', NaN], ['non_null_sum', NaN], ['low_non_null_sum', NaN],
    ['mean', NaN], ['median', NaN], ['min', NaN], ['max', NaN], ['varp', NaN], ['metric', NaN],
  ])('empty bucket: %s → %s', (fn, want) => {
    expect(reduce(fn, []).value).toEqual(want);
  });

  it('a numeric bucket whose values are all unusable is missing, not zero', () => {
    expect(reduce('mean', [NaN, NaN])).toEqual({ value: NaN, count: 0 });
    expect(reduce('sum', [NaN])).toEqual({ value: 0, count: 0 });
  });

  it('reset empties a slot completely, and slots do not share state', () => {
    for (const fn of ['count', 'distinct_count', 'mean', 'median', 'min', 'max', 'sum', 'varp', 'metric']) {
      const acc = new BucketAccumulators(fn, 2);
      acc.add(0, 100, 'x');
      acc.add(0, 200, 'y');
      acc.add(1, 3, 'z');
      acc.reset(0);
      acc.add(0, 1, 'q');
      acc.add(0, 3, 'r');
      const want: Record<string, number> = { count: 2, distinct_count: 2, mean: 2, median: 2, min: 1, max: 3, sum: 4, varp: 1, metric: 2 };
      expect(acc.value(0), fn).toBe(want[fn]);
      expect(acc.count[1], fn).toBe(1);
    }
  });

  it('grow keeps existing slots', () => {
    const acc = new BucketAccumulators('median', 1);
    acc.add(0, 5);
    acc.add(0, 7);
    acc.grow(10);
    acc.add(9, 1);
    expect(acc.value(0)).toBe(6);
    expect(acc.value(9)).toBe(1);
  });
});
