import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNabCsv, parseNabTime } from './nab-csv.js';
import {
  NAB_PROFILES,
  normaliseScore,
  prepareSweep,
  probationLength,
  round2,
  scaledSigmoid,
  scoreNab,
  type NabFileInput,
} from './nab-score.js';

const NAB_DEV = fileURLToPath(new URL('../../../../shared/data/nab-dev/', import.meta.url));

function loadResults(detector: string): NabFileInput[] {
  const windows = JSON.parse(readFileSync(join(NAB_DEV, 'labels/combined_windows.json'), 'utf8')) as Record<string, [string, string][]>;
  const files: NabFileInput[] = [];
  for (const cat of readdirSync(join(NAB_DEV, 'data')).sort()) {
    for (const name of readdirSync(join(NAB_DEV, 'data', cat)).sort()) {
      const t = parseNabCsv(readFileSync(join(NAB_DEV, 'results', detector, cat, `${detector}_${name}`), 'utf8'));
      const w = windows[`${cat}/${name}`];
      expect(w, `labels for ${cat}/${name}`).toBeDefined();
      files.push({ name: `${cat}/${name}`, times: t.times, scores: t.scores!, windows: w.map(([a, b]) => [parseNabTime(a), parseNabTime(b)] as const) });
    }
  }
  return files;
}

describe('NAB scorer on nab-dev reference results', () => {
  it('reproduces the null detector row (0.00 / 0.00 / 0.00)', () => {
    const files = loadResults('null');
    expect(files.length).toBe(27);
    const r = scoreNab(files);
    expect(round2(r.standard.score)).toBe(0);
    expect(round2(r.reward_low_FP_rate.score)).toBe(0);
    expect(round2(r.reward_low_FN_rate.score)).toBe(0);
  });

  it('reproduces the twitterADVec row (51.57 / 38.71 / 58.10)', () => {
    const r = scoreNab(loadResults('twitterADVec'));
    expect(round2(r.standard.score)).toBe(51.57);
    expect(round2(r.reward_low_FP_rate.score)).toBe(38.71);
    expect(round2(r.reward_low_FN_rate.score)).toBe(58.1);
    // the official scorer's per-row S(t) columns sum to the same raw standard score
    expect(r.standard.raw).toBeCloseTo(1.6304785635709949, 9);
    const perFile = r.standard.files.reduce((a, f) => a + f.score, 0);
    expect(perFile).toBeCloseTo(r.standard.raw, 9);
  });
});

describe('NAB scoring rules', () => {
  const minute = 60_000;
  const times = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i * minute);

  it('scaled sigmoid and probation follow NAB', () => {
    expect(scaledSigmoid(3.5)).toBe(-1);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(-1)).toBeCloseTo(0.9866142981514305, 12);
    expect(probationLength(1000)).toBe(150);
    expect(probationLength(100_000)).toBe(750);
  });

  it('counts only the earliest detection of a window, edges inclusive, nothing in probation', () => {
    const n = 200; // probation 30 rows
    const scores = new Float64Array(n);
    const win = [100 * minute, 119 * minute] as const; // 20 rows
    scores[100] = 1; // left edge: worth A_TP exactly
    scores[110] = 1; // later detection in the same window: ignored
    scores[10] = 1; // in probation: ignored
    const r = scoreNab([{ name: 'a', times: times(n), scores, windows: [win] }]);
    expect(r.standard.threshold).toBe(1);
    expect(r.standard.raw).toBeCloseTo(1, 12);
    expect(r.standard.score).toBeCloseTo(100, 9);
    // right edge alone: σ(−1/20)/σ(−1)
    const s2 = new Float64Array(n);
    s2[119] = 0.7;
    const r2 = scoreNab([{ name: 'a', times: times(n), scores: s2, windows: [win] }]);
    expect(r2.standard.raw).toBeCloseTo(scaledSigmoid(-1 / 20) / scaledSigmoid(-1), 12);
    expect(r2.standard.threshold).toBe(0.7);
  });

  it('weights false positives by distance after the previous window, −A_FP when far or before any', () => {
    const n = 400;
    const win = [100 * minute, 120 * minute] as const; // 21 rows, right edge 120
    const rows = prepareSweep([{ name: 'a', times: times(n), scores: new Float64Array(n), windows: [win] }]);
    const at = (i: number): number => rows.sigma[rows.row.indexOf(i)];
    expect(at(70)).toBe(-1); // before any window
    expect(at(130)).toBeCloseTo(scaledSigmoid(10 / 20), 12);
    expect(at(120 + 61)).toBe(-1); // more than 3 widths past
    // a lone FP far away under each profile costs A_FP; the sweep prefers detecting nothing
    const scores = new Float64Array(n);
    scores[300] = 1;
    const r = scoreNab([{ name: 'a', times: times(n), scores, windows: [win] }]);
    expect(r.standard.threshold).toBe(1.1);
    expect(r.standard.raw).toBe(-1);
    const scores2 = new Float64Array(n);
    scores2[300] = 1;
    scores2[105] = 1;
    const r2 = scoreNab([{ name: 'a', times: times(n), scores: scores2, windows: [win] }]);
    const tp = scaledSigmoid(-(120 - 105 + 1) / 21) / scaledSigmoid(-1);
    expect(r2.standard.raw).toBeCloseTo(tp - 0.11, 12);
    expect(r2.reward_low_FP_rate.raw).toBeCloseTo(tp - 0.22, 12);
    expect(r2.reward_low_FN_rate.score).toBeCloseTo(normaliseScore(tp - 0.11, NAB_PROFILES.reward_low_FN_rate, 1, 1), 12);
  });
});
