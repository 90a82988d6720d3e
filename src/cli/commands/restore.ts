/**
 * `vigil restore`: puts a backup made by `vigil backup` into a data directory (a new one, or with
 * --force one no server is using), after checking every file against the manifest's checksums,
 * and checks that the restored store opens and holds the backup's jobs.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { VigilError } from '../../core/errors.js';
import { EXIT_OK, type Command, type CommandIO } from '../command.js';

const USAGE = `Usage: vigil restore BACKUP_DIR --data-dir DIR [--force]

Restores a backup written by \`vigil backup\` into DIR, which must be empty or absent (--force:
replace the store, write-ahead logs, API keys and node id of a data directory no server is using).
Start \`vigil serve --data-dir DIR\` afterwards: jobs that were open re-open and replay their logs.`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '(version unknown)';
  }
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout.write(USAGE + '\n');
    return EXIT_OK;
  }
  if (positionals.length !== 1 || !values['data-dir']) throw new VigilError('USAGE', 'vigil restore needs BACKUP_DIR and --data-dir DIR');
  const backup = resolve(io.cwd, positionals[0]);
  const dataDir = resolve(io.cwd, values['data-dir']);
  const { restoreDataDir } = await import('../../server/ops/backup.js');
  const { DuckDbStore } = await import('../../store/duckdb-store.js');
  let jobs: string[] = [];
  // the store is opened and its jobs checked in a staging folder, before the data directory changes
  const m = await restoreDataDir({
    backup,
    dataDir,
    force: !!values.force,
    check: async (staged, manifest) => {
      let store: Awaited<ReturnType<typeof DuckDbStore.open>>;
      try {
        store = await DuckDbStore.open(join(staged, 'vigil.duckdb'));
      } catch (err) {
        const reason = (err as Error).message.split('\n')[0].replace(`store ${join(staged, 'vigil.duckdb')} `, 'its store ');
        throw new VigilError(
          'PARSE_ERROR',
          `backup ${backup} (made ${manifest.created} by Vigil ${manifest.vigil_version ?? 'of unknown version'}) cannot be restored by this Vigil ${version()}: ${reason}. ${dataDir} was left unchanged`,
        );
      }
      try {
        jobs = (await store.listJobs()).map((j) => j.job_id);
      } finally {
        await store.close();
      }
      const missing = manifest.jobs.filter((j) => !jobs.includes(j));
      if (missing.length) throw new VigilError('PARSE_ERROR', `the backup's store lacks jobs of its manifest: ${missing.join(', ')}; ${dataDir} was left unchanged`);
    },
  });
  io.stdout.write(JSON.stringify({ data_dir: dataDir, created: m.created, jobs, files: m.files.length }, null, 2) + '\n');
  io.stderr.write(`Restored ${m.files.length} files and ${jobs.length} jobs from ${backup} (made ${m.created}) into ${dataDir}.\n`);
  return EXIT_OK;
}

const command: Command = { name: 'restore', summary: 'restore a backup into a data directory', usage: USAGE, run };
export default command;
