/**
 * Elasticsearch date math in time parameters, through the HTTP API: results start/end, flush
 * advance_time, and the 400 naming a malformed expression.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, JSON9, NDJSON9, type Harness } from './test-kit/harness.js';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;
let h: Harness;

beforeAll(async () => {
  h = await harness();
  const job = { analysis_config: { bucket_span: '5m', detectors: [{ function: 'count' }] }, data_description: { time_field: 'time', time_format: 'epoch_ms' } };
  expect((await h.app.inject({ method: 'PUT', url: '/_ml/anomaly_detectors/dm', headers: JSON9, payload: JSON.stringify(job) })).statusCode).toBe(200);
  await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/dm/_open' });
  const data = Array.from({ length: 60 }, (_, i) => JSON.stringify({ time: T0 + i * 30_000 })).join('\n') + '\n';
  expect((await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/dm/_data', headers: NDJSON9, payload: data })).statusCode).toBe(200);
  // date math in a flush parameter: finalise every bucket up to 01:00
  const flush = await h.app.inject({ method: 'POST', url: `/_ml/anomaly_detectors/dm/_flush?advance_time=${encodeURIComponent('2024-01-01||+1h')}` });
  expect(flush.statusCode).toBe(200);
});
afterAll(async () => h.close());

const buckets = async (qs: Record<string, string>): Promise<{ statusCode: number; json: () => any }> =>
  h.app.inject({ method: 'GET', url: `/_ml/anomaly_detectors/dm/results/buckets?${new URLSearchParams({ size: '100', ...qs }).toString()}` });

describe('date math in results start/end', () => {
  it('anchored expressions with +, - and rounding select the buckets', async () => {
    const r = await buckets({ start: '2024-01-01||+5m', end: '2024-01-01T00:17:30Z||/m-2m' });
    expect(r.statusCode).toBe(200);
    expect(r.json().buckets.map((b: any) => b.timestamp)).toEqual([T0 + 5 * MIN, T0 + 10 * MIN]);
    const month = await buckets({ start: '2024-01-01T13:00:00Z||/M', end: '2024-01-01||/d+20m' });
    expect(month.json().buckets.map((b: any) => b.timestamp)).toEqual([T0, T0 + 5 * MIN, T0 + 10 * MIN, T0 + 15 * MIN]);
  });

  it('now-relative calendar units (now-1M, now-1y, now/d, now+1h) are accepted', async () => {
    const all = (await buckets({})).json().count;
    expect(all).toBeGreaterThan(0);
    const r = await buckets({ start: 'now-100y/y', end: 'now+1h' });
    expect(r.statusCode).toBe(200);
    expect(r.json().count).toBe(all);
    // the data is from 2024: nothing in the last month
    const recent = await buckets({ start: 'now-1M', end: 'now/d+1d' });
    expect(recent.statusCode).toBe(200);
    expect(recent.json().count).toBe(0);
    // the body form (POST) reads the same
    const post = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/dm/results/buckets', headers: JSON9, payload: JSON.stringify({ start: '2024-01-01||+1y-1y', end: '2024-01-01||+10m' }) });
    expect(post.json().buckets.map((b: any) => b.timestamp)).toEqual([T0, T0 + 5 * MIN]);
  });

  it('a malformed expression answers 400 parse_exception naming it', async () => {
    const r = await buckets({ end: 'now-1x' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({
      type: 'parse_exception',
      reason: 'Query param [end] with value [now-1x] cannot be parsed as a date or converted to a number (epoch). Reason: unit [x] not supported for date math [-1x]',
    });
    const round = await buckets({ start: '2024-01-01||/2d' });
    expect(round.statusCode).toBe(400);
    expect(round.json().error.reason).toContain('[2024-01-01||/2d]');
    expect(round.json().error.reason).toContain('rounding `/` can only be used on single unit types');
  });
});
