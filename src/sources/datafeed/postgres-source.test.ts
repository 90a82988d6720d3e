import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VigilError } from '../../core/errors.js';
import { aggregateRecords } from './aggregate-records.js';
import { PostgresSource } from './postgres-source.js';
import { bucketRows, collectPages, type BucketAggregation, type SearchPage } from './source.js';
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

  it('many FETCHes with the next one in flight: every bucket once, in order, never split, as the documents give them', async () => {
    // 3 000 minutes × up to 3 hosts → more than 8 000 bucket rows: at 1 000 rows per page (and
    // per FETCH) the cursor is read in several round trips, each sent before the last is used
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`CREATE TABLE many (ts timestamptz NOT NULL, value float8, host text NOT NULL)`);
    await c.query(`INSERT INTO many SELECT timestamptz '2024-02-01 00:00:00+00' + g * interval '20 seconds', CASE WHEN g % 101 = 7 THEN NULL ELSE (g * 7919 % 1000) / 8.0 END,
                     (ARRAY['a', 'b', 'c'])[1 + g % 3] FROM generate_series(0, 8999) g WHERE g % 17 <> 3`);
    await c.end();
    const src = new PostgresSource({ connection: url, table: 'many', timeField: 'ts' });
    const t0 = Date.UTC(2024, 1, 1);
    const agg: BucketAggregation = { spanMs: 60_000, metrics: [{ name: 'value', fn: 'avg', field: 'value' }, { name: 'hi', fn: 'max', field: 'value' }], partitionField: 'host' };
    const req = { start: t0 + 60_000, end: t0 + 2_990 * 60_000, aggregation: agg, pageSize: 1_000 };
    const pages = await collectPages(src.search(req));
    expect(pages.length).toBeGreaterThan(8);
    const seen = new Set<number>();
    for (const p of pages) {
      if (p.kind !== 'buckets') throw new Error('expected buckets');
      for (const t of new Set(p.time)) {
        expect(seen.has(t), `bucket ${t} split across pages`).toBe(false);
        seen.add(t);
      }
    }
    const got = bucketRows(pages);
    for (let i = 1; i < got.length; i++) expect(got[i].time).toBeGreaterThanOrEqual(got[i - 1].time);
    // the same buckets computed by Vigil from the documents (the path of sources that cannot push down)
    const docs: AsyncIterable<SearchPage> = src.search({ start: req.start, end: req.end, pageSize: 700 });
    const want = bucketRows(await collectPages(aggregateRecords(docs, agg, src.timeField, 1_000)));
    expect(got.length).toBe(want.length);
    expect(got.length).toBeGreaterThan(8_000);
    for (let i = 0; i < want.length; i++) {
      expect([got[i].time, got[i].partition, got[i].doc_count, got[i].hi]).toEqual([want[i].time, want[i].partition, want[i].doc_count, want[i].hi]);
      const [a, b] = [got[i].value as number, want[i].value as number];
      expect(Number.isNaN(a) ? Number.isNaN(b) : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `row ${i}: ${a} vs ${b}`).toBe(true);
    }
    await src.close();
  });

  it('sub-second buckets: the bucket starts are whole milliseconds, as Vigil computes them from the documents', async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`CREATE TABLE fine (ts timestamptz NOT NULL, value float8)`);
    await c.query(`INSERT INTO fine SELECT timestamptz '2024-02-01 00:00:00+00' + g * interval '37123 microseconds', g FROM generate_series(0, 2999) g`);
    await c.end();
    const src = new PostgresSource({ connection: url, table: 'fine', timeField: 'ts' });
    const t0 = Date.UTC(2024, 1, 1);
    for (const spanMs of [100, 1_500, 7]) {
      const agg: BucketAggregation = { spanMs, metrics: [{ name: 'value', fn: 'sum', field: 'value' }] };
      const got = bucketRows(await collectPages(src.search({ start: t0, end: t0 + 120_000, aggregation: agg })));
      const want = bucketRows(await collectPages(aggregateRecords(src.search({ start: t0, end: t0 + 120_000 }), agg, src.timeField)));
      expect(got.length).toBeGreaterThan(50);
      expect(got).toEqual(want);
      for (const r of got) expect(Number.isInteger(r.time) && r.time % spanMs === 0).toBe(true);
    }
    await src.close();
  });

  it('a consumer that stops early (or a search that is aborted) leaves the connection clean for the next search', async () => {
    const src = new PostgresSource({ connection: url, table: 'many', timeField: 'ts' });
    const t0 = Date.UTC(2024, 1, 1);
    const agg: BucketAggregation = { spanMs: 60_000, metrics: [{ name: 'value', fn: 'avg', field: 'value' }], partitionField: 'host' };
    const req = { start: t0, end: t0 + 3_000 * 60_000, aggregation: agg, pageSize: 1_000 };
    // stops after the first page, with the next FETCH in flight
    for await (const p of src.search(req)) {
      expect(p.kind).toBe('buckets');
      break;
    }
    // aborted after the first page
    const abort = new AbortController();
    let n = 0;
    for await (const p of src.search({ ...req, signal: abort.signal })) {
      n += (p as { n: number }).n;
      abort.abort();
    }
    expect(n).toBeLessThan(8_000);
    // the pool hands out the same connection again: no transaction or cursor left open on it
    const all = bucketRows(await collectPages(src.search(req)));
    expect(all.length).toBeGreaterThan(8_000);
    await src.close();
  });

  it('must_not keeps the rows where the field is NULL, as Elastic keeps documents without the field', async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`CREATE TABLE nulls (ts timestamptz NOT NULL, status text, code int)`);
    // 10 rows a minute apart: status 'health' ×3, 'ok' ×3, NULL ×4; code NULL on the even rows
    await c.query(`INSERT INTO nulls SELECT timestamptz '2024-03-01 00:00:00+00' + g * interval '1 minute', (ARRAY['health', 'ok', NULL, NULL, 'health', 'ok', NULL, 'health', 'ok', NULL])[g + 1],
                     CASE WHEN g % 2 = 0 THEN NULL ELSE g END FROM generate_series(0, 9) g`);
    await c.end();
    const t0 = Date.UTC(2024, 2, 1);
    const count = async (query: unknown): Promise<number> => {
      const src = new PostgresSource({ connection: url, table: 'nulls', timeField: 'ts', query });
      const rows = bucketRows(await collectPages(src.search({ start: t0, end: t0 + 3_600_000, aggregation: { spanMs: 3_600_000, metrics: [] } })));
      await src.close();
      return rows.reduce((n, r) => n + r.doc_count, 0);
    };
    expect(await count({ bool: { must_not: [{ term: { status: 'health' } }] } })).toBe(7);
    expect(await count({ bool: { must_not: [{ range: { code: { gte: 5 } } }] } })).toBe(7);
    expect(await count({ bool: { must_not: [{ terms: { status: ['health', 'ok'] } }] } })).toBe(4);
    // a must_not inside a must_not: the rows with status 'health'
    expect(await count({ bool: { must_not: [{ bool: { must_not: [{ term: { status: 'health' } }] } }] } })).toBe(3);
    expect(await count({ bool: { must_not: [{ exists: { field: 'status' } }] } })).toBe(4);
  });

  it('an epoch-milliseconds column in a table that is empty when the datafeed starts is still read as milliseconds once rows arrive', async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`CREATE TABLE later_ms (ts bigint NOT NULL, value float8)`);
    const src = new PostgresSource({ connection: url, table: 'later_ms', timeField: 'ts' });
    const t0 = Date.UTC(2024, 4, 1);
    const agg: BucketAggregation = { spanMs: 60_000, metrics: [{ name: 'value', fn: 'sum', field: 'value' }] };
    expect(bucketRows(await collectPages(src.search({ start: t0, end: t0 + 600_000, aggregation: agg })))).toEqual([]);
    // the live datafeed's next search, after rows came in
    await c.query(`INSERT INTO later_ms SELECT ${t0} + g * 60000, g FROM generate_series(0, 4) g`);
    const rows = bucketRows(await collectPages(src.search({ start: t0, end: t0 + 600_000, aggregation: agg })));
    expect(rows.map((r) => [r.time, r.value])).toEqual([0, 1, 2, 3, 4].map((g) => [t0 + g * 60_000, g]));
    await src.close();
    // and epoch seconds, the same way
    await c.query(`CREATE TABLE later_s (ts bigint NOT NULL, value float8)`);
    const src2 = new PostgresSource({ connection: url, table: 'later_s', timeField: 'ts' });
    expect(bucketRows(await collectPages(src2.search({ start: t0, end: t0 + 600_000, aggregation: agg })))).toEqual([]);
    await c.query(`INSERT INTO later_s SELECT ${t0 / 1000} + g * 60, g FROM generate_series(0, 4) g`);
    await c.end();
    expect(bucketRows(await collectPages(src2.search({ start: t0, end: t0 + 600_000, aggregation: agg }))).map((r) => r.time)).toEqual([0, 1, 2, 3, 4].map((g) => t0 + g * 60_000));
    await src2.close();
  });

  it('epoch microsecond and nanosecond bigint columns are read by magnitude, to the exact millisecond', async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const t0 = Date.UTC(2024, 4, 1);
    const agg: BucketAggregation = { spanMs: 60_000, metrics: [{ name: 'value', fn: 'sum', field: 'value' }] };
    for (const [table, per] of [['epoch_us', 1000n], ['epoch_ns', 1_000_000n]] as const) {
      await c.query(`CREATE TABLE ${table} (ts bigint NOT NULL, value float8)`);
      // each row one unit before the next minute, the last of the minute g: the ms is 59 999 into it,
      // and a double of the nanoseconds would round it up into the next minute
      const rows = [0n, 1n, 2n].map((g) => (BigInt(t0) + g * 60_000n + 59_999n) * per + per - 1n);
      await c.query(`INSERT INTO ${table} SELECT (v::text)::bigint, g FROM unnest($1::text[]) WITH ORDINALITY AS x(v, g)`, [rows.map(String)]);
      // and one exactly at a bucket start (the range's start must take it)
      await c.query(`INSERT INTO ${table} VALUES (${BigInt(t0 + 300_000) * per}, 10)`);
      const src = new PostgresSource({ connection: url, table, timeField: 'ts' });
      expect(await src.timeBounds()).toEqual({ earliest: t0 + 59_999, latest: t0 + 300_000 });
      const buckets = bucketRows(await collectPages(src.search({ start: t0, end: t0 + 600_000, aggregation: agg })));
      expect(buckets.map((r) => [r.time, r.value])).toEqual([[t0, 1], [t0 + 60_000, 2], [t0 + 120_000, 3], [t0 + 300_000, 10]]);
      const records = (await collectPages(src.search({ start: t0 + 300_000, end: t0 + 300_001 }))).flatMap((p) => (p.kind === 'records' ? p.docs : []));
      expect(records.map((d) => d.ts)).toEqual([t0 + 300_000]);
      await src.close();
    }
    await c.end();
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
