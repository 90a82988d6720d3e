/**
 * `vigil serve` keeps the UI's uploads in its own data directory: two servers on one machine do
 * not see (or post from) each other's uploaded files, as they did in a shared OS temp folder.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testServerConfig } from '../test-kit/server-config.js';
import { startServer } from '../server.js';
import { fakeEngine } from '../test-kit/fake-engine.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-uploads-dir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('UI uploads', () => {
  it('live in each server’s data directory', async () => {
    const saved = process.env.VIGIL_UI_UPLOAD_DIR;
    delete process.env.VIGIL_UI_UPLOAD_DIR;
    const servers = [];
    try {
      for (const name of ['a', 'b']) {
        const cfg = testServerConfig(dir, name);
        servers.push(await startServer(cfg, { engine: fakeEngine, version: 'test' }));
      }
      const csv = 'time,v\n2024-01-01T00:00:00Z,1\n2024-01-01T00:05:00Z,2\n';
      const up = await fetch(`${servers[0].url}/_vigil/ui/uploads?file_name=a.csv`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
      expect(up.status).toBe(200);
      expect(existsSync(join(dir, 'a', 'uploads'))).toBe(true);
      expect(readdirSync(join(dir, 'a', 'uploads')).length).toBeGreaterThan(0);
      const other = (await (await fetch(`${servers[1].url}/_vigil/ui/uploads`)).json()) as { uploads: unknown[] };
      expect(other.uploads).toEqual([]);
    } finally {
      for (const s of servers) await s.close();
      if (saved !== undefined) process.env.VIGIL_UI_UPLOAD_DIR = saved;
    }
  });
});
