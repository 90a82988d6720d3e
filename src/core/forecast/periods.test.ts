/**
 * Period detection on seeded synthetic series with known periods: the calendar candidates of the
 * data's step (weekly → the 52.18-week year; hourly → 24 and 168; daily → 7 and 365.25;
 * 5-minute → 288 and 2016), each tested for significance, and no period on plain noise.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../random.js';
import { createForecaster, forecast } from './registry.js';
import { calendarPeriods, DAY_MS, detectCalendarPeriods, testPeriod, WEEK_MS, YEAR_MS } from './season.js';
import type { CoreForecaster } from './base.js';

const HOUR = 3_600_000;

/** A random walk with noise plus the given cycles (period in steps, possibly fractional; amplitude). */
function series(n: number, seed: number, cycles: [number, number][], walk = 0.3): Float64Array {
  const r = new Random(seed);
  const y = new Float64Array(n);
  let level = 100;
  for (let t = 0; t < n; t++) {
    level += walk * r.normal();
    let s = 0;
    // a sharp yearly peak (holiday-like) and a smooth wave, so harmonics exist
    for (const [m, a] of cycles) s += a * (Math.sin((2 * Math.PI * t) / m) + 0.5 * Math.max(0, Math.cos((2 * Math.PI * t) / m)) ** 8);
    y[t] = level + s + r.normal();
  }
  return y;
}

const periodsOf = (y: Float64Array, step: number) => detectCalendarPeriods(y, step).map((t) => t.period);

describe('calendar candidates', () => {
  it('lists the calendar cycles of a step, fractional where the calendar is', () => {
    expect(calendarPeriods(HOUR).map((p) => +p.toFixed(2))).toEqual([24, 168, 8765.82]);
    expect(calendarPeriods(DAY_MS).map((p) => +p.toFixed(2))).toEqual([7, 365.24]);
    expect(calendarPeriods(5 * 60_000).slice(0, 2)).toEqual([288, 2016]);
    expect(calendarPeriods(WEEK_MS).map((p) => +p.toFixed(2))).toEqual([4.35, 13.04, 52.18]);
    expect(calendarPeriods(WEEK_MS, { subYear: false }).map((p) => +p.toFixed(2))).toEqual([52.18]);
    expect(calendarPeriods(YEAR_MS)).toEqual([]);
  });
});

describe('detectCalendarPeriods finds the true periods', () => {
  it('weekly data: the 52.18-week year, for every seed', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const p = periodsOf(series(8 * 52, seed, [[YEAR_MS / WEEK_MS, 8]]), WEEK_MS);
      expect(p[0], `seed ${seed}`).toBeCloseTo(52.18, 2);
      // the yearly cycle's harmonics are not taken for quarterly or monthly cycles
      expect(p.length, `seed ${seed}`).toBe(1);
    }
  });

  it('hourly data: 24 and 168', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const p = periodsOf(series(24 * 7 * 8, seed, [[24, 6], [168, 4]]), HOUR);
      expect([...p].sort((a, b) => a - b), `seed ${seed}`).toEqual([24, 168]);
    }
  });

  it('daily data: 7 and 365.24', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const p = periodsOf(series(4 * 365, seed, [[7, 4], [YEAR_MS / DAY_MS, 10]]), DAY_MS).sort((a, b) => a - b);
      expect(p[0], `seed ${seed}`).toBe(7);
      expect(p[1], `seed ${seed}`).toBeCloseTo(365.24, 1);
    }
  });

  it('5-minute data: 288 and 2016', () => {
    const p = periodsOf(series(288 * 7 * 4, 3, [[288, 6], [2016, 4]], 0.05), 5 * 60_000);
    expect([...p].sort((a, b) => a - b)).toEqual([288, 2016]);
  });

  it('a daily cycle alone on hourly data is not also called weekly', () => {
    for (let seed = 1; seed <= 5; seed++) expect(periodsOf(series(24 * 7 * 6, seed, [[24, 6]]), HOUR), `seed ${seed}`).toEqual([24]);
  });

  it('finds nothing on most noise series (90 % test per candidate)', () => {
    let found = 0;
    for (let seed = 1; seed <= 40; seed++) if (periodsOf(series(8 * 52, 100 + seed, []), WEEK_MS).length > 0) found++;
    // three candidates at 10 % each: about 27 % expected by chance
    expect(found).toBeLessThanOrEqual(16);
  });

  it('needs three cycles of history', () => {
    const y = series(2 * 52, 1, [[YEAR_MS / WEEK_MS, 8]]);
    expect(testPeriod(y, YEAR_MS / WEEK_MS).significant).toBe(false);
  });
});

describe('forecasters use the step as the period prior', () => {
  it('auto with stepMs forecasts a weekly yearly cycle better than blind detection or none', () => {
    const m = YEAR_MS / WEEK_MS;
    let errStep = 0;
    let errNone = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const all = series(6 * 52 + 13, seed, [[m, 10]]);
      for (let t = 0; t < all.length; t++) all[t] += 100; // positive, for the multiplicative adjustment
      const train = all.subarray(0, all.length - 13);
      const test = all.subarray(all.length - 13);
      const withStep = forecast(train, 13, { stepMs: WEEK_MS }).mean;
      const none = forecast(train, 13, { period: 1 }).mean;
      for (let j = 0; j < 13; j++) {
        errStep += Math.abs(test[j] - withStep[j]);
        errNone += Math.abs(test[j] - none[j]);
      }
    }
    expect(errStep).toBeLessThan(0.7 * errNone);
  });

  it('records the exact (fractional) period it used', () => {
    const f = createForecaster('auto', { stepMs: WEEK_MS }) as CoreForecaster;
    f.fit(series(8 * 52, 4, [[YEAR_MS / WEEK_MS, 8]]).map((v) => v + 100));
    expect(f.periods).toEqual([52]);
    expect(f.exactPeriods[0]).toBeCloseTo(52.18, 2);
  });
});
