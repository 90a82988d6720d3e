import { describe, expect, it } from 'vitest';
import { Random } from '../../random.js';
import { newOutput, type DetectorOutput } from '../detector.js';
import { opsScenario } from '../../test-kit/ops-scenario.js';
import { SeriesDetection } from '../../../engine/series-detection.js';
import { DefaultDetector } from './default-detector.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1); // Monday

interface Row extends DetectorOutput {
  i: number;
}

function runSeries(values: ArrayLike<number>, spanMs: number, det = new DefaultDetector({ bucketSpanMs: spanMs })): Row[] {
  const out = newOutput();
  const rows: Row[] = [];
  for (let i = 0; i < values.length; i++) {
    det.update(T0 + i * spanMs, values[i], out);
    rows.push({ ...out, i });
  }
  return rows;
}

function seasonal(n: number, spanMs: number, seed: number, f: (t: number) => number, noise = 2): Float64Array {
  const r = new Random(seed);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = f(T0 + i * spanMs) + noise * r.normal();
  return v;
}

const daily = (t: number): number => 100 + 40 * Math.sin((2 * Math.PI * ((t - T0) % (24 * H))) / (24 * H));
const weekly = (t: number): number => daily(t) - (Math.floor((t - T0) / (24 * H)) % 7 >= 5 ? 50 : 0);

describe('default detector: learning', () => {
  it('learns a daily season and predicts it (typical within noise) on hourly data', () => {
    const v = seasonal(24 * 21, H, 1, daily);
    const det = new DefaultDetector({ bucketSpanMs: H });
    const rows = runSeries(v, H, det);
    expect(det.activePeriods()).toContain(24 * H);
    const last = rows.slice(-48);
    const err = last.reduce((s, r) => s + Math.abs(r.typical - daily(T0 + r.i * H)), 0) / last.length;
    expect(err).toBeLessThan(3);
    expect(last.filter((r) => r.score > 0).length).toBe(0);
  });

  it('learns a weekly season (quiet weekends) and then stays quiet on weekends', () => {
    const v = seasonal(24 * 7 * 6, H, 2, weekly);
    const det = new DefaultDetector({ bucketSpanMs: H });
    const rows = runSeries(v, H, det);
    expect(det.activePeriods()).toEqual([24 * H, 7 * 24 * H]);
    const lastTwoWeeks = rows.slice(-24 * 14);
    expect(lastTwoWeeks.filter((r) => r.score >= 25).length).toBe(0);
  });

  it('does not claim seasonality in white noise', () => {
    const v = seasonal(24 * 21, H, 3, () => 50, 5);
    const det = new DefaultDetector({ bucketSpanMs: H });
    runSeries(v, H, det);
    expect(det.activePeriods()).toEqual([]);
  });

  it('states its cold start and scores nothing during it', () => {
    const det = new DefaultDetector({ bucketSpanMs: H });
    expect(det.coldStartBuckets).toBe(24);
    const v = seasonal(24 * 3, H, 4, daily);
    v[10] = 1e6;
    const rows = runSeries(v, H, det);
    expect(rows.slice(0, 24).every((r) => r.score === 0)).toBe(true);
  });
});

describe('default detector: scoring', () => {
  it('scores a spike once, high, and gives bounds that contain normal data ~95 % of the time', () => {
    const v = seasonal(24 * 21, H, 5, daily);
    v[24 * 15 + 5] += 60;
    const rows = runSeries(v, H);
    const hit = rows[24 * 15 + 5];
    expect(hit.score).toBeGreaterThanOrEqual(50);
    expect(hit.kind).toBe('spike');
    expect(hit.explanation).toMatch(/unusually high/);
    const after = rows.slice(24 * 15 + 6, 24 * 15 + 12);
    expect(after.every((r) => r.score < 25)).toBe(true);
    const normal = rows.slice(24 * 3, 24 * 15);
    const inside = normal.filter((r) => v[r.i] >= r.lower && v[r.i] <= r.upper).length / normal.length;
    expect(inside).toBeGreaterThan(0.9);
  });

  it('scores only the requested side for high_ / low_ functions', () => {
    const v = seasonal(24 * 10, H, 6, () => 100);
    v[24 * 8] = 10; // a dip
    v[24 * 9] = 190; // a spike
    const high = runSeries(v, H, new DefaultDetector({ bucketSpanMs: H, side: 'high' }));
    const low = runSeries(v, H, new DefaultDetector({ bucketSpanMs: H, side: 'low' }));
    expect(high[24 * 8].score).toBe(0);
    expect(high[24 * 9].score).toBeGreaterThan(25);
    expect(low[24 * 8].score).toBeGreaterThan(25);
    expect(low[24 * 9].score).toBe(0);
  });

  it('reports a level shift once and adapts to the new level', () => {
    const v = seasonal(24 * 20, H, 7, () => 100, 2);
    for (let i = 24 * 10; i < v.length; i++) v[i] += 40;
    const rows = runSeries(v, H);
    const alerts = rows.filter((r) => r.i >= 24 * 10 && r.score >= 25);
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect(alerts[0].i).toBeLessThan(24 * 10 + 3);
    expect(alerts.length).toBeLessThanOrEqual(2);
    const tail = rows.slice(-48);
    expect(Math.abs(tail[tail.length - 1].typical - 140)).toBeLessThan(5);
  });

  it('is told about missing buckets (NaN) rather than fed zeros, and keeps predicting', () => {
    const v = seasonal(24 * 10, H, 8, daily);
    for (let i = 24 * 8; i < 24 * 8 + 6; i++) v[i] = NaN;
    const rows = runSeries(v, H);
    for (let i = 24 * 8; i < 24 * 8 + 6; i++) {
      expect(rows[i].kind).toBe('missing');
      expect(rows[i].score).toBe(0);
      expect(Number.isFinite(rows[i].typical)).toBe(true);
    }
    expect(rows.slice(24 * 8 + 6).every((r) => r.score < 25)).toBe(true);
  });

  it('with gapPrior on, judges data returning after a long first gap once (kind missing), not a short one', () => {
    const v = seasonal(24 * 56, H, 8, daily);
    for (let i = 24 * 8; i < 24 * 8 + 6; i++) v[i] = NaN; // short, early: not an anomaly
    for (let i = 24 * 50; i < 24 * 53; i++) v[i] = NaN; // three days after seven weeks of data: rare here
    const rows = runSeries(v, H, new DefaultDetector({ bucketSpanMs: H }, { gapPrior: 1 }));
    expect(rows.slice(24 * 8 + 6, 24 * 50).every((r) => r.score < 25)).toBe(true);
    const back = rows[24 * 53];
    expect(back.kind).toBe('missing');
    expect(back.score).toBeGreaterThanOrEqual(25);
    expect(back.explanation).toMatch(/gap/);
    expect(rows.slice(24 * 53 + 1).filter((r) => r.score >= 25).length).toBe(0);
  });

  it('handles a constant series without dividing by zero and flags a change in it', () => {
    const v = new Float64Array(500).fill(7);
    v[400] = 8;
    const rows = runSeries(v, H);
    expect(rows.every((r) => Number.isFinite(r.score))).toBe(true);
    expect(rows.slice(0, 400).every((r) => r.score === 0)).toBe(true);
    expect(rows[400].score).toBeGreaterThan(0);
  });
});

describe('default detector: causality and state', () => {
  it('appending data never changes earlier outputs', () => {
    const v = seasonal(24 * 12, H, 9, daily);
    const short = runSeries(v.subarray(0, 24 * 8), H);
    const long = runSeries(v, H);
    expect(long.slice(0, short.length)).toEqual(short);
  });

  it('save → JSON → load continues bit for bit', () => {
    const v = seasonal(24 * 20, H, 10, weekly);
    v[24 * 16] += 80;
    const whole = runSeries(v, H);
    const det = new DefaultDetector({ bucketSpanMs: H });
    const out = newOutput();
    for (let i = 0; i < 24 * 12; i++) det.update(T0 + i * H, v[i], out);
    const restored = DefaultDetector.fromState(JSON.parse(JSON.stringify(det.toState())));
    for (let i = 24 * 12; i < v.length; i++) {
      restored.update(T0 + i * H, v[i], out);
      expect({ ...out, i }).toEqual(whole[i]);
    }
  });

  it('refuses a state of another version or type with a clear error', () => {
    const s = new DefaultDetector({ bucketSpanMs: H }).toState();
    expect(() => DefaultDetector.fromState({ ...s, version: 99 })).toThrow(/version 99/);
    expect(() => DefaultDetector.fromState({ ...s, type: 'other' })).toThrow(/type \[other\]/);
  });

  it('keeps model state small: ≤ 16 KB per series with daily + weekly seasonality on 1-minute buckets', () => {
    const det = new DefaultDetector({ bucketSpanMs: 60_000 });
    expect(det.memoryBytes()).toBeLessThanOrEqual(16 * 1024);
    expect(JSON.stringify(det.toState()).length).toBeLessThan(64 * 1024);
  });

  it('validates its spec', () => {
    expect(() => new DefaultDetector({ bucketSpanMs: H }, { sensitivity: -1 })).toThrow(/sensitivity/);
    expect(() => new DefaultDetector({ bucketSpanMs: 0 })).toThrow(/bucket span/);
  });
});

describe('acceptance: seeded ops scenario with daily + weekly seasonality and injected events', () => {
  const s = opsScenario(7);
  const anomalies: { time: number; score: number }[] = [];
  const det = new SeriesDetection({ function: 'mean', bucketSpanMs: s.spanMs }, (r) => {
    if (r.score > 0) anomalies.push({ time: r.time, score: r.score });
  });
  for (let i = 0; i < s.times.length; i++) det.add(s.times[i], s.values[i]);
  det.flush();
  const learned = s.times[0] + 14 * 24 * H; // after two weeks, both seasons are established

  for (const e of s.events.filter((x) => x.kind !== 'gap')) {
    it(`detects the ${e.kind} (${e.description})`, () => {
      const hits = anomalies.filter((a) => a.time >= e.start - 2 * s.spanMs && a.time < Math.min(e.end, e.start + 12 * H));
      expect(hits.length).toBeGreaterThan(0);
    });
  }

  it('the big incidents (spike, dip, outage) are major or critical', () => {
    for (const kind of ['spike', 'dip', 'outage'] as const) {
      const e = s.events.find((x) => x.kind === kind)!;
      const best = Math.max(0, ...anomalies.filter((a) => a.time >= e.start && a.time < e.end + s.spanMs).map((a) => a.score));
      expect(best, kind).toBeGreaterThanOrEqual(50);
    }
  });

  it('the quiet Wednesday reaches minor (a weekday as quiet as a Sunday is worth a look)', () => {
    const e = s.events.find((x) => x.kind === 'weekday_like_sunday')!;
    const best = Math.max(0, ...anomalies.filter((a) => a.time >= e.start && a.time < e.end).map((a) => a.score));
    expect(best).toBeGreaterThanOrEqual(25);
  });

  it('raises little else: at most 3 alerts of minor severity or above outside the events once learned', () => {
    const outside = anomalies.filter((a) => a.time >= learned && a.score >= 25 && !s.events.some((e) => a.time >= e.start - 2 * s.spanMs && a.time < e.end + 6 * H));
    expect(outside.length).toBeLessThanOrEqual(3);
  });
});

describe('default detector: trend direction (for model-change annotations)', () => {
  it('turns rising on a sustained slow ramp (a disk filling), flat again when it stops, and round-trips', () => {
    const r = new Random(21);
    const D = 24;
    const n = D * 45;
    const v = new Float64Array(n);
    // flat for 14 days, then +0.05 per hour (1.2 noise scales a day, 8 a week) for 14 days, then flat
    for (let i = 0; i < n; i++) v[i] = 100 + 0.05 * Math.min(Math.max(i - D * 14, 0), D * 14) + r.normal();
    const det = new DefaultDetector({ bucketSpanMs: H });
    const out = newOutput();
    const dirs: number[] = [];
    for (let i = 0; i < n; i++) {
      det.update(T0 + i * H, v[i], out);
      dirs.push(det.trendDirection());
    }
    expect(dirs.slice(0, D * 14).every((d) => d === 0)).toBe(true);
    // judged once per whole period (a week here): rising within a week of the ramp's end at the latest
    expect(dirs.slice(D * 21, D * 35)).toContain(1);
    expect(dirs[n - 1]).toBe(0);
    const copy = DefaultDetector.fromState(JSON.parse(JSON.stringify(det.toState())));
    expect(copy.trendDirection()).toBe(det.trendDirection());
  });

  it('sees no trend in stationary seasonal series, hourly or 10-minute, while seasonality is being learned', () => {
    for (const span of [H, 600_000]) {
      const det = new DefaultDetector({ bucketSpanMs: span });
      const out = newOutput();
      const r = new Random(22);
      const n = Math.round((21 * 24 * H) / span);
      for (let i = 0; i < n; i++) {
        const t = T0 + i * span;
        det.update(t, weekly(t) + 3 * r.normal(), out);
        expect(det.trendDirection(), `span ${span} bucket ${i}`).toBe(0);
      }
    }
  });
});

describe('a huge finite value', () => {
  it('gives finite outputs: score, probability, bounds and a multi-bucket impact in [-5, 5] (it was NaN)', () => {
    const d = new DefaultDetector({ bucketSpanMs: 300_000 });
    const out = newOutput();
    for (let i = 0; i < 3000; i++) {
      d.update(i * 300_000, i === 2000 ? 1e200 : 10 + Math.sin(i / 10), out);
      if (i === 2000) {
        expect(out.score).toBeGreaterThan(75);
        expect(Number.isFinite(out.multiBucketImpact)).toBe(true);
        expect(Math.abs(out.multiBucketImpact)).toBeLessThanOrEqual(5);
      }
    }
  });
});
