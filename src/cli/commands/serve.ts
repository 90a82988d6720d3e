/**
 * `vigil serve`: the Elastic-compatible jobs API on the embedded store (see docs/api.md). Runs
 * until SIGINT/SIGTERM, then shuts down gracefully (open jobs are snapshotted and re-open at the
 * next start).
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { EXIT_OK, type Command, type CommandIO } from '../command.js';

const USAGE = `Usage: vigil serve [--host ADDR] [--port N] [--data-dir DIR] [--config FILE] [--log-level LEVEL] [--demo]

Serves Elastic's anomaly-detection jobs API (_ml/anomaly_detectors/…) so the official
Elasticsearch clients and scripts work unchanged; results and models live in DIR.

  --host ADDR        address to listen on (default 127.0.0.1)
  --port N           port (default 9200; when 9200 is taken and no port was asked for, the next
                     free one up to 9210)
  --data-dir DIR     data directory: vigil.duckdb (jobs, results, snapshots) and wal/ (default ./.vigil)
  --config FILE      YAML file with any of: host, port, data_dir, log_level, cluster_name,
                     limits.{max_body_bytes,max_open_jobs,max_model_memory_limit},
                     snapshot.{every_ops,every_bytes,interval,keep}, security.{enabled,users,…},
                     tls.{cert,key,reload_interval}, backup.dir, limits.{max_jobs,rate_per_second,…}
                     (docs/production.md). Off loopback, authentication is required.
  --log-level LEVEL  fatal, error, warn, info (default), debug, trace or silent; logs are JSON lines
  --demo             create and feed the demo job 'web-requests' (examples/web-requests.csv)

Environment: VIGIL_CONFIG, VIGIL_HOST, VIGIL_PORT, VIGIL_DATA_DIR, VIGIL_LOG_LEVEL, VIGIL_CLUSTER_NAME,
VIGIL_MAX_BODY_BYTES, VIGIL_MAX_OPEN_JOBS, VIGIL_MAX_MODEL_MEMORY_LIMIT, VIGIL_SNAPSHOT_EVERY_OPS,
VIGIL_SNAPSHOT_EVERY_BYTES, VIGIL_SNAPSHOT_INTERVAL, VIGIL_SECURITY_ENABLED, VIGIL_TLS_CERT,
VIGIL_TLS_KEY, VIGIL_BACKUP_DIR, VIGIL_MAX_JOBS, VIGIL_RATE_PER_SECOND, … (docs/production.md).
Flags override the environment, which
overrides the file.`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      demo: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(USAGE + '\n');
    return EXIT_OK;
  }
  const { loadConfig } = await import('../../server/config.js');
  const { startServer } = await import('../../server/server.js');
  const cfg = loadConfig({
    cwd: io.cwd,
    env: process.env,
    configFile: values.config,
    flags: { host: values.host, port: values.port, data_dir: values['data-dir'], log_level: values['log-level'], demo: values.demo ? true : undefined },
  });
  const server = await startServer(cfg, { version: version() });
  io.stderr.write(`Vigil ${version()} serving the _ml jobs API at ${server.url} (data: ${cfg.data_dir}); Ctrl-C stops it.\n`);
  io.stderr.write(`Web UI: ${server.url}/app/\n`);
  if (cfg.demo) {
    const { ensureDemoJob, DEMO_JOB_ID } = await import('../../server/demo.js');
    const t0 = Date.now();
    const demo = await ensureDemoJob(server.service);
    io.stderr.write(
      (demo.created
        ? `Demo job '${DEMO_JOB_ID}' created and fed with examples/web-requests.csv (${demo.records.toLocaleString('en-US')} records, ${demo.buckets.toLocaleString('en-US')} buckets, ${((Date.now() - t0) / 1000).toFixed(1)} s).\n`
        : `Demo job '${DEMO_JOB_ID}' is already there (delete it to feed it again).\n`) +
        `Try:\n` +
        `  curl -s '${server.url}/_ml/anomaly_detectors/${DEMO_JOB_ID}/results/records?record_score=25&pretty'\n` +
        `  curl -s '${server.url}/_ml/anomaly_detectors/${DEMO_JOB_ID}/results/buckets?anomaly_score=25&pretty'\n` +
        `  curl -s '${server.url}/_ml/anomaly_detectors/${DEMO_JOB_ID}/_stats?pretty'\n`,
    );
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      io.stderr.write(`vigil: ${signal} received, shutting down…\n`);
      server.close().then(resolve, (err) => {
        io.stderr.write(`vigil: shutdown error: ${String(err)}\n`);
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return EXIT_OK;
}

const command: Command = { name: 'serve', summary: 'serve the Elastic-compatible anomaly-detection jobs API', usage: USAGE, run };
export default command;
