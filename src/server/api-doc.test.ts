import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderApiDoc } from './api-doc.js';
import { harness, type Harness } from './test-kit/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => h.close());

describe('docs/api.md', () => {
  it('is what the served OpenAPI document renders to (VIGIL_WRITE_API_DOC=1 rewrites it)', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/_vigil/openapi.json' })).json();
    const text = renderApiDoc(doc);
    const file = new URL('../../docs/api.md', import.meta.url);
    if (process.env.VIGIL_WRITE_API_DOC === '1') writeFileSync(file, text);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(text).toContain('### `POST /_ml/anomaly_detectors/{job_id}/_data`');
  });
});
