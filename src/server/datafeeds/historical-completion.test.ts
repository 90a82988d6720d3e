/**
 * A historical datafeed (started with an `end`) over the embedded indices finishes on its own,
 * promptly, in a fresh process and server: polled through `_stats` with a deadline (no fixed
 * sleep, no `settle()`), the way an HTTP client sees it. Also: `_stats` / `_stop` right after
 * `_start` answers, and two historical datafeeds started at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { anomalyJobEngine } from '../jobs/engine-adapter.js';
import { harness, type Harness } from '../test-kit/harness.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const JSON_H = { 'content-type': 'application/json' };
const DOCS = 24 * 60; // one a minute for a day
const DEADLINE_MS = 20_000;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = JSON_H): Promise<{ status: number; json: any }> {
  const r = await h!.app.inject({ method: method as 'GET', url, headers, payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.statusCode, json: r.body ? JSON.parse(r.body) : undefined };
}

async function index(name: string): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < DOCS; i++) lines.push(JSON.stringify({ index: {} }), JSON.stringify({ ts: T0 + i * 60_000 + 500, v: i % 7 }));
  const r = await call('POST', `/${name}/_bulk?refresh=true`, lines.join('\n') + '\n', { 'content-type': 'application/x-ndjson' });
  expect(r.status).toBe(200);
  expect(r.json.errors).toBe(false);
}

/** Job + datafeed over index `name`, job opened. */
async function setup(name: string): Promise<void> {
  const job = await call('PUT', `/_ml/anomaly_detectors/${name}`, {
    analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] },
    data_description: { time_field: 'ts', time_format: 'epoch_ms' },
  });
  expect(job.status).toBe(200);
  expect((await call('PUT', `/_ml/datafeeds/df-${name}`, { job_id: name, indices: [name], query_delay: '0s' })).status).toBe(200);
  expect((await call('POST', `/_ml/anomaly_detectors/${name}/_open`)).status).toBe(200);
}

async function datafeedStats(name: string): Promise<any> {
  const r = await call('GET', `/_ml/datafeeds/df-${name}/_stats`);
  expect(r.status).toBe(200);
  return r.json.datafeeds[0];
}

/** Polls `_stats` until the datafeed is stopped; fails at the deadline with the last stats seen. */
async function waitStopped(name: string, deadline = DEADLINE_MS): Promise<{ stats: any; ms: number }> {
  const t0 = performance.now();
  let stats = await datafeedStats(name);
  while (stats.state !== 'stopped') {
    if (performance.now() - t0 > deadline) throw new Error(`datafeed df-${name} still ${stats.state} after ${deadline} ms: ${JSON.stringify(stats.vigil)}`);
    await new Promise((r) => setTimeout(r, 25));
    stats = await datafeedStats(name);
  }
  return { stats, ms: performance.now() - t0 };
}

async function expectComplete(name: string): Promise<void> {
  const { stats, ms } = await waitStopped(name);
  expect(stats.vigil.stopped_reason).toBe('historical run complete');
  expect(stats.vigil.last_error).toBeNull();
  expect(stats.vigil.source_documents).toBe(DOCS);
  expect(stats.vigil.progress.percent).toBe(100);
  expect(ms).toBeLessThan(DEADLINE_MS);
  const job = (await call('GET', `/_ml/anomaly_detectors/${name}/_stats`)).json.jobs[0];
  expect(job.state).toBe('closed');
  expect(job.data_counts.processed_record_count).toBe(DOCS);
  const buckets = await call('GET', `/_ml/anomaly_detectors/${name}/results/buckets?size=100`);
  expect(buckets.json.count).toBe(24);
}

describe('historical datafeed completion (fresh server, polled _stats)', () => {
  it('finishes on its own, all documents processed, within the deadline', async () => {
    h = await harness({ engine: anomalyJobEngine });
    await index('hist');
    await setup('hist');
    const start = await call('POST', `/_ml/datafeeds/df-hist/_start?start=${T0}&end=${T0 + 24 * H}`);
    expect(start.json).toEqual({ started: true, node: expect.any(String) });
    await expectComplete('hist');
  });

  it('_stats right after _start shows it started (or done); the run still completes', async () => {
    h = await harness({ engine: anomalyJobEngine });
    await index('now');
    await setup('now');
    await call('POST', `/_ml/datafeeds/df-now/_start?start=${T0}&end=${T0 + 24 * H}`);
    const st = await datafeedStats('now');
    expect(['started', 'stopped']).toContain(st.state);
    await expectComplete('now');
  });

  it('_stop right after _start stops it; it can be started again and then completes', async () => {
    h = await harness({ engine: anomalyJobEngine });
    await index('stop');
    await setup('stop');
    await call('POST', `/_ml/datafeeds/df-stop/_start?start=${T0}&end=${T0 + 24 * H}`);
    expect((await call('POST', '/_ml/datafeeds/df-stop/_stop')).json).toEqual({ stopped: true });
    const st = await datafeedStats('stop');
    expect(st.state).toBe('stopped');
    if (st.vigil.stopped_reason === 'historical run complete') return; // it finished before the stop
    expect(st.vigil.stopped_reason).toBe('stopped by request');
    // the job is still open (a stopped run does not close it); the next start resumes
    if ((await call('GET', '/_ml/anomaly_detectors/stop/_stats')).json.jobs[0].state !== 'opened') await call('POST', '/_ml/anomaly_detectors/stop/_open');
    expect((await call('POST', `/_ml/datafeeds/df-stop/_start?end=${T0 + 24 * H}`)).status).toBe(200);
    const { stats } = await waitStopped('stop');
    expect(stats.vigil.stopped_reason).toBe('historical run complete');
    const job = (await call('GET', '/_ml/anomaly_detectors/stop/_stats')).json.jobs[0];
    expect(job.data_counts.processed_record_count).toBe(DOCS);
  });

  it('two historical datafeeds started at once both complete', async () => {
    h = await harness({ engine: anomalyJobEngine });
    await index('one');
    await index('two');
    await setup('one');
    await setup('two');
    const [a, b] = await Promise.all([
      call('POST', `/_ml/datafeeds/df-one/_start?start=${T0}&end=${T0 + 24 * H}`),
      call('POST', `/_ml/datafeeds/df-two/_start?start=${T0}&end=${T0 + 24 * H}`),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await Promise.all([expectComplete('one'), expectComplete('two')]);
  });

  it('once _stats says stopped, the job is closed: re-opening it and running the next range at once works', async () => {
    // before the fix the datafeed read as stopped while its job's flush and close were still
    // pending: the client's _open was a no-op, then the old close closed the job under the new run
    h = await harness({ engine: anomalyJobEngine });
    await index('again');
    await setup('again');
    const ranges = 6;
    const per = (24 * H) / ranges;
    for (let k = 0; k < ranges; k++) {
      expect((await call('POST', '/_ml/anomaly_detectors/again/_open')).status).toBe(200);
      const s = await call('POST', `/_ml/datafeeds/df-again/_start?start=${T0 + k * per}&end=${T0 + (k + 1) * per}`);
      expect(s.status).toBe(200);
      const { stats } = await waitStopped('again');
      expect(stats.vigil.stopped_reason).toBe('historical run complete');
      const job = (await call('GET', '/_ml/anomaly_detectors/again/_stats')).json.jobs[0];
      expect(job.state).toBe('closed');
      expect(job.data_counts.processed_record_count).toBe(((k + 1) * DOCS) / ranges);
    }
  });
});
