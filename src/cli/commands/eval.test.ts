import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newOutput, type Detector, type DetectorFactory } from '../../core/detect/detector.js';
import { registerDetector } from '../../core/detect/registry.js';
import { runCli } from '../test-kit.js';

/** A small causal detector for the harness: |z| of the value against the last 100 values. */
const zFactory: DetectorFactory = {
  type: 'test-z',
  description: 'test detector: z-score over a trailing window',
  create(): Detector {
    const buf: number[] = [];
    return {
      type: 'test-z',
      coldStartBuckets: 20,
      update(_time, value, out) {
        Object.assign(out, newOutput());
        if (Number.isNaN(value)) return;
        if (buf.length >= 20) {
          const mean = buf.reduce((a, b) => a + b, 0) / buf.length;
          const sd = Math.sqrt(buf.reduce((a, b) => a + (b - mean) ** 2, 0) / buf.length) || 1;
          const z = Math.abs(value - mean) / sd;
          out.score = Math.min(100, Math.max(0, (z - 3) * 25));
        }
        buf.push(value);
        if (buf.length > 100) buf.shift();
      },
      toState: () => ({ type: 'test-z', version: 1, spec: {}, state: {} }),
      memoryBytes: () => 800,
    };
  },
  fromState(): Detector {
    return zFactory.create({ bucketSpanMs: 60_000 });
  },
};
registerDetector(zFactory);

const run = (...argv: string[]) => runCli(argv);

let tmp: string;
let corpus: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'vigil-eval-'));
  corpus = join(tmp, 'suite');
  const r = await run('synth', '--out', corpus, '--seed', '5', '--files', '6');
  expect(r.code, r.err).toBe(0);
  expect(r.out).toMatch(/Wrote 6 files/);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vigil eval', () => {
  it('runs a detector, writes NAB results and prints the table', async () => {
    const out = join(tmp, 'res');
    const r = await run('eval', corpus, '--detector', 'test-z', '--out', out, '--jobs', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Detector test-z on .*: 6 files/);
    expect(r.out).toMatch(/^category\s+files\s+windows\s+standard\s+low_FP\s+low_FN\s+TA\s+TAD\s+TP\s+FP\s+precision\s+recall\s+F1$/m);
    expect(r.out).toMatch(/^overall\s+6\s+\d+\s+-?\d+\.\d\d\s+-?\d+\.\d\d\s+-?\d+\.\d\d/m);
    expect(r.out).toMatch(/standard profile's optimal threshold/);
    expect(r.out).toMatch(/Detection rate per anomaly kind/);
    // results in NAB layout, one row per input row, timestamps verbatim
    const data = readFileSync(join(corpus, 'data/spike/gauss_daily_5m.csv'), 'utf8').trim().split('\n');
    const res = readFileSync(join(out, 'test-z/spike/test-z_gauss_daily_5m.csv'), 'utf8').trim().split('\n');
    expect(res[0]).toBe('timestamp,value,anomaly_score,label');
    expect(res.length).toBe(data.length);
    for (let i = 1; i < data.length; i += 97) expect(res[i].split(',').slice(0, 2)).toEqual(data[i].split(','));
    expect(res.slice(1).some((l) => Number(l.split(',')[2]) > 0)).toBe(true);
    // label: 1 inside the labelled windows
    const windows = JSON.parse(readFileSync(join(corpus, 'labels/combined_windows.json'), 'utf8'))['spike/gauss_daily_5m.csv'] as string[][];
    const inside = res.slice(1).filter((l) => l.endsWith(',1')).map((l) => l.split(',')[0]);
    expect(inside[0]).toBe(windows[0][0].slice(0, 19));
    expect(inside.at(-1)).toBe(windows.at(-1)![1].slice(0, 19));
  });

  it('prints JSON in the documented shape, and --score-only reproduces it from the results', async () => {
    const out = join(tmp, 'res-json');
    const r = await run('eval', corpus, '--detector', 'test-z', '--out', out, '--jobs', '1', '--format', 'json');
    expect(r.code, r.err).toBe(0);
    const arr = JSON.parse(r.out) as Array<Record<string, any>>;
    expect(Array.isArray(arr)).toBe(true);
    expect(arr).toHaveLength(1);
    const d = arr[0];
    expect(d.detector).toBe('test-z');
    expect(Object.keys(d.nab).sort()).toEqual(['reward_low_FN_rate', 'reward_low_FP_rate', 'standard']);
    for (const v of Object.values(d.nab)) expect(Math.round((v as number) * 100) / 100).toBe(v);
    expect(Object.keys(d.regions).sort()).toEqual(['f1', 'fp', 'precision', 'recall', 'ta', 'tad', 'tp']);
    expect(typeof d.seconds).toBe('number');
    expect(d.regions.ta).toBeGreaterThan(0);

    const s = await run('eval', corpus, '--score-only', out, '--format', 'json');
    expect(s.code, s.err).toBe(0);
    const sd = JSON.parse(s.out) as Array<Record<string, any>>;
    expect(sd.map((x) => x.detector)).toEqual(['test-z']);
    expect(sd[0].nab).toEqual(d.nab);
    expect(sd[0].regions).toEqual(d.regions);
  });

  it('--all prints detectors side by side', async () => {
    const r = await run('eval', corpus, '--all', '--out', join(tmp, 'res-all'), '--jobs', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^detector\s+standard\s+low_FP\s+low_FN/m);
    expect(r.out).toMatch(/^test-z\s+-?\d+\.\d\d/m);
    expect(r.out).toMatch(/NAB standard by category/);
  });

  it('--live replays train-predict with retraining', async () => {
    const r = await run('eval', corpus, '--detector', 'test-z', '--out', join(tmp, 'res-live'), '--jobs', '1', '--live', '--train-window', '500', '--retrain-every', '100', '--format', 'json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)[0].detector).toBe('test-z');
  });

  it('exit codes: 2 for usage, 1 for errors', async () => {
    expect((await run('eval')).code).toBe(2);
    expect((await run('eval', corpus, '--format', 'xml')).code).toBe(2);
    expect((await run('eval', corpus, '--all', '--detector', 'test-z')).code).toBe(2);
    expect((await run('eval', corpus, '--live')).code).toBe(2);
    expect((await run('eval', corpus, '--bogus')).code).toBe(2);
    const missing = await run('eval', join(tmp, 'nope'), '--detector', 'test-z');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/FILE_NOT_FOUND/);
    const unknown = await run('eval', corpus, '--detector', 'no-such-detector', '--jobs', '1');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/UNKNOWN_DETECTOR/);
    expect((await run('eval', corpus, '--score-only', join(tmp, 'nope'))).code).toBe(1);
    expect(existsSync(join(tmp, 'nope'))).toBe(false);
  });
});

describe('vigil synth', () => {
  it('exit codes: 2 without --out or with a bad seed', async () => {
    expect((await run('synth')).code).toBe(2);
    expect((await run('synth', '--out', join(tmp, 'x'), '--seed', 'abc')).code).toBe(2);
    expect((await run('synth', '--out', join(tmp, 'x'), '--suite', 'nope')).code).toBe(2);
  });

  it('same seed, same bytes on disk', async () => {
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    expect((await run('synth', '--out', a, '--seed', '9', '--files', '3')).code).toBe(0);
    expect((await run('synth', '--out', b, '--seed', '9', '--files', '3')).code).toBe(0);
    for (const p of ['labels/combined_windows.json', 'labels/kinds.json', 'data/dip/gauss_daily_5m.csv']) {
      expect(readFileSync(join(a, p), 'utf8')).toBe(readFileSync(join(b, p), 'utf8'));
    }
  });
});
