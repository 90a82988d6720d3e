/**
 * `vigil backup`: a consistent copy of a data directory. While a server runs on it, the request
 * goes to the server over its local admin socket (<data-dir>/run/admin.sock), which copies the
 * store and WAL segments with writes held; with no server, the directory is copied directly.
 * `--url` asks a remote server for a backup into its own backup.dir.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { VigilError } from '../../core/errors.js';
import { EXIT_OK, type Command, type CommandIO } from '../command.js';

const USAGE = `Usage: vigil backup --out DIR [--data-dir DIR | --config FILE]
       vigil backup --url URL [--name NAME] (VIGIL_API_KEY=<encoded admin key> in the environment)

Writes a consistent backup of a Vigil data directory (store, write-ahead logs, API keys, node id)
with a manifest of checksums; \`vigil restore\` puts it back. Safe while the server runs: the
server holds writes for the moment of the copy (nothing acknowledged is lost, ingestion resumes
right after).

  --out DIR       where to write the backup (a new folder)
  --data-dir DIR  the data directory (default: from --config / VIGIL_CONFIG / VIGIL_DATA_DIR, else ./.vigil)
  --url URL       a running server: POST /_vigil/_backup, written under its backup.dir
  --name NAME     the backup's folder name under backup.dir (with --url)`;

function viaSocket(socketPath: string, body: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolvePromise, reject) => {
    const payload = JSON.stringify(body);
    const req = request({ socketPath, path: '/_vigil/_backup', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolvePromise({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      url: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(USAGE + '\n');
    return EXIT_OK;
  }
  if (values.url) {
    const key = process.env.VIGIL_API_KEY;
    const res = await fetch(new URL('/_vigil/_backup', values.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `ApiKey ${key}` } : {}) },
      body: JSON.stringify(values.name ? { name: values.name } : {}),
    });
    const json = (await res.json()) as any;
    if (res.status !== 200) throw new VigilError('INVALID_ARGUMENT', `the server refused the backup (${res.status}): ${json?.error?.reason ?? JSON.stringify(json)}`);
    io.stdout.write(JSON.stringify(json.backup, null, 2) + '\n');
    return EXIT_OK;
  }
  if (!values.out) throw new VigilError('USAGE', 'vigil backup needs --out DIR (or --url URL)');
  const out = resolve(io.cwd, values.out);
  const { loadConfig } = await import('../../server/config.js');
  const cfg = loadConfig({ cwd: io.cwd, env: process.env, configFile: values.config, flags: { data_dir: values['data-dir'] } });
  if (!existsSync(join(cfg.data_dir, 'vigil.duckdb'))) throw new VigilError('FILE_NOT_FOUND', `${cfg.data_dir} holds no Vigil store (vigil.duckdb)`);
  const socket = join(cfg.data_dir, 'run', 'admin.sock');
  if (existsSync(socket)) {
    try {
      const r = await viaSocket(socket, { path: out });
      if (r.status !== 200) throw new VigilError('INVALID_ARGUMENT', `the server refused the backup (${r.status}): ${r.json?.error?.reason ?? JSON.stringify(r.json)}`);
      io.stdout.write(JSON.stringify(r.json.backup, null, 2) + '\n');
      io.stderr.write(`Backup of the running server's ${cfg.data_dir} written to ${r.json.backup.path}.\n`);
      return EXIT_OK;
    } catch (err) {
      if (err instanceof VigilError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ECONNREFUSED' && code !== 'ENOENT') throw err;
      // a socket left by a server that was killed: back up directly
    }
  }
  const { DuckDbStore } = await import('../../store/duckdb-store.js');
  const { backupDataDir } = await import('../../server/ops/backup.js');
  let store: Awaited<ReturnType<typeof DuckDbStore.open>>;
  try {
    store = await DuckDbStore.open(join(cfg.data_dir, 'vigil.duckdb'));
  } catch (err) {
    throw new VigilError('INVALID_ARGUMENT', `cannot open ${cfg.data_dir} (${(err as Error).message.split('\n')[0]}); if a server runs on it, it is not reachable on ${socket}`);
  }
  try {
    const r = await backupDataDir({ dataDir: cfg.data_dir, target: out, store });
    io.stdout.write(JSON.stringify({ path: r.path, created: r.manifest.created, jobs: r.manifest.jobs, files: r.manifest.files.length, bytes: r.bytes, duration_ms: r.duration_ms }, null, 2) + '\n');
    io.stderr.write(`Backup of ${cfg.data_dir} (no server running) written to ${r.path}.\n`);
  } finally {
    await store.close();
  }
  return EXIT_OK;
}

const command: Command = { name: 'backup', summary: 'consistent backup of a data directory (also while the server runs)', usage: USAGE, run };
export default command;
