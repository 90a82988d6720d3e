/**
 * Alerting wired to the real jobs service (in-memory store, the fake engine of the server tests)
 * and the HTTP API: rules through /_vigil/alerts, alerts fired by the results hook (no explicit
 * evaluation), interim results, missing-data runs and no-data with recovery, delivered to a
 * loopback webhook receiver.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../store/memory-store.js';
import { buildApp } from '../app.js';
import { JobService } from '../jobs/job-service.js';
import { fakeEngine } from '../test-kit/fake-engine.js';
import { JSON9, NDJSON9 } from '../test-kit/harness.js';
import { AlertService } from './alert-service.js';
import { jobServicePort } from './jobs-port.js';
import { startHttpReceiver, type HttpReceiver } from './test-kit/receivers.js';

const SPAN_S = 300;
const JOB = { analysis_config: { bucket_span: '5m', detectors: [{ function: 'count' }] }, data_description: { time_field: 'time' }, groups: ['web'] };

let dir: string;
let app: FastifyInstance;
let service: JobService;
let alerts: AlertService;
let hook: HttpReceiver;
let offset = 0;
const clock = (): number => Date.now() + offset;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-alerting-api-'));
  offset = 0;
  service = new JobService({ store: new MemoryStore(), engine: fakeEngine, walDir: join(dir, 'wal'), clock });
  alerts = await AlertService.open({ dir: join(dir, 'alerts'), jobs: jobServicePort(service), clock, timers: false, delivery: { publicUrl: 'http://vigil.test' }, retry: { initialMs: 10, maxAttempts: 3, jitter: 0 } });
  service.onResults((id) => alerts.notifyResults(id));
  app = buildApp({ service, alerts });
  await app.ready();
  hook = await startHttpReceiver();
});

afterEach(async () => {
  await app.close();
  await alerts.close(100);
  await service.shutdown();
  await hook.close();
  rmSync(dir, { recursive: true, force: true });
});

async function req(method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<{ statusCode: number; json: () => any }> {
  return app.inject({ method, url, headers: JSON9, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
}

async function data(job: string, times: number[]): Promise<void> {
  const r = await app.inject({ method: 'POST', url: `/_ml/anomaly_detectors/${job}/_data`, headers: NDJSON9, payload: times.map((t) => JSON.stringify({ time: t })).join('\n') + '\n' });
  expect(r.statusCode).toBe(200);
}

async function job(id: string): Promise<void> {
  expect((await req('PUT', `/_ml/anomaly_detectors/${id}`, JOB)).statusCode).toBe(200);
  expect((await req('POST', `/_ml/anomaly_detectors/${id}/_open`)).statusCode).toBe(200);
}

/** Waits until the receiver holds n requests (hook-driven evaluation is asynchronous). */
async function received(n: number): Promise<void> {
  for (let i = 0; i < 400 && hook.received.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  await alerts.idle();
}

/** `count` documents in bucket `b` (epoch seconds from T). */
const burst = (T: number, b: number, count: number): number[] => Array.from({ length: count }, (_, i) => T + b * SPAN_S + (i % SPAN_S));

describe('alerting API', () => {
  it('rules: create, read, list, replace, validate, delete', async () => {
    const body = { jobs: ['web'], condition: { type: 'no_data', buckets: 2 }, actions: [{ type: 'webhook', url: hook.url }] };
    const put = await req('PUT', '/_vigil/alerts/rules/web-down', body);
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ acknowledged: true, created: true, rule: { rule_id: 'web-down', condition: { type: 'no_data', buckets: 2, reference: 'record_time' } } });
    expect((await req('PUT', '/_vigil/alerts/rules/web-down', { ...body, description: 'again' })).json().created).toBe(false);
    expect((await req('GET', '/_vigil/alerts/rules/web-down')).json()).toMatchObject({ rule_id: 'web-down', description: 'again' });
    // secrets in actions are not shown back
    await req('PUT', '/_vigil/alerts/rules/secret', { jobs: ['web'], condition: { type: 'no_data' }, actions: [{ type: 'webhook', url: hook.url, headers: { authorization: 'Bearer s3cret' } }] });
    expect(JSON.stringify((await req('GET', '/_vigil/alerts/rules/secret')).json())).not.toContain('s3cret');
    await req('DELETE', '/_vigil/alerts/rules/secret');
    expect((await req('GET', '/_vigil/alerts/rules')).json()).toMatchObject({ count: 1, rules: [{ rule_id: 'web-down' }] });
    const bad = await req('PUT', '/_vigil/alerts/rules/x', { jobs: ['web'], condition: { type: 'no_data', bucketz: 1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.reason).toContain('unknown field [bucketz]');
    const missing = await req('GET', '/_vigil/alerts/rules/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.type).toBe('resource_not_found_exception');
    expect((await req('DELETE', '/_vigil/alerts/rules/web-down')).json()).toEqual({ acknowledged: true });
    expect((await req('GET', '/_vigil/alerts/rules')).json().count).toBe(0);
    expect((await req('GET', '/_vigil/alerts/history?status=nope')).statusCode).toBe(400);
    const openapi = (await req('GET', '/_vigil/openapi.json')).json();
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/_vigil/alerts/rules/{rule_id}', '/_vigil/alerts/history']));
  });

  it('an anomaly fires from the results hook, once, with the record values; the history shows it delivered', async () => {
    const T = Math.floor(Date.UTC(2024, 0, 1) / 1000);
    await job('web-1');
    await req('PUT', '/_vigil/alerts/rules/spikes', { jobs: ['web'], condition: { type: 'anomaly', result_type: 'record', severity: 'critical', lookback: '1d' }, actions: [{ type: 'webhook', url: hook.url }] });
    await data('web-1', [...burst(T, 0, 10), ...burst(T, 1, 80), ...burst(T, 2, 10)]);
    await received(1);
    await data('web-1', burst(T, 3, 10)); // more results: the hook runs again, nothing new
    await new Promise((r) => setTimeout(r, 50));
    await alerts.idle();
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0].body.score).toBeGreaterThanOrEqual(75); // the fake engine renormalises against the largest count
    expect(hook.received[0].body).toMatchObject({ job_id: 'web-1', kind: 'anomaly', severity: 'critical', time: new Date((T + SPAN_S) * 1000).toISOString(), result_type: 'record' });
    const hist = (await req('GET', '/_vigil/alerts/history?rule_id=spikes')).json();
    expect(hist.count).toBe(1);
    expect(hist.alerts[0]).toMatchObject({ status: 'delivered', deliveries: [{ type: 'webhook', status: 'delivered', attempts: 1 }] });
    const one = await req('GET', `/_vigil/alerts/history/${hist.alerts[0].key}`);
    expect(one.json().key).toBe(hist.alerts[0].key);
  });

  it('interim results are not alerted by default; the final result is, once', async () => {
    const T = Math.floor(Date.UTC(2024, 0, 1) / 1000);
    await job('web-2');
    await req('PUT', '/_vigil/alerts/rules/final', { jobs: ['web-2'], condition: { type: 'anomaly', result_type: 'bucket', severity: 'critical', lookback: '1d' }, actions: [{ type: 'webhook', url: hook.url }] });
    await req('PUT', '/_vigil/alerts/rules/early', { jobs: ['web-2'], condition: { type: 'anomaly', result_type: 'bucket', severity: 'critical', lookback: '1d', include_interim: true }, actions: [{ type: 'webhook', url: hook.url }] });
    await data('web-2', [...burst(T, 0, 5), ...burst(T, 1, 90)]);
    expect((await req('POST', '/_ml/anomaly_detectors/web-2/_flush', { calc_interim: true })).statusCode).toBe(200);
    await received(1);
    expect(hook.received.map((r) => [(r.body.rule as { rule_id: string }).rule_id, r.body.is_interim])).toEqual([['early', true]]);
    await data('web-2', burst(T, 2, 5)); // bucket 1 is final now
    await received(2);
    await new Promise((r) => setTimeout(r, 50));
    await alerts.idle();
    expect(hook.received.map((r) => [(r.body.rule as { rule_id: string }).rule_id, r.body.is_interim])).toEqual([
      ['early', true],
      ['final', false],
    ]);
  });

  it('a gap in the data fires a missing-data alert and its recovery', async () => {
    const T = Math.floor(Date.UTC(2024, 0, 1) / 1000);
    await job('web-3');
    await req('PUT', '/_vigil/alerts/rules/gaps', { jobs: ['web-3'], condition: { type: 'missing_data_run', max_buckets: 3 }, actions: [{ type: 'webhook', url: hook.url }] });
    await data('web-3', [...burst(T, 0, 3), ...burst(T, 1, 3), ...burst(T, 2, 3), ...burst(T, 8, 3), ...burst(T, 9, 3)]);
    await received(2);
    expect(hook.received.map((r) => [r.body.kind, r.body.phase, r.body.time])).toEqual([
      ['missing_data_run', 'fired', new Date((T + 3 * SPAN_S) * 1000).toISOString()],
      ['missing_data_run', 'recovered', new Date((T + 3 * SPAN_S) * 1000).toISOString()],
    ]);
    expect(hook.received[0].body.details).toMatchObject({ missing_buckets: 5 });
  });

  it('no data: the timer fires one alert when the job goes quiet, and one recovery when data returns', async () => {
    const now = Math.floor(Date.now() / 1000);
    await job('web-4');
    await req('PUT', '/_vigil/alerts/rules/quiet', { jobs: ['web-4'], condition: { type: 'no_data', buckets: 1 }, actions: [{ type: 'webhook', url: hook.url }] });
    await data('web-4', [now - 60, now - 30, now]);
    for (let i = 0; i < 40; i++) {
      offset += 15_000; // 10 minutes of timer ticks, no data
      await alerts.tick();
    }
    await alerts.idle();
    expect(hook.received.map((r) => r.body.phase)).toEqual(['fired']);
    const fired = hook.received[0].body;
    expect(fired.time).toBe(new Date(now * 1000).toISOString());
    expect(Date.parse(String(fired.detected_at)) - now * 1000).toBeLessThanOrEqual(SPAN_S * 1000 + 15_000); // within one bucket span (+ one tick)
    await data('web-4', [Math.floor(clock() / 1000)]);
    await alerts.tick();
    await alerts.idle();
    expect(hook.received.map((r) => r.body.phase)).toEqual(['fired', 'recovered']);
    const hist = (await req('GET', '/_vigil/alerts/history?job_id=web-4')).json();
    expect(hist.alerts.map((a: { phase: string; status: string }) => `${a.phase}:${a.status}`)).toEqual(['recovered:delivered', 'fired:delivered']);
  });

  it('no data: a job closed for the night and opened again is not alerted on at its opening', async () => {
    const now = Math.floor(Date.now() / 1000);
    await job('web-5');
    await req('PUT', '/_vigil/alerts/rules/quiet5', { jobs: ['web-5'], condition: { type: 'no_data', buckets: 1 }, actions: [{ type: 'webhook', url: hook.url }] });
    await data('web-5', [now - 60, now]);
    expect((await req('POST', '/_ml/anomaly_detectors/web-5/_close')).statusCode).toBe(200);
    offset += 12 * 3_600_000;
    await alerts.tick();
    expect((await req('POST', '/_ml/anomaly_detectors/web-5/_open')).statusCode).toBe(200);
    await alerts.tick();
    offset += 60_000;
    await alerts.tick();
    await alerts.idle();
    expect(hook.received).toHaveLength(0);
    // no data a bucket span after the opening: that is a silence
    offset += SPAN_S * 1000;
    await alerts.tick();
    await alerts.idle();
    expect(hook.received.map((r) => [r.body.phase, r.body.time])).toEqual([['fired', new Date(now * 1000).toISOString()]]);
  });
});
