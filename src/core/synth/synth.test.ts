import { describe, expect, it } from 'vitest';
import { parseNabCsv, parseNabTime } from '../eval/nab-csv.js';
import { SYNTH_KINDS, generateSeries, type SeriesSpec } from './generate.js';
import { suiteToNabLayout } from './nab-layout.js';
import { defaultSuite, generateSuite, suiteSpecs } from './suite.js';

const layout = (seed: number, files?: number) => suiteToNabLayout(generateSuite({ seed, files }), { seed, suite: 'default' });

describe('synthetic suite', () => {
  it('is deterministic: same seed, identical bytes; another seed, other bytes', () => {
    const a = layout(7, 12);
    const b = layout(7, 12);
    expect(a.map((f) => f.path)).toEqual(b.map((f) => f.path));
    for (let i = 0; i < a.length; i++) expect(a[i].content === b[i].content, a[i].path).toBe(true);
    const c = layout(8, 12);
    expect(c.find((f) => f.path.endsWith('.csv'))!.content).not.toBe(a.find((f) => f.path.endsWith('.csv'))!.content);
  });

  it('has every anomaly kind, each labelled with a window around its onset', () => {
    const files = layout(1);
    const get = (p: string) => JSON.parse(files.find((f) => f.path === p)!.content);
    const windows = get('labels/combined_windows.json') as Record<string, [string, string][]>;
    const labels = get('labels/combined_labels.json') as Record<string, string[]>;
    const kinds = get('labels/kinds.json') as Record<string, Array<{ kind: string; start: string; end: string; window: [string, string] }>>;
    const seen = new Set<string>();
    const csvs = files.filter((f) => f.path.startsWith('data/'));
    expect(csvs.length).toBe(defaultSuite().length);
    expect(csvs.length).toBeGreaterThanOrEqual(40);
    for (const f of csvs) {
      const key = f.path.slice('data/'.length);
      const table = parseNabCsv(f.content);
      expect(table.times.length).toBeGreaterThan(2000);
      for (let i = 1; i < table.times.length; i++) expect(table.times[i]).toBeGreaterThan(table.times[i - 1]);
      expect(windows[key].length).toBe(kinds[key].length);
      expect(labels[key].length).toBe(kinds[key].length);
      kinds[key].forEach((k, i) => {
        seen.add(k.kind);
        const [ws, we] = windows[key][i].map(parseNabTime);
        const onset = parseNabTime(labels[key][i]);
        expect(table.stamps).toContain(labels[key][i]);
        expect(table.stamps).toContain(windows[key][i][0].slice(0, 19));
        expect(onset).toBeGreaterThanOrEqual(ws);
        expect(onset).toBeLessThanOrEqual(we);
        expect(k.window).toEqual(windows[key][i]);
        if (i > 0) expect(ws).toBeGreaterThan(parseNabTime(windows[key][i - 1][1]));
        // onsets lie after NAB's probation
        expect(table.stamps.indexOf(labels[key][i])).toBeGreaterThan(0.15 * table.times.length);
      });
    }
    expect([...seen].sort()).toEqual([...SYNTH_KINDS].sort());
  });

  it('injects what the label says', () => {
    const base: Omit<SeriesSpec, 'anomalies' | 'name'> = { category: 't', stepMs: 3_600_000, rows: 2688, level: 100, daily: 'business', amplitude: 80, weekly: true, noise: { model: 'gaussian', sigma: 2 } };
    const spike = generateSeries({ ...base, name: 's', anomalies: ['spike'] }, 3);
    const a = spike.anomalies[0];
    const v = spike.valueTexts.map(Number);
    const before = v.slice(a.onsetRow - 24 * 7 - 1, a.onsetRow - 24 * 7 + 2); // same hour last week
    expect(v[a.onsetRow] - Math.max(...before)).toBeGreaterThan(6); // ≥ 6σ above, σ = 2

    const out = generateSeries({ ...base, name: 'o', noise: { model: 'poisson' }, anomalies: ['outage_zero', 'outage_missing'] }, 3);
    const [zero, gap] = out.anomalies;
    const times = out.stamps.map(parseNabTime);
    for (let i = 0; i < times.length; i++) {
      if (times[i] >= zero.startMs && times[i] <= zero.endMs) expect(out.valueTexts[i]).toBe('0');
      expect(times[i] >= gap.startMs && times[i] <= gap.endMs).toBe(false); // no data during the gap
    }
    expect(times[gap.onsetRow]).toBeGreaterThan(gap.endMs);

    const pat = generateSeries({ ...base, name: 'p', anomalies: ['weekday_as_sunday', 'wellness_day', 'weekend_as_weekday'] }, 3);
    const days = pat.anomalies.map((x) => new Date(x.startMs));
    for (const d of days) expect(d.getUTCHours()).toBe(0);
    expect(days[0].getUTCDay()).toBeGreaterThanOrEqual(1);
    expect(days[0].getUTCDay()).toBeLessThanOrEqual(5);
    expect(days[1].getUTCDay()).toBe(5);
    expect([0, 6]).toContain(days[2].getUTCDay());
    // a weekday that looks like a Sunday: its 13:00 value is far below the weekday peak
    const pv = pat.valueTexts.map(Number);
    const noon = pat.anomalies[0].onsetRow + 13;
    expect(pv[noon - 24 * 7] - pv[noon]).toBeGreaterThan(40);
  });

  it('--files takes files round-robin across categories', () => {
    const specs = suiteSpecs({ files: 10 });
    expect(specs.length).toBe(10);
    expect(new Set(specs.map((s) => s.category)).size).toBe(10);
  });
});
