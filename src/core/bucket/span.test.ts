import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { Random } from '../random.js';
import { NICE_SPANS_MS, inferResolution, medianSpacing, snapToNiceSpan, suggestBucketSpan } from './span.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

function regular(n: number, stepMs: number, jitterMs: number, seed = 1): Float64Array {
  const rnd = new Random(seed);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = 1_700_000_000_000 + i * stepMs + Math.round((rnd.next() * 2 - 1) * jitterMs);
  return t;
}

describe('snapToNiceSpan', () => {
  it('every nice span divides a day', () => {
    for (const s of NICE_SPANS_MS) expect(D % s).toBe(0);
  });

  it('snaps nearest, up and down', () => {
    expect(snapToNiceSpan(58 * S)).toBe(M);
    expect(snapToNiceSpan(4 * M)).toBe(5 * M);
    expect(snapToNiceSpan(7 * M, 'up')).toBe(10 * M);
    expect(snapToNiceSpan(7 * M, 'down')).toBe(5 * M);
    expect(snapToNiceSpan(5 * M, 'up')).toBe(5 * M);
    expect(snapToNiceSpan(200)).toBe(S);
    expect(snapToNiceSpan(2.6 * D)).toBe(3 * D);
    expect(snapToNiceSpan(2.2 * D, 'up')).toBe(3 * D);
  });
});

describe('inferResolution', () => {
  it('finds the spacing of regular data', () => {
    expect(inferResolution(regular(500, M, 0))).toBe(M);
    expect(inferResolution(regular(500, 10 * S, 0))).toBe(10 * S);
    expect(inferResolution(regular(100, H, 0))).toBe(H);
    expect(inferResolution(regular(100, D, 0))).toBe(D);
  });

  it('is robust to jitter', () => {
    expect(inferResolution(regular(1000, M, 20 * S))).toBe(M);
    expect(inferResolution(regular(1000, 5 * M, 90 * S, 3))).toBe(5 * M);
  });

  it('is robust to gaps and duplicate timestamps', () => {
    const base = regular(1000, 30 * S, 3 * S);
    const times: number[] = [];
    for (let i = 0; i < base.length; i++) {
      if (i % 50 < 10) continue; // 20 % of the data missing in runs
      times.push(base[i]);
      if (i % 4 === 0) times.push(base[i]); // duplicates
    }
    expect(inferResolution(times)).toBe(30 * S);
  });

  it('accepts unsorted samples and skips non-finite times', () => {
    const t = Array.from(regular(300, 15 * M, 0)).reverse();
    t.push(NaN);
    expect(inferResolution(t)).toBe(15 * M);
    expect(medianSpacing([0, 10, 30, NaN])).toBe(15);
  });

  it('needs two distinct times', () => {
    expect(() => inferResolution([5, 5, 5])).toThrow(VigilError);
    expect(() => inferResolution([])).toThrow(/two distinct/);
  });
});

describe('suggestBucketSpan', () => {
  it('dense metric data: the usual 5m', () => {
    const s = suggestBucketSpan({ resolutionMs: 10 * S, rowsPerSecond: 0.1, function: 'mean' });
    expect(s.spanMs).toBe(5 * M);
    expect(s.recordsPerBucket).toBeCloseTo(30, 9);
    expect(s.reason).toMatch(/^5m: /);
    expect(s.reason).toContain('10s');
  });

  it('never finer than the data', () => {
    expect(suggestBucketSpan({ resolutionMs: 15 * M, function: 'mean' }).spanMs).toBe(15 * M);
    expect(suggestBucketSpan({ resolutionMs: 7 * M, function: 'max' }).spanMs).toBe(10 * M);
    const hourly = suggestBucketSpan({ resolutionMs: 2 * H, function: 'mean' });
    expect(hourly.spanMs).toBe(2 * H);
    expect(hourly.reason).toContain('cannot be finer than the data');
  });

  it('sparse count data: long enough for several records per bucket', () => {
    // one event every ~10 minutes → 10 events need 100 minutes → 2h
    const s = suggestBucketSpan({ resolutionMs: 10 * M, count: 1000, durationMs: 10_000 * M, function: 'low_count' });
    expect(s.spanMs).toBe(2 * H);
    expect(s.recordsPerBucket).toBeGreaterThanOrEqual(10);
    expect(s.reason).toContain('sparse');
  });

  it('the same sparse data with a mean keeps the resolution-based span', () => {
    const s = suggestBucketSpan({ resolutionMs: 10 * M, count: 1000, durationMs: 10_000 * M, function: 'mean' });
    expect(s.spanMs).toBe(10 * M);
  });

  it('rates are per series when several series share them', () => {
    const one = suggestBucketSpan({ resolutionMs: S, rowsPerSecond: 1, function: 'count' });
    const many = suggestBucketSpan({ resolutionMs: S, rowsPerSecond: 1, function: 'count', series: 1000 });
    expect(one.spanMs).toBe(5 * M);
    expect(many.spanMs).toBe(3 * H); // 1 record / 1000 s per series → 10 need 10 000 s
  });

  it('very sparse data is capped at a day', () => {
    const s = suggestBucketSpan({ resolutionMs: H, count: 10, durationMs: 100 * D, function: 'count' });
    expect(s.spanMs).toBe(D);
    expect(s.reason).toContain('very sparse');
  });

  it('short data: trades smoothing for enough buckets, not below the resolution', () => {
    const s = suggestBucketSpan({ resolutionMs: 10 * S, count: 2160, durationMs: 6 * H, function: 'mean' });
    expect(s.spanMs).toBe(2 * M); // 180 buckets; 5m would give only 72
    expect(s.reason).toContain('shorter than 5m');
    expect(s.reason).toContain('72 buckets at 5m');
    const tiny = suggestBucketSpan({ resolutionMs: M, count: 30, durationMs: 30 * M, function: 'mean' });
    expect(tiny.spanMs).toBe(M);
    expect(tiny.reason).toContain('more history');
  });

  it('rejects a bad resolution and an unknown function', () => {
    expect(() => suggestBucketSpan({ resolutionMs: 0 })).toThrow(VigilError);
    expect(() => suggestBucketSpan({ resolutionMs: M, function: 'avg_count' })).toThrow(/unknown function/);
  });
});
