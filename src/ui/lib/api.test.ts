import { afterEach, describe, expect, it, vi } from 'vitest';
import { serverOperations } from './api.js';

const openapi = { paths: { '/_ml/anomaly_detectors/{job_id}/_forecast': { post: { operationId: 'ml.forecast' } } } };

describe('serverOperations', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('asks again after the server was unreachable, and remembers a real answer', async () => {
    const fetch = vi.fn().mockRejectedValueOnce(new TypeError('Failed to fetch'));
    fetch.mockImplementation(async () => new Response(JSON.stringify(openapi), { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    // the server is down: no operations this time (features off)…
    expect((await serverOperations()).has('ml.forecast')).toBe(false);
    // …and once it answers, they come back without a page reload
    expect((await serverOperations()).has('ml.forecast')).toBe(true);
    expect((await serverOperations()).has('POST /_ml/anomaly_detectors/{job_id}/_forecast')).toBe(true);
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
