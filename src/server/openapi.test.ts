import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from './app.js';
import { openApiPath } from './openapi.js';
import { harness, type Harness } from './test-kit/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => h.close());

describe('OpenAPI document', () => {
  it('is served and lists every route the server registered, with its parameters', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/_vigil/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toBe('3.1.0');
    const routes = registeredRoutes(h.app);
    expect(routes.length).toBeGreaterThan(20);
    for (const key of routes) {
      const [method, url] = key.split(' ');
      const op = doc.paths[openApiPath(url)]?.[method.toLowerCase()];
      expect(op, key).toBeDefined();
      for (const p of url.match(/:([a-z_]+)/g) ?? []) {
        expect(op.parameters.some((x: any) => x.in === 'path' && x.name === p.slice(1)), `${key} path parameter ${p}`).toBe(true);
      }
    }
    // every operation documented is served
    const served = new Set(routes.map((k) => { const [m, u] = k.split(' '); return `${m} ${openApiPath(u)}`; }));
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) for (const m of Object.keys(ops)) expect(served.has(`${m.toUpperCase()} ${path}`), `${m} ${path}`).toBe(true);
  });

  it('carries the schemas validation uses (query parameters and bodies) and marks Vigil extensions', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/_vigil/openapi.json' })).json();
    const buckets = doc.paths['/_ml/anomaly_detectors/{job_id}/results/buckets'];
    expect(buckets.get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['job_id', 'start', 'end', 'anomaly_score', 'expand', 'exclude_interim', 'sort', 'desc', 'from', 'size']));
    const body = buckets.post.requestBody.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false);
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(['page', 'anomaly_score', 'expand']));
    expect(doc.paths['/_ml/anomaly_detectors/{job_id}/_data'].post.requestBody.content).toHaveProperty('application/x-ndjson');
    expect(doc.paths['/_ml/anomaly_detectors/{job_id}/results/model_plot'].get.tags).toEqual(['Vigil extensions']);
  });
});
