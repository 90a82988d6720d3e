import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test-kit.js';

let dir: string;
const T0 = Date.UTC(2024, 0, 1);

/** Two days of hourly data with a daily cycle, as CSV lines (header first). */
function lines(): string[] {
  const out = ['time,value'];
  for (let i = 0; i < 48; i++) out.push(`${new Date(T0 + i * 3_600_000).toISOString()},${(50 + 10 * Math.sin((2 * Math.PI * i) / 24)).toFixed(3)}`);
  return out;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-forecast-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil forecast', () => {
  it('reports bad rows by kind, line and field instead of dropping them silently', async () => {
    const l = lines();
    l.splice(5, 0, 'yesterday,3');
    l.splice(9, 0, `${new Date(T0 + 7.5 * 3_600_000).toISOString()},n/a`);
    const path = join(dir, 'bad.csv');
    writeFileSync(path, l.join('\n') + '\n');
    for (const format of ['table', 'json', 'csv']) {
      const r = await runCli(['forecast', path, '--horizon', '3', '--model', 'naive', '--format', format]);
      expect(r.code).toBe(0);
      expect(r.err).toMatch(/50 records read, 48 used, 2 rejected/);
      expect(r.err).toMatch(/1 row with a bad date \(line 6: field 'time' = 'yesterday'\)/);
      expect(r.err).toMatch(/1 row with a non-numeric value \(line 10: field 'value' = 'n\/a'\)/);
    }
  });

  it('names the bad rows when none is usable', async () => {
    const path = join(dir, 'none.csv');
    writeFileSync(path, 'time,value\nyesterday,1\ntoday,2\n');
    const r = await runCli(['forecast', path, '--horizon', '3']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/2 rows with a bad date \(lines 2, 3: field 'time' = 'yesterday'\)/);
  });

  it('says nothing about the input when every row is usable', async () => {
    const path = join(dir, 'good.csv');
    writeFileSync(path, lines().join('\n') + '\n');
    const r = await runCli(['forecast', path, '--horizon', '3', '--model', 'naive']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
  });

  it('checks --output and --chart paths before the work, with a clear error instead of a stack trace', async () => {
    const path = join(dir, 'good.csv');
    writeFileSync(path, lines().join('\n') + '\n');
    const out = await runCli(['forecast', path, '--horizon', '3', '--output', join(dir, 'no-such-dir', 'f.csv')]);
    expect(out.code).toBe(1);
    expect(out.err).toMatch(/^vigil forecast: cannot write --output .*f\.csv: no such directory/);
    expect(out.out).toBe('');
    const chart = await runCli(['forecast', path, '--horizon', '3', '--chart', join(dir, 'f.jpg')]);
    expect(chart.code).toBe(2);
    expect(chart.err).toMatch(/cannot tell the chart format of ".*f\.jpg"/);
    expect(chart.err).not.toMatch(/unexpected error/);
    expect(chart.out).toBe('');
  });
});
