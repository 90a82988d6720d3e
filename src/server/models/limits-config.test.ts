/**
 * The server configuration's training.* limits reach the model manager of a real server
 * (startServer), where GET /_vigil/models/_limits reads them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startServer } from '../server.js';
import { testServerConfig } from '../test-kit/server-config.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-train-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('training.max_trainings / max_activations / max_historical set the queues of a started server', async () => {
  const cfg = testServerConfig(dir);
  cfg.training = { max_trainings: 2, max_activations: 3, max_historical: 4 };
  const server = await startServer(cfg, { version: 'test' });
  try {
    const r = await fetch(`${server.url}/_vigil/models/_limits`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { limits: { name: string; limit: number }[] };
    expect(Object.fromEntries(body.limits.map((q) => [q.name, q.limit]))).toEqual({ trainings: 2, activations: 3, 'historical runs': 4 });
  } finally {
    await server.close();
  }
});
