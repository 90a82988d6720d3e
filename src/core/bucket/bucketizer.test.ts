import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { bucketIndices, bucketSeries, bucketStartOf, createBucketizer, type BucketizerOptions } from './bucketizer.js';

interface Emitted {
  p: string | null;
  t: number;
  v: number;
  n: number;
  min: number;
  max: number;
}

function collect(opts: Omit<BucketizerOptions, 'onBucket'>) {
  const out: Emitted[] = [];
  const b = createBucketizer({
    ...opts,
    onBucket: (p, t, v, n, s) => out.push({ p, t, v, n, min: s.min, max: s.max }),
  });
  return { b, out };
}

const MIN = 60_000;

describe('bucketStartOf', () => {
  it('aligns to epoch plus offset, also before the epoch', () => {
    expect(bucketStartOf(125_000, MIN)).toBe(120_000);
    expect(bucketStartOf(120_000, MIN)).toBe(120_000);
    expect(bucketStartOf(125_000, MIN, 10_000)).toBe(70_000);
    expect(bucketStartOf(-1, MIN)).toBe(-MIN);
  });
});

describe('createBucketizer', () => {
  it('aligns buckets to epoch multiples of the span and emits means', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'mean' });
    b.add(61_000, 1);
    b.add(119_999, 3);
    b.add(120_000, 10);
    b.flush();
    expect(out.map((e) => [e.p, e.t, e.v, e.n])).toEqual([
      [null, 60_000, 2, 2],
      [null, 120_000, 10, 1],
    ]);
  });

  it('honours offsetMs', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'count', offsetMs: 15_000 });
    b.add(14_999, 0); // bucket [-45s, 15s)
    b.add(15_000, 0); // bucket [15s, 75s)
    b.add(74_999, 0);
    b.flush();
    expect(out.map((e) => [e.t, e.v])).toEqual([
      [-45_000, 1],
      [15_000, 2],
    ]);
  });

  it('closes a bucket once a record beyond its end arrives (latency 0) and emits in time order', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'sum' });
    b.add(0, 1);
    b.add(30_000, 2);
    expect(out).toHaveLength(0);
    b.add(60_000, 5); // closes [0, 60s)
    expect(out.map((e) => [e.t, e.v])).toEqual([[0, 3]]);
    expect(b.add(59_000, 1)).toBe(false); // bucket closed → out of order
    expect(b.counts().outOfOrderTimestampCount).toBe(1);
    b.flush();
    expect(out.map((e) => [e.t, e.v])).toEqual([
      [0, 3],
      [60_000, 5],
    ]);
  });

  it('accepts late records within the latency window and rejects later ones', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'count', latencyMs: 30_000 });
    b.add(10_000, 0);
    b.add(80_000, 0); // bucket [0,60s) still open until 90s
    expect(b.add(50_000, 0)).toBe(true);
    expect(out).toHaveLength(0);
    b.add(90_000, 0); // 60s + 30s latency → [0,60s) closes
    expect(out.map((e) => [e.t, e.v])).toEqual([[0, 2]]);
    expect(b.add(59_999, 0)).toBe(false);
    expect(b.add(60_000, 0)).toBe(true);
    b.flush();
    expect(out.map((e) => [e.t, e.v])).toEqual([
      [0, 2],
      [60_000, 3],
    ]);
    expect(b.counts()).toMatchObject({ processedRecordCount: 5, outOfOrderTimestampCount: 1, bucketCount: 2 });
  });

  it('keeps several buckets open when latency exceeds the span', () => {
    const { b, out } = collect({ spanMs: 10_000, function: 'count', latencyMs: 25_000 });
    b.add(0, 0);
    b.add(34_000, 0); // buckets 0..3 open; bucket 0 closes at 10s + 25s = 35s
    expect(b.add(1_000, 0)).toBe(true);
    expect(b.add(12_000, 0)).toBe(true);
    expect(b.add(25_000, 0)).toBe(true);
    b.add(35_000, 0); // closes bucket 0
    expect(out.map((e) => [e.t, e.v])).toEqual([[0, 2]]);
    expect(b.add(9_000, 0)).toBe(false);
    b.flush();
    expect(out.map((e) => [e.t, e.v])).toEqual([
      [0, 2],
      [10_000, 1],
      [20_000, 1],
      [30_000, 2],
    ]);
  });

  it('a late record may start the series earlier than the first record seen', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'count', latencyMs: 2 * MIN });
    b.add(150_000, 0);
    b.add(30_000, 0); // bucket 0 is still open (closes at 60s + 120s)
    b.flush();
    expect(out.map((e) => [e.t, e.v])).toEqual([
      [0, 1],
      [60_000, 0],
      [120_000, 1],
    ]);
  });

  it('emits every bucket between first and last: 0 for count functions', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'low_count' });
    b.add(0, 0);
    b.add(3 * MIN + 1, 0);
    b.flush();
    expect(out.map((e) => [e.t, e.v, e.n])).toEqual([
      [0, 1, 1],
      [MIN, 0, 0],
      [2 * MIN, 0, 0],
      [3 * MIN, 1, 1],
    ]);
    expect(b.counts().emptyBucketCount).toBe(2);
  });

  it.each([
    ['mean', NaN], ['median', NaN], ['varp', NaN], ['metric', NaN], ['min', NaN], ['max', NaN],
    ['non_zero_count', NaN], ['non_null_sum', NaN], ['sum', 0], ['distinct_count', 0], ['high_count', 0],
  ])('empty bucket for %s is %s', (fn, want) => {
    const { b, out } = collect({ spanMs: MIN, function: fn });
    b.add(0, 1, 'a');
    b.add(2 * MIN, 1, 'a');
    b.flush();
    expect(out).toHaveLength(3);
    expect(out[1].v).toEqual(want);
    expect(out[1].n).toBe(0);
  });

  it('metric passes min and max alongside the mean', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'metric' });
    for (const x of [3, 9, 6]) b.add(1000, x);
    b.add(2 * MIN, 1);
    b.flush();
    expect(out[0]).toMatchObject({ t: 0, v: 6, n: 3, min: 3, max: 9 });
    expect(out[1]).toMatchObject({ t: MIN, n: 0 });
    expect(out[1].min).toBeNaN();
    expect(out[1].max).toBeNaN();
  });

  it('distinct_count over a stream', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'high_distinct_count' });
    for (const ip of ['1.1.1.1', '2.2.2.2', '1.1.1.1']) b.add(5_000, NaN, ip);
    b.add(MIN + 5, NaN, '3.3.3.3');
    b.add(MIN + 6, NaN); // no value: accepted, counted as missing field
    b.flush();
    expect(out.map((e) => [e.t, e.v])).toEqual([
      [0, 2],
      [MIN, 1],
    ]);
    expect(b.counts().missingFieldCount).toBe(1);
  });

  it('partitions share one clock; each starts at its first record and runs to the end', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'count', partitioned: true });
    b.add(0, 0, undefined, 'a');
    b.add(MIN + 1, 0, undefined, 'b');
    b.add(MIN + 2, 0, undefined, 'a');
    b.add(3 * MIN, 0, undefined, 'b'); // closes buckets 0..2 for everyone
    expect(out.map((e) => [e.p, e.t, e.v])).toEqual([
      ['a', 0, 1],
      ['a', MIN, 1],
      ['b', MIN, 1],
      ['a', 2 * MIN, 0],
      ['b', 2 * MIN, 0],
    ]);
    b.flush();
    expect(out.slice(5).map((e) => [e.p, e.t, e.v])).toEqual([
      ['a', 3 * MIN, 0], // a went silent: a real zero for a count
      ['b', 3 * MIN, 1],
    ]);
    expect(b.counts().partitionCount).toBe(2);
  });

  it('a partition cannot bring back a bucket the shared clock has closed', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'mean', partitioned: true });
    b.add(2 * MIN, 1, undefined, 'a');
    expect(b.add(MIN, 5, undefined, 'new')).toBe(false);
    b.flush();
    expect(out.map((e) => e.p)).toEqual(['a']);
  });

  it('many partitions keep their own accumulators (growth beyond the initial capacity)', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'mean', partitioned: true, latencyMs: MIN });
    for (let t = 0; t < 5; t++) for (let p = 0; p < 100; p++) b.add(t * MIN + p, p + t, undefined, `p${p}`);
    b.flush();
    expect(out).toHaveLength(500);
    for (const e of out) expect(e.v).toBe(Number(e.p!.slice(1)) + e.t / MIN);
    // time order across partitions
    for (let i = 1; i < out.length; i++) expect(out[i].t).toBeGreaterThanOrEqual(out[i - 1].t);
  });

  it('the unpartitioned bucketizer ignores the partition argument', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'count' });
    b.add(0, 0, undefined, 'x');
    b.add(1, 0, undefined, 'y');
    b.flush();
    expect(out).toEqual([{ p: null, t: 0, v: 2, n: 2, min: NaN, max: NaN }]);
  });

  it('rejects non-finite times as invalid dates', () => {
    const { b } = collect({ spanMs: MIN, function: 'count' });
    expect(b.add(NaN, 1)).toBe(false);
    expect(b.add(Infinity, 1)).toBe(false);
    expect(b.counts()).toMatchObject({ invalidDateCount: 2, processedRecordCount: 0 });
  });

  it('flush closes everything; later records for flushed buckets are out of order, later ones continue', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'count', latencyMs: 5 * MIN });
    b.add(0, 0);
    b.flush();
    expect(out).toHaveLength(1);
    expect(b.openFrom()).toBe(MIN);
    expect(b.add(30_000, 0)).toBe(false);
    b.add(2 * MIN, 0);
    b.flush();
    expect(out.map((e) => [e.t, e.v])).toEqual([
      [0, 1],
      [MIN, 0],
      [2 * MIN, 1],
    ]);
    b.flush(); // idempotent
    expect(out).toHaveLength(3);
  });

  it('hands every callback the same stats object (no allocation per bucket)', () => {
    const seen = new Set<object>();
    const b = createBucketizer({ spanMs: MIN, function: 'metric', onBucket: (_p, _t, _v, _n, s) => seen.add(s) });
    for (let i = 0; i < 10; i++) b.add(i * MIN, i);
    b.flush();
    expect(seen.size).toBe(1);
  });

  it('reports Elastic-style data counts', () => {
    const { b } = collect({ spanMs: MIN, function: 'mean' });
    b.add(0, 1);
    b.add(1, NaN);
    b.add(3 * MIN, 2);
    b.add(MIN, 2);
    b.flush();
    expect(b.counts()).toEqual({
      processedRecordCount: 3,
      outOfOrderTimestampCount: 1,
      invalidDateCount: 0,
      missingFieldCount: 1,
      bucketCount: 4,
      emptyBucketCount: 2,
      latestRecordTimeStamp: 3 * MIN,
      partitionCount: 1,
    });
  });

  it('flush before any record emits nothing', () => {
    const { b, out } = collect({ spanMs: MIN, function: 'count' });
    b.flush();
    expect(out).toHaveLength(0);
    expect(b.openFrom()).toBeNaN();
    expect(b.counts().latestRecordTimeStamp).toBeNaN();
  });

  it('validates its options', () => {
    expect(() => createBucketizer({ spanMs: 0, function: 'count', onBucket: () => {} })).toThrow(VigilError);
    expect(() => createBucketizer({ spanMs: MIN, function: 'count', latencyMs: -1, onBucket: () => {} })).toThrow(VigilError);
    expect(() => createBucketizer({ spanMs: MIN, function: 'nope', onBucket: () => {} })).toThrow(/unknown function/);
  });

  it('agrees with bucketSeries on a jittery stream with gaps', () => {
    const n = 2000;
    const times = new Float64Array(n);
    const values = new Float64Array(n);
    let t = 1_700_000_000_000;
    for (let i = 0; i < n; i++) {
      t += 7_000 + ((i * 7919) % 5000) + (i % 300 === 0 ? 10 * MIN : 0);
      times[i] = t;
      values[i] = Math.sin(i / 10) * 100 + (i % 7);
    }
    for (const fn of ['mean', 'count', 'median', 'varp', 'max', 'non_null_sum']) {
      const { b, out } = collect({ spanMs: MIN, function: fn });
      for (let i = 0; i < n; i++) b.add(times[i], values[i]);
      b.flush();
      const s = bucketSeries(times, values, MIN, fn);
      expect(out.length, fn).toBe(s.values.length);
      for (let i = 0; i < out.length; i++) {
        expect(out[i].t).toBe(s.start + i * MIN);
        expect(out[i].n).toBe(s.counts[i]);
        if (Number.isNaN(s.values[i])) expect(out[i].v).toBeNaN();
        else expect(out[i].v).toBeCloseTo(s.values[i], 9);
      }
    }
  });
});

describe('bucketSeries', () => {
  it('buckets unsorted rows, filling empty buckets per the function', () => {
    const times = Float64Array.from([125_000, 5_000, 65_000, 10_000, 300_000]);
    const values = Float64Array.from([3, 1, 2, 5, 7]);
    const mean = bucketSeries(times, values, MIN, 'mean');
    expect(mean.start).toBe(0);
    expect([...mean.values]).toEqual([3, 2, 3, NaN, NaN, 7]);
    expect([...mean.counts]).toEqual([2, 1, 1, 0, 0, 1]);
    const count = bucketSeries(times, null, MIN, 'count');
    expect([...count.values]).toEqual([2, 1, 1, 0, 0, 1]);
  });

  it('applies offsetMs and skips non-finite times', () => {
    const s = bucketSeries(Float64Array.from([NaN, 20_000, 100_000]), Float64Array.from([9, 1, 2]), MIN, 'sum', { offsetMs: 30_000 });
    expect(s.start).toBe(-30_000);
    expect([...s.values]).toEqual([1, 0, 2]); // [-30s,30s) [30s,90s) [90s,150s); an empty sum is 0
  });

  it('reports min and max for metric', () => {
    const s = bucketSeries(Float64Array.from([0, 1, 2, 130_000]), Float64Array.from([4, 8, 6, 1]), MIN, 'metric');
    expect([...s.values]).toEqual([6, NaN, 1]);
    expect([...s.min!]).toEqual([4, NaN, 1]);
    expect([...s.max!]).toEqual([8, NaN, 1]);
  });

  it('distinct_count takes categories', () => {
    const s = bucketSeries(Float64Array.from([0, 1, 2, 61_000]), null, MIN, 'distinct_count', { categories: ['a', 'b', 'a', 'z'] });
    expect([...s.values]).toEqual([2, 1]);
  });

  it('empty input gives an empty series', () => {
    const s = bucketSeries(new Float64Array(0), new Float64Array(0), MIN, 'mean');
    expect(s.values.length).toBe(0);
    expect(s.start).toBeNaN();
  });

  it('checks its inputs', () => {
    expect(() => bucketSeries(Float64Array.from([0]), null, MIN, 'mean')).toThrow(VigilError);
    expect(() => bucketSeries(Float64Array.from([0]), null, MIN, 'distinct_count')).toThrow(VigilError);
    expect(() => bucketSeries(Float64Array.from([0, 1e15]), null, 1, 'count')).toThrow(/limit/);
  });
});

describe('bucketIndices', () => {
  it('maps each row to its bucket, -1 for rows before start or without a time', () => {
    const idx = bucketIndices(Float64Array.from([0, 59_999, 60_000, 200_000, -1, NaN]), 0, MIN);
    expect([...idx]).toEqual([0, 0, 1, 3, -1, -1]);
  });
});
