/**
 * GET/POST _ml/anomaly_detectors/<job_id>/results/categories[/<category_id>]: Vigil has no log
 * categorization, so an existing job has no categories (Elastic's answer for a job without
 * categorization) and an unknown job is a 404; the official clients' ml.getCategories works.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as Client8 } from 'es8';
import { Client as Client9 } from 'es9';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './server.js';
import { fakeEngine } from './test-kit/fake-engine.js';
import { harness, JSON9, type Harness } from './test-kit/harness.js';
import { testServerConfig } from './test-kit/server-config.js';

const JOB = { analysis_config: { bucket_span: '5m', detectors: [{ function: 'count' }] }, data_description: { time_field: 'time', time_format: 'epoch_ms' } };
const EMPTY = { count: 0, categories: [] };

describe('results/categories over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
    await h.app.inject({ method: 'PUT', url: '/_ml/anomaly_detectors/cat', headers: JSON9, payload: JSON.stringify(JOB) });
  });
  afterAll(async () => h.close());
  const call = (method: 'GET' | 'POST', url: string, body?: unknown) =>
    h.app.inject({ method, url: `/_ml/anomaly_detectors/${url}`, ...(body === undefined ? {} : { headers: JSON9, payload: JSON.stringify(body) }) });

  it('an existing job has no categories, with GET or POST, with or without a category id', async () => {
    for (const [method, url, body] of [
      ['GET', 'cat/results/categories', undefined],
      ['GET', 'cat/results/categories?from=0&size=10&partition_field_value=a', undefined],
      ['POST', 'cat/results/categories', { page: { from: 5, size: 5 } }],
      ['POST', 'cat/results/categories', { category_id: 3 }],
      ['POST', 'cat/results/categories', undefined],
      ['GET', 'cat/results/categories/1', undefined],
      ['POST', 'cat/results/categories/1', { partition_field_value: 'a' }],
    ] as const) {
      const r = await call(method, url, body);
      expect(r.statusCode, `${method} ${url}`).toBe(200);
      expect(r.json()).toEqual(EMPTY);
    }
  });

  it('an unknown job answers 404 resource_not_found_exception', async () => {
    for (const url of ['nope/results/categories', 'nope/results/categories/1', 'ca*/results/categories']) {
      const r = await call('GET', url);
      expect(r.statusCode).toBe(404);
      expect(r.json().error).toMatchObject({ type: 'resource_not_found_exception' });
    }
    expect((await call('GET', 'nope/results/categories')).json().error.reason).toBe("No known job with id 'nope'");
  });

  it('paging and category ids are checked as Elastic does', async () => {
    const reason = async (method: 'GET' | 'POST', url: string, body?: unknown): Promise<string> => {
      const r = await call(method, url, body);
      expect(r.statusCode, url).toBe(400);
      return r.json().error.reason;
    };
    expect(await reason('GET', 'cat/results/categories?from=-1')).toBe('Parameter [from] cannot be < 0');
    expect(await reason('GET', 'cat/results/categories?size=-1')).toBe('Parameter [size] cannot be < 0');
    expect(await reason('GET', 'cat/results/categories?from=9999&size=2')).toBe('The sum of parameters [from] and [size] cannot be higher than 10000.');
    expect(await reason('POST', 'cat/results/categories', { page: { from: 0, size: 10001 } })).toBe('The sum of parameters [from] and [size] cannot be higher than 10000.');
    expect(await reason('GET', 'cat/results/categories/1?size=5')).toBe('Param [from, size] is incompatible with [category_id].');
    expect(await reason('POST', 'cat/results/categories/1', { page: { size: 5 } })).toBe('Param [category_id] is incompatible with [from, size].');
    expect(await reason('POST', 'cat/results/categories', { category_id: 1, page: { size: 5 } })).toBe('Param [from, size] is incompatible with [category_id].');
    expect(await reason('POST', 'cat/results/categories', { partition_field_value: 'a' })).toBe('Validation Failed: 1: Both [category_id] and [from, size] cannot be null;');
    expect(await reason('GET', 'cat/results/categories/abc')).toBe('For input string: "abc"');
    expect(await reason('POST', 'cat/results/categories', { bogus: 1 })).toBe('[cluster:monitor/xpack/ml/job/results/categories/get] unknown field [bogus]');
    expect(await reason('GET', 'cat/results/categories?bogus=1')).toContain('unrecognized parameter: [bogus]');
    // validation comes first, as in Elastic (the request is parsed before the job is looked up)
    expect(await reason('GET', 'nope/results/categories?from=-1')).toBe('Parameter [from] cannot be < 0');
  });
});

describe('ml.getCategories with the official clients', () => {
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-categories-'));
    const cfg = testServerConfig(dir);
    server = await startServer(cfg, { engine: fakeEngine, version: 'test' });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, make] of [
    ['v8', () => new Client8({ node: server.url })],
    ['v9', () => new Client9({ node: server.url })],
  ] as const) {
    it(`${name}: empty for an existing job, 404 for an unknown one`, async () => {
      const es = make() as unknown as { ml: Record<string, (p: Record<string, unknown>) => Promise<any>>; close: () => Promise<void> };
      const id = `categories-${name}`;
      try {
        await es.ml.putJob({ job_id: id, ...JOB });
        expect(await es.ml.getCategories({ job_id: id })).toEqual(EMPTY);
        expect(await es.ml.getCategories({ job_id: id, category_id: 1 })).toEqual(EMPTY);
        expect(await es.ml.getCategories({ job_id: id, page: { from: 0, size: 10 }, partition_field_value: 'x' })).toEqual(EMPTY);
        expect(await es.ml.getCategories({ job_id: id, from: 0, size: 10 })).toEqual(EMPTY);
        const missing = await es.ml.getCategories({ job_id: 'no-such-job' }).catch((e: any) => e);
        expect(missing.meta?.statusCode).toBe(404);
        expect(missing.meta.body.error.type).toBe('resource_not_found_exception');
        const bad = await es.ml.getCategories({ job_id: id, page: { from: -1, size: 10 } }).catch((e: any) => e);
        expect(bad.meta?.statusCode).toBe(400);
        expect(bad.meta.body.error.reason).toBe('Parameter [from] cannot be < 0');
        await es.ml.deleteJob({ job_id: id });
      } finally {
        await es.close();
      }
    });
  }
});
