/**
 * Opens a datafeed source from its description — the `vigil_source` extension of a datafeed
 * config, or a `--source` URL on the command line. Secrets in the description are references
 * (`env:NAME`, `{ "env": "NAME" }`, `${NAME}`) resolved here, at open time, so the stored config
 * never holds them.
 *
 * ```json
 * "vigil_source": { "type": "postgres", "connection": "env:PG_URL", "table": "metrics", "time_field": "ts" }
 * "vigil_source": { "type": "postgres", "connection": "env:PG_URL", "sql": "SELECT ts, v FROM m WHERE …" }
 * "vigil_source": { "type": "prometheus", "url": "http://vm:8428", "selector": "cpu{job=\"api\"}" }
 * "vigil_source": { "type": "prometheus", "url": "http://prom:9090", "query": "sum(rate(x[$__interval]))", "headers": { "authorization": "env:PROM_AUTH" } }
 * "vigil_source": { "type": "file", "path": "/data/metrics/", "format": "parquet", "time_field": "ts" }
 * "vigil_source": { "type": "elasticsearch", "url": "https://es:9200", "api_key": "env:ES_API_KEY", "ca_file": "/etc/ca.pem" }
 * "vigil_source": { "type": "opensearch", "url": "https://os:9200", "username": "admin", "password": "env:OS_PASSWORD" }
 * ```
 * Without `vigil_source`, a datafeed reads the embedded store's indices named in `indices`.
 */
import { VigilError } from '../../core/errors.js';
import { ElasticsearchSource } from './elasticsearch-source.js';
import { fileSource } from './file-source.js';
import { PostgresSource } from './postgres-source.js';
import { PrometheusSource } from './prometheus-source.js';
import { resolveSecret, type SecretRef } from './resolve-secret.js';
import type { DatafeedSource } from './source.js';
import type { TimeType } from './sql-source.js';

export const SOURCE_TYPES = ['postgres', 'prometheus', 'file', 'elasticsearch', 'opensearch', 'embedded'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

export interface VigilSourceSpec {
  type: SourceType;
  /** postgres: connection URL (a reference to the environment is recommended). */
  connection?: SecretRef;
  table?: string;
  sql?: string;
  time_field?: string;
  time_type?: TimeType;
  /** prometheus / elasticsearch / opensearch. */
  url?: SecretRef;
  selector?: string;
  query?: string;
  headers?: Record<string, SecretRef>;
  step?: string;
  /** file. */
  path?: string;
  format?: 'auto' | 'csv' | 'ndjson' | 'json' | 'parquet';
  value_field?: string;
  partition_field?: string;
  time_format?: string;
  time_zone?: string;
  /** elasticsearch / opensearch. */
  api_key?: SecretRef;
  username?: string;
  password?: SecretRef;
  bearer?: SecretRef;
  ca?: SecretRef;
  ca_file?: string;
  reject_unauthorized?: boolean;
}

const SPEC_FIELDS = new Set([
  'type', 'connection', 'table', 'sql', 'time_field', 'time_type', 'url', 'selector', 'query', 'headers', 'step', 'path', 'format',
  'value_field', 'partition_field', 'time_format', 'time_zone', 'api_key', 'username', 'password', 'bearer', 'ca', 'ca_file', 'reject_unauthorized',
]);

/** Checks the shape of a `vigil_source` (no connection is made, no secret is resolved). */
export function validateSourceSpec(raw: unknown): VigilSourceSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new VigilError('INVALID_ARGUMENT', 'vigil_source must be an object');
  const s = raw as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!SPEC_FIELDS.has(k)) throw new VigilError('INVALID_ARGUMENT', `vigil_source: unknown field [${k}]`);
  if (!SOURCE_TYPES.includes(s.type as SourceType)) throw new VigilError('INVALID_ARGUMENT', `vigil_source.type must be one of ${SOURCE_TYPES.join(', ')}, got [${String(s.type)}]`);
  const t = s.type as SourceType;
  if (t === 'postgres') {
    if (s.connection === undefined) throw new VigilError('INVALID_ARGUMENT', 'vigil_source (postgres) needs connection (e.g. "env:PG_URL")');
    if (s.table !== undefined && s.sql !== undefined) throw new VigilError('INVALID_ARGUMENT', 'vigil_source (postgres): give table or sql, not both');
  }
  if (t === 'prometheus') {
    if (s.url === undefined) throw new VigilError('INVALID_ARGUMENT', 'vigil_source (prometheus) needs url');
    if ((s.selector === undefined) === (s.query === undefined)) throw new VigilError('INVALID_ARGUMENT', 'vigil_source (prometheus) needs exactly one of selector or query');
  }
  if (t === 'file' && typeof s.path !== 'string') throw new VigilError('INVALID_ARGUMENT', 'vigil_source (file) needs path');
  if ((t === 'elasticsearch' || t === 'opensearch') && s.url === undefined) throw new VigilError('INVALID_ARGUMENT', `vigil_source (${t}) needs url`);
  return s as unknown as VigilSourceSpec;
}

export interface OpenSourceContext {
  /** The datafeed's indices (table for postgres when none is given; indices for Elasticsearch). */
  indices: string[];
  /** The datafeed's query (Elasticsearch DSL). */
  query?: Record<string, unknown>;
  /** Default time field (the job's data_description.time_field). */
  timeField: string;
  runtimeMappings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Opens the embedded store's indices (provided by the server). */
  embedded?: (indices: string[], timeField: string, query?: Record<string, unknown>) => DatafeedSource;
}

function isMatchAll(q: Record<string, unknown> | undefined): boolean {
  return q === undefined || (Object.keys(q).length === 1 && 'match_all' in q);
}

/** Opens the source a datafeed reads. */
export function openSource(spec: VigilSourceSpec | undefined, ctx: OpenSourceContext): DatafeedSource {
  const env = ctx.env ?? process.env;
  const timeField = spec?.time_field ?? ctx.timeField;
  if (!spec || spec.type === 'embedded') {
    if (!ctx.embedded) throw new VigilError('INVALID_ARGUMENT', 'this datafeed reads the embedded store, which is only available in the server');
    return ctx.embedded(ctx.indices, timeField, ctx.query);
  }
  switch (spec.type) {
    case 'postgres':
      return new PostgresSource({
        connection: resolveSecret(spec.connection, 'vigil_source.connection', env)!,
        ...(spec.sql !== undefined ? { sql: spec.sql } : { table: spec.table ?? ctx.indices[0] }),
        timeField,
        timeType: spec.time_type,
        query: ctx.query,
      });
    case 'prometheus': {
      if (!isMatchAll(ctx.query)) throw new VigilError('INVALID_ARGUMENT', 'a prometheus source takes its filter in the PromQL selector or query, not in the datafeed query');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k] = resolveSecret(v, `vigil_source.headers.${k}`, env)!;
      return new PrometheusSource({ url: resolveSecret(spec.url, 'vigil_source.url', env)!, selector: spec.selector, query: spec.query, headers });
    }
    case 'file':
      return fileSource({
        path: spec.path!,
        format: spec.format,
        timeField,
        valueField: spec.value_field,
        partitionField: spec.partition_field,
        timeFormat: spec.time_format,
        timeZone: spec.time_zone,
        query: isMatchAll(ctx.query) ? undefined : ctx.query,
      });
    case 'elasticsearch':
    case 'opensearch':
      return new ElasticsearchSource({
        url: resolveSecret(spec.url, 'vigil_source.url', env)!,
        flavor: spec.type,
        indices: ctx.indices,
        timeField,
        query: ctx.query,
        runtimeMappings: ctx.runtimeMappings,
        auth: {
          apiKey: resolveSecret(spec.api_key, 'vigil_source.api_key', env),
          username: spec.username,
          password: resolveSecret(spec.password, 'vigil_source.password', env),
          bearer: resolveSecret(spec.bearer, 'vigil_source.bearer', env),
        },
        ca: resolveSecret(spec.ca, 'vigil_source.ca', env),
        caFile: spec.ca_file,
        rejectUnauthorized: spec.reject_unauthorized,
      });
    default:
      throw new VigilError('INVALID_ARGUMENT', `unknown source type ${String((spec as { type: unknown }).type)}`);
  }
}

/**
 * A `--source` URL of the command line as a source spec: `postgres://…` / `postgresql://…`,
 * `prometheus+http(s)://host:port` (also `victoriametrics+…`), `elasticsearch+http(s)://…` /
 * `opensearch+http(s)://…`, `file:PATH` or a plain path.
 */
export function specFromUrl(url: string, o: { table?: string; sql?: string; selector?: string; promql?: string; timeField?: string; valueField?: string; partitionField?: string; apiKey?: string; username?: string; password?: string; caFile?: string } = {}): VigilSourceSpec {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  const scheme = m ? m[1].toLowerCase() : '';
  if (scheme === 'postgres' || scheme === 'postgresql') return { type: 'postgres', connection: url, table: o.table, sql: o.sql, time_field: o.timeField };
  if (/^(prometheus|victoriametrics|vm|prom)\+https?$/.test(scheme)) {
    return { type: 'prometheus', url: url.replace(/^[a-z]+\+/i, ''), ...(o.promql !== undefined ? { query: o.promql } : { selector: o.selector }) };
  }
  if (/^(elasticsearch|es|opensearch)\+https?$/.test(scheme)) {
    return { type: scheme.startsWith('opensearch') ? 'opensearch' : 'elasticsearch', url: url.replace(/^[a-z]+\+/i, ''), time_field: o.timeField, api_key: o.apiKey, username: o.username, password: o.password, ca_file: o.caFile };
  }
  const path = scheme === 'file' ? url.slice(5) : url;
  return { type: 'file', path, time_field: o.timeField, value_field: o.valueField, partition_field: o.partitionField };
}
