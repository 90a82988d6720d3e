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

describe('the file-based state is copied consistently with the store', () => {
  function seed(data: string, files: Record<string, string>): void {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(data, rel, '..'), { recursive: true });
      writeFileSync(join(data, rel), text);
    }
  }

  it('is copied while the store holds its writes: a file written after a store change that waited behind the backup is not in it', async () => {
    const data = join(dir, 'consistent');
    seed(data, { 'vigil.duckdb': 'jobs: j1', 'datafeeds/datafeed-j1.json': '{"datafeed_id":"datafeed-j1","job_id":"j1"}' });
    let held = false;
    const copiedWhileHeld: boolean[] = [];
    const racing = {
      listJobs: async () => [{ job_id: 'j1' }],
      backupTo: async (file: string, inQueue: () => Promise<void>) => {
        held = true;
        copyFileSync(join(data, 'vigil.duckdb'), file);
        await inQueue();
        copiedWhileHeld.push(existsSync(join(file, '..', 'datafeeds', 'datafeed-j1.json')));
        held = false;
        // the writes released: a job creation that waited commits, then its datafeed is written —
        // neither may be in the backup, whose store copy lacks the job
        writeFileSync(join(data, 'vigil.duckdb'), 'jobs: j1, j2');
        writeFileSync(join(data, 'datafeeds', 'datafeed-j2.json'), '{"datafeed_id":"datafeed-j2","job_id":"j2"}');
      },
    };
    const b = await backupDataDir({ dataDir: data, target: join(dir, 'consistent-b'), store: racing as never });
    expect(held).toBe(false);
    expect(copiedWhileHeld).toEqual([true]);
    expect(readFileSync(join(b.path, 'vigil.duckdb'), 'utf8')).toBe('jobs: j1');
    expect(verifyBackup(b.path).files.map((f) => f.path).filter((p) => p.startsWith('datafeeds/'))).toEqual(['datafeeds/datafeed-j1.json']);
    expect(existsSync(join(b.path, 'datafeeds', 'datafeed-j2.json'))).toBe(false);
  });

  it('leaves out the temporary files of writes in progress and cuts an append-only log after its last whole line', async () => {
    const data = join(dir, 'in-flight');
    const line = '{"t":"rule_del","rule_id":"r1"}\n';
    seed(data, {
      'vigil.duckdb': 'db',
      'control/control.json': '{"filters":{}}',
      'control/control.json.tmp': '{"filters":{"half', // a replace being written
      'datafeeds/datafeed-j1.json': '{"datafeed_id":"datafeed-j1"}',
      'datafeeds/.datafeed-j1.tmp': '{"datafee',
      'alerts/alerts.ndjson': line + '{"t":"rule","ru', // an append being written
      'alerts/alerts.ndjson.tmp': line, // a compaction being written
      'models/m1/config.json': '{"model_id":"m1"}',
      'models/m1/weights.bin.tmp-4242': 'half the weights',
      'models/m1/activations/a1.results.ndjson': '{"n":1}\n{"n":2}\n{"n"',
    });
    const b = await backupDataDir({ dataDir: data, target: join(dir, 'in-flight-b'), store: store(data) as never });
    const paths = verifyBackup(b.path).files.map((f) => f.path).sort();
    expect(paths).toEqual(['alerts/alerts.ndjson', 'control/control.json', 'datafeeds/datafeed-j1.json', 'models/m1/activations/a1.results.ndjson', 'models/m1/config.json', 'vigil.duckdb']);
    expect(readFileSync(join(b.path, 'alerts', 'alerts.ndjson'), 'utf8')).toBe(line);
    expect(readFileSync(join(b.path, 'models', 'm1', 'activations', 'a1.results.ndjson'), 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    await restoreDataDir({ backup: b.path, dataDir: join(dir, 'in-flight-restored') });
    expect(readdirSync(join(dir, 'in-flight-restored', 'control'))).toEqual(['control.json']);
  });

  it('a control store changing while backups run: each backup holds one whole version of it, and none holds a temporary file', async () => {
    const { ControlStore } = await import('../../store/control-store.js');
    const { FileModelRepository } = await import('../models/file-repository.js');
    const data = join(dir, 'racing');
    seed(data, { 'vigil.duckdb': 'db' });
    const control = ControlStore.open(join(data, 'control'));
    const models = new FileModelRepository(join(data, 'models'));
    let stop = false;
    let n = 0;
    const writer = (async () => {
      while (!stop) {
        n++;
        await control.update((d) => {
          d.filters.f = { filter_id: 'f', items: Array.from({ length: 2000 }, (_, i) => `item-${n}-${i}`) };
        });
        await models.saveInfo({ model_id: 'm1', version: n } as never);
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      for (let i = 0; i < 15; i++) {
        const b = await backupDataDir({ dataDir: data, target: join(dir, `racing-b${i}`), store: store(data) as never });
        const paths = verifyBackup(b.path).files.map((f) => f.path);
        expect(paths.filter((p) => /\.tmp/.test(p))).toEqual([]);
        const doc = JSON.parse(readFileSync(join(b.path, 'control', 'control.json'), 'utf8')) as { filters: { f?: { items: string[] } } };
        if (doc.filters.f) expect(new Set(doc.filters.f.items.map((x) => x.split('-')[1])).size).toBe(1);
        if (existsSync(join(b.path, 'models', 'm1', 'config.json'))) JSON.parse(readFileSync(join(b.path, 'models', 'm1', 'config.json'), 'utf8'));
      }
    } finally {
      stop = true;
      await writer;
    }
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
