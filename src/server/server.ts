/**
 * Starts the server: the embedded store in the data directory, the jobs service (re-opening jobs
 * that were open when the server stopped or crashed, replaying their write-ahead logs), the app,
 * and listen(). `close()` shuts down gracefully: stop accepting, finish in-flight requests,
 * snapshot open jobs (they re-open at the next start), close the store.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { VigilError } from '../core/errors.js';
import { ControlStore } from '../store/control-store.js';
import { DuckDbStore } from '../store/duckdb-store.js';
import type { Store } from '../store/store.js';
import { buildApp } from './app.js';
import { createOps } from './ops/context.js';
import { loggerOptions } from './ops/logger.js';
import type { AlertService } from './alerting/alert-service.js';
import { startAlerting } from './alerting/setup.js';
import { attachControl } from './control/control-service.js';
import { DEFAULT_PORT, type ServerConfig } from './config.js';
import { datafeedsFor } from './datafeeds/routes.js';
import { anomalyJobEngine } from './jobs/engine-adapter.js';
import type { EngineFactory } from './jobs/engine-port.js';
import { JobService, type NodeInfo } from './jobs/job-service.js';

export interface RunningServer {
  app: FastifyInstance;
  service: JobService;
  store: Store;
  alerts: AlertService;
  url: string;
  port: number;
  close(): Promise<void>;
}

function nodeId(dataDir: string): string {
  const file = join(dataDir, 'node.json');
  if (existsSync(file)) {
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { id: string }).id;
    } catch {
      // rewritten below
    }
  }
  const id = randomUUID().replace(/-/g, '').slice(0, 22);
  writeFileSync(file, JSON.stringify({ id }) + '\n');
  return id;
}

export async function startServer(cfg: ServerConfig, o: { engine?: EngineFactory; version?: string } = {}): Promise<RunningServer> {
  const ops = createOps(cfg); // security and operations: refuses a public address without authentication, loads TLS
  mkdirSync(cfg.data_dir, { recursive: true });
  let store: DuckDbStore;
  try {
    store = await DuckDbStore.open(join(cfg.data_dir, 'vigil.duckdb'));
  } catch (err) {
    const msg = (err as Error).message;
    if (/lock/i.test(msg)) throw new VigilError('INVALID_ARGUMENT', `data directory ${cfg.data_dir} is in use by another Vigil server (${msg.split('\n')[0]})`);
    throw err;
  }
  const node: NodeInfo = {
    id: nodeId(cfg.data_dir),
    name: hostname(),
    ephemeral_id: randomUUID().replace(/-/g, '').slice(0, 22),
    transport_address: `${cfg.host}:${cfg.port}`,
    attributes: { 'ml.max_open_jobs': String(cfg.limits.max_open_jobs), 'vigil.store': 'duckdb' },
  };
  const service = new JobService({
    store,
    guard: ops.jobGuard, // limits.max_jobs, limits.max_entities_per_job
    engine: o.engine ?? anomalyJobEngine,
    walDir: join(cfg.data_dir, 'wal'),
    node,
    maxOpenJobs: cfg.limits.max_open_jobs,
    snapshotEveryOps: cfg.snapshot.every_ops,
    snapshotEveryBytes: cfg.snapshot.every_bytes,
    snapshotIntervalMs: cfg.snapshot.interval_ms,
    snapshotsKept: cfg.snapshot.keep,
    validateOptions: cfg.limits.max_model_memory_limit ? { maxModelMemoryLimit: cfg.limits.max_model_memory_limit } : {},
  });
  attachControl(service, ControlStore.open(join(cfg.data_dir, 'control'))); // filters, calendars, events, annotations in <data_dir>/control
  const alerts = await startAlerting({ dataDir: cfg.data_dir, service }); // rules and alert history in <data_dir>/alerts
  const app = buildApp({
    service,
    ops,
    alerts,
    version: o.version,
    clusterName: cfg.cluster_name,
    maxBodyBytes: cfg.limits.max_body_bytes,
    trainingLimits: { maxTrainings: cfg.training.max_trainings, maxActivations: cfg.training.max_activations, maxHistorical: cfg.training.max_historical },
    // the UI's uploads belong to this server's data directory: in the OS temp folder every server on
    // the machine listed (and could post from) every other server's uploaded files
    uiUploadDir: process.env.VIGIL_UI_UPLOAD_DIR ?? join(cfg.data_dir, 'uploads'),
    logger: cfg.log_level === 'silent' ? false : loggerOptions(cfg.log_level), // JSON lines, secrets redacted
  });
  service.setLogger(app.log);
  alerts.setLogger(app.log);
  const recovered = await service.recover();
  if (recovered.reopened.length || recovered.failed.length) app.log.info(recovered, 'jobs re-opened after restart');
  // the datafeed service is made on first use; made now, the datafeeds that were started when the
  // server stopped resume at once rather than at the first request to a datafeed endpoint
  datafeedsFor(service);

  let port = cfg.port;
  for (;;) {
    try {
      await app.listen({ host: cfg.host, port });
      break;
    } catch (err) {
      const busy = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (busy && !cfg.port_explicit && port < DEFAULT_PORT + 10) {
        port++;
        continue;
      }
      await alerts.close();
      await service.shutdown();
      await store.close();
      if (busy) throw new VigilError('INVALID_ARGUMENT', `port ${port} on ${cfg.host} is in use; choose another with --port`);
      throw err;
    }
  }
  const address = app.server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  node.transport_address = `${cfg.host}:${actual}`;
  const url = `${ops.tls ? 'https' : 'http'}://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${actual}`;
  alerts.setDefaultPublicUrl(url);
  app.log.info({ url, data_dir: cfg.data_dir, store: store.kind }, 'vigil listening');
  let closing: Promise<void> | undefined;
  return {
    app,
    service,
    store,
    alerts,
    url,
    port: actual,
    close() {
      closing ??= (async () => {
        await app.close();
        await alerts.close();
        await service.shutdown();
        await store.close();
      })();
      return closing;
    },
  };
}
