/**
 * QA: numerical robustness of `auto` (the point model plus matrix-profile) on series users send:
 * a level of 1e9 with noise 1e-3, an abrupt shift of 1e8, 1e12 values, negative values, constant
 * series, runs of missing buckets, all missing. Scores stay in [0, 100] with finite probability and
 * multi-bucket impact; two runs are identical; a state saved and restored (JSON) at any bucket
 * around the buffers' compaction continues bit for bit.
 */
import { describe, expect, it } from 'vitest';
import '../all.js';
import { newOutput } from '../detector.js';
import { createDetector, restoreDetector } from '../registry.js';
import { Random } from '../../random.js';

const SPAN = 300_000;
const N = 5000;
const rng = new Random(3);
const noise = Float64Array.from({ length: N }, () => rng.normal());

const cases: Record<string, Float64Array> = {
  'level 1e9, noise 1e-3': noise.map((x, i) => 1e9 + 1e-3 * x + 1e-3 * Math.sin(i / 20)),
  'shift of 1e8 at level 1e9': noise.map((x, i) => 1e9 + 1e-3 * x + (i >= 3000 ? 1e8 : 0)),
  '1e12 with unit noise': noise.map((x) => 1e12 + x),
  negative: noise.map((x, i) => -50 + 5 * Math.sin(i / 30) + x + (i === 3500 ? -40 : 0)),
  constant: noise.map(() => 7),
  zeros: noise.map(() => 0),
  'runs of missing buckets': noise.map((x, i) => (i % 500 < 50 ? NaN : 10 * Math.sin(i / 15) + x)),
  'all missing': noise.map(() => NaN),
};

/** Scores, probabilities and kinds; restored from JSON at bucket `cut` when given. */
function run(v: Float64Array, cut = -1): { trace: unknown[]; scores: number[] } {
  let d = createDetector('auto', { bucketSpanMs: SPAN });
  const out = newOutput();
  const trace: unknown[] = [];
  const scores: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (i === cut) d = restoreDetector(JSON.parse(JSON.stringify(d.toState())));
    d.update(i * SPAN, v[i], out);
    trace.push(out.score, out.probability, out.multiBucketImpact, out.kind, out.typical);
    scores.push(out.score);
    expect(out.score >= 0 && out.score <= 100, `bucket ${i}: score ${out.score}`).toBe(true);
    expect(Number.isFinite(out.probability) && Number.isFinite(out.multiBucketImpact), `bucket ${i}`).toBe(true);
  }
  return { trace, scores };
}

describe('auto: numerical robustness (QA)', () => {
  for (const [name, v] of Object.entries(cases)) {
    it(`${name}: scores in [0, 100], deterministic, state round trip bit for bit`, () => {
      const a = run(v);
      expect(run(v).trace).toEqual(a.trace);
      for (const cut of [3993, 4001, 4007]) expect(run(v, cut).trace).toEqual(a.trace);
      if (name === 'constant' || name === 'zeros' || name === 'all missing' || name.startsWith('level 1e9') || name.startsWith('1e12')) {
        // nothing happens in these series: nothing is flagged
        expect(Math.max(...a.scores)).toBe(0);
      }
      if (name.startsWith('shift')) expect(Math.max(...a.scores.slice(3000, 3010))).toBeGreaterThanOrEqual(75);
    });
  }

  it('matrix-profile alone: round trip at every bucket of a compaction cycle', () => {
    const spec = { window: 100, subsequence: 48, period: 1, skipGaps: true };
    const v = cases['shift of 1e8 at level 1e9'];
    const go = (cut: number) => {
      let d = createDetector('matrix-profile', { bucketSpanMs: SPAN }, spec);
      const out = newOutput();
      const s: number[] = [];
      for (let i = 0; i < 3300; i++) {
        if (i === cut) d = restoreDetector(JSON.parse(JSON.stringify(d.toState())));
        d.update(i * SPAN, v[i], out);
        s.push(out.score, out.probability);
      }
      return { s, state: JSON.stringify(d.toState()) };
    };
    const ref = go(-1);
    for (let cut = 2950; cut < 3000; cut++) expect(go(cut)).toEqual(ref);
  });
});
