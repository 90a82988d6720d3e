import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    await restoreDataDir({ backup: b.path, dataDir: join(dir, 'restored') });
    for (const [rel, text] of Object.entries(files)) expect(readFileSync(join(dir, 'restored', rel), 'utf8'), rel).toBe(text);
    // --force over a stopped server's directory replaces those folders too (no stale filter survives)
    writeFileSync(join(dir, 'restored', 'control', 'filters', 'stale.json'), '{}');
    await restoreDataDir({ backup: b.path, dataDir: join(dir, 'restored'), force: true });
    expect(existsSync(join(dir, 'restored', 'control', 'filters', 'stale.json'))).toBe(false);
    expect(existsSync(join(dir, 'restored', 'control', 'filters', 'safe.json'))).toBe(true);
  });
});

describe('restore checks the backup before it touches the data directory', () => {
  /** A backup whose store a newer Vigil wrote (schema version 2), as `vigil backup` lays it out. */
  async function newerBackup(): Promise<string> {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const src = join(dir, 'newer-src');
    mkdirSync(src, { recursive: true });
    const db = await DuckDBInstance.create(join(src, 'vigil.duckdb'));
    const c = await db.connect();
    await c.run(`CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)`);
    await c.run(`INSERT INTO meta VALUES ('schema_version', '2')`);
    c.closeSync();
    db.closeSync();
    writeFileSync(join(src, 'node.json'), '{"id":"newer"}\n');
    const b = await backupDataDir({ dataDir: src, target: join(dir, 'newer-backup'), store: { listJobs: async () => [], backupTo: async (file: string, inQueue: () => Promise<void>) => (copyFileSync(join(src, 'vigil.duckdb'), file), inQueue()) } as never, version: '9.9.9' });
    return b.path;
  }

  it('a backup this Vigil cannot read is refused with its reason, and restore --force leaves the old data in place', async () => {
    const backup = await newerBackup();
    const { main } = await import('../../cli/main.js');
    const err: string[] = [];
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) }, stdin: process.stdin, cwd: dir } as never;
    // a stopped server's data directory, restored over with --force
    const data = join(dir, 'live-data');
    mkdirSync(join(data, 'wal', 'j1'), { recursive: true });
    writeFileSync(join(data, 'vigil.duckdb'), 'the old store');
    writeFileSync(join(data, 'wal', 'j1', '000001.wal'), 'old wal');
    writeFileSync(join(data, 'node.json'), '{"id":"old"}\n');
    expect(await main(['restore', backup, '--data-dir', data, '--force'], io)).not.toBe(0);
    expect(err.join('')).toMatch(/schema version 2/);
    expect(err.join('')).toMatch(/9\.9\.9/);
    expect(readFileSync(join(data, 'vigil.duckdb'), 'utf8')).toBe('the old store');
    expect(readFileSync(join(data, 'wal', 'j1', '000001.wal'), 'utf8')).toBe('old wal');
    expect(readFileSync(join(data, 'node.json'), 'utf8')).toBe('{"id":"old"}\n');
    // into a new directory: nothing is left behind that a later restore would call "not empty"
    const fresh = join(dir, 'fresh-data');
    expect(await main(['restore', backup, '--data-dir', fresh], io)).not.toBe(0);
    expect(existsSync(fresh) ? readdirSync(fresh) : []).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.includes('.restore-'))).toEqual([]);
  });
});
