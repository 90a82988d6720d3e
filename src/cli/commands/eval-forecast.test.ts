/** CLI shapes and exit codes of `vigil eval-forecast` and `vigil forecast`. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';
import { main } from '../main.js';

function io(cwd: string) {
  let out = '';
  let err = '';
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { io: { stdout, stderr, stdin: new PassThrough(), cwd }, out: () => out, err: () => err };
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-fc-'));
{
  const r = new Random(5);
  const train = ['"V1","V2","V3"'];
  const test = ['"V1","V2","V3","V4","V5"'];
  for (let s = 1; s <= 6; s++) {
    const vals: number[] = [];
    let level = 100 * s;
    for (let t = 0; t < 60 + s * 5 + 4; t++) {
      level += r.normal() * s;
      vals.push(+level.toFixed(3));
    }
    train.push([`"S${s}"`, ...vals.slice(0, -4).map((v) => `"${v}"`)].join(','));
    test.push([`"S${s}"`, ...vals.slice(-4).map((v) => `"${v}"`)].join(','));
  }
  writeFileSync(join(dir, 'train.csv'), train.join('\n') + '\n');
  writeFileSync(join(dir, 'test.csv'), test.join('\n') + '\n');
  const rows = ['timestamp,value'];
  for (let i = 0; i < 24 * 21; i++) rows.push(`${new Date(Date.UTC(2024, 0, 1) + i * 3600_000).toISOString()},${(50 + 10 * Math.sin((2 * Math.PI * i) / 24) + r.normal()).toFixed(3)}`);
  writeFileSync(join(dir, 'hourly.csv'), rows.join('\n') + '\n');
}

describe('vigil eval-forecast', () => {
  it('prints one JSON row per model with the M4 measures', async () => {
    const c = io(dir);
    const code = await main(['eval-forecast', 'train.csv', 'test.csv', '--period', '1', '--horizon', '4', '--models', 'naive,naive2,auto', '--format', 'json'], c.io);
    expect(code, c.err()).toBe(0);
    const rows = JSON.parse(c.out()) as Record<string, unknown>[];
    expect(rows.map((r) => r.model)).toEqual(['naive', 'naive2', 'auto']);
    for (const r of rows) {
      expect(Object.keys(r)).toEqual(['model', 'smape', 'mase', 'owa', 'msis', 'coverage', 'seconds']);
      for (const k of ['smape', 'mase', 'owa', 'msis', 'coverage', 'seconds']) expect(Number.isFinite(r[k] as number)).toBe(true);
    }
    expect(rows[1].owa).toBe(1);
    expect(rows[0].owa).toBe(1); // naive = Naive2 when not seasonal
  });

  it('prints a table by default', async () => {
    const c = io(dir);
    expect(await main(['eval-forecast', 'train.csv', 'test.csv', '--period', '1', '--horizon', '4', '--models', 'ses'], c.io)).toBe(0);
    expect(c.out()).toMatch(/model\s+sMAPE\s+MASE\s+OWA\s+MSIS\s+cov95\s+seconds/);
    expect(c.out()).toMatch(/^ses\s/m);
  });

  it('exits 2 on usage errors and 1 on bad input', async () => {
    expect(await main(['eval-forecast', 'train.csv', 'test.csv', '--period', '1'], io(dir).io)).toBe(2);
    expect(await main(['eval-forecast', 'train.csv', '--period', '1', '--horizon', '4'], io(dir).io)).toBe(2);
    expect(await main(['eval-forecast', 'train.csv', 'test.csv', '--period', '1', '--horizon', '4', '--format', 'xml'], io(dir).io)).toBe(2);
    expect(await main(['eval-forecast', 'train.csv', 'test.csv', '--period', '1', '--horizon', '4', '--bogus'], io(dir).io)).toBe(2);
    const c = io(dir);
    expect(await main(['eval-forecast', 'train.csv', 'test.csv', '--period', '1', '--horizon', '4', '--models', 'prophet'], c.io)).toBe(1);
    expect(c.err()).toMatch(/UNKNOWN_MODEL/);
    expect(await main(['eval-forecast', 'nope.csv', 'test.csv', '--period', '1', '--horizon', '4'], io(dir).io)).toBe(1);
    // horizon longer than the test rows
    expect(await main(['eval-forecast', 'train.csv', 'test.csv', '--period', '1', '--horizon', '9'], io(dir).io)).toBe(1);
  });
});

describe('vigil forecast', () => {
  it('forecasts a duration ahead as JSON with 80/95 bounds', async () => {
    const c = io(dir);
    const code = await main(['forecast', join(dir, 'hourly.csv'), '--horizon', '1d', '--format', 'json'], c.io);
    expect(code, c.err()).toBe(0);
    const out = JSON.parse(c.out());
    expect(out.horizon).toBe(24);
    expect(out.bucketSpan).toBe('1h');
    expect(out.forecast).toHaveLength(24);
    expect(Object.keys(out.forecast[0])).toEqual(['time', 'mean', 'lower80', 'upper80', 'lower95', 'upper95']);
    expect(out.forecast[0].time).toBe('2024-01-22T00:00:00.000Z');
    for (const r of out.forecast) expect(r.lower95 <= r.lower80 && r.lower80 <= r.mean && r.mean <= r.upper80 && r.upper80 <= r.upper95).toBe(true);
    // follows the daily cycle: peak near 06:00, trough near 18:00
    expect(out.forecast[6].mean).toBeGreaterThan(out.forecast[18].mean + 10);
  });

  it('writes CSV and a chart', async () => {
    const c = io(dir);
    const chart = join(dir, 'f.svg');
    expect(await main(['forecast', join(dir, 'hourly.csv'), '--horizon', '6', '--model', 'ets', '--format', 'csv', '--chart', chart], c.io)).toBe(0);
    const lines = c.out().trim().split('\n');
    expect(lines[0]).toBe('time,mean,lower80,upper80,lower95,upper95');
    expect(lines).toHaveLength(7);
    expect(existsSync(chart)).toBe(true);
    expect(readFileSync(chart, 'utf8')).toMatch(/<svg/);
  });

  it('exits 2 without a horizon and 1 for an unknown model', async () => {
    expect(await main(['forecast', join(dir, 'hourly.csv')], io(dir).io)).toBe(2);
    expect(await main(['forecast', join(dir, 'hourly.csv'), '--horizon', '1d', '--format', 'xml'], io(dir).io)).toBe(2);
    expect(await main(['forecast', join(dir, 'hourly.csv'), '--horizon', '1d', '--model', 'nope'], io(dir).io)).toBe(1);
  });
});
