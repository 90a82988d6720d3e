import { describe, expect, it } from 'vitest';
import { bucketSeries } from './bucketizer.js';
import { fillMissing, findMissingRuns } from './gaps.js';

const MIN = 60_000;

describe('findMissingRuns', () => {
  it('finds NaN runs with their start, length, end, the longest and the total', () => {
    const v = Float64Array.from([1, NaN, NaN, 2, NaN, 3, NaN, NaN, NaN]);
    const r = findMissingRuns(v, 1_000_000, MIN);
    expect(r.runs).toEqual([
      { start: 1_000_000 + MIN, index: 1, length: 2, end: 1_000_000 + 3 * MIN },
      { start: 1_000_000 + 4 * MIN, index: 4, length: 1, end: 1_000_000 + 5 * MIN },
      { start: 1_000_000 + 6 * MIN, index: 6, length: 3, end: 1_000_000 + 9 * MIN },
    ]);
    expect(r.longest).toBe(3);
    expect(r.longestRun).toEqual(r.runs[2]);
    expect(r.totalMissing).toBe(6);
  });

  it('a series with nothing missing has no runs', () => {
    const r = findMissingRuns(Float64Array.from([0, 1, 0]), 0, MIN);
    expect(r).toEqual({ runs: [], longest: 0, longestRun: null, totalMissing: 0 });
    expect(findMissingRuns(new Float64Array(0), 0, MIN).totalMissing).toBe(0);
  });

  it('minLength filters runs but not the longest or the total', () => {
    const v = Float64Array.from([NaN, 1, NaN, NaN, NaN, 1, NaN]);
    const r = findMissingRuns(v, 0, MIN, { minLength: 2 });
    expect(r.runs.map((x) => [x.index, x.length])).toEqual([[2, 3]]);
    expect(r.longest).toBe(3);
    expect(r.totalMissing).toBe(5);
  });

  it('count functions: zeros are values, unless record counts say no data arrived', () => {
    const times = Float64Array.from([0, 1, 3 * MIN, 4 * MIN + 5]);
    const s = bucketSeries(times, null, MIN, 'count');
    expect([...s.values]).toEqual([2, 0, 0, 1, 1]);
    expect(findMissingRuns(s.values, s.start, MIN).runs).toEqual([]);
    const noData = findMissingRuns(s.values, s.start, MIN, { counts: s.counts });
    expect(noData.runs).toEqual([{ start: MIN, index: 1, length: 2, end: 3 * MIN }]);
  });

  it('metric functions: empty buckets are missing without counts', () => {
    const times = Float64Array.from([0, 3 * MIN]);
    const s = bucketSeries(times, Float64Array.from([1, 2]), MIN, 'mean');
    const r = findMissingRuns(s.values, s.start, MIN);
    expect(r.runs.map((x) => [x.start, x.length])).toEqual([[MIN, 2]]);
  });
});

describe('fillMissing', () => {
  const v = Float64Array.from([NaN, 1, NaN, NaN, 4, NaN, 9, NaN]);

  it('linear interpolates between neighbours and leaves the ends missing', () => {
    expect([...fillMissing(v, 'linear')]).toEqual([NaN, 1, 2, 3, 4, 6.5, 9, NaN]);
  });

  it('previous carries the last value forward', () => {
    expect([...fillMissing(v, 'previous')]).toEqual([NaN, 1, 1, 1, 4, 4, 9, 9]);
  });

  it('zero fills every run', () => {
    expect([...fillMissing(v, 'zero')]).toEqual([0, 1, 0, 0, 4, 0, 9, 0]);
  });

  it('maxRun leaves long gaps missing, and the input is not modified', () => {
    expect([...fillMissing(v, 'linear', { maxRun: 1 })]).toEqual([NaN, 1, NaN, NaN, 4, 6.5, 9, NaN]);
    expect(v[2]).toBeNaN();
  });

  it('rejects an unknown method', () => {
    expect(() => fillMissing(v, 'spline' as never)).toThrow(/unknown fill method/);
  });
});
