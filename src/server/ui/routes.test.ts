import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../test-kit/harness.js';
import type { UiOptions } from './routes.js';

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
});
