import { describe, expect, it } from 'vitest';
import '../all.js';
import { createDetector } from '../registry.js';
import { newOutput, type Detector } from '../detector.js';
import { Random } from '../../random.js';

const SPAN = 300_000;
const LEAN = { window: 100, subsequence: 48, period: 1, skipGaps: true };

interface Inner {
  n: number;
  m: number;
  agg: Float64Array;
  spread: Float64Array;
  spec: { window: number };
  nearest(): number;
}

/** The nearest-neighbour distance written out directly (mean-removed values and block ranges). */
function bruteForce(d: Inner): number {
  const { n, m, agg, spread } = d;
  const mean = (e: number): number => {
    let s = 0;
    for (let i = e - m + 1; i <= e; i++) s += agg[i];
    return s / m;
  };
  const q0 = n - m;
  const qm = mean(n - 1);
  const last = n - 2 * m;
  let best = Infinity;
  for (let s = Math.max(0, last - d.spec.window); s <= last; s++) {
    const cm = mean(s + m - 1);
    let acc = 0;
    for (let i = 0; i < m; i++) {
      const e = agg[q0 + i] - qm - (agg[s + i] - cm);
      const f = spread[q0 + i] - spread[s + i];
      acc += e * e + f * f;
    }
    best = Math.min(best, acc);
  }
  return Math.sqrt(best / m);
}

/** Runs a detector, checking every neighbour search against the direct computation. */
function checked(v: Float64Array, spec: Record<string, unknown>): { worst: number; searches: number; scores: number[] } {
  const det: Detector = createDetector('matrix-profile', { bucketSpanMs: SPAN }, spec);
  const inner = det as unknown as Inner;
  const fast = inner.nearest.bind(inner);
  let worst = 0;
  let searches = 0;
  inner.nearest = () => {
    const got = fast();
    const want = bruteForce(inner);
    // relative to the series' scale: the distance itself may be ~0
    const scale = Math.max(1, Math.abs(inner.agg[inner.n - 1]) * 1e-9, want);
    worst = Math.max(worst, Math.abs(got - want) / scale);
    searches++;
    return got;
  };
  const out = newOutput();
  const scores: number[] = [];
  for (let i = 0; i < v.length; i++) {
    det.update(i * SPAN, v[i], out);
    scores.push(out.score);
  }
  return { worst, searches, scores };
}

describe('matrix-profile neighbour search (running dot products)', () => {
  const rng = new Random(4);
  const n = 4000;
  const base = new Float64Array(n).map((_, i) => 10 * Math.sin((2 * Math.PI * i) / 288) + rng.normal() + (i % 97 === 0 ? 8 : 0));

  it('finds the same nearest distance as the direct search, at every step', () => {
    for (const spec of [LEAN, { window: 60 }]) {
      const r = checked(base, spec);
      expect(r.searches).toBeGreaterThan(500);
      expect(r.worst).toBeLessThan(1e-9);
    }
  });

  it('stays exact on a large level with small noise, across a huge level shift and gaps', () => {
    const v = base.map((x, i) => 1e9 + (i >= 2500 ? 5e8 : 0) + x * 1e-3);
    for (let i = 1000; i < 1100; i++) v[i] = NaN;
    const r = checked(v, LEAN);
    // the distances are ~1e-3 on values of 1e9: cancellation would show up as errors of ~1e-3 or more
    expect(r.worst).toBeLessThan(1e-9);
  });

  it('scores the same shapes the same at any level (the offset follows the data)', () => {
    const low = checked(base, LEAN).scores;
    const high = checked(base.map((x) => x + 1e7), LEAN).scores;
    let differ = 0;
    for (let i = 0; i < n; i++) if (Math.abs(low[i] - high[i]) > 1e-6) differ++;
    expect(differ).toBe(0);
  });

  it('keeps no history ring when the period and subsequence are fixed', () => {
    const lean = createDetector('matrix-profile', { bucketSpanMs: SPAN }, LEAN);
    const detecting = createDetector('matrix-profile', { bucketSpanMs: SPAN }, { window: 100 });
    const out = newOutput();
    for (let i = 0; i < 3000; i++) {
      lean.update(i * SPAN, base[i], out);
      detecting.update(i * SPAN, base[i], out);
    }
    expect(lean.memoryBytes()).toBeLessThan(9_000);
    expect(detecting.memoryBytes()).toBeGreaterThan(lean.memoryBytes() + 40_000);
  });
});

describe('matrix-profile and gaps', () => {
  it('with skipGaps, a stretch holding a gap is not judged: the gap is missing data, not a new shape', () => {
    const rng = new Random(12);
    const v = new Float64Array(3000).map((_, i) => 10 * Math.sin((2 * Math.PI * i) / 96) + 0.3 * rng.normal());
    for (let i = 2000; i < 2060; i++) v[i] = NaN;
    const run = (spec: Record<string, unknown>): number[] => {
      const d = createDetector('matrix-profile', { bucketSpanMs: SPAN }, spec);
      const out = newOutput();
      return Array.from(v, (x, i) => (d.update(i * SPAN, x, out), out.score));
    };
    // judged, the flat fill of the gap reads as a shape never seen; skipped, nothing is reported
    expect(Math.max(...run({ ...LEAN, skipGaps: false }).slice(2000, 2200))).toBeGreaterThan(25);
    expect(Math.max(...run(LEAN).slice(2000, 2300))).toBe(0);
  });
});

describe('matrix-profile in the model clock', () => {
  const rng = new Random(9);
  const n = 3000;
  const v = new Float64Array(n).map((_, i) => 10 * Math.sin((2 * Math.PI * i) / 96) + 0.3 * rng.normal());

  /** Feeds (time index, value) pairs; returns the scores and the final state. */
  function feed(pairs: [number, number][]): { scores: number[]; state: string } {
    const d = createDetector('matrix-profile', { bucketSpanMs: SPAN }, LEAN);
    const out = newOutput();
    const scores = pairs.map(([t, x]) => (d.update(t * SPAN, x, out), out.score));
    return { scores, state: JSON.stringify(d.toState()) };
  }

  it('a model clock that jumps ahead (force_time_shift, spring forward) reads the skipped buckets as missing', () => {
    const jumped = feed(Array.from(v, (x, i) => [i < 2000 ? i : i + 12, x] as [number, number]));
    const withGap = feed([...Array.from(v.subarray(0, 2000), (x, i) => [i, x] as [number, number]), ...Array.from({ length: 12 }, (_, k) => [2000 + k, NaN] as [number, number]), ...Array.from(v.subarray(2000), (x, i) => [2012 + i, x] as [number, number])]);
    expect(jumped.state.replace(/"lastTime":\d+/, '')).toEqual(withGap.state.replace(/"lastTime":\d+/, ''));
    expect(jumped.scores).toEqual([...withGap.scores.slice(0, 2000), ...withGap.scores.slice(2012)]);
  });

  it('a model clock that goes back (fall back) scores the repeated buckets without learning them', () => {
    // buckets 2000–2011 come again at model times already read, then the clock goes on
    const pairs: [number, number][] = Array.from(v, (x, i) => [i < 2000 ? i : i < 2012 ? i - 12 : i - 12, x] as [number, number]);
    const back = feed(pairs);
    const without = feed(pairs.filter((_, i) => i < 2000 || i >= 2012).map(([, x], i) => [i, x] as [number, number]));
    expect(back.scores.slice(0, 2000)).toEqual(without.scores.slice(0, 2000));
    expect(back.scores.slice(2012)).toEqual(without.scores.slice(2000));
    expect(back.scores.slice(2000, 2012).every((s) => s >= 0 && s <= 100)).toBe(true);
  });
});
