/**
 * Operations: /metrics content, liveness/readiness, JSON logs with request ids and no secrets,
 * graceful shutdown with nothing lost, backup while ingesting and restore into a fresh directory.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { defaultConfig } from '../config.js';
import { startServer, type RunningServer } from '../server.js';
import { basic, PASSWORD, secureHarness, testUsers } from '../security/test-kit/secure-harness.js';
import { fakeEngine } from '../test-kit/fake-engine.js';
import { harness, JSON9, NDJSON9 } from '../test-kit/harness.js';
import { backupDataDir, restoreDataDir, verifyBackup } from './backup.js';
import { testOps } from './context.js';
import { loggerOptions } from './logger.js';
import { Registry } from './metrics.js';
import { testServerConfig } from '../test-kit/server-config.js';

const T0 = Date.UTC(2024, 0, 1);
const JOB = { analysis_config: { bucket_span: '5m', detectors: [{ function: 'count' }] }, data_description: { time_field: 'time', time_format: 'epoch_ms' } };
const batch = (i: number, n = 20) => Array.from({ length: n }, (_, k) => JSON.stringify({ time: T0 + (i * n + k) * 30_000 })).join('\n');

describe('metrics registry', () => {
  it('renders counters, gauges and histograms in Prometheus text format, escaping label values', async () => {
    const r = new Registry();
    r.counter('t_total', 'A counter.', ['route']).inc({ route: 'a"b\\c\nd' }, 2);
    r.gauge('t_gauge', 'A gauge.').set({}, 1.5);
    const h = r.histogram('t_seconds', 'A histogram.', ['m'], [0.1, 1]);
    h.observe({ m: 'GET' }, 0.05);
    h.observe({ m: 'GET' }, 0.5);
    const text = await r.render();
    expect(text).toContain('# TYPE t_total counter\nt_total{route="a\\"b\\\\c\\nd"} 2');
    expect(text).toContain('t_gauge 1.5');
    expect(text).toContain('t_seconds_bucket{m="GET",le="0.1"} 1\nt_seconds_bucket{m="GET",le="1"} 2\nt_seconds_bucket{m="GET",le="+Inf"} 2\nt_seconds_sum{m="GET"} 0.55\nt_seconds_count{m="GET"} 2');
    expect(r.counter('t_total', 'again', ['route'])).toBe(r.counter('t_total', 'x', ['route']));
    expect(() => r.gauge('t_total', 'clash')).toThrow(/already registered/);
  });

  it('/metrics reports requests by route and status, latencies, records, buckets, anomalies, memory and queues per job', async () => {
    const metrics = new Registry();
    const h = await harness({ app: { ops: testOps({ metrics }) } });
    try {
      await h.app.inject({ method: 'PUT', url: '/_ml/anomaly_detectors/m1', headers: JSON9, payload: JOB });
      await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/m1/_open' });
      await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/m1/_data', headers: NDJSON9, payload: batch(0, 60) });
      await h.app.inject({ url: '/_ml/anomaly_detectors/nope' });
      const metricsDeliveries = metrics.counter('vigil_alert_deliveries_total', '', ['channel', 'outcome']);
      metricsDeliveries.inc({ channel: 'webhook', outcome: 'sent' });
      const r = await h.app.inject({ url: '/metrics' });
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toContain('text/plain; version=0.0.4');
      const t = r.body;
      expect(t).toContain('vigil_http_requests_total{method="POST",route="/_ml/anomaly_detectors/:job_id/_data",status="200"} 1');
      expect(t).toContain('vigil_http_requests_total{method="GET",route="/_ml/anomaly_detectors/:job_id",status="404"} 1');
      expect(t).toMatch(/vigil_http_request_duration_seconds_bucket\{method="PUT",route="\/_ml\/anomaly_detectors\/:job_id",le="\+Inf"\} 1/);
      expect(t).toContain('vigil_job_processed_records{job_id="m1"} 60');
      expect(t).toMatch(/vigil_job_buckets\{job_id="m1"\} [1-9]/);
      expect(t).toMatch(/vigil_job_anomaly_records\{job_id="m1"\} \d+/);
      expect(t).toMatch(/vigil_job_model_bytes\{job_id="m1"\} \d+/);
      expect(t).toContain('vigil_job_queue_length{job_id="m1"} 0');
      expect(t).toContain('vigil_jobs{state="opened"} 1');
      expect(t).toContain('vigil_alert_deliveries_total{channel="webhook",outcome="sent"} 1');
      expect(t).toMatch(/process_resident_memory_bytes \d+/);
      expect(t).toContain('vigil_historical_runs_active 0');
    } finally {
      await h.close();
    }
  });

  it('needs a viewer when authentication is on, unless security.anonymous_metrics', async () => {
    const h = await secureHarness();
    try {
      expect((await h.app.inject({ url: '/metrics' })).statusCode).toBe(401);
      expect((await h.app.inject({ url: '/metrics', headers: basic('vi') })).statusCode).toBe(200);
      expect((await h.app.inject({ url: '/metrics', headers: basic('vi') })).body).toContain('vigil_auth_failures_total{status="401"} 1');
    } finally {
      await h.close();
    }
    const open = await secureHarness({ ops: { anonymousMetrics: true } });
    try {
      expect((await open.app.inject({ url: '/metrics' })).statusCode).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('logs', () => {
  it('are JSON lines with the request id, and carry no Authorization header, password or API key', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (c, _e, cb) => (lines.push(...String(c).split('\n').filter(Boolean)), cb()) });
    const h = await secureHarness({ harness: { app: { logger: { ...loggerOptions('debug'), stream } as never } } });
    try {
      const key = (await h.app.inject({ method: 'POST', url: '/_security/api_key', headers: { ...JSON9, ...basic('root'), 'x-request-id': 'req-abc.1' }, payload: { name: 'logged' } })).json();
      expect(key.api_key).toBeDefined();
      const r = await h.app.inject({ url: '/_ml/anomaly_detectors', headers: { authorization: `ApiKey ${key.encoded}` } });
      expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      await h.app.inject({ url: '/_ml/anomaly_detectors', headers: { ...basic('root', 'wrong-password-zz'), 'x-request-id': 'bad\r\nid' } });
      h.app.log.info({ req: { headers: { authorization: 'Basic c2VjcmV0' } }, password: 'hunter2', nested: { api_key: 'k' } }, 'redaction probe');
      const all = lines.join('\n');
      const parsed = lines.map((l) => JSON.parse(l));
      expect(parsed.some((l) => l.reqId === 'req-abc.1' && l.msg === 'API key created')).toBe(true);
      expect(parsed.filter((l) => l.msg === 'request').every((l) => typeof l.reqId === 'string')).toBe(true);
      for (const secret of [key.api_key, key.encoded, PASSWORD, 'wrong-password-zz', 'c2VjcmV0', 'hunter2', Buffer.from(`root:${PASSWORD}`).toString('base64')]) expect(all).not.toContain(secret);
      expect(all).toContain('[redacted]');
      expect(all).not.toContain('bad\r\nid');
    } finally {
      await h.close();
    }
  });
});

describe('liveness and readiness', () => {
  it('live is 200; ready is 503 before listen and while shutting down, 200 in between', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-ready-'));
    const cfg = testServerConfig(dir);
    const s = await startServer(cfg, { engine: fakeEngine, version: 'test' });
    try {
      expect((await fetch(`${s.url}/_vigil/live`)).status).toBe(200);
      const ready = await fetch(`${s.url}/_vigil/ready`);
      expect([ready.status, (await ready.json()).status]).toEqual([200, 'ready']);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const app = buildApp({ service: (await harness()).service, ops: testOps({ state: { ready: false, draining: false } }) });
    expect((await app.inject({ url: '/_vigil/ready' })).statusCode).toBe(503);
    await app.close();
  });
});

describe('graceful shutdown, backup and restore (embedded DuckDB store, real sockets)', () => {
  let dir: string;
  let server: RunningServer;
  const cfgFor = (data: string) => {
    const c = { ...defaultConfig(dir), port: 0, port_explicit: true, data_dir: data, log_level: 'silent' as const };
    return c;
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-ops-'));
  });
  afterAll(async () => {
    await server?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (url: string, path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...headers }, body });

  async function snapshotOf(url: string, jobs: string[]) {
    const out: Record<string, unknown> = {};
    for (const id of jobs) {
      const stats = (await (await fetch(`${url}/_ml/anomaly_detectors/${id}/_stats`)).json()) as any;
      const buckets = (await (await fetch(`${url}/_ml/anomaly_detectors/${id}/results/buckets?size=10000`)).json()) as any;
      out[id] = { records: stats.jobs[0].data_counts.processed_record_count, state: stats.jobs[0].state, buckets: buckets.buckets.map((b: any) => [b.timestamp, b.event_count, b.is_interim]) };
    }
    return out;
  }

  it('shutdown while batches are in flight: every acknowledged batch is there after a restart', async () => {
    const data = join(dir, 'data');
    server = await startServer(cfgFor(data), { engine: fakeEngine, version: 'test' });
    let url = server.url;
    for (const id of ['s1', 's2']) {
      await fetch(`${url}/_ml/anomaly_detectors/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(JOB) });
      await fetch(`${url}/_ml/anomaly_detectors/${id}/_open`, { method: 'POST' });
    }
    const acked: Record<string, number> = { s1: 0, s2: 0 };
    const feeders = ['s1', 's2'].map(async (id) => {
      for (let i = 0; ; i++) {
        const r = await post(url, `/_ml/anomaly_detectors/${id}/_data`, batch(i)).catch(() => undefined);
        if (!r || r.status !== 200) return;
        acked[id] = ((await r.json()) as any).processed_record_count;
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    await server.close(); // what SIGTERM does in `vigil serve`
    await Promise.all(feeders);
    expect(acked.s1).toBeGreaterThan(0);
    server = await startServer(cfgFor(data), { engine: fakeEngine, version: 'test' });
    url = server.url;
    const after = await snapshotOf(url, ['s1', 's2']);
    expect((after.s1 as any).records).toBe(acked.s1);
    expect((after.s2 as any).records).toBe(acked.s2);
    expect((after.s1 as any).state).toBe('opened');
  });

  it('backup while ingesting (HTTP API and the admin socket via vigil backup), restore into a fresh directory gives the same jobs and results', async () => {
    const url = server.url;
    // keep ingesting into s1 while the backup runs
    let stop = false;
    let i = 1000;
    const feeder = (async () => {
      while (!stop) await post(url, '/_ml/anomaly_detectors/s1/_data', batch(i++));
    })();
    await new Promise((r) => setTimeout(r, 100));
    const r = await fetch(`${url}/_vigil/_backup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'b1' }) });
    expect(r.status).toBe(200);
    const b = ((await r.json()) as any).backup;
    expect(b.path).toBe(join(dir, 'data', 'backups', 'b1'));
    expect(b.jobs).toEqual(['s1', 's2']);
    stop = true;
    await feeder;
    expect(verifyBackup(b.path).jobs).toEqual(['s1', 's2']);
    // path tricks and a second backup under the same name are refused
    for (const name of ['../evil', '.hidden', 'a/b', 'x'.repeat(200)]) {
      expect((await fetch(`${url}/_vigil/_backup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) })).status, name).toBe(400);
    }
    expect((await fetch(`${url}/_vigil/_backup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: join(dir, 'x') }) })).status).toBe(403);
    expect((await fetch(`${url}/_vigil/_backup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'b1' }) })).status).toBe(400);

    // the CLI over the admin socket, while the server runs
    const { main } = await import('../../cli/main.js');
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => true }, stdin: process.stdin, cwd: dir } as never;
    expect(await main(['backup', '--data-dir', join(dir, 'data'), '--out', join(dir, 'cli-backup')], io)).toBe(0);
    expect(JSON.parse(out.join('')).path).toBe(join(dir, 'cli-backup'));

    // what the server holds now, then stop it
    const live = await snapshotOf(url, ['s1', 's2']);
    await server.close();

    // restore the CLI backup (taken after ingestion stopped) into a fresh directory: identical
    expect(await main(['restore', join(dir, 'cli-backup'), '--data-dir', join(dir, 'restored')], io)).toBe(0);
    server = await startServer(cfgFor(join(dir, 'restored')), { engine: fakeEngine, version: 'test' });
    expect(await snapshotOf(server.url, ['s1', 's2'])).toEqual(live);
    await server.close();

    // the backup taken mid-ingestion restores to a consistent prefix: s2 whole, s1 with every batch acknowledged before it began
    await restoreDataDir({ backup: b.path, dataDir: join(dir, 'restored-b1') });
    server = await startServer(cfgFor(join(dir, 'restored-b1')), { engine: fakeEngine, version: 'test' });
    const mid = await snapshotOf(server.url, ['s1', 's2']);
    expect(mid.s2).toEqual(live.s2);
    const r1 = (mid.s1 as any).records as number;
    expect(r1 % 20).toBe(0);
    expect(r1).toBeGreaterThan(0);
    expect(r1).toBeLessThanOrEqual((live.s1 as any).records);
    expect((mid.s1 as any).buckets).toEqual((live.s1 as any).buckets.slice(0, (mid.s1 as any).buckets.length).map((b: any, k: number, a: any[]) => (k === a.length - 1 ? (mid.s1 as any).buckets[k] : b)));

    // restore refuses a non-empty directory and a damaged backup
    await expect(restoreDataDir({ backup: b.path, dataDir: join(dir, 'restored') })).rejects.toThrow(/not empty/);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(b.path, 'node.json'), '{"id":"tampered"}\n');
    expect(() => verifyBackup(b.path)).toThrow(/checksum/);
    expect(existsSync(join(dir, 'restored', 'vigil.duckdb'))).toBe(true);
    expect(readFileSync(join(b.path, 'manifest.json'), 'utf8')).toContain('"format": "vigil-backup"');
    expect(typeof backupDataDir).toBe('function');
  });
});

describe('users from the configuration', () => {
  it('testUsers are valid configuration entries', async () => {
    expect(Object.keys(await testUsers())).toEqual(['root', 'ed', 'vi', 'webed']);
  });
});
