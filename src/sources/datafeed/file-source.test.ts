import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSource } from './file-source.js';
import { bucketRows, collectPages } from './source.js';
import { sourceContract, type ContractRow } from './test-kit/source-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-file-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(rows: ContractRow[]): string {
  return 'ts,value,host\n' + rows.map((r) => `${new Date(r.ts).toISOString()},${r.value ?? ''},${r.host}`).join('\n') + '\n';
}

async function writeParquet(rows: ContractRow[], folder: string): Promise<void> {
  mkdirSync(folder, { recursive: true });
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  await c.run(`CREATE TABLE t (ts TIMESTAMP, value DOUBLE, host VARCHAR)`);
  const app = await c.createAppender('t');
  for (const r of rows) {
    app.appendVarchar(new Date(r.ts).toISOString().replace('T', ' ').replace('Z', ''));
    if (r.value === null) app.appendNull();
    else app.appendDouble(r.value);
    app.appendVarchar(r.host);
    app.endRow();
  }
  app.closeSync();
  const mid = Date.UTC(2024, 2, 1, 4);
  await c.run(`COPY (SELECT * FROM t WHERE ts < make_timestamp(${mid * 1000})) TO '${join(folder, 'part-0.parquet')}' (FORMAT parquet)`);
  mkdirSync(join(folder, 'later'), { recursive: true });
  await c.run(`COPY (SELECT * FROM t WHERE ts >= make_timestamp(${mid * 1000})) TO '${join(folder, 'later', 'part-1.parquet')}' (FORMAT parquet)`);
  c.closeSync();
  inst.closeSync();
}

sourceContract('file: one CSV through readSeries (bucketed in Vigil)', async (rows) => {
  const held = rows.filter((r) => r.value !== null); // the reader counts an empty value as a bad row
  const path = join(dir, 'contract.csv');
  writeFileSync(path, csv(rows));
  return { source: fileSource({ path, timeField: 'ts', valueField: 'value', partitionField: 'host' }), rows: held };
});

sourceContract('file: a folder of Parquet files through DuckDB', async (rows) => {
  const folder = join(dir, 'parquet');
  await writeParquet(rows, folder);
  return { source: fileSource({ path: folder, timeField: 'ts' }) };
});

sourceContract('file: an NDJSON glob through DuckDB', async (rows) => {
  const folder = join(dir, 'ndjson');
  mkdirSync(folder);
  const half = rows.length >> 1;
  writeFileSync(join(folder, 'a.ndjson'), rows.slice(0, half).map((r) => JSON.stringify({ ts: r.ts, value: r.value, host: r.host })).join('\n') + '\n');
  writeFileSync(join(folder, 'b.ndjson'), rows.slice(half).map((r) => JSON.stringify({ ts: r.ts, value: r.value, host: r.host })).join('\n') + '\n');
  return { source: fileSource({ path: join(folder, '*.ndjson'), timeField: 'ts' }) };
});

describe('file source specifics', () => {
  it('a datafeed query on Parquet runs in DuckDB', async () => {
    const folder = join(dir, 'parquet-q');
    const t0 = Date.UTC(2024, 2, 1);
    await writeParquet(
      Array.from({ length: 60 }, (_, i) => ({ ts: t0 + i * 60_000, value: i, host: i % 2 ? 'a' : 'b' })),
      folder,
    );
    const src = fileSource({ path: folder, timeField: 'ts', query: { bool: { filter: [{ term: { host: 'a' } }, { range: { value: { lt: 30 } } }] } } });
    const rows = bucketRows(await collectPages(src.search({ start: t0, end: t0 + 3_600_000, aggregation: { spanMs: 3_600_000, metrics: [{ name: 'n', fn: 'value_count', field: 'value' }, { name: 'm', fn: 'median', field: 'value' }] } })));
    expect(rows).toEqual([{ time: t0, doc_count: 15, n: 15, m: 15 }]);
    await src.close();
  });
  it('epoch milliseconds in Parquet files that held no rows when the datafeed started are read as milliseconds once rows arrive', async () => {
    const folder = join(dir, 'parquet-later');
    mkdirSync(folder, { recursive: true });
    const t0 = Date.UTC(2024, 4, 1);
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    await c.run(`CREATE TABLE t (ts BIGINT, value DOUBLE)`);
    await c.run(`COPY t TO '${join(folder, 'part-0.parquet')}' (FORMAT parquet)`);
    const src = fileSource({ path: folder, timeField: 'ts' });
    const agg = { spanMs: 60_000, metrics: [{ name: 'value', fn: 'sum' as const, field: 'value' }] };
    expect(bucketRows(await collectPages(src.search({ start: t0, end: t0 + 600_000, aggregation: agg })))).toEqual([]);
    await c.run(`INSERT INTO t SELECT ${t0} + g * 60000, g FROM range(5) r(g)`);
    await c.run(`COPY t TO '${join(folder, 'part-1.parquet')}' (FORMAT parquet)`);
    c.closeSync();
    inst.closeSync();
    const rows = bucketRows(await collectPages(src.search({ start: t0, end: t0 + 600_000, aggregation: agg })));
    expect(rows.map((r) => [r.time, r.value])).toEqual([0, 1, 2, 3, 4].map((g) => [t0 + g * 60_000, g]));
    await src.close();
  });
  it('epoch nanoseconds in Parquet are read as nanoseconds, to the exact millisecond', async () => {
    const folder = join(dir, 'parquet-ns');
    mkdirSync(folder, { recursive: true });
    const t0 = Date.UTC(2024, 4, 1);
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    // the last nanosecond of minute g's last millisecond: a double would round it into the next minute
    await c.run(`COPY (SELECT CAST((CAST(${t0} AS HUGEINT) + g * 60000 + 59999) * 1000000 + 999999 AS BIGINT) AS ts, g AS value FROM range(3) r(g)
                       UNION ALL SELECT CAST(${t0 + 300_000} AS BIGINT) * 1000000, 10) TO '${join(folder, 'part-0.parquet')}' (FORMAT parquet)`);
    c.closeSync();
    inst.closeSync();
    const src = fileSource({ path: folder, timeField: 'ts' });
    expect(await src.timeBounds()).toEqual({ earliest: t0 + 59_999, latest: t0 + 300_000 });
    const agg = { spanMs: 60_000, metrics: [{ name: 'value', fn: 'sum' as const, field: 'value' }] };
    const rows = bucketRows(await collectPages(src.search({ start: t0, end: t0 + 600_000, aggregation: agg })));
    expect(rows.map((r) => [r.time, r.value])).toEqual([[t0, 0], [t0 + 60_000, 1], [t0 + 120_000, 2], [t0 + 300_000, 10]]);
    const records = (await collectPages(src.search({ start: t0 + 300_000, end: t0 + 300_001 }))).flatMap((p) => (p.kind === 'records' ? p.docs : []));
    expect(records.map((d) => d.ts)).toEqual([t0 + 300_000]);
    await src.close();
  });
  it('a query on a file read by the streamed reader is refused with the way out', () => {
    const path = join(dir, 'contract.csv');
    expect(() => fileSource({ path, timeField: 'ts', query: { term: { host: 'a' } } })).toThrow(/folder or a glob/);
  });
  it('a missing file is FILE_NOT_FOUND', () => {
    expect(() => fileSource({ path: join(dir, 'nope.csv') })).toThrow(/cannot read/);
  });
});
