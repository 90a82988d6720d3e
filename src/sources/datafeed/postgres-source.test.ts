import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VigilError } from '../../core/errors.js';
import { PostgresSource } from './postgres-source.js';
import { bucketRows, collectPages } from './source.js';
import { sourceContract, type ContractRow } from './test-kit/source-contract.js';
import { isSkipped, postgresBinDir, startPostgres, type PostgresService } from './test-kit/services.js';

const skipReason = postgresBinDir() ? undefined : 'PostgreSQL is not installed (apt-get install -y postgresql, or scripts/test-services.sh)';
let service: PostgresService | undefined;

async function load(url: string, table: string, rows: ContractRow[], timeType: 'timestamptz' | 'bigint'): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`CREATE TABLE ${table} (ts ${timeType} NOT NULL, value float8, host text NOT NULL)`);
  const vals: unknown[] = [];
  const tuples: string[] = [];
  rows.forEach((r, i) => {
    tuples.push(`(${timeType === 'bigint' ? `$${i * 3 + 1}::bigint` : `to_timestamp($${i * 3 + 1}::float8 / 1000)`}, $${i * 3 + 2}, $${i * 3 + 3})`);
    vals.push(r.ts, r.value, r.host);
  });
  await c.query(`INSERT INTO ${table} VALUES ${tuples.join(',')}`, vals);
  await c.end();
}

async function ensureService(): Promise<PostgresService | { skip: string }> {
  if (service) return service;
  const s = await startPostgres();
  if (isSkipped(s)) return s;
  service = s;
  return s;
}

afterAll(async () => {
  await service?.destroy();
});

sourceContract(
  'postgres (table, timestamptz)',
  async (rows) => {
    const s = await ensureService();
    if (isSkipped(s)) return s;
    await load(s.url, 'contract_ts', rows, 'timestamptz');
    return { source: new PostgresSource({ connection: s.url, table: 'contract_ts', timeField: 'ts' }) };
  },
  { skipReason },
);

sourceContract(
  'postgres (SQL query, epoch ms column)',
  async (rows) => {
    const s = await ensureService();
    if (isSkipped(s)) return s;
    await load(s.url, 'contract_ms', rows, 'bigint');
    return { source: new PostgresSource({ connection: s.url, sql: 'SELECT ts, value, host FROM contract_ms', timeField: 'ts' }) };
  },
  { skipReason },
);

describe.skipIf(skipReason !== undefined)(`postgres source specifics${skipReason ? ` — skipped: ${skipReason}` : ''}`, () => {
  let url = '';
  beforeAll(async () => {
    const s = await ensureService();
    if (isSkipped(s)) throw new Error(s.skip);
    url = s.url;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`CREATE TABLE IF NOT EXISTS q (ts timestamp NOT NULL, value float8, host text, code int)`);
    await c.query(`INSERT INTO q SELECT timestamp '2024-01-01' + g * interval '1 minute', g, CASE WHEN g % 3 = 0 THEN 'x' ELSE 'y' END, g % 5 FROM generate_series(0, 119) g`);
    await c.end();
  });

  it('translates the datafeed query (bool of term, range, terms, must_not) into SQL with bind parameters', async () => {
    const src = new PostgresSource({
      connection: url,
      table: 'q',
      timeField: 'ts',
      query: { bool: { filter: [{ term: { host: 'x' } }, { range: { value: { gte: 30 } } }], must_not: [{ terms: { code: [0, 1] } }] } },
    });
    const t0 = Date.UTC(2024, 0, 1);
    const pages = await collectPages(src.search({ start: t0, end: t0 + 7_200_000, aggregation: { spanMs: 3_600_000, metrics: [{ name: 'value', fn: 'sum', field: 'value' }] } }));
    let n0 = 0;
    let s0 = 0;
    let n1 = 0;
    let s1 = 0;
    for (let g = 0; g < 120; g++) {
      if (g % 3 !== 0 || g < 30 || g % 5 === 0 || g % 5 === 1) continue;
      if (g < 60) (n0++, (s0 += g));
      else (n1++, (s1 += g));
    }
    expect(bucketRows(pages)).toEqual([
      { time: t0, doc_count: n0, value: s0 },
      { time: t0 + 3_600_000, doc_count: n1, value: s1 },
    ]);
    // a timestamp-without-zone column is read as UTC
    expect((await src.timeBounds()).earliest).toBe(t0 + 30 * 60_000 + 3 * 60_000);
    await src.close();
  });

  it('refuses an unsupported query clause by name', async () => {
    const src = new PostgresSource({ connection: url, table: 'q', timeField: 'ts', query: { script: { script: 'x' } } });
    await expect(collectPages(src.search({ start: 0, end: 1 }))).rejects.toThrow(/\[script\] is not supported/);
    await src.close();
  });

  it('a source that goes away fails with SOURCE_UNAVAILABLE (password redacted) and works again once it is back', async () => {
    const s = service!;
    const withPassword = s.url.replace('vigil@', 'vigil:hunter2@');
    const src = new PostgresSource({ connection: withPassword, table: 'q', timeField: 'ts', connectTimeoutMs: 2000 });
    const t0 = Date.UTC(2024, 0, 1);
    const agg = { spanMs: 3_600_000, metrics: [{ name: 'value', fn: 'avg' as const, field: 'value' }] };
    expect(bucketRows(await collectPages(src.search({ start: t0, end: t0 + 7_200_000, aggregation: agg })))).toHaveLength(2);
    await s.stop();
    const err = await collectPages(src.search({ start: t0, end: t0 + 7_200_000, aggregation: agg })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('SOURCE_UNAVAILABLE');
    expect((err as VigilError).message).not.toContain('hunter2');
    await s.start();
    expect(bucketRows(await collectPages(src.search({ start: t0, end: t0 + 7_200_000, aggregation: agg })))).toHaveLength(2);
    await src.close();
  });
});
