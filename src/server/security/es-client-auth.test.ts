/**
 * The official Elasticsearch clients (v8, v9) against a listening server with authentication on:
 * `auth: { username, password }` (a user of the configuration), `auth: { apiKey }` (encoded and
 * `{ id, api_key }`), API keys created and invalidated through `security.*`, 401/403 as the
 * clients report them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as Client8 } from 'es8';
import { Client as Client9 } from 'es9';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { fakeEngine } from '../test-kit/fake-engine.js';
import { PASSWORD, testUsers } from './test-kit/secure-harness.js';
import { testServerConfig } from '../test-kit/server-config.js';

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-auth-client-'));
  const cfg = testServerConfig(dir);
  cfg.security = { enabled: true, anonymous_metrics: false, users: await testUsers() };
  server = await startServer(cfg, { engine: fakeEngine, version: 'test' });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

type AnyClient = { ml: Record<string, (p: Record<string, unknown>) => Promise<any>>; security: Record<string, (p?: Record<string, unknown>) => Promise<any>>; close(): Promise<void> };

for (const [name, Make] of [
  ['v8', Client8],
  ['v9', Client9],
] as const) {
  describe(`official client ${name} with authentication`, () => {
    const client = (auth?: unknown): AnyClient => new (Make as any)({ node: server.url, ...(auth ? { auth } : {}) }) as AnyClient;

    it('basic auth creates an API key; the key (both forms) drives a job; invalidated it is refused', async () => {
      const admin = client({ username: 'root', password: PASSWORD });
      const key = await admin.security.createApiKey({ name: `ingest-${name}`, role_descriptors: { ml: { cluster: ['manage_ml'] } } });
      expect(key).toMatchObject({ name: `ingest-${name}` });
      for (const auth of [{ apiKey: key.encoded }, { apiKey: { id: key.id, api_key: key.api_key } }]) {
        const es = client(auth);
        const id = `auth-${name}-${typeof auth.apiKey === 'string' ? 'enc' : 'obj'}`;
        await es.ml.putJob({ job_id: id, analysis_config: { bucket_span: '5m', detectors: [{ function: 'count' }] }, data_description: { time_field: 'time', time_format: 'epoch_ms' } });
        expect(await es.ml.openJob({ job_id: id })).toMatchObject({ opened: true });
        expect(await es.ml.postData({ job_id: id, data: [{ time: 1 }, { time: 2 }] })).toMatchObject({ processed_record_count: 2 });
        expect(await es.ml.closeJob({ job_id: id })).toEqual({ closed: true });
        await es.ml.deleteJob({ job_id: id });
        await es.close();
      }
      const listed = await admin.security.getApiKey({ name: `ingest-${name}` });
      expect(listed.api_keys[0]).toMatchObject({ id: key.id, invalidated: false });
      expect(await admin.security.invalidateApiKey({ ids: [key.id] })).toMatchObject({ invalidated_api_keys: [key.id] });
      const es = client({ apiKey: key.encoded });
      const err = await es.ml.getJobs({}).catch((e: any) => e);
      expect(err.meta.statusCode).toBe(401);
      expect(err.meta.body.error.type).toBe('security_exception');
      await es.close();
      await admin.close();
    });

    it('401 without credentials, 403 for a viewer changing jobs', async () => {
      const anon = client();
      const e401 = await anon.ml.getJobs({}).catch((e: any) => e);
      expect(e401.meta.statusCode).toBe(401);
      expect(e401.message).toContain('missing authentication credentials');
      const viewer = client({ username: 'vi', password: PASSWORD });
      expect(await viewer.ml.getJobs({})).toMatchObject({ count: expect.any(Number) });
      const e403 = await viewer.ml.putJob({ job_id: `v-${name}`, analysis_config: { bucket_span: '5m', detectors: [{ function: 'count' }] }, data_description: {} }).catch((e: any) => e);
      expect(e403.meta.statusCode).toBe(403);
      expect(e403.meta.body.error.type).toBe('security_exception');
      expect(await viewer.security.authenticate()).toMatchObject({ username: 'vi', roles: ['viewer'] });
      await anon.close();
      await viewer.close();
    });
  });
}
