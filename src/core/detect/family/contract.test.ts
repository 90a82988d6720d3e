/**
 * The contract every registered detector passes (hono-style: one suite, many implementations):
 * missing values, gaps, constant series, determinism, causality, bit-for-bit state round trip,
 * scores in [0, 100], cold start honoured, and one alert (not a run) for a single spike.
 */
import { describe, expect, it } from 'vitest';
import '../all.js';
import { listDetectors, restoreDetector } from '../registry.js';
import { newOutput, type Detector, type DetectorFactory } from '../detector.js';
import { Random } from '../../random.js';
import type { ModelState } from '../../state.js';

const SPAN = 300_000;
const T0 = Date.UTC(2024, 0, 1);
const KINDS = new Set(['none', 'spike', 'dip', 'level_shift_up', 'level_shift_down', 'variance_increase', 'pattern', 'missing']);

/** Daily cycle at 5-minute buckets with mild noise. */
function series(n: number, seed = 7): Float64Array {
  const rng = new Random(seed);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + rng.normal();
  return v;
}

interface Run {
  score: Float64Array;
  typical: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  probability: Float64Array;
}

function run(d: Detector, v: Float64Array, from = 0, into?: Run): Run {
  const n = v.length;
  const r = into ?? {
    score: new Float64Array(n),
    typical: new Float64Array(n),
    lower: new Float64Array(n),
    upper: new Float64Array(n),
    probability: new Float64Array(n),
  };
  const out = newOutput();
  for (let i = from; i < n; i++) {
    d.update(T0 + i * SPAN, v[i], out);
    r.score[i] = out.score;
    r.typical[i] = out.typical;
    r.lower[i] = out.lower;
    r.upper[i] = out.upper;
    r.probability[i] = out.probability;
    if (!(out.score >= 0 && out.score <= 100)) throw new Error(`score ${out.score} at ${i}`);
    if (!(out.probability >= 0 && out.probability <= 1)) throw new Error(`probability ${out.probability} at ${i}`);
    if (!KINDS.has(out.kind)) throw new Error(`kind ${out.kind} at ${i}`);
    if (out.score > 0 && out.explanation === '') throw new Error(`no explanation at ${i}`);
    if (out.score > 0 && Number.isNaN(v[i])) throw new Error(`scored a missing bucket at ${i}`);
  }
  return r;
}

function same(a: Run, b: Run, upTo: number): void {
  for (const k of ['score', 'typical', 'lower', 'upper', 'probability'] as const) {
    expect(Array.from(a[k].subarray(0, upTo)), k).toEqual(Array.from(b[k].subarray(0, upTo)));
  }
}

// detectors registered by other test files (named test-*) share this registry when files share a worker
const factories = listDetectors().filter((f) => !f.type.startsWith('test-'));
/** Spec variants that take other code paths, run through the same contract. */
const VARIANTS: [string, Record<string, unknown>][] = [
  ['forecast-residual', { model: 'theta' }],
  ['calendar-regressor', { country: 'US' }],
  ['matrix-profile', { window: 100, subsequence: 48, period: 1, skipGaps: true }], // auto's member: no period detection, no history ring
];
const cases: [string, DetectorFactory, Record<string, unknown> | undefined][] = [
  ...factories.map((f) => [f.type, f, undefined] as [string, DetectorFactory, undefined]),
  ...VARIANTS.flatMap(([t, spec]) =>
    factories.filter((f) => f.type === t).map((f) => [`${t} ${JSON.stringify(spec)}`, f, spec] as [string, DetectorFactory, Record<string, unknown>])),
];

describe('detector contract', () => {
  it('registers the family', () => {
    const names = factories.map((f) => f.type);
    for (const t of ['stl-residual', 'ensemble-vote', 'calendar-regressor', 'seasonal-cluster', 'forecast-residual', 'matrix-profile', 'auto']) {
      expect(names).toContain(t);
    }
  });

  describe.each(cases)('%s', (_label, f, spec) => {
    const make = (): Detector => f.create({ bucketSpanMs: SPAN }, spec);
    const n = 2600;

    it('states a cold start and scores nothing before it', () => {
      const d = make();
      expect(Number.isInteger(d.coldStartBuckets) && d.coldStartBuckets >= 0).toBe(true);
      const v = series(n);
      for (let i = 100; i < Math.min(d.coldStartBuckets, n); i += 97) v[i] += 100;
      const r = run(d, v);
      for (let i = 0; i < Math.min(d.coldStartBuckets, n); i++) expect(r.score[i]).toBe(0);
    });

    it('takes missing values and long gaps', () => {
      const v = series(n);
      for (let i = 5; i < n; i += 37) v[i] = NaN;
      for (let i = 1200; i < 1500; i++) v[i] = NaN;
      const r = run(make(), v);
      for (let i = 0; i < n; i++) if (Number.isNaN(v[i])) expect(r.score[i]).toBe(0);
      // the model still forecasts after the gap
      expect(Number.isFinite(r.typical[n - 1])).toBe(true);
    });

    it('stays quiet and finite on a constant series, then sees a step in it', () => {
      const v = new Float64Array(n).fill(42);
      const r = run(make(), v);
      expect(Math.max(...r.score)).toBe(0);
      expect(Number.isFinite(r.typical[n - 1])).toBe(true);
      const w = new Float64Array(n).fill(42);
      for (let i = 2000; i < n; i++) w[i] = 60;
      const r2 = run(make(), w);
      expect(Math.max(...r2.score.subarray(2000, 2300))).toBeGreaterThan(0);
    });

    it('is deterministic', () => {
      const v = series(n, 11);
      same(run(make(), v), run(make(), v), n);
    });

    it('is causal: appending data never changes earlier outputs', () => {
      const a = series(n, 3);
      const b = Float64Array.from(a);
      for (let i = 1700; i < n; i++) b[i] = a[i] * 3 - 40;
      same(run(make(), a), run(make(), b), 1700);
    });

    it.each([300, 700, 1900])('round-trips its state bit for bit (split at %i)', (split) => {
      const v = series(n, 5);
      v[2100] += 40;
      for (let i = 10; i < n; i += 53) v[i] = NaN;
      const whole = run(make(), v);
      const d = make();
      const part = run(d, v.subarray(0, split));
      const saved = JSON.parse(JSON.stringify(d.toState())) as ModelState;
      expect(saved.type).toBe(f.type);
      const restored = f.fromState(saved);
      expect(restoreDetector(saved).type).toBe(f.type);
      const rest: Run = {
        score: new Float64Array(n), typical: new Float64Array(n), lower: new Float64Array(n),
        upper: new Float64Array(n), probability: new Float64Array(n),
      };
      for (const k of Object.keys(rest) as (keyof Run)[]) rest[k].set(part[k]);
      run(restored, v, split, rest);
      same(whole, rest, n);
    });

    it('refuses a state of another version', () => {
      const s = make().toState();
      expect(() => f.fromState({ ...s, version: s.version + 99 })).toThrow(/version/);
    });

    it('reports its memory', () => {
      const d = make();
      run(d, series(1000));
      const m = d.memoryBytes();
      expect(m).toBeGreaterThan(0);
      expect(Number.isFinite(m)).toBe(true);
    });

    it('gives one alert for one spike, not a run', () => {
      const v = series(n, 9);
      const at = 2000;
      v[at] += 40;
      const r = run(make(), v);
      let alerts = 0;
      let best = 0;
      for (let i = at; i < at + 100; i++) {
        if (r.score[i] > 0) alerts++;
        best = Math.max(best, r.score[i]);
      }
      expect(best).toBeGreaterThanOrEqual(25);
      expect(alerts).toBeLessThanOrEqual(2);
      // and its highest score is near the spike
      let arg = at;
      for (let i = at; i < at + 100; i++) if (r.score[i] > r.score[arg]) arg = i;
      expect(arg - at).toBeLessThan(50);
    });
  });
});
