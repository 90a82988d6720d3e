import { describe, expect, it } from 'vitest';
import { downsampleChannels, downsampleLine, mergeRuns, missingRunsOf } from './downsample.js';

function series(n: number, f: (i: number) => number) {
  const times = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    times[i] = 1_700_000_000_000 + i * 60_000;
    values[i] = f(i);
  }
  return { times, values };
}

describe('downsampleLine', () => {
  it('passes small series through unchanged', () => {
    const { times, values } = series(100, (i) => (i === 50 ? NaN : i));
    const out = downsampleLine(times, values, 1000);
    expect(Array.from(out.times)).toEqual(Array.from(times));
    expect(out.values[50]).toBeNaN();
  });

  it('keeps the global extremes and bounds the output for 1 M points', () => {
    const { times, values } = series(1_000_000, (i) => Math.sin(i / 500) + ((i * 7919) % 13) / 100);
    values[123_457] = 1e6;
    values[876_543] = -1e6;
    const out = downsampleLine(times, values, 1000);
    expect(out.times.length).toBeLessThanOrEqual(1000 * 4 + 10);
    expect(Math.max(...out.values)).toBe(1e6);
    expect(Math.min(...out.values)).toBe(-1e6);
    expect(out.times).toContain(times[123_457]);
    expect(out.times).toContain(times[876_543]);
    // per-column max equals the source max in that column
    for (let i = 1; i < out.times.length; i++) expect(out.times[i]).toBeGreaterThanOrEqual(out.times[i - 1]);
  });

  it('keeps gaps as NaN so the line breaks', () => {
    const { times, values } = series(100_000, (i) => i % 10);
    for (let i = 40_000; i < 45_000; i++) values[i] = NaN;
    const out = downsampleLine(times, values, 500);
    const gapIdx = Array.from(out.values).findIndex((v) => Number.isNaN(v));
    expect(gapIdx).toBeGreaterThan(0);
    expect(out.times[gapIdx]).toBe(times[40_000]);
    // no finite point inside the missing run
    for (let i = 0; i < out.times.length; i++) {
      if (out.times[i] > times[40_000] && out.times[i] < times[45_000]) expect(out.values[i]).toBeNaN();
    }
    // the point after the gap is the first value after the run
    const after = Array.from(out.times).findIndex((t, i) => t >= times[45_000] && !Number.isNaN(out.values[i]));
    expect(out.times[after]).toBe(times[45_000]);
  });

  it('keeps a single missing bucket inside a dense column', () => {
    const { times, values } = series(100_000, () => 1);
    values[50_000] = NaN;
    const out = downsampleLine(times, values, 100);
    expect(Array.from(out.values).filter((v) => Number.isNaN(v))).toHaveLength(1);
  });
});

describe('downsampleChannels', () => {
  it('takes min of lower, max of upper and mean of typical per column', () => {
    const n = 40_000;
    const { times, values: lower } = series(n, (i) => -1 - (i % 7));
    const upper = new Float64Array(n).map((_, i) => 1 + (i % 5));
    const typical = new Float64Array(n).fill(3);
    lower[20_001] = -500;
    const out = downsampleChannels(
      times,
      [
        { values: lower, reduce: 'min' },
        { values: upper, reduce: 'max' },
        { values: typical, reduce: 'mean' },
      ],
      100,
    );
    expect(out.times.length).toBeLessThanOrEqual(100 * 2 + 4);
    expect(Math.min(...out.channels[0])).toBe(-500);
    expect(Math.max(...out.channels[1])).toBe(5);
    expect(new Set(out.channels[2])).toEqual(new Set([3]));
  });

  it('marks a bucket missing when any channel is NaN', () => {
    const times = new Float64Array([0, 1, 2, 3]);
    const a = new Float64Array([1, NaN, 1, 1]);
    const b = new Float64Array([2, 2, NaN, 2]);
    const out = downsampleChannels(times, [{ values: a, reduce: 'min' }, { values: b, reduce: 'max' }], 10);
    expect(Array.from(out.channels[0]).map(Number.isNaN)).toEqual([false, true, true, false]);
    expect(Array.from(out.channels[1]).map(Number.isNaN)).toEqual([false, true, true, false]);
  });
});

describe('missing runs', () => {
  it('finds NaN runs as [start, next start)', () => {
    const times = new Float64Array([0, 10, 20, 30, 40, 50]);
    const v = new Float64Array([1, NaN, NaN, 1, 1, NaN]);
    expect(missingRunsOf(times, v)).toEqual([
      { start: 10, end: 30 },
      { start: 50, end: 60 },
    ]);
  });

  it('merges close runs and caps their number', () => {
    const runs = Array.from({ length: 10_000 }, (_, i) => ({ start: i * 10, end: i * 10 + 5 }));
    expect(mergeRuns(runs, 0, 20_000)).toHaveLength(10_000);
    expect(mergeRuns(runs, 0).length).toBeLessThanOrEqual(2000);
    expect(mergeRuns(runs, 5)).toEqual([{ start: 0, end: 99_995 }]);
    expect(mergeRuns([{ start: 0, end: 5 }, { start: 100, end: 105 }], 10)).toHaveLength(2);
  });
});
