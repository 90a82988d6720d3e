/**
 * Operational endpoints: `GET /metrics` (Prometheus text), `GET /_vigil/live` (liveness: the
 * process answers), `GET /_vigil/ready` (readiness: jobs recovered, not shutting down — 503
 * otherwise), `POST /_vigil/_backup` (admin: consistent backup into backup.dir, see backup.ts).
 * `installOperations` wires what they need: the job metrics collector, readiness flags, the TLS
 * certificate watcher and the local admin socket.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, isAbsolute, join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import type { JobService } from '../jobs/job-service.js';
import { COMMON_QUERY, type RouteSpec } from '../route-spec.js';
import { localSockets } from '../security/install.js';
import { watchServerTls } from '../security/tls.js';
import { BACKUP_NAME, backupDataDir, backupName, type BackupableStore } from './backup.js';
import type { Ops } from './context.js';

const Q = Type.Object({ ...COMMON_QUERY }, { additionalProperties: false });

function isLocal(req: FastifyRequest): boolean {
  return !!req.raw.socket && localSockets.has(req.raw.socket);
}

export function opsRoutes(deps: { service: JobService; ops?: Ops; version?: string }): RouteSpec[] {
  const ops = deps.ops;
  return [
    {
      method: 'GET',
      url: '/metrics',
      operationId: 'vigil.metrics',
      tag: 'vigil',
      summary: 'Prometheus metrics: requests, latencies, records, buckets, anomalies, memory per job, queues, alert deliveries.',
      querystring: Q,
      permission: { privilege: 'monitor' },
      handler: async (_req, reply) => {
        reply.type('text/plain; version=0.0.4; charset=utf-8');
        return (ops?.metrics ?? (await import('./metrics.js')).metrics).render();
      },
    },
    {
      method: 'GET',
      url: '/_vigil/live',
      operationId: 'vigil.live',
      tag: 'vigil',
      summary: 'Liveness: 200 while the process serves requests (no credentials needed).',
      querystring: Q,
      permission: { privilege: 'public' },
      handler: async () => ({ status: 'live' }),
    },
    {
      method: 'GET',
      url: '/_vigil/ready',
      operationId: 'vigil.ready',
      tag: 'vigil',
      summary: 'Readiness: 200 once open jobs are recovered, 503 while starting or shutting down (no credentials needed).',
      querystring: Q,
      permission: { privilege: 'public' },
      handler: async (_req, reply) => {
        const s = deps.service.summary();
        const ready = (ops?.state.ready ?? true) && !(ops?.state.draining ?? false) && !s.stopping;
        if (!ready) reply.status(503);
        return { status: ready ? 'ready' : s.stopping || ops?.state.draining ? 'stopping' : 'starting', open_jobs: s.open_jobs };
      },
    },
    {
      method: 'POST',
      url: '/_vigil/_backup',
      operationId: 'vigil.backup',
      tag: 'vigil',
      summary: 'Consistent backup of the data directory while serving, into backup.dir/<name> (admin).',
      querystring: Q,
      bodyName: 'backup_request',
      body: Type.Object(
        {
          name: Type.Optional(Type.String({ description: 'Folder name under backup.dir (default vigil-<timestamp>).' })),
          path: Type.Optional(Type.String({ description: 'Absolute target folder; only over the local admin socket (vigil backup --data-dir).' })),
        },
        { additionalProperties: false },
      ),
      permission: { privilege: 'admin' },
      handler: async (req) => {
        const b = req.body as { name?: string; path?: string };
        const store = deps.service.store as Partial<BackupableStore> & { kind: string };
        if (!ops?.dataDir || typeof store.backupTo !== 'function') {
          throw new VigilError('INVALID_ARGUMENT', `backups need the embedded store with a data directory (this server's store: ${store.kind})`);
        }
        let target: string;
        if (b.path !== undefined) {
          if (!isLocal(req)) throw new VigilError('FORBIDDEN', 'a backup [path] is only accepted over the local admin socket (vigil backup --data-dir); over HTTP give a [name] under backup.dir');
          if (!isAbsolute(b.path)) throw new VigilError('INVALID_ARGUMENT', `backup path [${b.path}] must be absolute`);
          target = b.path;
        } else {
          const name = b.name ?? backupName();
          if (!BACKUP_NAME.test(name)) throw new VigilError('INVALID_ARGUMENT', `backup name [${name.slice(0, 200)}] must be letters, digits, '.', '_' or '-' (at most 128, not starting with a dot)`);
          target = join(ops.backupDir ?? join(ops.dataDir, 'backups'), name);
        }
        const r = await backupDataDir({ dataDir: ops.dataDir, target, store: store as BackupableStore, version: deps.version });
        req.log.info({ path: r.path, jobs: r.manifest.jobs.length, bytes: r.bytes, ms: r.duration_ms }, 'backup written');
        return { backup: { path: r.path, created: r.manifest.created, jobs: r.manifest.jobs, files: r.manifest.files.length, bytes: r.bytes, duration_ms: r.duration_ms } };
      },
    },
  ];
}

/** Metrics collector, readiness flags, TLS reload and the admin socket for one app. */
export function installOperations(app: FastifyInstance, service: JobService, ops: Ops): void {
  const m = ops.metrics;
  const jobs = m.gauge('vigil_jobs', 'Jobs by state.', ['state']);
  const processed = m.gauge('vigil_job_processed_records', 'Input records processed by the job (data_counts.processed_record_count).', ['job_id']);
  const buckets = m.gauge('vigil_job_buckets', 'Buckets processed by the job (data_counts.bucket_count).', ['job_id']);
  const anomalies = m.gauge('vigil_job_anomaly_records', 'Anomaly records with record_score ≥ 25 (minor and above) stored for the open job.', ['job_id']);
  const memory = m.gauge('vigil_job_model_bytes', 'Model memory of the job (model_size_stats.model_bytes).', ['job_id']);
  const queue = m.gauge('vigil_job_queue_length', 'Operations waiting or running in the job’s queue (data, flush, snapshot, close).', ['job_id']);
  const runsActive = m.gauge('vigil_historical_runs_active', 'Historical runs going (limits.max_concurrent_historical_runs).');
  const runsQueued = m.gauge('vigil_historical_runs_queued', 'Historical runs waiting for a slot.');
  const rss = m.gauge('process_resident_memory_bytes', 'Resident memory of the server process.');
  const heap = m.gauge('nodejs_heap_used_bytes', 'V8 heap in use.');
  const uptime = m.gauge('process_uptime_seconds', 'Seconds since the process started.');
  m.counter('vigil_alert_deliveries_total', 'Alert deliveries by channel and outcome (incremented by the alerting module).', ['channel', 'outcome']);

  const collect = async (): Promise<void> => {
    const mem = process.memoryUsage();
    rss.set({}, mem.rss);
    heap.set({}, mem.heapUsed);
    uptime.set({}, Math.round(process.uptime()));
    runsActive.set({}, ops.historicalRuns.active);
    runsQueued.set({}, ops.historicalRuns.queued);
    const stats = await service.stats('_all', true);
    for (const g of [jobs, processed, buckets, anomalies, memory, queue]) g.reset();
    const byState: Record<string, number> = { opened: 0, closed: 0, failed: 0 };
    const lengths = service.queueLengths();
    for (const s of stats) {
      const id = String(s.job_id);
      byState[String(s.state)] = (byState[String(s.state)] ?? 0) + 1;
      const dc = s.data_counts as Record<string, unknown>;
      processed.set({ job_id: id }, Number(dc.processed_record_count ?? 0));
      buckets.set({ job_id: id }, Number(dc.bucket_count ?? 0));
      memory.set({ job_id: id }, Number((s.model_size_stats as Record<string, unknown>).model_bytes ?? 0));
      queue.set({ job_id: id }, lengths[id] ?? 0);
      if (s.state === 'opened') {
        const page = await service.store.queryResults({ jobIds: [id], resultType: 'record', minScore: 25, size: 0 });
        anomalies.set({ job_id: id }, page.count);
      }
    }
    for (const [state, n] of Object.entries(byState)) jobs.set({ state }, n);
  };
  const stopCollecting = m.collect(collect);

  let stopTls: (() => void) | undefined;
  let admin: Server | undefined;
  app.addHook('onListen', async () => {
    ops.state.ready = true;
    if (ops.tls) stopTls = watchServerTls(app.server as unknown as import('node:https').Server, ops.tls.cfg, app.log);
    if (ops.adminSocket) admin = await listenAdminSocket(app, ops.adminSocket);
  });
  // graceful shutdown: readiness turns 503, responses say `Connection: close`, and keep-alive
  // connections are closed as soon as they are idle (else server.close() waits out their timeout)
  let idle: NodeJS.Timeout | undefined;
  app.addHook('onSend', async (_req, reply, payload) => {
    if (ops.state.draining) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('preClose', async () => {
    ops.state.draining = true;
    const server = app.server as { closeIdleConnections?: () => void };
    server.closeIdleConnections?.();
    idle = setInterval(() => server.closeIdleConnections?.(), 50);
    idle.unref();
  });
  app.addHook('onClose', async () => {
    if (idle) clearInterval(idle);
    stopCollecting();
    stopTls?.();
    if (admin) {
      await new Promise<void>((r) => admin!.close(() => r()));
      rmSync(ops.adminSocket!, { force: true });
    }
  });
}

/**
 * The local admin socket (`<data_dir>/run/admin.sock`, mode 0600): requests arriving on it are the
 * server's own administrator — whoever can open it can read the data directory anyway. It serves
 * the same routes; `vigil backup --data-dir` uses it while the server runs.
 */
async function listenAdminSocket(app: FastifyInstance, path: string): Promise<Server | undefined> {
  if (Buffer.byteLength(path) > 100) {
    app.log.warn({ path }, 'admin socket path too long for a Unix socket; vigil backup --data-dir will not reach this server (use POST /_vigil/_backup)');
    return undefined;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  rmSync(path, { force: true });
  const server = createServer((req, res) => (app as unknown as { routing: (a: unknown, b: unknown) => void }).routing(req, res));
  server.on('connection', (s) => localSockets.add(s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return server;
}
