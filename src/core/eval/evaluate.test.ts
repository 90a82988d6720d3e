import { describe, expect, it } from 'vitest';
import { evaluateCorpus, windowRegions, type EvalFileInput } from './evaluate.js';

const MIN = 60_000;
const times = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i * MIN);

function file(key: string, n: number, flagged: number[], windows: Array<[number, number]>, kinds?: string[], onsets?: number[]): EvalFileInput {
  const scores = new Float64Array(n);
  for (const i of flagged) scores[i] = 0.9;
  return {
    key,
    category: key.split('/')[0],
    times: times(n),
    scores,
    windows: windows.map(([a, b]) => [a * MIN, b * MIN] as const),
    kinds,
    onsets: onsets?.map((i) => i * MIN),
  };
}

describe('evaluateCorpus', () => {
  it('uses the standard threshold for region metrics, leaves probation out, reports kinds and categories', () => {
    const files = [
      // 1000 rows → probation 150; the flag at 100 is in probation and must not count
      file('a/one.csv', 1000, [100, 400, 401, 800], [[390, 420], [700, 720]], ['spike', 'dip'], [405, 710]),
      file('b/two.csv', 1000, [500], [[480, 520]], ['spike']),
      file('b/none.csv', 1000, [], []),
    ];
    const ev = evaluateCorpus(files);
    expect(ev.thresholds.standard).toBe(0.9);
    expect(ev.regions).toMatchObject({ ta: 3, tad: 2, tp: 2, fp: 1 });
    expect(ev.regions.recall).toBeCloseTo(2 / 3, 12);
    expect(ev.categories.map((c) => c.category)).toEqual(['a', 'b']);
    expect(ev.categories[1]).toMatchObject({ files: 2, windows: 1 });
    expect(ev.categories[1].regions).toMatchObject({ ta: 1, tad: 1, tp: 1, fp: 0 });
    expect(ev.kinds).toEqual([
      { kind: 'dip', count: 1, detected: 0, rate: 0 },
      { kind: 'spike', count: 2, detected: 2, rate: 1 },
    ]);
    // time to detect: from the onset 405 (first flag 400 → −5) and from the window start 480 (→ 20)
    expect(ev.mttd.detected).toBe(2);
    expect(ev.mttd.rows).toBe(7.5);
    expect(ev.mttd.ms).toBe(7.5 * MIN);
    expect(ev.nab.standard).toBeGreaterThan(0);
  });

  it('drops windows wholly inside probation from the regions', () => {
    const f = file('a/x.csv', 1000, [], [[10, 20], [100, 200], [500, 510]]);
    const regs = windowRegions(f, 150);
    expect(regs.map((r) => [r.start, r.end])).toEqual([
      [150, 200],
      [500, 510],
    ]);
  });
});
