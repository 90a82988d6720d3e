/**
 * Historical datafeed over PostgreSQL: N rows of one metric (default 10 M over one year, a row
 * every ~3 s), 1-minute buckets (525 600 of them), pushed down to the database (`date_bin` +
 * `avg` per bucket). Reports documents/s and how the time splits between the database and Vigil:
 *
 * - `database`: the aggregation query alone, every bucket row fetched (what the store costs);
 * - `detect`: `vigil detect --source` path — the same query through the source, plus the default
 *   model on every bucket; Vigil's share = detect − database;
 * - `datafeed`: a historical datafeed through the jobs service (JSON documents, write-ahead log,
 *   the Elastic job engine) — what `_start` with an end costs.
 *
 * Not run by the tests (it starts a private PostgreSQL and loads the rows: about a minute).
 * Run: `npx vite-node bench/datafeed.bench.ts [rows]` or through `npm run bench` once registered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SeriesDetection } from '../src/engine/series-detection.js';
import { openSourceReader } from '../src/sources/datafeed/cli-source.js';
import { isSkipped, startPostgres } from '../src/sources/datafeed/test-kit/services.js';
import { DatafeedService } from '../src/server/datafeeds/datafeed-service.js';
import { MemoryDatafeedStore } from '../src/server/datafeeds/datafeed-store.js';
import { anomalyJobEngine } from '../src/server/jobs/engine-adapter.js';
import { JobService } from '../src/server/jobs/job-service.js';
import { MemoryStore } from '../src/store/memory-store.js';

export interface DatafeedBenchResult {
  rows: number;
  buckets: number;
  loadSeconds: number;
  databaseSeconds: number;
  detectSeconds: number;
  detectDocsPerSecond: number;
  vigilShareDetect: number;
  datafeedSeconds?: number;
  datafeedDocsPerSecond?: number;
  vigilShareDatafeed?: number;
}

const YEAR = 365 * 86_400_000;
const T0 = Date.UTC(2023, 0, 1);

export async function benchDatafeed(o: { rows?: number; datafeed?: boolean } = {}): Promise<DatafeedBenchResult | { skip: string }> {
  const rows = o.rows ?? 10_000_000;
  const s = await startPostgres();
  if (isSkipped(s)) return s;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-df-'));
  try {
    const c = new pg.Client({ connectionString: s.url });
    await c.connect();
    const stepS = YEAR / 1000 / rows;
    let t = performance.now();
    await c.query('CREATE UNLOGGED TABLE metrics (ts timestamptz NOT NULL, v float8 NOT NULL)');
    await c.query(
      `INSERT INTO metrics SELECT to_timestamp(${T0 / 1000} + g * ${stepS}), 100 + 30 * sin(2 * pi() * g * ${stepS} / 86400) + (g % 13) FROM generate_series(0, ${rows - 1}) g`,
    );
    await c.query('CREATE INDEX ON metrics (ts)');
    await c.query('VACUUM ANALYZE metrics');
    const loadSeconds = (performance.now() - t) / 1000;

    // the database alone: the pushed-down query, every row fetched
    t = performance.now();
    const r = await c.query({
      text: `SELECT (extract(epoch from date_bin('60000 milliseconds'::interval, ts, timestamptz '1970-01-01 00:00:00+00')) * 1000)::float8 AS b, count(*)::float8, avg(v)::float8 FROM metrics WHERE ts >= to_timestamp($1::float8/1000) AND ts < to_timestamp($2::float8/1000) GROUP BY 1 ORDER BY 1`,
      values: [T0, T0 + YEAR],
      rowMode: 'array',
    });
    const databaseSeconds = (performance.now() - t) / 1000;
    const buckets = r.rows.length;
    await c.end();

    // vigil detect --source: the source (cursor, pages) + the default model on every bucket
    t = performance.now();
    const reader = openSourceReader({ url: s.url, table: 'metrics', label: 'bench', start: String(T0), end: String(T0 + YEAR) }, { timeField: 'ts', valueField: 'v', function: 'mean', bucketSpanMs: 60_000 });
    let scored = 0;
    const det = new SeriesDetection({ function: 'mean', bucketSpanMs: 60_000 }, () => scored++);
    for await (const b of reader) for (let i = 0; i < b.n; i++) det.add(b.time[i], b.value[i]);
    det.flush();
    const detectSeconds = (performance.now() - t) / 1000;
    const out: DatafeedBenchResult = {
      rows,
      buckets,
      loadSeconds,
      databaseSeconds,
      detectSeconds,
      detectDocsPerSecond: rows / detectSeconds,
      vigilShareDetect: Math.max(0, detectSeconds - databaseSeconds) / detectSeconds,
    };

    if (o.datafeed !== false) {
      const jobs = new JobService({ store: new MemoryStore(), engine: anomalyJobEngine, walDir: join(dir, 'wal'), snapshotEveryOps: 1_000_000, snapshotEveryBytes: 2 ** 40 });
      const feeds = new DatafeedService({ jobs, store: new MemoryDatafeedStore(), env: { PG_URL: s.url } });
      await jobs.putJob('bench', {
        analysis_config: { bucket_span: '1m', summary_count_field_name: 'doc_count', detectors: [{ function: 'mean', field_name: 'v' }] },
        data_description: { time_field: 'ts', time_format: 'epoch_ms' },
      });
      await feeds.put('bench', { job_id: 'bench', indices: ['metrics'], vigil_source: { type: 'postgres', connection: 'env:PG_URL' } });
      await jobs.openJob('bench');
      t = performance.now();
      await feeds.start('bench', { start: T0, end: T0 + YEAR });
      await feeds.settle('bench');
      const datafeedSeconds = (performance.now() - t) / 1000;
      const st = (await feeds.stats('bench'))[0] as { vigil: { source_documents: number } };
      if (st.vigil.source_documents !== rows) throw new Error(`datafeed read ${st.vigil.source_documents} documents, expected ${rows}`);
      await jobs.shutdown();
      Object.assign(out, {
        datafeedSeconds,
        datafeedDocsPerSecond: rows / datafeedSeconds,
        vigilShareDatafeed: Math.max(0, datafeedSeconds - databaseSeconds) / datafeedSeconds,
      });
    }
    return out;
  } finally {
    await s.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const self = process.argv[1] ?? '';
if (/datafeed\.bench\.(ts|js)$/.test(self)) {
  const rows = process.argv[2] ? Number(process.argv[2]) : undefined;
  benchDatafeed({ rows }).then((r) => console.log(JSON.stringify(r, null, 2)));
}
