import { mkdtempSync, rmSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobView, ResultLike } from '../../engine/alerting/index.js';
import { AlertStore } from './alert-store.js';
import { AlertService, type AlertJobsPort, type AlertServiceOptions } from './alert-service.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver } from './test-kit/receivers.js';

const SPAN = 60_000;

class FakePort implements AlertJobsPort {
  job: JobView = { job_id: 'web', groups: ['prod'], bucket_span_ms: SPAN, state: 'opened' };
  docs: ResultLike[] = [];
  async jobs(): Promise<JobView[]> {
    return [structuredClone(this.job)];
  }
  async results(jobId: string, types: string[], start: number): Promise<ResultLike[]> {
    return this.docs.filter((d) => d.job_id === jobId && types.includes(d.result_type) && d.timestamp >= start).sort((a, b) => a.timestamp - b.timestamp);
  }
}

function record(t: number, score: number, o: Record<string, unknown> = {}): ResultLike {
  return { job_id: 'web', result_type: 'record', timestamp: t, detector_index: 0, function: 'count', record_score: score, actual: [100], typical: [10], is_interim: false, ...o };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const p = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return p;
}

let dir: string;
let port: FakePort;
let hook: HttpReceiver;
let offset: number;
const services: AlertService[] = [];
const clock = (): number => Date.now() + offset;

async function open(o: Partial<AlertServiceOptions> = {}): Promise<AlertService> {
  const s = await AlertService.open({ dir, jobs: port, clock, timers: false, retry: { initialMs: 20, maxDelayMs: 100, maxAttempts: 4, jitter: 0 }, delivery: { publicUrl: 'http://vigil.test:9200' }, ...o });
  services.push(s);
  return s;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-alerts-'));
  port = new FakePort();
  hook = await startHttpReceiver();
  offset = 0;
});

afterEach(async () => {
  for (const s of services.splice(0)) await s.close(100).catch(() => undefined);
  await hook.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('AlertService', () => {
  it('an outage fires exactly one alert and one recovery, delivered once each with idempotency keys', async () => {
    const s = await open();
    const last = Date.now() - 30_000;
    port.job.latest_record_timestamp = last;
    await s.putRule('web-down', { jobs: ['web'], condition: { type: 'no_data', buckets: 1 }, actions: [{ type: 'webhook', url: hook.url, headers: { authorization: 'Bearer t' } }] });
    // the timer ticks every 10 s of (simulated) wall clock for 10 minutes with no data
    for (let i = 0; i < 60; i++) {
      offset += 10_000;
      await s.tick();
    }
    await s.idle();
    expect(hook.received).toHaveLength(1);
    const fired = hook.received[0];
    expect(fired.headers['idempotency-key']).toBe(fired.body.idempotency_key);
    expect(fired.headers.authorization).toBe('Bearer t');
    expect(fired.body).toMatchObject({ kind: 'no_data', phase: 'fired', job_id: 'web', severity: 'critical', time: new Date(last).toISOString(), rule: { rule_id: 'web-down' } });
    expect(String(fired.body.link)).toBe(`http://vigil.test:9200/app/#/jobs/web/viewer?time=${encodeURIComponent(new Date(last).toISOString())}`);
    expect(String(fired.body.explanation)).toMatch(/^job web has received no data for 1m/);
    // data again
    port.job.latest_record_timestamp = clock();
    for (let i = 0; i < 10; i++) {
      offset += 5_000;
      await s.tick();
    }
    await s.idle();
    expect(hook.received.map((r) => r.body.phase)).toEqual(['fired', 'recovered']);
    expect(new Set(hook.acceptedKeys()).size).toBe(2);
    const h = s.history({ rule_id: 'web-down' });
    expect(h.count).toBe(2);
    expect(h.alerts.map((a) => [a.phase, a.status])).toEqual([
      ['recovered', 'delivered'],
      ['fired', 'delivered'],
    ]);
  });

  it('suppression: repeats within the period are recorded, not sent', async () => {
    const s = await open();
    const t0 = Math.floor(Date.now() / SPAN) * SPAN - 10 * SPAN;
    await s.putRule('spikes', { jobs: ['prod'], condition: { type: 'anomaly', severity: 'major', lookback: '1h' }, suppress_for: '5m', actions: [{ type: 'webhook', url: hook.url }] });
    port.docs.push(record(t0, 80), record(t0 + SPAN, 90), record(t0 + 4 * SPAN, 95), record(t0 + 5 * SPAN, 85));
    port.job.latest_bucket_time = t0 + 5 * SPAN;
    await s.evaluate();
    await s.idle();
    expect(hook.received.map((r) => r.body.time)).toEqual([new Date(t0).toISOString(), new Date(t0 + 5 * SPAN).toISOString()]);
    const h = s.history({ rule_id: 'spikes' });
    expect(h.alerts.map((a) => a.status).sort()).toEqual(['delivered', 'delivered', 'suppressed', 'suppressed']);
    expect(s.history({ status: 'suppressed' }).count).toBe(2);
  });

  it('interim results are not alerted by default', async () => {
    const s = await open();
    const t0 = Math.floor(Date.now() / SPAN) * SPAN;
    port.docs.push(record(t0, 99, { is_interim: true }));
    port.job.latest_bucket_time = t0 - SPAN;
    await s.putRule('final-only', { jobs: ['web'], condition: { type: 'anomaly', severity: 'critical' }, actions: [{ type: 'webhook', url: hook.url }] });
    await s.putRule('with-interim', { jobs: ['web'], condition: { type: 'anomaly', severity: 'critical', include_interim: true }, actions: [{ type: 'webhook', url: hook.url }] });
    await s.evaluate();
    await s.idle();
    expect(hook.received.map((r) => [r.body.rule, r.body.is_interim])).toEqual([[expect.objectContaining({ rule_id: 'with-interim' }), true]]);
  });

  it('retries with backoff while the receiver fails, then delivers once', async () => {
    offset = 0;
    const s = await open();
    port.job.latest_record_timestamp = clock() - 5 * SPAN;
    hook.failNext(2);
    await s.putRule('down', { jobs: ['web'], condition: { type: 'no_data' }, actions: [{ type: 'webhook', url: hook.url }] });
    await s.tick();
    await s.idle();
    expect(hook.received.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(hook.received.map((r) => r.headers['x-vigil-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(hook.received.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    const a = s.history().alerts[0] as { status: string; deliveries: { attempts: number; status: string; log: { ok: boolean; status?: number; at: string }[] }[] };
    expect(a.status).toBe('delivered');
    expect(a.deliveries[0]).toMatchObject({ attempts: 3, status: 'delivered' });
    expect(a.deliveries[0].log.map((l) => [l.ok, l.status])).toEqual([
      [false, 503],
      [false, 503],
      [true, 200],
    ]);
    // backoff: 20 ms then 40 ms between attempts
    const at = a.deliveries[0].log.map((l) => Date.parse(l.at));
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(20);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(40);
  });

  it('dead-letters after persistent failure; a retry through the API delivers it', async () => {
    const s = await open();
    port.job.latest_record_timestamp = clock() - 5 * SPAN;
    hook.failAlways(true);
    await s.putRule('down', { jobs: ['web'], condition: { type: 'no_data' }, actions: [{ type: 'webhook', url: hook.url }, { type: 'webhook', url: `http://127.0.0.1:${await closedPort()}/unreachable` }] });
    await s.tick();
    await s.idle();
    expect(hook.received).toHaveLength(4);
    const a = s.history().alerts[0] as { key: string; status: string; deliveries: { status: string; attempts: number; last_error: string }[] };
    expect(a.status).toBe('dead_letter');
    expect(a.deliveries.map((d) => [d.status, d.attempts])).toEqual([
      ['dead_letter', 4],
      ['dead_letter', 4],
    ]);
    expect(a.deliveries[0].last_error).toContain('HTTP 500');
    expect(a.deliveries[1].last_error).toMatch(/ECONNREFUSED/);
    expect(s.history({ status: 'dead_letter' }).count).toBe(1);
    hook.failAlways(false);
    await s.retryAlert(a.key);
    await s.idle();
    const b = s.getAlert(a.key) as { status: string; deliveries: { status: string }[] };
    expect(b.deliveries.map((d) => d.status)).toEqual(['delivered', 'dead_letter']);
    expect(hook.acceptedKeys()).toEqual([a.key]);
  });

  it('no duplicate after a restart: delivered alerts are not sent again, undelivered ones resume', async () => {
    const s1 = await open();
    port.job.latest_record_timestamp = clock() - 5 * SPAN;
    await s1.putRule('down', { jobs: ['web'], condition: { type: 'no_data' }, actions: [{ type: 'webhook', url: hook.url }] });
    await s1.tick();
    await s1.idle();
    expect(hook.received).toHaveLength(1);
    await s1.close();
    const s2 = await open();
    for (let i = 0; i < 5; i++) {
      offset += 30_000;
      await s2.tick();
      await s2.evaluate();
    }
    await s2.idle();
    expect(hook.received).toHaveLength(1);
    // a crash while the receiver is failing: the alert is on disk, and is delivered after the restart
    port.job.latest_record_timestamp = clock() - 30_000;
    await s2.tick(); // recovery (data came back)
    await s2.idle();
    expect(hook.received.map((r) => r.body.phase)).toEqual(['fired', 'recovered']);
    offset += 5 * SPAN;
    hook.failAlways(true);
    await s2.tick(); // second outage: fired, first attempt fails
    await new Promise((r) => setTimeout(r, 5));
    await s2.abandon(); // crash: no close, no further writes
    hook.failAlways(false);
    const s3 = await open();
    await s3.idle();
    const accepted = hook.received.filter((r) => r.status === 200).map((r) => r.body.phase);
    expect(accepted).toEqual(['fired', 'recovered', 'fired']);
    expect(hook.acceptedKeys()).toHaveLength(3);
    await s3.tick();
    await s3.evaluate();
    await s3.idle();
    expect(hook.received.filter((r) => r.status === 200)).toHaveLength(3);
  });

  it('a crash during an attempt re-sends it after the restart with the same idempotency key', async () => {
    const s1 = await open();
    port.job.latest_record_timestamp = clock() - 5 * SPAN;
    hook.hang(true);
    await s1.putRule('down', { jobs: ['web'], condition: { type: 'no_data' }, actions: [{ type: 'webhook', url: hook.url }] });
    await s1.tick();
    await new Promise((r) => setTimeout(r, 50));
    await s1.abandon(); // the attempt is in flight; its outcome is never recorded
    hook.hang(false);
    hook.release(); // the receiver got it after all
    const s2 = await open();
    await s2.idle();
    expect(hook.received).toHaveLength(2);
    expect(hook.acceptedKeys()).toHaveLength(1); // same key twice: the receiver drops the copy
    expect((s2.history().alerts[0] as { status: string }).status).toBe('delivered');
  });

  it('e-mail over SMTP and a Slack-compatible webhook', async () => {
    const smtp = await startSmtpReceiver();
    try {
      const s = await open({ delivery: { publicUrl: 'http://vigil.test', smtp: { host: '127.0.0.1', port: smtp.port, ignoreTLS: true, from: 'vigil@example.com' } } });
      port.job.latest_record_timestamp = clock() - 5 * SPAN;
      await s.putRule('down', {
        jobs: ['web'],
        condition: { type: 'no_data', buckets: 2 },
        actions: [
          { type: 'email', to: ['ops@example.com', 'oncall@example.com'] },
          { type: 'slack', url: hook.url },
        ],
      });
      await s.tick();
      await s.idle();
      expect(smtp.mails).toHaveLength(1);
      const m = smtp.mails[0];
      const key = (s.history().alerts[0] as { key: string }).key;
      expect(m.to).toEqual(['ops@example.com', 'oncall@example.com']);
      expect(m.from).toBe('vigil@example.com');
      expect(m.subject).toBe('[Vigil] critical: no data — job web (rule down)');
      expect(m.messageId).toBe(`<${key}@example.com>`);
      expect(m.headers['x-vigil-idempotency-key']).toBe(key);
      expect(m.text).toContain('Open in Vigil: http://vigil.test/app/#/jobs/web/viewer?time=');
      expect(hook.received).toHaveLength(1);
      expect(String(hook.received[0].body.text)).toContain('critical: no data — job web (rule down)');
      expect(hook.received[0].headers['idempotency-key']).toBe(key);
    } finally {
      await smtp.close();
    }
  });

  it('an e-mail action without an SMTP server configured fails visibly', async () => {
    const s = await open({ retry: { maxAttempts: 1 } });
    port.job.latest_record_timestamp = clock() - 5 * SPAN;
    await s.putRule('down', { jobs: ['web'], condition: { type: 'no_data' }, actions: [{ type: 'email', to: 'ops@example.com' }] });
    await s.tick();
    await s.idle();
    const a = s.history().alerts[0] as { status: string; deliveries: { last_error: string }[] };
    expect(a.status).toBe('dead_letter');
    expect(a.deliveries[0].last_error).toContain('no SMTP server configured');
  });

  it('rules persist across restarts; delete removes them', async () => {
    const s1 = await open();
    await s1.putRule('a', { jobs: ['web'], condition: { type: 'no_data', buckets: 3 } });
    await s1.putRule('b', { jobs: ['web'], condition: { type: 'anomaly', severity: 'minor' } });
    await s1.deleteRule('b');
    await s1.close();
    const s2 = await open();
    expect(s2.listRules()).toEqual([{ rule_id: 'a', description: '', enabled: true, jobs: ['web'], condition: { type: 'no_data', buckets: 3, reference: 'record_time' }, notify_recovery: true, actions: [] }]);
    expect(() => s2.getRule('b')).toThrow(/No alert rule with id \[b\]/);
  });
});

describe('AlertStore', () => {
  it('cuts a torn last line and keeps what was complete', async () => {
    const st = await AlertStore.open(dir);
    await st.putRule({ rule_id: 'a', description: '', enabled: true, jobs: ['w'], condition: { type: 'no_data', buckets: 1, delay_ms: 0, reference: 'record_time' }, suppress_ms: 0, notify_recovery: true, actions: [] });
    await st.close();
    await appendFile(join(dir, 'alerts.ndjson'), '{"t":"rule","rule":{"rule_id":"b"');
    const st2 = await AlertStore.open(dir);
    expect(st2.listRules().map((r) => r.rule_id)).toEqual(['a']);
    await st2.putRule({ ...st2.listRules()[0], rule_id: 'c' });
    await st2.close();
    const st3 = await AlertStore.open(dir);
    expect(st3.listRules().map((r) => r.rule_id)).toEqual(['a', 'c']);
    await st3.close();
  });

  it('compaction keeps the live state and shrinks the log', async () => {
    const st = await AlertStore.open(dir);
    const rule = { rule_id: 'a', description: '', enabled: true, jobs: ['w'], condition: { type: 'no_data' as const, buckets: 1, delay_ms: 0, reference: 'record_time' as const }, suppress_ms: 0, notify_recovery: true, actions: [] };
    for (let i = 0; i < 50; i++) await st.putRule({ ...rule, description: `v${i}` });
    await st.recordEvaluation([], { rule_id: 'a', job_id: 'w', state: { open: {}, last_fired_time: 5 } });
    const before = (await readFile(join(dir, 'alerts.ndjson'), 'utf8')).split('\n').length;
    await st.compact();
    const after = (await readFile(join(dir, 'alerts.ndjson'), 'utf8')).split('\n').length;
    expect(after).toBeLessThan(before);
    await st.close();
    const st2 = await AlertStore.open(dir);
    expect(st2.getRule('a')?.description).toBe('v49');
    expect(st2.getState('a', 'w')).toEqual({ open: {}, last_fired_time: 5 });
    await st2.close();
  });
});
