import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/test-kit.js';
import { splitSourceArgs } from './cli-source.js';
import { isSkipped, postgresBinDir, startPostgres, startVictoriaMetrics, victoriaMetricsBinary, type PostgresService, type VictoriaMetricsService } from './test-kit/services.js';

async function vigil(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runCli(args);
  return { code: r.code, stdout: r.out, stderr: r.err };
}

const T0 = Date.UTC(2024, 2, 4);
const MIN = 60_000;

describe('splitSourceArgs', () => {
  it('takes --source and its options out, redacting the label', () => {
    const r = splitSourceArgs(['--source', 'postgres://u:pw@h/db', '--table=m', '--bucket-span', '5m']);
    expect(r.rest).toEqual(['--bucket-span', '5m']);
    expect(r.source).toMatchObject({ url: 'postgres://u:pw@h/db', table: 'm', label: 'postgres://u:***@h/db' });
    expect(() => splitSourceArgs(['--table', 'm', 'x.csv'])).toThrow(/option of --source/);
  });
});

const pgSkip = postgresBinDir() ? undefined : 'PostgreSQL is not installed (apt-get install -y postgresql)';
describe.skipIf(pgSkip !== undefined)(`vigil detect --source postgres://…${pgSkip ? ` — skipped: ${pgSkip}` : ''}`, () => {
  let s: PostgresService;
  beforeAll(async () => {
    const r = await startPostgres();
    if (isSkipped(r)) throw new Error(r.skip);
    s = r;
    const c = new pg.Client({ connectionString: s.url });
    await c.connect();
    // 10 days of 1-minute data with a daily cycle and noise, one 20-minute incident on day 8
    await c.query('CREATE TABLE m (ts timestamptz NOT NULL, v float8, host text)');
    await c.query(`INSERT INTO m SELECT to_timestamp(${T0 / 1000} + g * 60), 100 + 30 * sin(2 * pi() * g / 1440) + (g * 7919 % 13) - 6
                     + CASE WHEN g BETWEEN 11000 AND 11019 THEN 200 ELSE 0 END, 'a' FROM generate_series(0, 14399) g`);
    await c.end();
  });
  afterAll(async () => {
    await s?.destroy();
  });

  it('finds the incident with the bucketing pushed down to PostgreSQL', async () => {
    const r = await vigil(['detect', '--source', s.url, '--table', 'm', '--time-field', 'ts', '--value-field', 'v', '--bucket-span', '10m', '--format', 'json', '--no-progress']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary.buckets).toBe(1440);
    const top = j.anomalies.filter((a: { record_score: number }) => a.record_score >= 50).map((a: { timestamp: string }) => Date.parse(a.timestamp));
    expect(top.length).toBeGreaterThan(0);
    for (const t of top) expect(t).toBeGreaterThanOrEqual(T0 + 10_990 * MIN);
    expect(top.some((t: number) => t <= T0 + 11_020 * MIN)).toBe(true);
  });

  it('pushed down to PostgreSQL and read as documents from a file: the same buckets and the same scores', async () => {
    const c = new pg.Client({ connectionString: s.url });
    await c.connect();
    const r = await c.query<{ ms: number; v: number }>(`SELECT (extract(epoch from ts) * 1000)::float8 AS ms, v FROM m ORDER BY ts`);
    await c.end();
    const dir = mkdtempSync(join(tmpdir(), 'vigil-src-'));
    try {
      const csv = join(dir, 'm.csv');
      writeFileSync(csv, 'ts,v\n' + r.rows.map((x) => `${new Date(x.ms).toISOString()},${x.v}`).join('\n') + '\n');
      const common = ['--time-field', 'ts', '--value-field', 'v', '--bucket-span', '10m', '--format', 'json', '--all-buckets', '--no-progress'];
      const pushed = JSON.parse((await vigil(['detect', '--source', s.url, '--table', 'm', ...common])).stdout);
      const docs = JSON.parse((await vigil(['detect', csv, ...common])).stdout);
      expect(pushed.summary.buckets).toBe(1440);
      expect(pushed.buckets).toHaveLength(docs.buckets.length);
      const near = (a: number | null, b: number | null): boolean => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)));
      for (let i = 0; i < docs.buckets.length; i++) {
        const [p, d] = [pushed.buckets[i], docs.buckets[i]];
        expect([p.timestamp, p.kind, p.learning]).toEqual([d.timestamp, d.kind, d.learning]);
        for (const k of ['actual', 'typical', 'lower', 'upper', 'record_score', 'probability']) expect(near(p[k], d[k]), `${d.timestamp} ${k}: ${p[k]} vs ${d[k]}`).toBe(true);
      }
      expect(pushed.anomalies.map((a: { timestamp: string; record_score: number }) => [a.timestamp, Math.round(a.record_score)])).toEqual(
        docs.anomalies.map((a: { timestamp: string; record_score: number }) => [a.timestamp, Math.round(a.record_score)]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('count over a SQL query; the table names the source (password hidden)', async () => {
    const url = s.url.replace('vigil@', 'vigil:secret@');
    const r = await vigil(['detect', '--source', url, '--query', `SELECT ts FROM m WHERE v > 120`, '--time-field', 'ts', '--function', 'count', '--bucket-span', '1h', '--no-progress']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('postgres://vigil:***@');
    expect(r.stdout + r.stderr).not.toContain('secret');
  });
});

const vmSkip = victoriaMetricsBinary() ? undefined : 'VictoriaMetrics is not installed (apt-get install -y victoria-metrics)';
describe.skipIf(vmSkip !== undefined)(`vigil detect --source prometheus+http://…${vmSkip ? ` — skipped: ${vmSkip}` : ''}`, () => {
  let vm: VictoriaMetricsService;
  beforeAll(async () => {
    const r = await startVictoriaMetrics();
    if (isSkipped(r)) throw new Error(r.skip);
    vm = r;
    const lines: string[] = [];
    for (let g = 0; g < 7 * 1440; g++) lines.push(`latency_ms{host="a"} ${100 + 30 * Math.sin((2 * Math.PI * g) / 1440) + ((g * 7919) % 13) + (g >= 8000 && g < 8020 ? 300 : 0)} ${T0 + g * MIN}`);
    await vm.importSamples(lines);
  });
  afterAll(async () => {
    await vm?.destroy();
  });

  it('finds the incident with rollups computed by the store (step = bucket span)', async () => {
    const r = await vigil(['detect', '--source', `prometheus+${vm.url}`, '--selector', 'latency_ms', '--start', String(T0), '--end', String(T0 + 7 * 1440 * MIN), '--bucket-span', '10m', '--format', 'json', '--no-progress']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary.buckets).toBe(1008);
    const top = j.anomalies.filter((a: { record_score: number }) => a.record_score >= 50).map((a: { timestamp: string }) => Date.parse(a.timestamp));
    expect(top.some((t: number) => t >= T0 + 7990 * MIN && t <= T0 + 8020 * MIN)).toBe(true);
  });
});
