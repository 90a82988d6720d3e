/**
 * Test services on loopback, from Debian packages: a private PostgreSQL cluster (initdb + pg_ctl in
 * a temporary folder, on a free port) and a VictoriaMetrics single node (Prometheus query API).
 * Each start function returns a handle, or `{ skip }` with the reason when the binary is missing,
 * so tests can skip with that reason locally; CI installs both (.ci/run).
 *
 * PostgreSQL refuses to run as root: as root the cluster is created and run as the `postgres`
 * user (created by the Debian package) through `runuser`; otherwise as the current user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Skipped {
  skip: string;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface PostgresService {
  /** postgres://vigil@127.0.0.1:PORT/postgres (trust authentication on loopback). */
  url: string;
  port: number;
  dir: string;
  /** Stops the server (fast shutdown), keeping the data folder (restart with start()). */
  stop(): Promise<void>;
  /** Starts it again after stop(). */
  start(): Promise<void>;
  /** Stops it and removes the data folder. */
  destroy(): Promise<void>;
}

/** The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<major>/bin). */
export function postgresBinDir(): string | null {
  if (process.env.VIGIL_PG_BIN && existsSync(join(process.env.VIGIL_PG_BIN, 'initdb'))) return process.env.VIGIL_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0], 'bin') : null;
}

function pgUser(): { uid: number; gid: number; name: string } | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid, name: 'postgres' };
  } catch {
    return null;
  }
}

function runAs(user: { name: string } | null, cmd: string, args: string[], opts: { timeoutMs?: number } = {}): string {
  const [file, argv] = user ? ['runuser', ['-u', user.name, '--', cmd, ...args]] : [cmd, args];
  return execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 60_000 }).toString();
}

/**
 * Starts a private PostgreSQL on 127.0.0.1 (fsync off: test data only). `{ skip }` when no
 * PostgreSQL is installed, or when running as root without a `postgres` user.
 */
export async function startPostgres(o: { port?: number } = {}): Promise<PostgresService | Skipped> {
  const bin = postgresBinDir();
  if (!bin) return { skip: 'PostgreSQL is not installed (apt-get install -y postgresql; or set VIGIL_PG_BIN)' };
  const user = pgUser();
  if (process.getuid?.() === 0 && !user) return { skip: 'running as root and there is no postgres user to run PostgreSQL as' };
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const port = o.port ?? (await freePort());
  try {
    runAs(user, join(bin, 'initdb'), ['-D', data, '-U', 'vigil', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `initdb failed: ${(err as { stderr?: Buffer }).stderr?.toString().slice(0, 300) ?? String(err)}` };
  }
  const start = async (): Promise<void> => {
    runAs(user, join(bin, 'pg_ctl'), [
      '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60',
      '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_parallel_workers_per_gather=2`,
      'start',
    ]);
  };
  const stop = async (): Promise<void> => {
    try {
      runAs(user, join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
    } catch {
      /* already stopped */
    }
  };
  await start();
  return {
    url: `postgres://vigil@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// VictoriaMetrics

export interface VictoriaMetricsService {
  /** http://127.0.0.1:PORT (Prometheus API under /api/v1, import under /api/v1/import/prometheus). */
  url: string;
  port: number;
  /** Writes samples in Prometheus text format with millisecond timestamps, and makes them searchable. */
  importSamples(lines: string[]): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export function victoriaMetricsBinary(): string | null {
  for (const p of [process.env.VIGIL_VM_BIN, '/usr/bin/victoria-metrics', '/usr/bin/victoria-metrics-prod', '/usr/local/bin/victoria-metrics-prod']) {
    if (p && existsSync(p)) return p;
  }
  return null;
}

async function waitHttp(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts VictoriaMetrics on 127.0.0.1 with its data in a temporary folder; `{ skip }` when not installed. */
export async function startVictoriaMetrics(o: { port?: number } = {}): Promise<VictoriaMetricsService | Skipped> {
  const bin = victoriaMetricsBinary();
  if (!bin) return { skip: 'VictoriaMetrics is not installed (apt-get install -y victoria-metrics; or set VIGIL_VM_BIN)' };
  const dir = mkdtempSync(join(tmpdir(), 'vigil-vm-'));
  const port = o.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    child = spawn(
      bin,
      [
        `-storageDataPath=${join(dir, 'data')}`,
        `-httpListenAddr=127.0.0.1:${port}`,
        '-retentionPeriod=100y',
        '-search.latencyOffset=0s',
        '-search.disableCache',
        '-dedup.minScrapeInterval=0',
        '-loggerLevel=ERROR',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.resume();
    await waitHttp(`${url}/health`, 30_000);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
    });
  };
  await start();
  return {
    url,
    port,
    async importSamples(lines) {
      const r = await fetch(`${url}/api/v1/import/prometheus`, { method: 'POST', body: lines.join('\n') + '\n' });
      if (!r.ok) throw new Error(`import failed: ${r.status} ${await r.text()}`);
      const f = await fetch(`${url}/internal/force_flush`);
      if (!f.ok) throw new Error(`force_flush failed: ${f.status}`);
    },
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function isSkipped<T extends object>(s: T | Skipped): s is Skipped {
  return 'skip' in s;
}
