import { describe, expect, it } from 'vitest';
import { Random } from '../../random.js';
import { AlarmPolicy } from './alarm-policy.js';
import { TailCalibrator, scoreOfProbability } from './calibrator.js';
import { detectPeriod, laggedSums } from './period.js';
import { Ring } from './ring.js';
import { medianOf, selectKth } from './select.js';

describe('TailCalibrator', () => {
  it('gives tail probabilities close to the truth for half-normal raw scores', () => {
    const rng = new Random(1);
    const c = new TailCalibrator({ memory: 50_000 });
    for (let i = 0; i < 40_000; i++) c.add(Math.abs(rng.normal()));
    // P(|Z| > 3) = 0.0027, P(|Z| > 2) = 0.0455 (the exponential tail is conservative beyond u)
    expect(c.probability(3)).toBeGreaterThan(0.001);
    expect(c.probability(3)).toBeLessThan(0.006);
    expect(c.probability(1)).toBe(1);
    expect(c.probability(8)).toBeLessThan(1e-6);
  });

  it('adapts to the scale of its history', () => {
    const rng = new Random(2);
    const small = new TailCalibrator();
    const large = new TailCalibrator();
    for (let i = 0; i < 20_000; i++) {
      const z = Math.abs(rng.normal());
      small.add(z);
      large.add(10 * z);
    }
    expect(small.probability(5)).toBeLessThan(1e-4);
    expect(large.probability(5)).toBe(1);
  });

  it('maps probability to score by decades', () => {
    expect(scoreOfProbability(0.5)).toBe(0);
    expect(scoreOfProbability(1e-3)).toBeCloseTo(25);
    expect(scoreOfProbability(1e-4)).toBeCloseTo(50);
    expect(scoreOfProbability(1e-9)).toBe(100);
  });

  it('restores exactly from its state', () => {
    const rng = new Random(3);
    const a = new TailCalibrator();
    for (let i = 0; i < 1000; i++) a.add(Math.abs(rng.normal()));
    const b = new TailCalibrator({}, JSON.parse(JSON.stringify(a.toState())));
    for (let i = 0; i < 1000; i++) {
      const r = Math.abs(rng.normal()) * 2;
      expect(b.probability(r)).toBe(a.probability(r));
      a.add(r);
      b.add(r);
    }
  });
});

describe('AlarmPolicy', () => {
  it('reports the start of an event once, then escalation once, then re-arms after quiet', () => {
    const a = new AlarmPolicy({ enter: 10, quietBuckets: 3, escalate: 75 });
    const seq = [0, 20, 30, 80, 90, 0, 0, 0, 40];
    expect(seq.map((s) => a.apply(s))).toEqual([0, 20, 0, 80, 0, 0, 0, 0, 40]);
  });
  it('does not re-arm when the quiet spell is interrupted', () => {
    const a = new AlarmPolicy({ enter: 10, quietBuckets: 3 });
    expect([50, 0, 0, 50, 0, 0, 50].map((s) => a.apply(s))).toEqual([50, 0, 0, 0, 0, 0, 0]);
  });
});

describe('laggedSums', () => {
  it('equals the direct sums Σ x[i]·x[i−l] (FFT of the zero-padded series), for any length', () => {
    const rng = new Random(9);
    for (const n of [1, 2, 5, 16, 17, 1000, 1024, 1025]) {
      const x = new Float64Array(n).map((_, i) => 1e3 + 50 * Math.sin(i / 7) + rng.normal());
      const max = Math.max(0, n - 1);
      const s = laggedSums(x, max);
      for (let l = 0; l <= max; l++) {
        let d = 0;
        for (let i = l; i < n; i++) d += x[i] * x[i - l];
        expect(Math.abs(s[l] - d)).toBeLessThanOrEqual(1e-9 * Math.abs(d) + 1e-9);
      }
    }
  });
});

describe('detectPeriod', () => {
  const rng = new Random(4);
  it('finds a daily cycle at 5-minute buckets', () => {
    const v = new Float64Array(2000);
    for (let i = 0; i < v.length; i++) v[i] = Math.sin((2 * Math.PI * i) / 288) + 0.3 * rng.normal();
    expect(detectPeriod(v, 300_000).period).toBe(288);
  });
  it('finds a non-calendar period', () => {
    const v = new Float64Array(3000);
    for (let i = 0; i < v.length; i++) v[i] = ((i % 50) < 10 ? 5 : 0) + 0.3 * rng.normal();
    expect(detectPeriod(v, 60_000).period).toBe(50);
  });
  it('finds none in noise, a random walk or a constant', () => {
    const noise = new Float64Array(2000).map(() => rng.normal());
    expect(detectPeriod(noise, 300_000).period).toBe(0);
    const walk = new Float64Array(2000);
    for (let i = 1; i < walk.length; i++) walk[i] = walk[i - 1] + rng.normal();
    expect(detectPeriod(walk, 300_000).period).toBe(0);
    expect(detectPeriod(new Float64Array(2000).fill(3), 300_000).period).toBe(0);
  });
  it('prefers the week when weekends differ', () => {
    const v = new Float64Array(288 * 7 * 3);
    for (let i = 0; i < v.length; i++) {
      const day = Math.floor(i / 288) % 7;
      v[i] = (day >= 5 ? 0.2 : 1) * (1 + Math.sin((2 * Math.PI * i) / 288)) + 0.05 * rng.normal();
    }
    const r = detectPeriod(v, 300_000);
    expect(r.period).toBe(288 * 7);
    expect(r.base).toBe(288);
  });
});

describe('Ring and select', () => {
  it('keeps the newest values', () => {
    const r = new Ring(3);
    for (const v of [1, 2, 3, 4]) r.push(v);
    expect(Array.from(r.last(5))).toEqual([2, 3, 4]);
    expect(r.get(0)).toBe(4);
    expect(r.get(3)).toBeNaN();
    expect(Array.from(Ring.fromState(JSON.parse(JSON.stringify(r.toState()))).last(3))).toEqual([2, 3, 4]);
  });
  it('selects order statistics', () => {
    const rng = new Random(5);
    const a = Float64Array.from({ length: 1001 }, () => rng.normal());
    const sorted = Float64Array.from(a).sort();
    expect(medianOf(Float64Array.from(a))).toBe(sorted[500]);
    expect(selectKth(Float64Array.from(a), 10)).toBe(sorted[10]);
  });
});
