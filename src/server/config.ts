/**
 * `vigil serve` configuration: defaults, then a YAML file (`--config FILE` or VIGIL_CONFIG), then
 * environment variables (VIGIL_*), then command-line flags — each overriding the one before.
 * Unknown keys and bad values are refused with a message naming them.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { VigilError } from '../core/errors.js';
import { DEFAULT_TRAINING_LIMITS } from '../engine/training/model-manager.js';
import { applyOpsLimit, applyOpsSetting, defaultOpsConfig, defaultOpsLimits, OPS_ENV, type OpsConfig, type OpsLimits } from './security/config.js';

/** `security`, `tls`, `backup` and the limits.* of OpsLimits: src/server/security/config.ts. */
export interface ServerConfig extends OpsConfig {
  host: string;
  port: number;
  /** False when the port is the default: then the next free port up to 9210 is taken if 9200 is busy. */
  port_explicit: boolean;
  data_dir: string;
  log_level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  cluster_name: string;
  limits: OpsLimits & {
    /** Largest request body, bytes (Elastic's http.max_content_length: 100mb). */
    max_body_bytes: number;
    max_open_jobs: number;
    /** Elastic's xpack.ml.max_model_memory_limit (unset: none). */
    max_model_memory_limit?: string;
  };
  snapshot: {
    /** Snapshot a job's model after this many write-ahead-log records. */
    every_ops: number;
    /** … or after this many WAL bytes. */
    every_bytes: number;
    /** … or after this much wall time with new data, when the job sets no background_persist_interval. */
    interval_ms: number;
    /** Snapshots kept per job. */
    keep: number;
  };
  /** Trained models: parallel trainings, live activations and historical runs (beyond them jobs queue). */
  training: {
    max_trainings: number;
    max_activations: number;
    max_historical: number;
  };
  /** Start with the demo job fed with the bundled example data. */
  demo: boolean;
}

export const DEFAULT_PORT = 9200;

export function defaultConfig(cwd: string): ServerConfig {
  return {
    host: '127.0.0.1',
    port: DEFAULT_PORT,
    port_explicit: false,
    data_dir: resolve(cwd, '.vigil'),
    log_level: 'info',
    cluster_name: 'vigil',
    limits: { ...defaultOpsLimits(), max_body_bytes: 100 * 2 ** 20, max_open_jobs: 512 },
    snapshot: { every_ops: 1000, every_bytes: 64 * 2 ** 20, interval_ms: 3 * 3_600_000, keep: 3 },
    training: {
      max_trainings: DEFAULT_TRAINING_LIMITS.maxTrainings,
      max_activations: DEFAULT_TRAINING_LIMITS.maxActivations,
      max_historical: DEFAULT_TRAINING_LIMITS.maxHistorical,
    },
    demo: false,
    ...defaultOpsConfig(),
  };
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function bad(key: string, value: unknown, what: string): never {
  throw new VigilError('USAGE', `configuration ${key}: ${JSON.stringify(value)} is not ${what}`);
}

export function parseBytes(key: string, v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  const m = typeof v === 'string' ? /^\s*(\d+)\s*(b|kb|mb|gb)?\s*$/i.exec(v) : null;
  if (!m) bad(key, v, 'a byte size such as 100mb');
  const unit = { b: 1, kb: 1024, mb: 2 ** 20, gb: 2 ** 30 }[(m[2] ?? 'b').toLowerCase() as 'b'];
  return Number(m[1]) * unit;
}

function parseDuration(key: string, v: unknown): number {
  const m = typeof v === 'string' ? /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(v) : null;
  if (!m) bad(key, v, 'a duration such as 30m or 3h');
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
}

function positiveInt(key: string, v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) bad(key, v, 'a positive integer');
  return n;
}

function port(key: string, v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) bad(key, v, 'a port number (0-65535)');
  return n;
}

/** Applies one layer of settings (file, env or flags; nested keys as in the YAML file). */
export function applySettings(cfg: ServerConfig, s: Record<string, unknown>, where: string, cwd: string): ServerConfig {
  const out: ServerConfig = structuredClone(cfg);
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined) continue;
    const key = `${where} ${k}`;
    switch (k) {
      case 'host':
        if (typeof v !== 'string' || v === '') bad(key, v, 'a host name or address');
        out.host = v;
        break;
      case 'port':
        out.port = port(key, v);
        out.port_explicit = true;
        break;
      case 'data_dir':
        if (typeof v !== 'string' || v === '') bad(key, v, 'a directory');
        out.data_dir = resolve(cwd, v);
        break;
      case 'log_level':
        if (typeof v !== 'string' || !LEVELS.includes(v)) bad(key, v, `one of ${LEVELS.join(', ')}`);
        out.log_level = v as ServerConfig['log_level'];
        break;
      case 'cluster_name':
        if (typeof v !== 'string' || v === '') bad(key, v, 'a name');
        out.cluster_name = v;
        break;
      case 'demo':
        out.demo = v === true || v === 'true' || v === '1';
        break;
      case 'limits':
      case 'snapshot':
      case 'training': {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(key, v, 'a mapping');
        for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) {
          const key2 = `${key}.${k2}`;
          if (k === 'limits' && k2 === 'max_body_bytes') out.limits.max_body_bytes = parseBytes(key2, v2);
          else if (k === 'limits' && k2 === 'max_open_jobs') out.limits.max_open_jobs = positiveInt(key2, v2);
          else if (k === 'limits' && k2 === 'max_model_memory_limit') out.limits.max_model_memory_limit = String(v2);
          else if (k === 'limits' && applyOpsLimit(out.limits, k2, v2, key2)) continue; // max_jobs, max_entities_per_job, rate_…
          else if (k === 'snapshot' && k2 === 'every_ops') out.snapshot.every_ops = positiveInt(key2, v2);
          else if (k === 'snapshot' && k2 === 'every_bytes') out.snapshot.every_bytes = parseBytes(key2, v2);
          else if (k === 'snapshot' && k2 === 'interval') out.snapshot.interval_ms = parseDuration(key2, v2);
          else if (k === 'snapshot' && k2 === 'keep') out.snapshot.keep = positiveInt(key2, v2);
          else if (k === 'training' && (k2 === 'max_trainings' || k2 === 'max_activations' || k2 === 'max_historical')) out.training[k2] = positiveInt(key2, v2);
          else throw new VigilError('USAGE', `configuration ${key2}: unknown setting`);
        }
        break;
      }
      case 'security':
      case 'tls':
      case 'backup':
        applyOpsSetting(out, k, v, key, cwd);
        break;
      default:
        throw new VigilError('USAGE', `configuration ${key}: unknown setting (known: host, port, data_dir, log_level, cluster_name, demo, limits.*, snapshot.*, training.*, security.*, tls.*, backup.*)`);
    }
  }
  return out;
}

const ENV: Record<string, [string] | [string, string]> = {
  VIGIL_HOST: ['host'],
  VIGIL_PORT: ['port'],
  VIGIL_DATA_DIR: ['data_dir'],
  VIGIL_LOG_LEVEL: ['log_level'],
  VIGIL_CLUSTER_NAME: ['cluster_name'],
  VIGIL_MAX_BODY_BYTES: ['limits', 'max_body_bytes'],
  VIGIL_MAX_OPEN_JOBS: ['limits', 'max_open_jobs'],
  VIGIL_MAX_MODEL_MEMORY_LIMIT: ['limits', 'max_model_memory_limit'],
  VIGIL_SNAPSHOT_EVERY_OPS: ['snapshot', 'every_ops'],
  VIGIL_SNAPSHOT_EVERY_BYTES: ['snapshot', 'every_bytes'],
  VIGIL_SNAPSHOT_INTERVAL: ['snapshot', 'interval'],
  VIGIL_MAX_TRAININGS: ['training', 'max_trainings'],
  VIGIL_MAX_ACTIVATIONS: ['training', 'max_activations'],
  VIGIL_MAX_HISTORICAL: ['training', 'max_historical'],
  ...OPS_ENV,
};

/** The environment variables read (for --help and docs). */
export const ENV_VARS = ['VIGIL_CONFIG', ...Object.keys(ENV)];

export interface ConfigSources {
  cwd: string;
  env: Record<string, string | undefined>;
  /** Path of the YAML file (flag), else VIGIL_CONFIG. */
  configFile?: string;
  /** Flag values (already named as settings: host, port, data_dir, log_level, demo). */
  flags: Record<string, unknown>;
}

export function loadConfig(src: ConfigSources): ServerConfig {
  let cfg = defaultConfig(src.cwd);
  const file = src.configFile ?? src.env.VIGIL_CONFIG;
  if (file) {
    const path = resolve(src.cwd, file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new VigilError('FILE_NOT_FOUND', `configuration file ${path} cannot be read`);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw new VigilError('PARSE_ERROR', `configuration file ${path}: ${(err as Error).message}`);
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) throw new VigilError('PARSE_ERROR', `configuration file ${path} must hold a mapping of settings`);
      cfg = applySettings(cfg, doc as Record<string, unknown>, path, src.cwd);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(ENV)) {
    const v = src.env[name];
    if (v === undefined || v === '') continue;
    if (path.length === 1) fromEnv[path[0]] = v;
    else ((fromEnv[path[0]] ??= {}) as Record<string, unknown>)[path[1]] = v;
  }
  cfg = applySettings(cfg, fromEnv, 'environment', src.cwd);
  cfg = applySettings(cfg, src.flags, 'flag', src.cwd);
  return cfg;
}
