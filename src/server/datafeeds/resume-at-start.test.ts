/**
 * A datafeed that was started when the server stopped resumes when the server starts, without
 * waiting for a request to a datafeed endpoint (README: "A started datafeed resumes when the
 * server starts"). Real server (startServer) on a data directory of its own, reading a file.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../server.js';
import { fakeEngine } from '../test-kit/fake-engine.js';
import { testServerConfig } from '../test-kit/server-config.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-df-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `n` documents, one every 100 ms, the last at `last`. */
const lines = (last: number, n: number): string => {
  let s = '';
  for (let i = n - 1; i >= 0; i--) s += JSON.stringify({ ts: last - i * 100, v: 1 }) + '\n';
  return s;
};

describe('datafeeds after a restart', () => {
  it('a started live datafeed runs again as soon as the server is up', async () => {
    const file = join(dir, 'metrics.ndjson');
    const t0 = Date.now() - 60_000;
    writeFileSync(file, lines(t0, 60));
    const cfg = testServerConfig(dir);
    const call = async (url: string, method: string, path: string, body?: unknown) => {
      const r = await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, json: (await r.json()) as any };
    };
    const processed = async (url: string): Promise<number> => (await call(url, 'GET', '/_ml/anomaly_detectors/feed/_stats')).json.jobs[0].data_counts.processed_record_count;
    // generous: a live datafeed polls every second behind a 1 s query delay, on a machine other suites share
    const until = async (cond: () => Promise<boolean>, ms = 25_000): Promise<boolean> => {
      for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await cond()) return true;
      return cond();
    };

    let server = await startServer(cfg, { engine: fakeEngine, version: 'test' });
    expect((await call(server.url, 'PUT', '/_ml/anomaly_detectors/feed', { analysis_config: { bucket_span: '1s', detectors: [{ function: 'count' }] }, data_description: { time_field: 'ts', time_format: 'epoch_ms' } })).status).toBe(200);
    expect((await call(server.url, 'PUT', '/_ml/datafeeds/datafeed-feed', { job_id: 'feed', indices: ['metrics'], frequency: '1s', query_delay: '1s', vigil_source: { type: 'file', path: file, format: 'ndjson' } })).status).toBe(200);
    await call(server.url, 'POST', '/_ml/anomaly_detectors/feed/_open');
    expect((await call(server.url, 'POST', `/_ml/datafeeds/datafeed-feed/_start?start=${t0 - 10_000}`)).json).toMatchObject({ started: true });
    expect(await until(async () => (await processed(server.url)) === 60)).toBe(true);
    await server.close();

    // documents arrive while the server is down, after the datafeed's position: the datafeed had
    // already searched up to (about) now − query_delay, so they are stamped from just after now on
    // (stamped up to now, most fell before that position and were rightly never read: a flaky test)
    appendFileSync(file, lines(Date.now() + 6_100, 60));
    server = await startServer(cfg, { engine: fakeEngine, version: 'test' });
    try {
      // only the jobs API is asked: the datafeed must resume on its own
      expect(await until(async () => (await processed(server.url)) === 120)).toBe(true);
    } finally {
      await server.close();
    }
  }, 90_000);
});
