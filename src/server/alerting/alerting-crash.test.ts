/**
 * Alerting across a real process kill: the server (`node bin/vigil.js serve`) is killed with
 * SIGKILL after an alert was delivered, and again while an alert was failing its deliveries; after
 * each restart on the same data directory, nothing delivered is sent again and nothing recorded is
 * lost.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from './test-kit/receivers.js';

const root = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vigil-alert-crash-'));
const children: ChildProcess[] = [];
let hook: HttpReceiver;

beforeAll(async () => {
  // the real server runs from dist/: build it when sources are newer (npm test has done it already)
  execFileSync(process.execPath, [join(root, 'scripts', 'ensure-ready.mjs')], { cwd: root, stdio: 'ignore' });
  hook = await startHttpReceiver();
}, 300_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await hook?.close();
  rmSync(dir, { recursive: true, force: true });
});

function serve(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(root, 'bin', 'vigil.js'), 'serve', '--port', '0', '--data-dir', dir, '--log-level', 'warn'], {
    cwd: root,
    env: { ...process.env, VIGIL_ALERT_TICK: '100ms', VIGIL_PUBLIC_URL: 'http://vigil.test' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /at (http:\/\/[^ ]+) \(data/.exec(err);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function http(url: string, method: string, path: string, body?: string, type = 'application/json'): Promise<any> {
  const r = await fetch(url + path, { method, body, headers: body === undefined ? {} : { 'content-type': type } });
  const json = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const accepted = (): Record<string, unknown>[] => hook.received.filter((r) => r.status === 200).map((r) => r.body);

describe('alerting across SIGKILL (real server process)', () => {
  it('neither repeats a delivered alert nor loses one that was still being retried', async () => {
    let s = await serve();
    await http(s.url, 'PUT', '/_ml/anomaly_detectors/ingest', JSON.stringify({ analysis_config: { bucket_span: '1m', detectors: [{ function: 'count' }] }, data_description: { time_field: 'time', time_format: 'epoch_ms' } }));
    await http(s.url, 'POST', '/_ml/anomaly_detectors/ingest/_open');
    const t = Date.now() - 5 * 60_000; // the last record is 5 minutes old: silent for 5 bucket spans
    await http(s.url, 'POST', '/_ml/anomaly_detectors/ingest/_data', [t - 30_000, t].map((x) => JSON.stringify({ time: x })).join('\n'), 'application/x-ndjson');
    await http(s.url, 'PUT', '/_vigil/alerts/rules/ingest-down', JSON.stringify({ jobs: ['ingest'], condition: { type: 'no_data', buckets: 1 }, actions: [{ type: 'webhook', url: hook.url }] }));
    await until('the outage alert', () => accepted().length === 1);
    expect(accepted()[0]).toMatchObject({ kind: 'no_data', phase: 'fired', job_id: 'ingest' });
    await until('delivered in the history', async () => (await http(s.url, 'GET', '/_vigil/alerts/history')).alerts[0]?.status === 'delivered');

    await kill(s.child);
    s = await serve();
    await new Promise((r) => setTimeout(r, 1000)); // ten timer ticks
    expect(hook.received).toHaveLength(1);

    // data returns while the receiver is down: the recovery is recorded and retried…
    hook.failAlways(true);
    await http(s.url, 'POST', '/_ml/anomaly_detectors/ingest/_data', JSON.stringify({ time: Date.now() }), 'application/x-ndjson');
    await until('a failed recovery attempt', () => hook.received.length >= 2);
    await until('the failure recorded', async () => (await http(s.url, 'GET', '/_vigil/alerts/history?status=failed')).count === 1);
    const h = await http(s.url, 'GET', '/_vigil/alerts/history?status=failed');
    expect(h.alerts[0]).toMatchObject({ phase: 'recovered', status: 'failed', deliveries: [{ status: 'failed', attempts: 1 }] });
    // …the process dies before it gets through; after the restart it is delivered, once
    await kill(s.child);
    hook.failAlways(false);
    s = await serve();
    await until('the recovery after the restart', () => accepted().length === 2, 20_000);
    expect(accepted().map((b) => b.phase)).toEqual(['fired', 'recovered']);
    expect(hook.acceptedKeys()).toHaveLength(2);
    await until('delivered in the history', async () => (await http(s.url, 'GET', '/_vigil/alerts/history?status=delivered')).count === 2);
    const all = await http(s.url, 'GET', '/_vigil/alerts/history');
    expect(all.alerts.map((a: { phase: string; status: string }) => `${a.phase}:${a.status}`)).toEqual(['recovered:delivered', 'fired:delivered']);
    await kill(s.child);
  }, 90_000);
});
