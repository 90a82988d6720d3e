/**
 * The security and operations part of the server configuration (`security`, `tls`, `backup` and
 * the `limits.*` settings added for issue 11), parsed here so src/server/config.ts only delegates.
 *
 * ```yaml
 * security:
 *   enabled: auto            # auto (default): on unless host is a loopback address; true; false (loopback only)
 *   anonymous_metrics: false # true: /metrics without credentials (for a Prometheus inside a private network)
 *   users:                   # basic authentication; hashes from `vigil api-key hash-password`
 *     alice: { password_hash: "scrypt$16384$8$1$…", role: admin }
 *     grafana: { password_hash: "scrypt$…", role: viewer, job_groups: [web, "db-*"] }
 * tls:
 *   cert: /etc/vigil/tls/cert.pem   # PEM; both files are re-read when they change
 *   key: /etc/vigil/tls/key.pem
 *   reload_interval: 10s
 * backup:
 *   dir: /var/backups/vigil          # where POST /_vigil/_backup {"name": …} writes (default <data_dir>/backups)
 * limits:
 *   max_jobs: 10000
 *   max_entities_per_job: 100000
 *   max_concurrent_historical_runs: 2
 *   rate_per_second: 100             # per API key / user (0: no limit)
 *   rate_burst: 200
 * ```
 */
import { resolve } from 'node:path';
import { VigilError } from '../../core/errors.js';
import { isSecretHash } from './passwords.js';
import { isRole, ROLES, type Role } from './roles.js';

export interface UserConfig {
  password_hash: string;
  role: Role;
  job_groups?: string[];
}

export interface SecurityConfig {
  enabled: 'auto' | boolean;
  anonymous_metrics: boolean;
  users: Record<string, UserConfig>;
}

export interface ServerTlsConfig {
  cert?: string;
  key?: string;
  reload_interval_ms: number;
}

export interface OpsLimits {
  /** Jobs that may exist. */
  max_jobs: number;
  /** Distinct partition/by/over field values a job models. */
  max_entities_per_job: number;
  /** Historical runs (datafeed look-backs, uploads posted to a job) at the same time. */
  max_concurrent_historical_runs: number;
  /** Requests per second per API key or user (token bucket; 0: no limit). */
  rate_per_second: number;
  rate_burst: number;
}

export interface OpsConfig {
  security: SecurityConfig;
  tls: ServerTlsConfig;
  backup: { dir?: string };
}

export function defaultOpsConfig(): OpsConfig {
  return { security: { enabled: 'auto', anonymous_metrics: false, users: {} }, tls: { reload_interval_ms: 10_000 }, backup: {} };
}

export function defaultOpsLimits(): OpsLimits {
  return { max_jobs: 10_000, max_entities_per_job: 100_000, max_concurrent_historical_runs: 2, rate_per_second: 100, rate_burst: 200 };
}

/** Environment variables for these settings (merged into config.ts's table). */
export const OPS_ENV: Record<string, [string, string]> = {
  VIGIL_SECURITY_ENABLED: ['security', 'enabled'],
  VIGIL_ANONYMOUS_METRICS: ['security', 'anonymous_metrics'],
  VIGIL_TLS_CERT: ['tls', 'cert'],
  VIGIL_TLS_KEY: ['tls', 'key'],
  VIGIL_BACKUP_DIR: ['backup', 'dir'],
  VIGIL_MAX_JOBS: ['limits', 'max_jobs'],
  VIGIL_MAX_ENTITIES_PER_JOB: ['limits', 'max_entities_per_job'],
  VIGIL_MAX_CONCURRENT_HISTORICAL_RUNS: ['limits', 'max_concurrent_historical_runs'],
  VIGIL_RATE_PER_SECOND: ['limits', 'rate_per_second'],
  VIGIL_RATE_BURST: ['limits', 'rate_burst'],
};

function bad(key: string, value: unknown, what: string): never {
  throw new VigilError('USAGE', `configuration ${key}: ${JSON.stringify(value)} is not ${what}`);
}

function bool(key: string, v: unknown): boolean {
  if (v === true || v === 'true' || v === '1') return true;
  if (v === false || v === 'false' || v === '0') return false;
  bad(key, v, 'true or false');
}

function nonNegInt(key: string, v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) bad(key, v, 'a whole number ≥ 0');
  return n;
}

function positiveInt(key: string, v: unknown): number {
  const n = nonNegInt(key, v);
  if (n === 0) bad(key, v, 'a positive integer');
  return n;
}

function duration(key: string, v: unknown): number {
  const m = typeof v === 'string' ? /^\s*(\d+)\s*(ms|s|m|h)\s*$/.exec(v) : null;
  if (!m) bad(key, v, 'a duration such as 500ms, 10s or 1m');
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms'];
}

function mapping(key: string, v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(key, v, 'a mapping');
  return v as Record<string, unknown>;
}

function groups(key: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.some((g) => typeof g !== 'string' || g === '')) bad(key, v, 'a non-empty list of job group names or patterns');
  return v as string[];
}

/** Parses one user entry of `security.users`. */
export function parseUser(key: string, v: unknown): UserConfig {
  const u = mapping(key, v);
  for (const k of Object.keys(u)) if (!['password_hash', 'role', 'job_groups'].includes(k)) throw new VigilError('USAGE', `configuration ${key}.${k}: unknown setting (known: password_hash, role, job_groups)`);
  if (!isSecretHash(u.password_hash)) bad(`${key}.password_hash`, typeof u.password_hash === 'string' ? '…' : u.password_hash, 'a hash made by `vigil api-key hash-password` (passwords are never stored in clear)');
  if (!isRole(u.role)) bad(`${key}.role`, u.role, `one of ${ROLES.join(', ')}`);
  return { password_hash: u.password_hash, role: u.role, ...(u.job_groups !== undefined ? { job_groups: groups(`${key}.job_groups`, u.job_groups) } : {}) };
}

/** Applies a `security`, `tls` or `backup` section. */
export function applyOpsSetting(out: OpsConfig, section: string, v: unknown, key: string, cwd: string): void {
  const m = mapping(key, v);
  for (const [k, v2] of Object.entries(m)) {
    if (v2 === undefined) continue;
    const key2 = `${key}.${k}`;
    if (section === 'security' && k === 'enabled') out.security.enabled = v2 === 'auto' ? 'auto' : bool(key2, v2);
    else if (section === 'security' && k === 'anonymous_metrics') out.security.anonymous_metrics = bool(key2, v2);
    else if (section === 'security' && k === 'users') {
      const users = mapping(key2, v2);
      for (const [name, u] of Object.entries(users)) {
        if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) bad(`${key2}`, name, 'a user name of letters, digits and ._@-');
        out.security.users[name] = parseUser(`${key2}.${name}`, u);
      }
    } else if (section === 'tls' && (k === 'cert' || k === 'key')) {
      if (typeof v2 !== 'string' || v2 === '') bad(key2, v2, 'a file path');
      out.tls[k] = resolve(cwd, v2);
    } else if (section === 'tls' && k === 'reload_interval') out.tls.reload_interval_ms = duration(key2, v2);
    else if (section === 'backup' && k === 'dir') {
      if (typeof v2 !== 'string' || v2 === '') bad(key2, v2, 'a directory');
      out.backup.dir = resolve(cwd, v2);
    } else {
      const known = { security: 'enabled, anonymous_metrics, users', tls: 'cert, key, reload_interval', backup: 'dir' }[section];
      throw new VigilError('USAGE', `configuration ${key2}: unknown setting (known: ${known})`);
    }
  }
}

/** Applies one `limits.*` setting of this module; false when the name is not one of them. */
export function applyOpsLimit(limits: OpsLimits, name: string, v: unknown, key: string): boolean {
  switch (name) {
    case 'max_jobs':
    case 'max_entities_per_job':
    case 'max_concurrent_historical_runs':
    case 'rate_burst':
      limits[name] = positiveInt(key, v);
      return true;
    case 'rate_per_second':
      limits.rate_per_second = nonNegInt(key, v);
      return true;
    default:
      return false;
  }
}

/** Whether a listen address only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Whether authentication is on for this configuration; refuses a public address without it. */
export function authRequired(cfg: { host: string; security: SecurityConfig }): boolean {
  const loopback = isLoopback(cfg.host);
  if (cfg.security.enabled === false && !loopback) {
    throw new VigilError(
      'USAGE',
      `refusing to listen on ${cfg.host} with security.enabled: false — authentication can only be turned off on a loopback address (127.0.0.1, ::1, localhost). ` +
        `Remove security.enabled: false (or VIGIL_SECURITY_ENABLED), create an admin API key with \`vigil api-key create --name admin --role admin --data-dir DIR\`, or listen on 127.0.0.1.`,
    );
  }
  return cfg.security.enabled === 'auto' ? !loopback : cfg.security.enabled;
}
