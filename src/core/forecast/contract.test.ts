/**
 * The contract every forecaster passes: lengths, finite output, ordered and widening intervals,
 * NaN and gaps in the input, constant and very short series, determinism.
 */
import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { Random } from '../random.js';
import { createForecaster, forecasterFromState, modelNames } from './registry.js';
import type { Forecast, ForecasterOptions } from './types.js';

function seasonalSeries(n: number, seed: number, m = 12): Float64Array {
  const r = new Random(seed);
  const y = new Float64Array(n);
  let level = 100;
  for (let t = 0; t < n; t++) {
    level += 0.1 + r.normal() * 0.5;
    y[t] = level + 10 * Math.sin((2 * Math.PI * t) / m) + r.normal();
  }
  return y;
}

function checkShape(f: Forecast, h: number, levels: number[]): void {
  expect(f.mean.length).toBe(h);
  expect(f.intervals.map((i) => i.level)).toEqual(levels);
  for (const iv of f.intervals) {
    expect(iv.lower.length).toBe(h);
    expect(iv.upper.length).toBe(h);
    for (let j = 0; j < h; j++) {
      expect(Number.isFinite(f.mean[j])).toBe(true);
      expect(Number.isFinite(iv.lower[j]) && Number.isFinite(iv.upper[j])).toBe(true);
      expect(iv.lower[j]).toBeLessThanOrEqual(f.mean[j] + 1e-9);
      expect(iv.upper[j]).toBeGreaterThanOrEqual(f.mean[j] - 1e-9);
      if (j > 0) {
        // half-widths never shrink with the horizon
        expect(iv.upper[j] - f.mean[j]).toBeGreaterThanOrEqual(iv.upper[j - 1] - f.mean[j - 1] - 1e-9);
        expect(f.mean[j] - iv.lower[j]).toBeGreaterThanOrEqual(f.mean[j - 1] - iv.lower[j - 1] - 1e-9);
      }
    }
  }
  // nested: the wider level contains the narrower one
  const sorted = [...f.intervals].sort((a, b) => a.level - b.level);
  for (let k = 1; k < sorted.length; k++) {
    for (let j = 0; j < h; j++) {
      expect(sorted[k].lower[j]).toBeLessThanOrEqual(sorted[k - 1].lower[j] + 1e-9);
      expect(sorted[k].upper[j]).toBeGreaterThanOrEqual(sorted[k - 1].upper[j] - 1e-9);
    }
  }
}

describe.each(modelNames())('forecaster contract: %s', (name) => {
  it('gives h finite values with ordered, nested, widening 80/95 intervals', () => {
    const f = createForecaster(name).fit(seasonalSeries(240, 1)).predict(24);
    checkShape(f, 24, [80, 95]);
    const g = createForecaster(name).fit(seasonalSeries(240, 1)).predict(5, [50, 90, 99]);
    checkShape(g, 5, [50, 90, 99]);
  });

  it('handles NaN values and a long gap in the history', () => {
    const y = seasonalSeries(200, 2);
    y[3] = NaN;
    y[100] = NaN;
    for (let t = 140; t < 160; t++) y[t] = NaN;
    y[199] = NaN;
    checkShape(createForecaster(name).fit(y).predict(12), 12, [80, 95]);
    const lead = seasonalSeries(60, 3);
    lead.fill(NaN, 0, 10);
    checkShape(createForecaster(name).fit(lead).predict(6), 6, [80, 95]);
  });

  it('forecasts a constant series as that constant', () => {
    const f = createForecaster(name).fit(new Float64Array(100).fill(42)).predict(10);
    checkShape(f, 10, [80, 95]);
    for (const v of f.mean) expect(v).toBeCloseTo(42, 6);
  });

  it('copes with very short series', () => {
    for (const n of [2, 3, 5, 8]) {
      const y = Float64Array.from({ length: n }, (_, i) => 10 + i);
      const f = createForecaster(name).fit(y).predict(4);
      checkShape(f, 4, [80, 95]);
      // two values that differ: the band is not zero-width (longer exact lines may fit perfectly)
      if (n === 2) for (const iv of f.intervals) expect(iv.upper[0] - iv.lower[0]).toBeGreaterThan(0);
    }
  });

  it('refuses a one-value history (no spread to size a band from) rather than a zero-width band', () => {
    for (const y of [Float64Array.from([42]), Float64Array.from([NaN, 42, NaN, NaN])]) {
      expect(() => createForecaster(name).fit(y)).toThrow(
        expect.objectContaining({ code: 'NOT_ENOUGH_DATA', message: expect.stringMatching(new RegExp(`^model \\[${name}\\] needs at least 2 valid values .*; got ${y.length} points?, 1 valid$`)) }),
      );
    }
  });

  it('is deterministic', () => {
    const y = seasonalSeries(300, 4);
    const a = createForecaster(name).fit(y).predict(12);
    const b = createForecaster(name).fit(y).predict(12);
    expect(Array.from(a.mean)).toEqual(Array.from(b.mean));
    expect(Array.from(a.intervals[1].upper)).toEqual(Array.from(b.intervals[1].upper));
  });

  it('round-trips its state through JSON bit for bit (toState / forecasterFromState)', () => {
    const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
    const gappy = seasonalSeries(260, 6);
    gappy[7] = NaN;
    const cases: [Float64Array, ForecasterOptions][] = [
      [seasonalSeries(300, 4), {}],
      [gappy, { stepMs: 3_600_000 }],
      [Float64Array.from([5, 6]), {}], // too short: the naive fallback is restored too
    ];
    for (const [y, opts] of cases) {
      const a = createForecaster(name, opts).fit(y);
      const state = a.toState();
      expect(state.type).toBe('forecaster');
      expect(state.version).toBe(1);
      const b = forecasterFromState(JSON.parse(JSON.stringify(state)));
      const fa = a.predict(30, [80, 95]);
      const fb = b.predict(30, [80, 95]);
      expect(bits(fb.mean)).toBe(bits(fa.mean));
      for (let i = 0; i < 2; i++) {
        expect(bits(fb.intervals[i].lower)).toBe(bits(fa.intervals[i].lower));
        expect(bits(fb.intervals[i].upper)).toBe(bits(fa.intervals[i].upper));
      }
      // and the restored model saves the same state again
      expect(JSON.stringify(b.toState())).toBe(JSON.stringify(state));
    }
  });

  it('refuses saved state of another type or version', () => {
    const state = createForecaster(name).fit(seasonalSeries(80, 7)).toState();
    expect(() => forecasterFromState({ ...state, version: 2 })).toThrow(expect.objectContaining({ code: 'STATE_VERSION' }));
    expect(() => forecasterFromState({ ...state, type: 'default' })).toThrow(expect.objectContaining({ code: 'STATE_TYPE' }));
    expect(() => forecasterFromState({ ...state, spec: { ...state.spec, model: 'prophet' } })).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL' }));
    // a one-value history saved before one-value fits were refused
    const one = { ...state, state: { ...state.state, history: [42], offset: 0, periods: [], exactPeriods: [], fellBack: true } };
    expect(() => forecasterFromState(one)).toThrow(expect.objectContaining({ code: 'NOT_ENOUGH_DATA', message: expect.stringContaining('the saved state holds 1 value') }));
  });

  it('refuses an all-missing history and a bad horizon', () => {
    expect(() => createForecaster(name).fit(new Float64Array(10).fill(NaN))).toThrow(expect.objectContaining({ code: 'NOT_ENOUGH_DATA', message: expect.stringContaining('got 10 points, none valid') }));
    const m = createForecaster(name).fit(seasonalSeries(50, 5));
    expect(() => m.predict(0)).toThrow(/horizon/);
    expect(() => m.predict(3, [120])).toThrow(/level/);
  });
});

describe('registry', () => {
  it('refuses unknown models with UNKNOWN_MODEL', () => {
    try {
      createForecaster('prophet');
      expect.unreachable();
    } catch (err) {
      expect((err as VigilError).code).toBe('UNKNOWN_MODEL');
    }
  });
});
