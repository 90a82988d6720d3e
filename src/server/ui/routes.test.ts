import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../store/duckdb-store.js';
import { MemoryStore } from '../../store/memory-store.js';
import type { ResultDoc, Store } from '../../store/store.js';
import { getBuckets } from '../jobs/results-query.js';
import { harness, type Harness } from '../test-kit/harness.js';
import { jobScores, type JobScores, type UiOptions } from './routes.js';

function csv(): string {
  const start = Date.UTC(2024, 0, 1);
  const lines = ['timestamp,host,latency_ms,status'];
  for (let i = 0; i < 2000; i++) {
    const t = new Date(start + i * 60_000).toISOString();
    if (i >= 600 && i < 660) continue; // an hour with no data
    lines.push(`${t},${i % 2 ? 'web-1' : 'web-2'},${(100 + (i % 7) + (i === 1500 ? 900 : 0)).toFixed(1)},${i % 10 ? 'ok' : 'error'}`);
  }
  return lines.join('\n') + '\n';
}

describe('UI routes', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-ui-test-'));
    mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>Vigil</title>');
    writeFileSync(join(dir, 'dist', 'assets', 'app-1.js'), 'console.log(1)');
    const ui: UiOptions = { uiUploadDir: join(dir, 'uploads'), uiDistDir: join(dir, 'dist') };
    h = await harness({ app: ui as object });
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the app under /app/, with index.html for client routes and immutable assets', async () => {
    const index = await h.app.inject({ method: 'GET', url: '/app/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    const deep = await h.app.inject({ method: 'GET', url: '/app/jobs/anything' });
    expect(deep.body).toContain('<title>Vigil');
    const asset = await h.app.inject({ method: 'GET', url: '/app/assets/app-1.js' });
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
    const escape = await h.app.inject({ method: 'GET', url: '/app/..%2F..%2Fpackage.json' });
    expect(escape.body).toContain('<title>Vigil');
  });

  it('uploads a CSV and returns field statistics with the time field and a bucket span suggestion', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/_vigil/ui/uploads?file_name=latency.csv', payload: csv(), headers: { 'content-type': 'text/csv' } });
    expect(res.statusCode).toBe(200);
    const m = res.json();
    expect(m).toMatchObject({ format: 'csv', rows: 1940, time_field: 'timestamp', suggested_field: 'latency_ms', bad_time_rows: 0 });
    const byName = Object.fromEntries(m.fields.map((f: { name: string }) => [f.name, f]));
    expect(byName.host).toMatchObject({ type: 'keyword', distinct: 2, count: 1940 });
    expect(byName.latency_ms).toMatchObject({ type: 'number', min: 100, max: 1002 });
    expect(byName.latency_ms.histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(1940);
    expect(byName.timestamp.type).toBe('date');
    expect(m.suggested_bucket_span).toMatch(/^\d+[smhd]$/);
    const list = (await h.app.inject({ method: 'GET', url: '/_vigil/ui/uploads' })).json();
    expect(list.uploads.map((u: { upload_id: string }) => u.upload_id)).toContain(m.upload_id);
  });

  it('reads gzip NDJSON too, and refuses a file without a usable time field with a message', async () => {
    const nd = Array.from({ length: 50 }, (_, i) => JSON.stringify({ '@timestamp': 1_700_000_000_000 + i * 60_000, m: { v: i } })).join('\n');
    const ok = await h.app.inject({ method: 'POST', url: '/_vigil/ui/uploads', payload: gzipSync(nd), headers: { 'content-type': 'application/octet-stream' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ format: 'ndjson', rows: 50, time_field: '@timestamp' });
    expect(ok.json().fields.map((f: { name: string }) => f.name)).toContain('m.v');
    const bad = await h.app.inject({ method: 'POST', url: '/_vigil/ui/uploads', payload: 'a,b\nx,y\n', headers: { 'content-type': 'text/csv' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.reason).toMatch(/timestamp/);
  });

  it('previews the bucketed series per split value, with the empty hour as a missing run', async () => {
    const up = (await h.app.inject({ method: 'POST', url: '/_vigil/ui/uploads', payload: csv(), headers: { 'content-type': 'text/csv' } })).json();
    const res = await h.app.inject({ method: 'POST', url: `/_vigil/ui/uploads/${up.upload_id}/_preview`, payload: { function: 'mean', field_name: 'latency_ms', bucket_span: '10m' } });
    expect(res.statusCode).toBe(200);
    const p = res.json();
    expect(p).toMatchObject({ bucket_span: '10m', bucket_span_ms: 600_000, buckets: 200, split_values: 1 });
    expect(p.series[0].values).toHaveLength(200);
    expect(p.missing).toEqual([{ series: 'all', start: Date.UTC(2024, 0, 1, 10), end: Date.UTC(2024, 0, 1, 11) }]);
    const split = (await h.app.inject({ method: 'POST', url: `/_vigil/ui/uploads/${up.upload_id}/_preview`, payload: { function: 'count', split_field_name: 'status' } })).json();
    expect(split.series.map((s: { name: string }) => s.name)).toEqual(['ok', 'error']);
    const bad = await h.app.inject({ method: 'POST', url: `/_vigil/ui/uploads/${up.upload_id}/_preview`, payload: { function: 'mean' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.reason).toMatch(/field_name/);
  });

  it('posts an upload into an open job through _data and flushes', async () => {
    const up = (await h.app.inject({ method: 'POST', url: '/_vigil/ui/uploads', payload: csv(), headers: { 'content-type': 'text/csv' } })).json();
    const job = {
      analysis_config: { bucket_span: '10m', detectors: [{ function: 'mean', field_name: 'latency_ms', partition_field_name: 'host' }], influencers: ['host'] },
      data_description: { time_field: 'timestamp', time_format: 'epoch_ms' },
    };
    expect((await h.app.inject({ method: 'PUT', url: '/_ml/anomaly_detectors/lat', payload: job })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/lat/_open' })).statusCode).toBe(200);
    const res = await h.app.inject({ method: 'POST', url: `/_vigil/ui/uploads/${up.upload_id}/_post/lat` });
    expect(res.statusCode).toBe(200);
    expect(res.json().data_counts).toMatchObject({ processed_record_count: 1940 });
    const missing = await h.app.inject({ method: 'POST', url: `/_vigil/ui/uploads/nope-123/_post/lat` });
    expect(missing.statusCode).toBe(404);
  });

  it('answers the jobs list for all jobs in one request: what two results/buckets requests per job answered', async () => {
    const t0 = Date.UTC(2024, 0, 1);
    const put = (id: string) => h.app.inject({ method: 'PUT', url: `/_ml/anomaly_detectors/${id}`, payload: { analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] }, data_description: { time_field: 't' } } });
    for (const id of ['sc-a', 'sc-b', 'sc-c']) expect((await put(id)).statusCode).toBe(200);
    // sc-a: its newest bucket interim; sc-b: no results; sc-c: its highest score twice, then lower
    await h.store.writeResults('sc-a', scoreDocs('sc-a', t0, [3, 80, 12, 5], { interimLast: true }));
    await h.store.writeResults('sc-c', scoreDocs('sc-c', t0 + 3_600_000, [60, 7, 60, 1]));
    const res = await h.app.inject({ method: 'GET', url: '/_vigil/ui/jobs/_all/_scores' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { count: number; jobs: JobScores[] };
    const stats = (await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/_stats' })).json() as { jobs: { job_id: string }[] };
    expect(body.jobs.map((j) => j.job_id)).toEqual(stats.jobs.map((j) => j.job_id));
    expect(body.count).toBe(stats.jobs.length);
    const byId = new Map(body.jobs.map((j) => [j.job_id, j]));
    expect(byId.get('sc-a')).toEqual({ job_id: 'sc-a', latest_bucket: { timestamp: t0 + 3 * 3_600_000, anomaly_score: 5, is_interim: true }, max_anomaly_score: 80 });
    expect(byId.get('sc-b')).toEqual({ job_id: 'sc-b' });
    expect(byId.get('sc-c')).toEqual({ job_id: 'sc-c', latest_bucket: { timestamp: t0 + 4 * 3_600_000, anomaly_score: 1, is_interim: false }, max_anomaly_score: 60 });
    // every job (with the 'lat' job the engine scored above) as the list used to read it, one job at a time
    for (const j of body.jobs) {
      const bucket = async (payload: object) => (await h.app.inject({ method: 'POST', url: `/_ml/anomaly_detectors/${j.job_id}/results/buckets`, payload })).json().buckets[0] as ResultDoc | undefined;
      const latest = await bucket({ desc: true, page: { from: 0, size: 1 } });
      const top = await bucket({ sort: 'anomaly_score', desc: true, page: { from: 0, size: 1 } });
      expect(j.latest_bucket).toEqual(latest && { timestamp: latest.timestamp, anomaly_score: latest.anomaly_score, is_interim: latest.is_interim });
      expect(j.max_anomaly_score).toBe(top?.anomaly_score);
    }
    expect(body.jobs.some((j) => j.job_id === 'lat' && j.max_anomaly_score !== undefined)).toBe(true);
    // a pattern, and an explicit unknown id as _stats answers it
    const some = (await h.app.inject({ method: 'GET', url: '/_vigil/ui/jobs/sc-a,sc-c/_scores' })).json() as { jobs: JobScores[] };
    expect(some.jobs.map((j) => j.job_id)).toEqual(['sc-a', 'sc-c']);
    expect((await h.app.inject({ method: 'GET', url: '/_vigil/ui/jobs/nope/_scores' })).statusCode).toBe(404);
  });
});

function scoreDocs(jobId: string, start: number, scores: number[], o: { interimLast?: boolean } = {}): ResultDoc[] {
  return scores.flatMap((score, i) => {
    const timestamp = start + i * 3_600_000;
    const is_interim = o.interimLast === true && i === scores.length - 1;
    return [
      { job_id: jobId, result_type: 'bucket', timestamp, bucket_span: 3600, anomaly_score: score, initial_anomaly_score: score, event_count: 1, is_interim },
      { job_id: jobId, result_type: 'record', timestamp, bucket_span: 3600, detector_index: 0, function: 'count', record_score: score + 1, initial_record_score: score + 1, probability: 0.1, is_interim },
    ];
  });
}

describe.each([
  ['DuckDB', () => DuckDbStore.open(':memory:')],
  ['memory', async () => new MemoryStore()],
])('jobScores over the %s store', (_name, open: () => Promise<Store>) => {
  it('matches the per-job top-1 queries whether jobs are read together, in small batches or one by one', async () => {
    const store = await open();
    try {
      const t0 = Date.UTC(2024, 2, 1);
      const jobs: { job_id: string }[] = [];
      let seed = 7;
      const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
      for (let j = 0; j < 7; j++) {
        const id = `j${j}`;
        const n = j === 3 ? 0 : 20 + j * 9;
        jobs.push({ job_id: id });
        // written interleaved by time, as live jobs write them; j5's newest bucket interim
        for (let c = 0; c < n; c += 10) {
          const scores = Array.from({ length: Math.min(10, n - c) }, () => Math.round(rnd() * 1000) / 10);
          await store.writeResults(id, scoreDocs(id, t0 + (c + j) * 3_600_000, scores, { interimLast: j === 5 && c + 10 >= n }));
        }
      }
      const expected: JobScores[] = [];
      for (const { job_id } of jobs) {
        const latest = (await getBuckets(store, [job_id], { desc: true, page: { from: 0, size: 1 } })).buckets[0];
        const top = (await getBuckets(store, [job_id], { sort: 'anomaly_score', desc: true, page: { from: 0, size: 1 } })).buckets[0];
        const s: JobScores = { job_id };
        if (latest) s.latest_bucket = { timestamp: latest.timestamp, anomaly_score: latest.anomaly_score as number, is_interim: latest.is_interim === true };
        if (top) s.max_anomaly_score = top.anomaly_score as number;
        expected.push(s);
      }
      expect(expected[3]).toEqual({ job_id: 'j3' });
      expect(expected[5].latest_bucket?.is_interim).toBe(true);
      expect(await jobScores(store, jobs)).toEqual(expected);
      expect(await jobScores(store, jobs, { batchJobs: 1e9 })).toEqual(expected);
      expect(await jobScores(store, jobs, { batchJobs: 3 })).toEqual(expected);
      expect(await jobScores(store, jobs, { batchJobs: 1 })).toEqual(expected);
      // jobs without a hint are read together too
      expect(await jobScores(store, jobs.map(({ job_id }) => ({ job_id })))).toEqual(expected);
    } finally {
      await store.close();
    }
  });
});
