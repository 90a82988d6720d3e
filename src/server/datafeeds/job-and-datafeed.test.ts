/**
 * Elastic's coupling of a job's life cycle with its datafeed, through the HTTP API: closing a job
 * stops its running datafeed first; deleting a job deletes its datafeed first (same `force`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../test-kit/harness.js';

const T0 = Date.UTC(2024, 0, 1);
const JSON_H = { 'content-type': 'application/json' };

let h: Harness;
beforeEach(async () => {
  h = await harness();
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) lines.push(JSON.stringify({ index: {} }), JSON.stringify({ ts: T0 + i * 60_000, v: i }));
  expect((await call('POST', '/m/_bulk?refresh=true', lines.join('\n') + '\n', { 'content-type': 'application/x-ndjson' })).status).toBe(200);
  const job = { analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] }, data_description: { time_field: 'ts', time_format: 'epoch_ms' } };
  expect((await call('PUT', '/_ml/anomaly_detectors/j', job)).status).toBe(200);
  expect((await call('PUT', '/_ml/datafeeds/datafeed-j', { job_id: 'j', indices: ['m'] })).status).toBe(200);
});
afterEach(async () => h.close());

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = JSON_H): Promise<{ status: number; json: any }> {
  const r = await h.app.inject({ method: method as 'GET', url, headers, payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.statusCode, json: r.body ? JSON.parse(r.body) : undefined };
}

const datafeedStats = async () => (await call('GET', '/_ml/datafeeds/datafeed-j/_stats')).json.datafeeds[0];

describe('a job and its datafeed', () => {
  it('closing the job stops its live datafeed first (and a re-opened job is not fed by it)', async () => {
    await call('POST', '/_ml/anomaly_detectors/j/_open');
    expect((await call('POST', `/_ml/datafeeds/datafeed-j/_start?start=${T0}`)).json).toMatchObject({ started: true });
    expect((await call('POST', '/_ml/anomaly_detectors/j/_close')).json).toEqual({ closed: true });
    const s = await datafeedStats();
    expect(s.state).toBe('stopped');
    expect(s.vigil.last_error).toBeNull();
    expect(s.vigil.stopped_reason).toBe('stopped by request');
    // the datafeed may be started again once the job is re-opened
    await call('POST', '/_ml/anomaly_detectors/j/_open');
    expect((await call('POST', `/_ml/datafeeds/datafeed-j/_start?start=${T0}`)).status).toBe(200);
    expect((await call('POST', '/_ml/anomaly_detectors/_all/_close?force=true')).status).toBe(200);
    expect((await datafeedStats()).state).toBe('stopped');
  });

  it('deleting the job deletes its datafeed; an open job with a started datafeed needs force', async () => {
    await call('POST', '/_ml/anomaly_detectors/j/_open');
    await call('POST', `/_ml/datafeeds/datafeed-j/_start?start=${T0}`);
    const refused = await call('DELETE', '/_ml/anomaly_detectors/j');
    expect(refused.status).toBe(409);
    expect(refused.json.error.reason).toBe('Cannot delete job [j] because the job is opened');
    expect((await datafeedStats()).state).toBe('started');

    expect((await call('DELETE', '/_ml/anomaly_detectors/j?force=true')).json).toEqual({ acknowledged: true });
    expect((await call('GET', '/_ml/datafeeds/datafeed-j')).status).toBe(404);
    expect((await call('GET', '/_ml/anomaly_detectors/j')).status).toBe(404);
    // the id is free for a new job and a new datafeed
    const job = { analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] }, data_description: { time_field: 'ts', time_format: 'epoch_ms' } };
    expect((await call('PUT', '/_ml/anomaly_detectors/j', job)).status).toBe(200);
    expect((await call('PUT', '/_ml/datafeeds/datafeed-j', { job_id: 'j', indices: ['m'] })).status).toBe(200);
  });

  it('deleting a closed job deletes its stopped datafeed', async () => {
    expect((await call('DELETE', '/_ml/anomaly_detectors/j')).json).toEqual({ acknowledged: true });
    expect((await call('GET', '/_ml/datafeeds/datafeed-j')).status).toBe(404);
    expect((await call('GET', '/_ml/datafeeds')).json.count).toBe(0);
  });
});

describe("a job's datafeed_config", () => {
  it('makes its datafeed once: a deleted datafeed stays deleted and the job no longer shows it', async () => {
    const job = { analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] }, data_description: { time_field: 'ts', time_format: 'epoch_ms' }, datafeed_config: { indices: ['m'] } };
    expect((await call('PUT', '/_ml/anomaly_detectors/k', job)).status).toBe(200);
    await call('POST', '/_ml/anomaly_detectors/k/_open');
    expect((await call('GET', '/_ml/datafeeds/k')).json.count).toBe(1);
    expect((await call('DELETE', '/_ml/datafeeds/k')).json).toEqual({ acknowledged: true });
    expect((await call('GET', '/_ml/datafeeds/k')).status).toBe(404);
    expect((await call('GET', '/_ml/datafeeds')).json.datafeeds.map((d: any) => d.datafeed_id)).toEqual(['datafeed-j']);
    expect((await call('GET', '/_ml/anomaly_detectors/k')).json.jobs[0].datafeed_config).toBeUndefined();
    // closing the job (a snapshot saves its record) does not bring it back
    await call('POST', '/_ml/anomaly_detectors/k/_close');
    expect((await call('GET', '/_ml/anomaly_detectors/k')).json.jobs[0].datafeed_config).toBeUndefined();
    expect((await call('GET', '/_ml/datafeeds/k')).status).toBe(404);
    // and a new datafeed may be made for the job
    expect((await call('PUT', '/_ml/datafeeds/k2', { job_id: 'k', indices: ['m'] })).status).toBe(200);
  });
});
