import { describe, expect, it } from 'vitest';
import '../all.js';
import { createDetector } from '../registry.js';
import { newOutput } from '../detector.js';
import { Random } from '../../random.js';

function scores(type: string, spec: Record<string, unknown> | undefined, v: Float64Array): number[] {
  const d = createDetector(type, { bucketSpanMs: 300_000 }, spec);
  const out = newOutput();
  const r: number[] = [];
  for (let i = 0; i < v.length; i++) {
    d.update(Date.UTC(2024, 0, 1) + i * 300_000, v[i], out);
    r.push(out.score);
  }
  return r;
}

describe('auto', () => {
  const rng = new Random(21);
  const v = new Float64Array(3000).map((_, i) => 20 + 5 * Math.sin((2 * Math.PI * i) / 288) + rng.normal() + (i === 2500 ? 30 : 0));

  it('with one calibrated member scores exactly as that member (no second calibration)', () => {
    expect(scores('auto', { members: [{ type: 'stl-residual' }] }, v)).toEqual(scores('stl-residual', undefined, v));
  });

  it('combines its default members and flags the spike', () => {
    const s = scores('auto', undefined, v);
    expect(Math.max(...s.slice(2500, 2510))).toBeGreaterThan(25);
  });

  it('refuses itself or an empty list as members', () => {
    expect(() => createDetector('auto', { bucketSpanMs: 1 }, { members: [] })).toThrow(/members/);
    expect(() => createDetector('auto', { bucketSpanMs: 1 }, { members: [{ type: 'auto' }] })).toThrow(/members/);
  });
});
