import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupDataDir, restoreDataDir, verifyBackup } from './backup.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A store stand-in: its "database" is one file, copied inside the write-queue callback like the real one. */
const store = (dataDir: string) => ({
  listJobs: async () => [{ job_id: 'j1' }],
  backupTo: async (file: string, inQueue: () => Promise<void>) => {
    copyFileSync(join(dataDir, 'vigil.duckdb'), file);
    await inQueue();
  },
});

describe('backup and restore carry the file-based state beside the store', () => {
  it('control, alerts, datafeeds and models folders are backed up, checksummed and restored', async () => {
    const data = join(dir, 'data');
    const files: Record<string, string> = {
      'vigil.duckdb': 'db',
      'wal/j1/000001.wal': 'wal',
      'control/filters/safe.json': '{"filter_id":"safe","items":["a"]}',
      'control/calendars/holidays.json': '{"calendar_id":"holidays"}',
      'alerts/alerts.ndjson': '{"key":"k1","status":"delivered"}\n',
      'datafeeds/datafeed-j1.json': '{"datafeed_id":"datafeed-j1"}',
      'models/m1/weights.bin': 'weights',
    };
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(data, rel, '..'), { recursive: true });
      writeFileSync(join(data, rel), text);
    }
    const b = await backupDataDir({ dataDir: data, target: join(dir, 'b'), store: store(data) as never });
    const paths = verifyBackup(b.path).files.map((f) => f.path).sort();
    expect(paths).toEqual(Object.keys(files).sort());
    restoreDataDir({ backup: b.path, dataDir: join(dir, 'restored') });
    for (const [rel, text] of Object.entries(files)) expect(readFileSync(join(dir, 'restored', rel), 'utf8'), rel).toBe(text);
    // --force over a stopped server's directory replaces those folders too (no stale filter survives)
    writeFileSync(join(dir, 'restored', 'control', 'filters', 'stale.json'), '{}');
    restoreDataDir({ backup: b.path, dataDir: join(dir, 'restored'), force: true });
    expect(existsSync(join(dir, 'restored', 'control', 'filters', 'stale.json'))).toBe(false);
    expect(existsSync(join(dir, 'restored', 'control', 'filters', 'safe.json'))).toBe(true);
  });
});
