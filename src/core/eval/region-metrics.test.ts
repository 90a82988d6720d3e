import { describe, expect, it } from 'vitest';
import {
  countRegions,
  detectionDelays,
  detectionRuns,
  meanTimeToDetect,
  pointAdjustedF1,
  pointF1,
  regionScores,
} from './region-metrics.js';

const flagsOf = (n: number, on: number[]): Uint8Array => {
  const f = new Uint8Array(n);
  for (const i of on) f[i] = 1;
  return f;
};

describe('region metrics', () => {
  it('groups consecutive flagged rows into one detection', () => {
    expect(detectionRuns(flagsOf(10, [1, 2, 3, 6, 9]))).toEqual([
      [1, 3],
      [6, 6],
      [9, 9],
    ]);
  });

  it('applies the half-inside rule to runs', () => {
    const regions = [{ start: 10, end: 19 }];
    // run 8..11: 2 of 4 inside → TP (at least half)
    expect(countRegions(flagsOf(30, [8, 9, 10, 11]), regions)).toMatchObject({ ta: 1, tad: 1, tp: 1, fp: 0 });
    // run 7..11: 2 of 5 inside → FP, though the region is still detected (TAD counts any flagged row)
    expect(countRegions(flagsOf(30, [7, 8, 9, 10, 11]), regions)).toMatchObject({ ta: 1, tad: 1, tp: 0, fp: 1 });
    // a single point outside → FP, region missed
    expect(countRegions(flagsOf(30, [25]), regions)).toMatchObject({ ta: 1, tad: 0, tp: 0, fp: 1 });
  });

  it('Splunk example: one 3-point run inside, one point outside', () => {
    const c = countRegions(flagsOf(40, [12, 13, 14, 30]), [{ start: 10, end: 20 }]);
    const s = regionScores(c);
    expect(s).toMatchObject({ ta: 1, tad: 1, tp: 1, fp: 1 });
    expect(s.precision).toBe(0.5);
    expect(s.recall).toBe(1);
    expect(s.f1).toBeCloseTo(2 / 3, 12);
  });

  it('point-wise and point-adjusted F1', () => {
    const regions = [
      { start: 10, end: 19 },
      { start: 30, end: 39 },
    ];
    const flags = flagsOf(50, [12, 45]);
    const pw = pointF1(flags, regions);
    expect(pw).toMatchObject({ tp: 1, fp: 1, fn: 19 });
    expect(pw.f1).toBeCloseTo((2 * 0.5 * (1 / 20)) / (0.5 + 1 / 20), 12);
    const pa = pointAdjustedF1(flags, regions);
    expect(pa).toMatchObject({ tp: 10, fp: 1, fn: 10 });
    expect(pa.f1).toBeCloseTo((2 * (10 / 11) * 0.5) / (10 / 11 + 0.5), 12);
    expect(pointF1(new Uint8Array(50), regions).f1).toBe(0);
  });

  it('mean time to detect from onsets, in rows and time units', () => {
    const times = Float64Array.from({ length: 60 }, (_, i) => i * 300_000);
    const regions = [
      { start: 10, end: 19, onset: 14 },
      { start: 30, end: 39 },
      { start: 50, end: 55 },
    ];
    const d = detectionDelays(flagsOf(60, [17, 18, 33, 45]), regions, times);
    expect(d.rows).toEqual([3, 3]);
    const m = meanTimeToDetect(d);
    expect(m).toEqual({ detected: 2, rows: 3, ms: 900_000 });
    expect(Number.isNaN(meanTimeToDetect(detectionDelays(new Uint8Array(60), regions)).rows)).toBe(true);
  });
});
