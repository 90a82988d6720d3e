/**
 * Historical datafeed over PostgreSQL: N rows of one metric (default 10 M over one year, a row
 * every ~3 s), 1-minute buckets (525 600 of them), pushed down to the database (`date_bin` +
 * `avg` per bucket). Reports documents/s and how the time splits between the database and Vigil:
 *
 * - `database`: the aggregation query alone — the very SQL the source sends, run as one query with
 *   every bucket row fetched (what the store costs);
 * - `detect`: `vigil detect --source` path — the same query through the source (cursor, pages),
 *   plus the default model on every bucket; Vigil's share = (detect − database) / detect;
 * - `datafeed`: a historical datafeed through the jobs service (JSON documents, write-ahead log,
 *   the Elastic job engine) — what `_start` with an end costs.
 *
 * `database` and `detect` run alternately `runs` times (default 3) and the medians are compared,
 * so that both see the same load; the load average is reported with them.
 *
 * Not run by the tests (it starts a private PostgreSQL and loads the rows: about a minute).
 * Run: `npx vite-node bench/datafeed.bench.ts [rows] [runs] [--no-datafeed]`; with
 * VIGIL_BENCH_PG_URL=postgres://… it uses that server instead (the table is created once and kept).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SeriesDetection } from '../src/engine/series-detection.js';
import { openSourceReader } from '../src/sources/datafeed/cli-source.js';
import { quoteTable } from '../src/sources/datafeed/dsl-sql.js';
import { bucketsSql, POSTGRES_DIALECT } from '../src/sources/datafeed/sql-source.js';
import { isSkipped, startPostgres } from '../src/sources/datafeed/test-kit/services.js';
import { DatafeedService } from '../src/server/datafeeds/datafeed-service.js';
import { MemoryDatafeedStore } from '../src/server/datafeeds/datafeed-store.js';
import { anomalyJobEngine } from '../src/server/jobs/engine-adapter.js';
import { JobService } from '../src/server/jobs/job-service.js';
import { MemoryStore } from '../src/store/memory-store.js';

export interface DatafeedBenchResult {
  rows: number;
  buckets: number;
  runs: number;
  loadSeconds: number;
  /** Medians over the runs; every run's figure in `samples`. */
  databaseSeconds: number;
  detectSeconds: number;
  detectDocsPerSecond: number;
  vigilShareDetect: number;
  /** Vigil's own CPU time (this process) in the detect path, median. */
  detectCpuSeconds: number;
  datafeedSeconds?: number;
  datafeedDocsPerSecond?: number;
  vigilShareDatafeed?: number;
  samples: { database: number[]; detect: number[]; datafeed?: number[] };
  /** 1-minute load average before and after the runs (2 cores shared with other work). */
  load: [number, number];
}

const YEAR = 365 * 86_400_000;
const T0 = Date.UTC(2023, 0, 1);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function benchDatafeed(o: { rows?: number; runs?: number; datafeed?: boolean; url?: string } = {}): Promise<DatafeedBenchResult | { skip: string }> {
  const rows = o.rows ?? 10_000_000;
  const runs = o.runs ?? 3;
  const table = o.url ? `vigil_bench_metrics_${rows}` : 'metrics';
  let url = o.url;
  let destroy = async (): Promise<void> => undefined;
  if (!url) {
    const s = await startPostgres();
    if (isSkipped(s)) return s;
    url = s.url;
    destroy = () => s.destroy();
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-df-'));
  try {
    const c = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
    await c.connect();
    const stepS = YEAR / 1000 / rows;
    let t = performance.now();
    const have = await c.query(`SELECT count(*)::float8 AS n FROM pg_class WHERE relname = $1`, [table]);
    if (Number(have.rows[0].n) > 0 && Number((await c.query(`SELECT count(*)::float8 AS n FROM ${table}`)).rows[0].n) !== rows) await c.query(`DROP TABLE ${table}`);
    if (Number((await c.query(`SELECT count(*)::float8 AS n FROM pg_class WHERE relname = $1`, [table])).rows[0].n) === 0) {
      await c.query(`CREATE UNLOGGED TABLE ${table} (ts timestamptz NOT NULL, v float8 NOT NULL)`);
      await c.query(
        `INSERT INTO ${table} SELECT to_timestamp(${T0 / 1000} + g * ${stepS}), 100 + 30 * sin(2 * pi() * g * ${stepS} / 86400) + (g % 13) FROM generate_series(0, ${rows - 1}) g`,
      );
      await c.query(`CREATE INDEX ON ${table} (ts)`);
      await c.query(`VACUUM ANALYZE ${table}`);
    }
    const loadSeconds = (performance.now() - t) / 1000;
    const load0 = loadavg()[0];

    // the query the source sends for this search (same text, same parameters)
    const agg = { spanMs: 60_000, metrics: [{ name: 'value', fn: 'avg' as const, field: 'v' }] };
    const q = bucketsSql(POSTGRES_DIALECT, { from: quoteTable(table), timeField: 'ts', timeType: 'timestamptz' }, T0, T0 + YEAR, agg);

    const database: number[] = [];
    const detect: number[] = [];
    const detectCpu: number[] = [];
    let buckets = 0;
    // the database alone: the pushed-down query, every row fetched
    const runDatabase = async (): Promise<void> => {
      t = performance.now();
      const r = await c.query({ text: q.text, values: q.values, rowMode: 'array' });
      database.push((performance.now() - t) / 1000);
      buckets = r.rows.length;
    };
    // vigil detect --source: the source (cursor, pages) + the default model on every bucket
    const runDetect = async (): Promise<void> => {
      const cpu = process.cpuUsage();
      t = performance.now();
      const reader = openSourceReader({ url: url!, table, label: 'bench', start: String(T0), end: String(T0 + YEAR) }, { timeField: 'ts', valueField: 'v', function: 'mean', bucketSpanMs: 60_000 });
      let scored = 0;
      const det = new SeriesDetection({ function: 'mean', bucketSpanMs: 60_000 }, () => scored++);
      for await (const b of reader) for (let i = 0; i < b.n; i++) det.add(b.time[i], b.value[i]);
      det.flush();
      detect.push((performance.now() - t) / 1000);
      const u = process.cpuUsage(cpu);
      detectCpu.push((u.user + u.system) / 1e6);
      if (scored < reader.report.rows) throw new Error(`detect scored ${scored} buckets of ${reader.report.rows}`);
    };
    // alternately, each first in turn, so that both see the same load and the same caches
    for (let run = 0; run < runs; run++) {
      if (run % 2 === 0) {
        await runDatabase();
        await runDetect();
      } else {
        await runDetect();
        await runDatabase();
      }
    }
    await c.end();
    const databaseSeconds = median(database);
    const detectSeconds = median(detect);
    const out: DatafeedBenchResult = {
      rows,
      buckets,
      runs,
      loadSeconds,
      databaseSeconds,
      detectSeconds,
      detectDocsPerSecond: rows / detectSeconds,
      vigilShareDetect: Math.max(0, detectSeconds - databaseSeconds) / detectSeconds,
      detectCpuSeconds: median(detectCpu),
      samples: { database, detect },
      load: [load0, load0],
    };

    if (o.datafeed !== false) {
      const feed: number[] = [];
      for (let run = 0; run < runs; run++) {
        const jobs = new JobService({ store: new MemoryStore(), engine: anomalyJobEngine, walDir: join(dir, `wal-${run}`), snapshotEveryOps: 1_000_000, snapshotEveryBytes: 2 ** 40 });
        const feeds = new DatafeedService({ jobs, store: new MemoryDatafeedStore(), env: { PG_URL: url } });
        await jobs.putJob('bench', {
          analysis_config: { bucket_span: '1m', summary_count_field_name: 'doc_count', detectors: [{ function: 'mean', field_name: 'v' }] },
          data_description: { time_field: 'ts', time_format: 'epoch_ms' },
        });
        await feeds.put('bench', { job_id: 'bench', indices: [table], vigil_source: { type: 'postgres', connection: 'env:PG_URL' } });
        await jobs.openJob('bench');
        t = performance.now();
        await feeds.start('bench', { start: T0, end: T0 + YEAR });
        await feeds.settle('bench');
        feed.push((performance.now() - t) / 1000);
        const st = (await feeds.stats('bench'))[0] as { vigil: { source_documents: number } };
        if (st.vigil.source_documents !== rows) throw new Error(`datafeed read ${st.vigil.source_documents} documents, expected ${rows}`);
        await jobs.shutdown();
      }
      const datafeedSeconds = median(feed);
      out.samples.datafeed = feed;
      Object.assign(out, {
        datafeedSeconds,
        datafeedDocsPerSecond: rows / datafeedSeconds,
        vigilShareDatafeed: Math.max(0, datafeedSeconds - databaseSeconds) / datafeedSeconds,
      });
    }
    out.load[1] = loadavg()[0];
    return out;
  } finally {
    await destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

// run directly: node on the compiled file, or `npx vite-node bench/datafeed.bench.ts` (which takes
// the file out of argv)
const self = process.argv[1] ?? '';
if (/datafeed\.bench\.(ts|js|mjs)$/.test(self) || /[\\/]vite-node(\.m?js)?$/.test(self)) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const rows = args[0] ? Number(args[0]) : undefined;
  const runs = args[1] ? Number(args[1]) : undefined;
  benchDatafeed({ rows, runs, datafeed: !process.argv.includes('--no-datafeed'), url: process.env.VIGIL_BENCH_PG_URL }).then((r) => console.log(JSON.stringify(r, null, 2)));
}
