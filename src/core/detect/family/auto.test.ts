import { describe, expect, it } from 'vitest';
import '../all.js';
import { createDetector } from '../registry.js';
import { newOutput } from '../detector.js';
import { Random } from '../../random.js';
import { AUTO_MEMBERS } from './auto.js';

function outputs(type: string, spec: Record<string, unknown> | undefined, v: Float64Array): { score: number; kind: string; explanation: string }[] {
  const d = createDetector(type, { bucketSpanMs: 300_000 }, spec);
  const out = newOutput();
  const r: { score: number; kind: string; explanation: string }[] = [];
  for (let i = 0; i < v.length; i++) {
    d.update(Date.UTC(2024, 0, 1) + i * 300_000, v[i], out);
    r.push({ score: out.score, kind: out.kind, explanation: out.explanation });
  }
  return r;
}

function scores(type: string, spec: Record<string, unknown> | undefined, v: Float64Array): number[] {
  return outputs(type, spec, v).map((o) => o.score);
}

describe('auto', () => {
  const rng = new Random(21);
  const v = new Float64Array(3000).map((_, i) => 20 + 5 * Math.sin((2 * Math.PI * i) / 288) + rng.normal() + (i === 2500 ? 30 : 0));

  it('with one calibrated member scores exactly as that member (no second calibration)', () => {
    expect(scores('auto', { members: [{ type: 'stl-residual' }] }, v)).toEqual(scores('stl-residual', undefined, v));
    expect(scores('auto', { members: [{ type: 'stl-residual' }], combine: 'mean' }, v)).toEqual(scores('stl-residual', undefined, v));
  });

  // a change of rhythm: a spike every 4 hours, then every hour, at the same height
  const rr = new Random(1);
  const rhythm = new Float64Array(4000).map((_, i) => 20 + rr.normal() + ((i < 3000 ? i % 48 === 0 : i % 12 === 0) ? 15 : 0));

  it('combines by score: the largest of the members’ own scores, each times its weight', () => {
    const a = scores('auto', undefined, rhythm);
    const d = scores('default', undefined, rhythm);
    const mp = scores('matrix-profile', AUTO_MEMBERS[1].spec, rhythm);
    expect(a).toEqual(d.map((x, i) => Math.max(x, 0.4 * mp[i])));
    expect(a.some((x, i) => x > d[i])).toBe(true);
  });

  it('catches a change of rhythm that the default model alone does not see, as a pattern', () => {
    const d = scores('default', undefined, rhythm);
    const a = outputs('auto', undefined, rhythm);
    expect(Math.max(...d.slice(3000, 3300))).toBeLessThan(25);
    // before the change the shape member adds nothing that reaches an alert
    for (let i = 700; i < 3000; i++) if (a[i].score !== d[i]) expect(a[i].score).toBeLessThan(25);
    const hit = a.slice(3000, 3300).find((o) => o.score >= 25);
    expect(hit?.kind).toBe('pattern');
    expect(hit?.explanation).toMatch(/^matrix-profile: /);
  });

  it('reports for a shape the probability its weighted score stands for', async () => {
    const { scoreOfProbability } = await import('./calibrator.js');
    const d = createDetector('auto', { bucketSpanMs: 300_000 });
    const out = newOutput();
    let checked = 0;
    rhythm.forEach((x, i) => {
      d.update(Date.UTC(2024, 0, 1) + i * 300_000, x, out);
      if (out.kind === 'pattern' && out.score > 0) {
        expect(scoreOfProbability(out.probability)).toBeCloseTo(out.score, 6);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(0);
  });

    it('one huge outlier earlier does not leave the shape member deaf to the later change of rhythm', () => {
    for (const glitch of [60, 2000]) {
      const v = Float64Array.from(rhythm);
      v[1500] = glitch;
      const a = outputs('auto', undefined, v);
      expect(a[1500].score).toBeGreaterThan(50); // the outlier itself
      expect(Math.max(...a.slice(3000, 3300).map((o) => o.score))).toBeGreaterThanOrEqual(25);
    }
  });

  it('a one-sided detector hears the shape member not at all (a new shape has no direction)', () => {
    const dips = rhythm.map((x) => 40 - x); // the same change of rhythm, downwards
    for (const side of ['high', 'low'] as const) {
      const run = (type: string): number[] => {
        const d = createDetector(type, { bucketSpanMs: 300_000, side });
        const out = newOutput();
        return Array.from(dips, (x, i) => (d.update(Date.UTC(2024, 0, 1) + i * 300_000, x, out), out.score));
      };
      expect(run('auto')).toEqual(run('default'));
      // so the shape member is not even built: the point model's cost
      const lean = createDetector('auto', { bucketSpanMs: 300_000, side });
      expect(JSON.stringify(lean.toState())).not.toContain('matrix-profile');
      expect(lean.memoryBytes()).toBeLessThan(createDetector('default', { bucketSpanMs: 300_000, side }).memoryBytes() + 1024);
    }
    expect(Math.max(...scores('auto', undefined, dips).slice(3000, 3300))).toBeGreaterThanOrEqual(25);
  });

  it('refuses a weight outside [0, 1] and an unknown combination', () => {
    expect(() => createDetector('auto', { bucketSpanMs: 1 }, { members: [{ type: 'default', weight: 2 }] })).toThrow(/weight/);
    expect(() => createDetector('auto', { bucketSpanMs: 1 }, { members: [{ type: 'default' }], combine: 'median' })).toThrow(/combine/);
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
