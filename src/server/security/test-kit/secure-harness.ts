/**
 * Test kit: an inject() harness with authentication on, users of every role (one limited to the
 * job group `web`), an API key store in a temporary folder, and header helpers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testOps, type Ops } from '../../ops/context.js';
import { Registry } from '../../ops/metrics.js';
import { harness, type Harness } from '../../test-kit/harness.js';
import { ApiKeyStore } from '../api-keys.js';
import type { OpsLimits, UserConfig } from '../config.js';
import { hashSecret } from '../passwords.js';

export const PASSWORD = 'correct horse battery';

let hashed: string | undefined;
async function passwordHash(): Promise<string> {
  hashed ??= await hashSecret(PASSWORD);
  return hashed;
}

export async function testUsers(): Promise<Record<string, UserConfig>> {
  const h = await passwordHash();
  return {
    root: { password_hash: h, role: 'admin' },
    ed: { password_hash: h, role: 'editor' },
    vi: { password_hash: h, role: 'viewer' },
    webed: { password_hash: h, role: 'editor', job_groups: ['web'] },
  };
}

export function basic(user: string, password = PASSWORD): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

export function apiKeyHeader(encoded: string): Record<string, string> {
  return { authorization: `ApiKey ${encoded}` };
}

export interface SecureHarness extends Harness {
  ops: Ops;
  dir: string;
}

export async function secureHarness(o: { limits?: Partial<OpsLimits>; ops?: Partial<Ops>; harness?: Parameters<typeof harness>[0] } = {}): Promise<SecureHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sec-'));
  const ops = testOps({
    auth: true,
    users: await testUsers(),
    apiKeys: new ApiKeyStore(join(dir, 'security', 'api_keys.json'), { reloadMs: 0 }),
    metrics: new Registry(),
    dataDir: dir,
    limits: { rate_per_second: 0, ...o.limits },
    ...o.ops,
  });
  const h = await harness({ ...o.harness, app: { ...o.harness?.app, ops }, service: { guard: ops.jobGuard, ...o.harness?.service } });
  return {
    ...h,
    ops,
    dir,
    async close() {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
