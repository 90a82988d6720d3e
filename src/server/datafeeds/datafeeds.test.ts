import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSkipped, postgresBinDir, startPostgres, type PostgresService } from '../../sources/datafeed/test-kit/services.js';
import { MemoryStore } from '../../store/memory-store.js';
import type { Store } from '../../store/store.js';
import { buildApp } from '../app.js';
import { JobService } from '../jobs/job-service.js';
import { fakeEngine } from '../test-kit/fake-engine.js';
import { DatafeedService } from './datafeed-service.js';
import { FileDatafeedStore } from './datafeed-store.js';
import { EmbeddedIndices } from './indices-routes.js';
import { attachDatafeeds } from './routes.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const JSON_H = { 'content-type': 'application/json' };

interface Node {
  jobs: JobService;
  datafeeds: DatafeedService;
  indices: EmbeddedIndices;
  app: ReturnType<typeof buildApp>;
}

function node(dir: string, store: Store, o: Partial<ConstructorParameters<typeof DatafeedService>[0]> = {}): Node {
  const jobs = new JobService({ store, engine: fakeEngine, walDir: join(dir, 'wal') });
  const indices = new EmbeddedIndices(join(dir, 'indices.duckdb'));
  const datafeeds = new DatafeedService({ jobs, store: new FileDatafeedStore(join(dir, 'datafeeds')), embedded: (i, t, q) => indices.source(i, t, q), retryDelayMs: 50, ...o });
  attachDatafeeds(jobs, datafeeds, indices);
  return { jobs, datafeeds, indices, app: buildApp({ service: jobs, version: 'test' }) };
}

async function call(n: Node, method: string, url: string, body?: unknown, headers: Record<string, string> = JSON_H): Promise<{ status: number; json: any }> {
  const r = await n.app.inject({ method: method as 'GET', url, headers, payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.statusCode, json: r.body ? JSON.parse(r.body) : undefined };
}

async function bucketCounts(store: Store, jobId: string): Promise<Map<number, number>> {
  const page = await store.queryResults({ jobIds: [jobId], resultType: 'bucket', size: 100_000, excludeInterim: true });
  const m = new Map<number, number>();
  for (const d of page.docs) {
    if (m.has(d.timestamp)) throw new Error(`bucket ${d.timestamp} written twice`);
    m.set(d.timestamp, d.event_count as number);
  }
  return m;
}

const jobBody = (o: Record<string, unknown> = {}) => ({
  analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }], ...o },
  data_description: { time_field: 'ts', time_format: 'epoch_ms' },
});

describe('datafeeds over the embedded store (bulk API, historical run through the HTTP API)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-df-'));
  let n: Node;
  beforeAll(() => {
    n = node(dir, new MemoryStore());
  });
  afterAll(async () => {
    await n.app.close();
    await n.jobs.shutdown();
    await n.indices.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes documents with _bulk, runs a historical datafeed, closes the job, reports progress', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 6 * 60; i++) lines.push(JSON.stringify({ index: {} }), JSON.stringify({ ts: T0 + i * 60_000 + 1000, status: i % 10 === 0 ? 500 : 200, bytes: i }));
    const bulk = await call(n, 'POST', '/web/_bulk?refresh=true', lines.join('\n') + '\n', { 'content-type': 'application/x-ndjson' });
    expect(bulk.status).toBe(200);
    expect(bulk.json.errors).toBe(false);
    expect(bulk.json.items).toHaveLength(360);
    expect((await call(n, 'GET', '/_vigil/indices')).json.indices).toEqual([{ index: 'web', docs_count: 360 }]);

    expect((await call(n, 'PUT', '/_ml/anomaly_detectors/web-count', jobBody())).status).toBe(200);
    const put = await call(n, 'PUT', '/_ml/datafeeds/datafeed-web', { job_id: 'web-count', indices: ['web'], query: { term: { status: 200 } }, query_delay: '0s' });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ datafeed_id: 'datafeed-web', job_id: 'web-count', indices: ['web'], scroll_size: 1000, chunking_config: { mode: 'auto' } });

    const early = await call(n, 'POST', '/_ml/datafeeds/datafeed-web/_start', { end: T0 + 6 * H });
    expect(early.status).toBe(409); // the job is closed
    await call(n, 'POST', '/_ml/anomaly_detectors/web-count/_open');
    const preview = await call(n, 'GET', `/_ml/datafeeds/datafeed-web/_preview?size=2`);
    expect(preview.json).toEqual([
      expect.objectContaining({ ts: T0 + 60_000 + 1000, status: 200 }),
      expect.objectContaining({ ts: T0 + 2 * 60_000 + 1000, status: 200 }),
    ]);
    const start = await call(n, 'POST', `/_ml/datafeeds/datafeed-web/_start?start=${T0}&end=${T0 + 6 * H}`);
    expect(start.json).toEqual({ started: true, node: expect.any(String) });
    await n.datafeeds.settle('datafeed-web');
    const stats = (await call(n, 'GET', '/_ml/datafeeds/datafeed-web/_stats')).json.datafeeds[0];
    expect(stats.state).toBe('stopped');
    expect(stats.vigil.progress.percent).toBe(100);
    expect(stats.vigil.source_documents).toBe(324); // the query kept status 200
    expect(stats.vigil.stopped_reason).toBe('historical run complete');
    expect(n.jobs.isOpen('web-count')).toBe(false);
    const counts = await bucketCounts(n.jobs.store, 'web-count');
    expect([...counts.values()]).toEqual([54, 54, 54, 54, 54, 54]);
  });

  it('a job with datafeed_config gets its datafeed; CSV upload; pre-summarised input is bucketed by the store', async () => {
    const csv = 'ts,latency,host\n' + Array.from({ length: 120 }, (_, i) => `${T0 + i * 60_000},${i % 60},${i % 2 ? 'a' : 'b'}`).join('\n') + '\n';
    expect((await call(n, 'POST', '/_vigil/indices/lat/_upload', csv, { 'content-type': 'text/csv' })).json).toEqual({ index: 'lat', documents: 120 });
    const job = jobBody({ summary_count_field_name: 'doc_count', detectors: [{ function: 'mean', field_name: 'latency', partition_field_name: 'host' }] });
    expect((await call(n, 'PUT', '/_ml/anomaly_detectors/lat-mean', { ...job, datafeed_config: { indices: ['lat'], query_delay: '0s' } })).status).toBe(200);
    const got = await call(n, 'GET', '/_ml/datafeeds/lat-mean');
    expect(got.json.datafeeds[0]).toMatchObject({ datafeed_id: 'lat-mean', job_id: 'lat-mean', indices: ['lat'] });
    const preview = await call(n, 'GET', `/_ml/datafeeds/lat-mean/_preview?start=${T0}&end=${T0 + 2 * H}`);
    expect(preview.json).toEqual([
      { ts: T0, doc_count: 30, latency: 30, host: 'a' },
      { ts: T0, doc_count: 30, latency: 29, host: 'b' },
      { ts: T0 + H, doc_count: 30, latency: 30, host: 'a' },
      { ts: T0 + H, doc_count: 30, latency: 29, host: 'b' },
    ]);
  });

  it('Elastic errors: unknown datafeed, second datafeed for a job, bad query clause', async () => {
    expect((await call(n, 'GET', '/_ml/datafeeds/nope')).status).toBe(404);
    expect((await call(n, 'PUT', '/_ml/datafeeds/again', { job_id: 'web-count', indices: ['web'] })).status).toBe(400);
    const bad = await call(n, 'PUT', '/_ml/datafeeds/bad', { job_id: 'lat-mean', indices: ['lat'], vigil_source: { type: 'nosuch' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.reason).toMatch(/vigil_source.type/);
  });
});

// ---------------------------------------------------------------------------------------------
// PostgreSQL: historical run with a crash mid-feed, live run with late data and an outage

const pgSkip = postgresBinDir() ? undefined : 'PostgreSQL is not installed (apt-get install -y postgresql, or scripts/test-services.sh)';

describe.skipIf(pgSkip !== undefined)(`datafeeds over PostgreSQL${pgSkip ? ` — skipped: ${pgSkip}` : ''}`, () => {
  let pgs: PostgresService;
  let client: pg.Client;
  const env = { PG_URL: '' };
  beforeAll(async () => {
    const s = await startPostgres();
    if (isSkipped(s)) throw new Error(s.skip);
    pgs = s;
    env.PG_URL = s.url;
    client = new pg.Client({ connectionString: s.url });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('CREATE TABLE events (ts timestamptz NOT NULL, host text, v float8)');
    // 2 days, one event every 30 s, host a and b alternating; a few extra events in hour 30
    await client.query(`INSERT INTO events SELECT to_timestamp(${T0 / 1000} + g * 30), CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END, g % 17 FROM generate_series(0, 5759) g`);
    await client.query(`INSERT INTO events SELECT to_timestamp(${(T0 + 30 * H) / 1000} + g), 'a', 100 FROM generate_series(0, 49) g`);
    await client.query('CREATE INDEX ON events (ts)');
  });
  afterAll(async () => {
    await client?.end();
    await pgs?.destroy();
  });

  const expected = (hours: number): number[] => Array.from({ length: hours }, (_, h) => (h === 30 ? 170 : 120));

  it('historical run: crashes after the job accepted a page but before the datafeed recorded it; resumes with no bucket lost or doubled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-df-pg-'));
    const store = new MemoryStore();
    let pages = 0;
    let hang!: () => void;
    const crashed = new Promise<void>((r) => (hang = r));
    const a = node(dir, store, {
      env,
      afterPost: async () => {
        if (++pages === 7) {
          hang();
          await new Promise(() => undefined); // the process "dies" here: nothing after this page happens
        }
      },
    });
    await call(a, 'PUT', '/_ml/anomaly_detectors/pg-count', jobBody());
    const put = await call(a, 'PUT', '/_ml/datafeeds/df-pg', {
      job_id: 'pg-count',
      indices: ['events'],
      scroll_size: 500,
      chunking_config: { mode: 'manual', time_span: '6h' },
      vigil_source: { type: 'postgres', connection: 'env:PG_URL' },
    });
    expect(put.status).toBe(200);
    expect(JSON.stringify(put.json)).not.toContain(pgs.url); // the stored config keeps the reference
    await call(a, 'POST', '/_ml/anomaly_detectors/pg-count/_open');
    await call(a, 'POST', `/_ml/datafeeds/df-pg/_start?start=${T0}&end=${T0 + 48 * H}`);
    await crashed;
    // a new process on the same data directory and store
    const b = node(dir, store, { env });
    await b.jobs.recover();
    expect(await b.datafeeds.recover()).toEqual(['df-pg']);
    await b.datafeeds.settle('df-pg');
    const stats = (await call(b, 'GET', '/_ml/datafeeds/df-pg/_stats')).json.datafeeds[0];
    expect(stats.state).toBe('stopped');
    expect(stats.vigil.progress.percent).toBe(100);
    const counts = await bucketCounts(store, 'pg-count');
    expect([...counts.keys()]).toEqual(Array.from({ length: 48 }, (_, h) => T0 + h * H));
    expect([...counts.values()]).toEqual(expected(48));
    await b.jobs.shutdown();
    await b.indices.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pre-summarised historical run: the database buckets (date_bin) and the job gets one document per bucket and host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-df-pg2-'));
    const n = node(dir, new MemoryStore(), { env });
    await call(n, 'PUT', '/_ml/anomaly_detectors/pg-mean', jobBody({ summary_count_field_name: 'doc_count', detectors: [{ function: 'mean', field_name: 'v', partition_field_name: 'host' }] }));
    await call(n, 'PUT', '/_ml/datafeeds/df-pg-mean', { job_id: 'pg-mean', indices: ['events'], vigil_source: { type: 'postgres', connection: 'env:PG_URL' } });
    await call(n, 'POST', '/_ml/anomaly_detectors/pg-mean/_open');
    const prev = (await call(n, 'GET', `/_ml/datafeeds/df-pg-mean/_preview?start=${T0 + 30 * H}&end=${T0 + 31 * H}`)).json;
    expect(prev).toHaveLength(2);
    expect(prev[0]).toMatchObject({ ts: T0 + 30 * H, doc_count: 110, host: 'a' });
    await call(n, 'POST', `/_ml/datafeeds/df-pg-mean/_start?start=${T0}&end=${T0 + 48 * H}`);
    await n.datafeeds.settle('df-pg-mean');
    const stats = (await call(n, 'GET', '/_ml/datafeeds/df-pg-mean/_stats')).json.datafeeds[0];
    expect(stats.vigil.documents_posted).toBe(96); // 48 hours × 2 hosts
    expect(stats.vigil.source_documents).toBe(5810);
    // the fake engine counts documents: one per host and bucket
    expect([...(await bucketCounts(n.jobs.store, 'pg-mean')).values()]).toEqual(Array(48).fill(2));
    await n.jobs.shutdown();
    await n.indices.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('live: searches up to now − query_delay each tick, survives the database going away, reports late data', async () => {
    await client.query('CREATE TABLE live (ts timestamptz NOT NULL, v float8)');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-df-live-'));
    let now = T0 + 2 * H + 5 * 60_000;
    const n = node(dir, new MemoryStore(), { env, clock: () => now, schedule: false });
    const insert = async (fromMin: number, toMin: number) =>
      client.query(`INSERT INTO live SELECT to_timestamp(${T0 / 1000} + g * 60), 1 FROM generate_series(${fromMin}, ${toMin - 1}) g`);
    await insert(0, 125);
    await call(n, 'PUT', '/_ml/anomaly_detectors/live-count', jobBody());
    await call(n, 'PUT', '/_ml/datafeeds/df-live', {
      job_id: 'live-count',
      indices: ['live'],
      query_delay: '2m',
      frequency: '10m',
      delayed_data_check_config: { enabled: true, check_window: '6h' },
      vigil_source: { type: 'postgres', connection: 'env:PG_URL' },
    });
    await call(n, 'POST', '/_ml/anomaly_detectors/live-count/_open');
    await call(n, 'POST', `/_ml/datafeeds/df-live/_start?start=${T0}`);
    await n.datafeeds.settle('df-live');
    let st = (await call(n, 'GET', '/_ml/datafeeds/df-live/_stats')).json.datafeeds[0];
    expect(st.state).toBe('started');
    expect(st.running_state).toMatchObject({ real_time_configured: true, real_time_running: true });
    expect(st.vigil.position).toBe(T0 + 2 * H); // whole buckets up to now − query_delay

    // an hour later, with the database down: the search fails, nothing moves
    await insert(125, 185);
    now += H;
    await pgs.stop();
    await n.datafeeds.tick('df-live');
    st = (await call(n, 'GET', '/_ml/datafeeds/df-live/_stats')).json.datafeeds[0];
    expect(st.vigil.last_error).toMatch(/unavailable/);
    expect(st.vigil.position).toBe(T0 + 2 * H);
    // back: the next search catches up
    await pgs.start();
    client = new pg.Client({ connectionString: pgs.url });
    client.on('error', () => undefined);
    await client.connect();
    await n.datafeeds.tick('df-live');
    st = (await call(n, 'GET', '/_ml/datafeeds/df-live/_stats')).json.datafeeds[0];
    expect(st.vigil.last_error).toBeNull();
    expect(st.vigil.position).toBe(T0 + 3 * H);

    // 7 documents arrive late, behind the processed time: the check finds them
    await client.query(`INSERT INTO live SELECT to_timestamp(${(T0 + H) / 1000} + g), 1 FROM generate_series(1, 7) g`);
    const missing = await call(n, 'POST', '/_vigil/datafeeds/df-live/_check_delayed_data');
    expect(missing.json).toEqual({ missing_documents: 7 });
    st = (await call(n, 'GET', '/_ml/datafeeds/df-live/_stats')).json.datafeeds[0];
    expect(st.vigil.delayed_data).toMatchObject({ missing_documents: 7, latest_missing_bucket: T0 + H });
    const ann = (await call(n, 'GET', '/_vigil/datafeeds/df-live/annotations')).json;
    expect(ann.annotations[0].annotation).toBe('Datafeed has missed 7 documents due to ingest latency, latest bucket with missing data is [2024-01-01T01:00:00.000Z]. Consider increasing query_delay');
    expect((await call(n, 'POST', '/_vigil/datafeeds/df-live/_check_delayed_data')).json).toEqual({ missing_documents: 0 }); // reported once

    expect((await call(n, 'POST', '/_ml/datafeeds/df-live/_stop')).json).toEqual({ stopped: true });
    const counts = await bucketCounts(n.jobs.store, 'live-count');
    expect([...counts.values()]).toEqual([60, 60, 60]); // the late documents were not fed twice or at all
    await n.jobs.shutdown();
    await n.indices.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
