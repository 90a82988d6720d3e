/**
 * The security and operations context of a server (`Ops`): whether authentication is on, the users
 * and the API key store, limiters, TLS material, the metrics registry, where backups go. Built
 * from the configuration by `createOps(cfg)` (server.ts), or by `testOps()` for inject tests; the
 * app builder hands it to `installOps` (security/install.ts) and `opsRoutes` (ops/routes.ts).
 *
 * Other modules reach the shared pieces through `deps.ops`: `historicalRuns` (a RunLimiter for
 * look-back runs), `metrics` (the registry /metrics serves).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyServerOptions } from 'fastify';
import { ApiKeyStore, apiKeyFile } from '../security/api-keys.js';
import { authRequired, defaultOpsConfig, defaultOpsLimits, type OpsConfig, type OpsLimits, type ServerTlsConfig, type UserConfig } from '../security/config.js';
import { JobGuard, RateLimiter, RunLimiter } from '../security/limits.js';
import { loadServerTls, type ServerTlsMaterial } from '../security/tls.js';
import { metrics as globalMetrics, type Registry } from './metrics.js';

export interface Ops {
  /** Authentication required (off only on loopback, see security/config.ts authRequired). */
  auth: boolean;
  users: Record<string, UserConfig>;
  apiKeys?: ApiKeyStore;
  anonymousMetrics: boolean;
  /** Requests per principal. */
  rate: RateLimiter;
  /** Requests without valid credentials, per client address (slows password guessing). */
  unauthenticatedRate: RateLimiter;
  historicalRuns: RunLimiter;
  jobGuard: JobGuard;
  limits: OpsLimits;
  tls?: { cfg: ServerTlsConfig; material: ServerTlsMaterial };
  metrics: Registry;
  dataDir?: string;
  /** Where POST /_vigil/_backup {name} writes. */
  backupDir?: string;
  /** Unix socket for local administration (vigil backup --data-dir while the server runs). */
  adminSocket?: string;
  state: { ready: boolean; draining: boolean };
}

export interface OpsServerConfig extends OpsConfig {
  host: string;
  data_dir: string;
  limits: OpsLimits;
}

/** Builds the context from the server configuration; refuses a public address without authentication. */
export function createOps(cfg: OpsServerConfig): Ops {
  const auth = authRequired(cfg);
  return {
    auth,
    users: cfg.security.users,
    apiKeys: new ApiKeyStore(apiKeyFile(cfg.data_dir)),
    anonymousMetrics: cfg.security.anonymous_metrics,
    rate: new RateLimiter(cfg.limits.rate_per_second, cfg.limits.rate_burst),
    unauthenticatedRate: new RateLimiter(Math.max(cfg.limits.rate_per_second, 10), Math.max(cfg.limits.rate_burst, 20)),
    historicalRuns: new RunLimiter(cfg.limits.max_concurrent_historical_runs),
    jobGuard: new JobGuard(cfg.limits),
    limits: cfg.limits,
    ...(cfg.tls.cert || cfg.tls.key ? { tls: { cfg: cfg.tls, material: loadServerTls(cfg.tls) } } : {}),
    metrics: globalMetrics,
    dataDir: cfg.data_dir,
    backupDir: cfg.backup.dir ?? join(cfg.data_dir, 'backups'),
    adminSocket: join(cfg.data_dir, 'run', 'admin.sock'),
    state: { ready: false, draining: false },
  };
}

/** A context for tests and for apps built without one: loopback defaults, overridable. */
export function testOps(o: Partial<Omit<Ops, 'limits'>> & { limits?: Partial<OpsLimits> } = {}): Ops {
  const limits = { ...defaultOpsLimits(), ...o.limits };
  const d = defaultOpsConfig();
  return {
    auth: false,
    users: d.security.users,
    anonymousMetrics: false,
    rate: new RateLimiter(limits.rate_per_second, limits.rate_burst),
    unauthenticatedRate: new RateLimiter(Math.max(limits.rate_per_second, 10), Math.max(limits.rate_burst, 20)),
    historicalRuns: new RunLimiter(limits.max_concurrent_historical_runs),
    jobGuard: new JobGuard(limits),
    metrics: globalMetrics,
    state: { ready: true, draining: false },
    ...o,
    limits,
  };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify constructor options: request ids (a sane incoming X-Request-Id is kept; logged as `reqId`) and https. */
export function opsFastifyOptions(ops: Ops | undefined): Partial<FastifyServerOptions> {
  const out: Partial<FastifyServerOptions> & { https?: { key: Buffer; cert: Buffer } } = {
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID.test(h) ? h : randomUUID();
    },
  };
  if (ops?.tls) out.https = { key: ops.tls.material.key, cert: ops.tls.material.cert };
  return out;
}
