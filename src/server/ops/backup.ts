/**
 * Backup and restore of a data directory, also while the server runs.
 *
 * What a consistent copy needs: the store (jobs, results, model snapshots) and the write-ahead-log
 * segments that hold what each job accepted after its newest snapshot. The store copies itself
 * inside its write queue (`backupTo`: DuckDB's COPY FROM DATABASE into a new file, no write can
 * commit meanwhile) and, still inside it, the WAL segments are copied — so no snapshot can commit
 * and rotate segments away between the two copies. WAL records appended after the store copy are
 * in the backup's WAL and are replayed when the restored server re-opens the job (replays rewrite
 * results by identity), so nothing acknowledged before the backup began is missing.
 *
 * Layout: `<backup>/manifest.json` (format, version, jobs, every file with size and SHA-256),
 * `vigil.duckdb`, `wal/<job>/<segment>.wal`, `security/api_keys.json`, `node.json`, and the file-based
 * state of job control, alerting, datafeeds and trained models (`control/`, `alerts/`, `datafeeds/`,
 * `models/`). The backup is
 * written to `<target>.partial-…` and renamed when complete, so a present target is whole.
 *
 * The file-based state is copied inside the store's write queue too, right after the WAL, so it is
 * taken at the store's instant: a write that follows a store change (a datafeed for a job being
 * created, an alert for results being written) waits behind the backup and is either in both the
 * store copy and the files or in neither. That copy is one synchronous pass, so writers that change
 * their files synchronously (filters, calendars and annotations in control/, datafeeds/) cannot
 * run during it at all; writers that use asynchronous file operations (alerts/, models/) may
 * complete at most one operation each meanwhile, and every such operation is atomic per file
 * (a temporary file renamed over the old one) or an append. So each file is copied through one
 * descriptor (a rename during the copy cannot mix two versions), temporary files of those atomic
 * replaces are left out (never state: a half-written one must not be restored), a file removed
 * after it was listed is skipped, and an append-only log (`*.ndjson`) is cut after its last whole
 * line. What the backup holds is a state a crash could have left, which every owner reads back.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { VigilError } from '../../core/errors.js';
import type { JobRecord } from '../../store/store.js';

export interface BackupableStore {
  /** Copies the store into `path` (a new file) with writes held; runs `during` before releasing them. */
  backupTo(path: string, during?: () => Promise<void>): Promise<void>;
  listJobs(): Promise<JobRecord[]>;
}

export interface BackupFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface BackupManifest {
  format: 'vigil-backup';
  version: 1;
  created: string;
  vigil_version?: string;
  source_data_dir: string;
  jobs: string[];
  files: BackupFile[];
}

export interface BackupResult {
  path: string;
  manifest: BackupManifest;
  bytes: number;
  duration_ms: number;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException)?.code === 'ENOENT';

function walk(dir: string, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return out; // absent, or removed while listed (a model being deleted)
    throw err;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

function copyInto(srcRoot: string, rel: string, dstRoot: string): void {
  const dst = join(dstRoot, rel);
  mkdirSync(dirname(dst), { recursive: true });
  copyFileSync(join(srcRoot, rel), dst);
}

/**
 * Temporary files of the atomic replaces that write the file-based state — control/ `<file>.tmp`,
 * alerts/ `alerts.ndjson.tmp`, datafeeds/ `.<id>.tmp`, models/ `<file>.tmp-<pid>`, security/
 * `api_keys.json.<pid>.tmp` — are never state.
 */
const TEMP_FILE = /\.tmp(-\d+)?$/;

/**
 * Copies one file of file-based state (see the header): through one descriptor, an append-only
 * `*.ndjson` log cut after its last whole line. False when the file is gone (removed after it
 * was listed).
 */
function copyStateFile(srcRoot: string, rel: string, dstRoot: string): boolean {
  const src = join(srcRoot, rel);
  const dst = join(dstRoot, rel);
  if (!existsSync(src)) return false;
  mkdirSync(dirname(dst), { recursive: true });
  try {
    if (rel.endsWith('.ndjson')) {
      const data = readFileSync(src);
      writeFileSync(dst, data.subarray(0, data.lastIndexOf(0x0a) + 1));
    } else copyFileSync(src, dst);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

function isEmptyDir(p: string): boolean {
  return !existsSync(p) || (statSync(p).isDirectory() && readdirSync(p).length === 0);
}

/** Data-directory folders of file-based state that a backup carries beside the store and the WAL. */
const FILE_STATE_DIRS = ['control', 'alerts', 'datafeeds', 'models'];

/** Writes a consistent backup of `dataDir` (whose store is `store`) into `target`. */
export async function backupDataDir(o: { dataDir: string; target: string; store: BackupableStore; version?: string }): Promise<BackupResult> {
  const t0 = Date.now();
  const target = resolve(o.target);
  const dataDir = resolve(o.dataDir);
  if (target === dataDir || target.startsWith(dataDir + sep + 'wal') || target.startsWith(dataDir + sep + 'security')) {
    throw new VigilError('INVALID_ARGUMENT', `backup target ${target} must not be the data directory or inside its wal/ or security/ folders`);
  }
  if (!isEmptyDir(target)) throw new VigilError('RESOURCE_EXISTS', `backup target ${target} already exists and is not empty; choose another name`);
  const tmp = `${target}.partial-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  try {
    const jobs = (await o.store.listJobs()).map((j) => j.job_id);
    const rels: string[] = [];
    await o.store.backupTo(join(tmp, 'vigil.duckdb'), async () => {
      // inside the store's write queue: no snapshot commits, so no WAL segment is rotated away
      for (const f of walk(join(dataDir, 'wal'))) {
        const rel = relative(dataDir, f);
        copyInto(dataDir, rel, tmp);
        rels.push(rel);
      }
      // still inside it, in one synchronous pass (no await from here to the end of the callback):
      // the keys, the node id and the file-based state beside the store — filters, calendars and
      // annotations (control/, atomic replace), alert rules and history (alerts/, an fsynced log
      // whose torn tail is repaired on open), datafeeds (datafeeds/, atomic replace) and trained
      // models with their weights and activation results (models/) — see the header
      for (const rel of [join('security', 'api_keys.json'), 'node.json']) {
        if (copyStateFile(dataDir, rel, tmp)) rels.push(rel);
      }
      for (const dir of FILE_STATE_DIRS) {
        for (const f of walk(join(dataDir, dir))) {
          const rel = relative(dataDir, f);
          if (TEMP_FILE.test(f) || !copyStateFile(dataDir, rel, tmp)) continue;
          rels.push(rel);
        }
      }
    });
    rels.unshift('vigil.duckdb');
    const files = rels.map((rel) => ({ path: rel.split(sep).join('/'), bytes: statSync(join(tmp, rel)).size, sha256: sha256(join(tmp, rel)) }));
    const manifest: BackupManifest = {
      format: 'vigil-backup',
      version: 1,
      created: new Date().toISOString(),
      ...(o.version ? { vigil_version: o.version } : {}),
      source_data_dir: dataDir,
      jobs,
      files,
    };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n', { mode: 0o600 });
    if (existsSync(target)) rmSync(target, { recursive: true });
    mkdirSync(dirname(target), { recursive: true });
    renameSync(tmp, target);
    return { path: target, manifest, bytes: files.reduce((s, f) => s + f.bytes, 0), duration_ms: Date.now() - t0 };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Reads and checks a backup's manifest and every file's checksum. */
export function verifyBackup(backup: string): BackupManifest {
  const file = join(backup, 'manifest.json');
  if (!existsSync(file)) throw new VigilError('FILE_NOT_FOUND', `${backup} is not a Vigil backup (no manifest.json)`);
  const m = JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
  if (m.format !== 'vigil-backup' || m.version !== 1 || !Array.isArray(m.files)) throw new VigilError('PARSE_ERROR', `${file} is not a version 1 Vigil backup manifest`);
  for (const f of m.files) {
    const p = resolve(backup, f.path);
    if (!p.startsWith(resolve(backup) + sep)) throw new VigilError('PARSE_ERROR', `${file}: file path ${f.path} leaves the backup`);
    if (!existsSync(p)) throw new VigilError('FILE_NOT_FOUND', `backup file ${f.path} is missing`);
    if (statSync(p).size !== f.bytes || sha256(p) !== f.sha256) throw new VigilError('PARSE_ERROR', `backup file ${f.path} does not match its checksum (damaged or changed)`);
  }
  return m;
}

/**
 * Restores a backup into `dataDir`, which must be empty or absent (or, with `force`, a data
 * directory no server is using: its store, WAL, keys and node id are replaced).
 *
 * The files are first copied into a folder inside `dataDir` (`.restore-…`) and checked there (`check`: the CLI
 * opens the store and compares its jobs with the manifest); only then do they replace anything.
 * A backup this Vigil cannot read, a full disk or a failed copy leaves `dataDir` as it was.
 */
export async function restoreDataDir(o: { backup: string; dataDir: string; force?: boolean; check?: (staged: string, m: BackupManifest) => Promise<void> }): Promise<BackupManifest> {
  const backup = resolve(o.backup);
  const dataDir = resolve(o.dataDir);
  const m = verifyBackup(backup);
  const replacing = !isEmptyDir(dataDir);
  if (replacing) {
    if (!o.force) throw new VigilError('RESOURCE_EXISTS', `data directory ${dataDir} is not empty; restore into a new directory, or pass --force to replace its contents (stop the server first)`);
    if (existsSync(join(dataDir, 'run', 'admin.sock'))) {
      throw new VigilError('JOB_STATE_CONFLICT', `a server seems to be running on ${dataDir} (run/admin.sock exists); stop it before restoring over its data`);
    }
  }
  // staged inside the data directory: on its file system (a mounted volume), so the moves are renames
  const staged = join(dataDir, `.restore-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(staged, { recursive: true, mode: 0o700 });
    for (const f of m.files) copyInto(backup, f.path.split('/').join(sep), staged);
    await o.check?.(staged, m);
    if (replacing) for (const p of ['vigil.duckdb', 'vigil.duckdb.wal', 'wal', 'security', 'node.json', ...FILE_STATE_DIRS]) rmSync(join(dataDir, p), { recursive: true, force: true });
    for (const name of readdirSync(staged)) renameSync(join(staged, name), join(dataDir, name));
  } finally {
    rmSync(staged, { recursive: true, force: true });
  }
  return m;
}

/** A default backup name: `vigil-<UTC timestamp>`. */
export function backupName(now = new Date()): string {
  return `vigil-${now.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}`;
}

export const BACKUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
