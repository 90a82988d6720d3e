/**
 * Limits: body size (413), request rate per key (429 with Retry-After), jobs (max_jobs), entities
 * per job, open jobs, concurrent historical runs — each refusal in Elastic's error shape, naming
 * the setting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { JSON9, NDJSON9 } from '../test-kit/harness.js';
import { RateLimiter, RunLimiter } from './limits.js';
import { apiKeyHeader, basic, secureHarness, type SecureHarness } from './test-kit/secure-harness.js';

let h: SecureHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const job = (extra: Record<string, unknown> = {}) => ({ analysis_config: { bucket_span: '5m', detectors: [{ function: 'count', ...extra }] }, data_description: { time_field: 'time', time_format: 'epoch_ms' } });

describe('limits', () => {
  it('request body size: 413 content_too_long_exception', async () => {
    h = await secureHarness({ harness: { app: { maxBodyBytes: 1024 } } });
    const r = await h.app.inject({ method: 'PUT', url: '/_ml/anomaly_detectors/big', headers: { ...JSON9, ...basic('ed') }, payload: JSON.stringify({ description: 'x'.repeat(5000) }) });
    expect(r.statusCode).toBe(413);
    expect(r.json().error.type).toBe('content_too_long_exception');
    expect(r.json().error.reason).toContain('limits.max_body_bytes');
  });

  it('request rate per API key: token bucket, 429 with Retry-After, other keys unaffected', async () => {
    h = await secureHarness({ limits: { rate_per_second: 1, rate_burst: 3 } });
    const a = await h.ops.apiKeys!.create({ name: 'a', role: 'viewer', username: 'x', realm: 'test' });
    const b = await h.ops.apiKeys!.create({ name: 'b', role: 'viewer', username: 'x', realm: 'test' });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await h.app.inject({ url: '/_ml/anomaly_detectors', headers: apiKeyHeader(a.encoded) })).statusCode);
    expect(codes.slice(0, 3)).toEqual([200, 200, 200]);
    expect(codes[4]).toBe(429);
    const r = await h.app.inject({ url: '/_ml/anomaly_detectors', headers: apiKeyHeader(a.encoded) });
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.json().error).toMatchObject({ type: 'es_rejected_execution_exception' });
    expect(r.json().error.reason).toContain('limits.rate_per_second');
    expect((await h.app.inject({ url: '/_ml/anomaly_detectors', headers: apiKeyHeader(b.encoded) })).statusCode).toBe(200);
    // liveness is never rate limited
    expect((await h.app.inject({ url: '/_vigil/live' })).statusCode).toBe(200);
  });

  it('failed authentications: once a client address is over the limit, its credentials are not even checked (a right guess is refused too)', async () => {
    let t = 0;
    h = await secureHarness({ ops: { unauthenticatedRate: new RateLimiter(1, 3, () => t) } });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await h.app.inject({ url: '/_security/_authenticate', headers: basic('vi', `guess ${i}`) })).statusCode);
    expect(codes).toEqual([401, 401, 401, 429]);
    // the attacker's next guess is the right password: still 429, so guessing goes no faster than the limit
    const right = await h.app.inject({ url: '/_security/_authenticate', headers: basic('vi') });
    expect(right.statusCode).toBe(429);
    expect(right.headers['retry-after']).toBe('1');
    expect(right.json().error.type).toBe('es_rejected_execution_exception');
    t += 1000; // a token back
    expect((await h.app.inject({ url: '/_security/_authenticate', headers: basic('vi') })).statusCode).toBe(200);
    // successes take nothing from the budget of the address
    for (let i = 0; i < 5; i++) expect((await h.app.inject({ url: '/_security/_authenticate', headers: basic('vi') })).statusCode).toBe(200);
  });

  it('token bucket: wait() tells the seconds until a token without taking one', () => {
    let t = 0;
    const rl = new RateLimiter(1, 1, () => t);
    expect(rl.wait('k')).toBe(0);
    expect(rl.take('k')).toBe(0);
    expect(rl.wait('k')).toBe(1);
    expect(rl.wait('k')).toBe(1);
    t += 1000;
    expect(rl.wait('k')).toBe(0);
    expect(rl.take('k')).toBe(0);
    expect(new RateLimiter(0, 0).wait('k')).toBe(0);
  });

  it('token bucket refills at the configured rate', () => {
    let t = 0;
    const rl = new RateLimiter(2, 2, () => t);
    expect([rl.take('k'), rl.take('k'), rl.take('k')]).toEqual([0, 0, 1]);
    t += 500;
    expect(rl.take('k')).toBe(0);
    expect(rl.take('k')).toBeGreaterThan(0);
  });

  it('maximum jobs: the next PUT is refused naming limits.max_jobs', async () => {
    h = await secureHarness({ limits: { max_jobs: 2 } });
    for (const id of ['j1', 'j2']) expect((await h.app.inject({ method: 'PUT', url: `/_ml/anomaly_detectors/${id}`, headers: { ...JSON9, ...basic('ed') }, payload: job() })).statusCode).toBe(200);
    const r = await h.app.inject({ method: 'PUT', url: '/_ml/anomaly_detectors/j3', headers: { ...JSON9, ...basic('ed') }, payload: job() });
    expect(r.statusCode).toBe(429);
    expect(r.json().error.type).toBe('status_exception');
    expect(r.json().error.reason).toContain('limits.max_jobs is 2');
    await h.app.inject({ method: 'DELETE', url: '/_ml/anomaly_detectors/j1', headers: basic('ed') });
    expect((await h.app.inject({ method: 'PUT', url: '/_ml/anomaly_detectors/j3', headers: { ...JSON9, ...basic('ed') }, payload: job() })).statusCode).toBe(200);
  });

  it('open jobs: limits.max_open_jobs', async () => {
    h = await secureHarness({ harness: { service: { maxOpenJobs: 1 } } });
    for (const id of ['o1', 'o2']) await h.app.inject({ method: 'PUT', url: `/_ml/anomaly_detectors/${id}`, headers: { ...JSON9, ...basic('ed') }, payload: job() });
    expect((await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/o1/_open', headers: basic('ed') })).statusCode).toBe(200);
    const r = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/o2/_open', headers: basic('ed') });
    expect(r.statusCode).toBe(429);
    expect(r.json().error.reason).toContain('limits.max_open_jobs');
  });

  it('entities per job: a batch bringing too many new partition values is refused whole; known values pass', async () => {
    h = await secureHarness({ limits: { max_entities_per_job: 3 } });
    const H = { ...NDJSON9, ...basic('ed') };
    await h.app.inject({ method: 'PUT', url: '/_ml/anomaly_detectors/ent', headers: { ...JSON9, ...basic('ed') }, payload: job({ partition_field_name: 'host' }) });
    await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/ent/_open', headers: basic('ed') });
    const post = (hosts: string[], t: number) => h!.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/ent/_data', headers: H, payload: hosts.map((host, i) => JSON.stringify({ time: t + i, host })).join('\n') });
    expect((await post(['a', 'b'], 1000)).statusCode).toBe(200);
    const refused = await post(['c', 'd'], 2000);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.reason).toContain('limits.max_entities_per_job is 3');
    expect(refused.json().error.reason).toContain('Nothing of this batch was processed');
    expect((await post(['a', 'c', 'b'], 3000)).statusCode).toBe(200);
    const stats = (await h.app.inject({ url: '/_ml/anomaly_detectors/ent/_stats', headers: basic('ed') })).json();
    expect(stats.jobs[0].data_counts.processed_record_count).toBe(5);
  });

  it('concurrent historical runs: the run beyond the limit is refused (429), a queued acquire waits', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = { method: 'POST' as const, url: '/_test/run', operationId: 'test.run', tag: 'vigil' as const, summary: 'slow', permission: { privilege: 'write' as const, historical: true }, handler: async () => (await gate, { ok: true }) };
    h = await secureHarness({ limits: { max_concurrent_historical_runs: 1 }, harness: { app: { extraRoutes: [{ ...slow, querystring: Type.Object({}) }] } } });
    const first = h.app.inject({ method: 'POST', url: '/_test/run', headers: basic('ed') });
    await new Promise((r) => setTimeout(r, 50));
    const second = await h.app.inject({ method: 'POST', url: '/_test/run', headers: basic('ed') });
    expect(second.statusCode).toBe(429);
    expect(second.json().error.reason).toContain('limits.max_concurrent_historical_runs is 1');
    release();
    expect((await first).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'POST', url: '/_test/run', headers: basic('ed') })).statusCode).toBe(200);

    const runs = new RunLimiter(1);
    const r1 = await runs.acquire();
    let got = false;
    const p2 = runs.acquire().then((r) => ((got = true), r));
    await new Promise((r) => setTimeout(r, 10));
    expect([got, runs.queued]).toEqual([false, 1]);
    r1();
    (await p2)();
    expect([got, runs.active]).toEqual([true, 0]);
  });
});
