/**
 * Elastic's datafeed APIs (`_ml/datafeeds`: put, get, update, delete, start, stop, preview, stats)
 * and two Vigil extensions (a datafeed's delayed-data annotations, a delayed-data check on demand),
 * plus the embedded store's index APIs (indices-routes.ts). Registered in the app builder with one
 * line: `...datafeedRoutes(deps)`.
 *
 * The DatafeedService of a JobService is made on first use (`datafeedsFor`): its records live in
 * `<data dir>/datafeeds` next to the jobs' write-ahead logs (in memory when the jobs service has no
 * WAL directory), it resumes the datafeeds that were started when the server stopped, and it stops
 * its loops before the jobs service shuts down. A server that wants other options attaches its own
 * with `attachDatafeeds(service, datafeeds)` before building the app.
 */
import { dirname, join } from 'node:path';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import type { JobService } from '../jobs/job-service.js';
import { parseTimeParam } from '../jobs/time-param.js';
import { COMMON_QUERY, QBool, qbool, type RouteSpec } from '../route-spec.js';
import { DatafeedService } from './datafeed-service.js';
import { FileDatafeedStore, MemoryDatafeedStore } from './datafeed-store.js';
import { EmbeddedIndices, indicesRoutes } from './indices-routes.js';

const services = new WeakMap<JobService, { datafeeds: DatafeedService; indices: EmbeddedIndices }>();

/** Uses `datafeeds` (and `indices`) for this jobs service instead of the default ones. */
export function attachDatafeeds(jobs: JobService, datafeeds: DatafeedService, indices: EmbeddedIndices): void {
  services.set(jobs, { datafeeds, indices });
}

function dataDirOf(jobs: JobService): string | undefined {
  // the jobs service keeps its WAL in <data dir>/wal; datafeeds and indices live beside it
  const wal = jobs.walDir;
  return wal ? dirname(wal) : undefined;
}

/** The datafeed service (and embedded indices) of a jobs service, made on first use. */
export function datafeedsFor(jobs: JobService): { datafeeds: DatafeedService; indices: EmbeddedIndices } {
  let s = services.get(jobs);
  if (s) return s;
  const dir = dataDirOf(jobs);
  const indices = new EmbeddedIndices(dir ? join(dir, 'indices.duckdb') : ':memory:');
  const datafeeds = new DatafeedService({
    jobs,
    store: dir ? new FileDatafeedStore(join(dir, 'datafeeds')) : new MemoryDatafeedStore(),
    embedded: (idx, timeField, query) => indices.source(idx, timeField, query),
  });
  s = { datafeeds, indices };
  services.set(jobs, s);
  // stop the loops (and close the indices) before the jobs service shuts down
  const shutdown = jobs.shutdown.bind(jobs);
  jobs.shutdown = async () => {
    await datafeeds.shutdown();
    await shutdown();
    await indices.close();
  };
  // resume started datafeeds once the server is up (jobs re-open on their own or here)
  setTimeout(() => void datafeeds.recover().catch(() => undefined), 0).unref();
  return s;
}

const Q = (extra: Record<string, TSchema> = {}) => Type.Object({ ...COMMON_QUERY, ...extra }, { additionalProperties: false });
const DfParam = Type.Object({ datafeed_id: Type.String({ description: 'Datafeed id, or an expression (comma list, wildcards, _all) where the API allows one.' }) }, { additionalProperties: false });
const AnyBody = (description: string) => Type.Object({}, { additionalProperties: true, description });
const Time = (d: string) => Type.Optional(Type.Union([Type.Number(), Type.String()], { description: d }));

function id(req: FastifyRequest): string {
  return (req.params as { datafeed_id: string }).datafeed_id;
}

const query = (req: FastifyRequest): Record<string, unknown> => req.query as Record<string, unknown>;

function timeOf(name: string, ...values: unknown[]): number | undefined {
  for (const v of values) if (v !== undefined && v !== '' && v !== null) return parseTimeParam(name, v);
  return undefined;
}

/** A preview's range and size, from the query string. */
function previewOptions(q: Record<string, unknown>): { start: number | undefined; end: number | undefined; size: number | undefined } {
  return { start: timeOf('start', q.start), end: timeOf('end', q.end), size: q.size as number | undefined };
}

export function datafeedRoutes(deps: { service: JobService }): RouteSpec[] {
  const get = (): DatafeedService => datafeedsFor(deps.service).datafeeds;
  const F = '/_ml/datafeeds';
  /** GET datafeeds: the path's expression (none on the collection route: every datafeed), counted. */
  const list = async (req: FastifyRequest): Promise<{ count: number; datafeeds: unknown[] }> => {
    const d = await get().get((req.params as { datafeed_id?: string }).datafeed_id, qbool(query(req).allow_no_match, true));
    return { count: d.length, datafeeds: d };
  };
  const routes: RouteSpec[] = [
    {
      method: 'PUT',
      url: `${F}/:datafeed_id`,
      operationId: 'ml.put_datafeed',
      tag: 'elastic',
      summary: 'Create a datafeed (Vigil extension: `vigil_source` chooses PostgreSQL, Prometheus, files, Elasticsearch/OpenSearch; default: the embedded indices).',
      params: DfParam,
      querystring: Q({ allow_no_indices: QBool('Accepted for compatibility.'), expand_wildcards: Type.Optional(Type.String()), ignore_throttled: QBool('Accepted.'), ignore_unavailable: QBool('Accepted.') }),
      bodyName: 'datafeed_config',
      body: AnyBody('job_id, indices, query, aggregations, chunking_config, delayed_data_check_config, frequency, query_delay, scroll_size, max_empty_searches, runtime_mappings, vigil_source.'),
      handler: async (req) => get().put(id(req), req.body as Record<string, unknown>),
    },
    {
      method: 'GET',
      url: F,
      operationId: 'ml.get_datafeeds',
      tag: 'elastic',
      summary: 'Datafeed configurations.',
      querystring: Q({ allow_no_match: QBool('Allow an expression that matches nothing.'), exclude_generated: QBool('Accepted.') }),
      handler: list,
    },
    {
      method: 'GET',
      url: `${F}/:datafeed_id`,
      operationId: 'ml.get_datafeeds',
      tag: 'elastic',
      summary: 'Datafeed configurations (ids, wildcards, _all).',
      params: DfParam,
      querystring: Q({ allow_no_match: QBool('Allow an expression that matches nothing.'), exclude_generated: QBool('Accepted.') }),
      handler: list,
    },
    {
      method: 'DELETE',
      url: `${F}/:datafeed_id`,
      operationId: 'ml.delete_datafeed',
      tag: 'elastic',
      summary: 'Delete a datafeed (force: even when started).',
      params: DfParam,
      querystring: Q({ force: QBool('Stop it first if it is started.') }),
      handler: async (req) => {
        await get().delete(id(req), qbool(query(req).force));
        return { acknowledged: true };
      },
    },
    {
      method: 'POST',
      url: `${F}/:datafeed_id/_update`,
      operationId: 'ml.update_datafeed',
      tag: 'elastic',
      summary: 'Update a stopped datafeed.',
      params: DfParam,
      querystring: Q({ allow_no_indices: QBool('Accepted.'), expand_wildcards: Type.Optional(Type.String()), ignore_throttled: QBool('Accepted.'), ignore_unavailable: QBool('Accepted.') }),
      bodyName: 'datafeed_update',
      body: AnyBody('Any datafeed field but job_id.'),
      handler: async (req) => get().update(id(req), req.body as Record<string, unknown>),
    },
    {
      method: 'POST',
      url: `${F}/:datafeed_id/_start`,
      operationId: 'ml.start_datafeed',
      tag: 'elastic',
      summary: 'Start a datafeed: with end, a historical run that closes the job when done; without, live.',
      params: DfParam,
      querystring: Q({ start: Time('Start time (inclusive).'), end: Time('End time (exclusive); none: real time.'), timeout: Type.Optional(Type.String()) }),
      bodyName: 'start_datafeed',
      body: Type.Object({ start: Time('Start time.'), end: Time('End time.'), timeout: Type.Optional(Type.String()) }, { additionalProperties: false }),
      handler: async (req) => {
        const q = query(req);
        const b = (req.body ?? {}) as Record<string, unknown>;
        return get().start(id(req), { start: timeOf('start', q.start, b.start), end: timeOf('end', q.end, b.end) });
      },
    },
    {
      method: 'POST',
      url: `${F}/:datafeed_id/_stop`,
      operationId: 'ml.stop_datafeed',
      tag: 'elastic',
      summary: 'Stop datafeeds (ids, wildcards, _all).',
      params: DfParam,
      querystring: Q({ force: QBool('Accepted.'), allow_no_match: QBool('Allow an expression that matches nothing.'), allow_no_datafeeds: QBool('Deprecated name.'), timeout: Type.Optional(Type.String()), close_job: QBool('Vigil: also close the job.') }),
      bodyName: 'stop_datafeed',
      body: Type.Object({ force: Type.Optional(Type.Boolean()), allow_no_match: Type.Optional(Type.Boolean()), timeout: Type.Optional(Type.String()) }, { additionalProperties: false }),
      handler: async (req) => {
        const q = query(req);
        return get().stop(id(req), { force: qbool(q.force), allowNoMatch: qbool(q.allow_no_match ?? q.allow_no_datafeeds, true) });
      },
    },
    {
      method: ['GET', 'POST'],
      url: `${F}/:datafeed_id/_preview`,
      operationId: 'ml.preview_datafeed',
      tag: 'elastic',
      summary: 'The documents the job would receive (first 100, or size).',
      params: DfParam,
      querystring: Q({ start: Time('Start time.'), end: Time('End time.'), size: Type.Optional(Type.Integer({ description: 'Vigil: at most this many documents (default 100).' })) }),
      bodyName: 'preview_datafeed',
      body: AnyBody('Ignored for a stored datafeed.'),
      handler: async (req) => get().preview(id(req), {}, previewOptions(query(req))),
    },
    {
      method: 'POST',
      url: `${F}/_preview`,
      operationId: 'ml.preview_datafeed',
      tag: 'elastic',
      summary: 'Preview a datafeed config given in the body (datafeed_config with job_id).',
      querystring: Q({ start: Time('Start time.'), end: Time('End time.'), size: Type.Optional(Type.Integer()) }),
      bodyName: 'preview_datafeed',
      body: AnyBody('datafeed_config (and job_config.job_id).'),
      handler: async (req) => get().preview(undefined, req.body as Record<string, unknown>, previewOptions(query(req))),
    },
    {
      method: 'GET',
      url: `${F}/_stats`,
      operationId: 'ml.get_datafeed_stats',
      tag: 'elastic',
      summary: 'Datafeed statistics (state, timing, Vigil: progress, documents, errors, delayed data).',
      querystring: Q({ allow_no_match: QBool('Allow an expression that matches nothing.') }),
      handler: async () => {
        const d = await get().stats(undefined);
        return { count: d.length, datafeeds: d };
      },
    },
    {
      method: 'GET',
      url: `${F}/:datafeed_id/_stats`,
      operationId: 'ml.get_datafeed_stats',
      tag: 'elastic',
      summary: 'Datafeed statistics (ids, wildcards, _all).',
      params: DfParam,
      querystring: Q({ allow_no_match: QBool('Allow an expression that matches nothing.') }),
      handler: async (req) => {
        const d = await get().stats(id(req), qbool(query(req).allow_no_match, true));
        return { count: d.length, datafeeds: d };
      },
    },
    {
      method: 'GET',
      url: '/_vigil/datafeeds/:datafeed_id/annotations',
      operationId: 'vigil.datafeed_annotations',
      tag: 'vigil',
      summary: "Vigil extension: a datafeed's annotations (delayed data found behind the processed time).",
      params: DfParam,
      querystring: Q(),
      handler: async (req) => {
        const a = await get().annotations(id(req));
        return { count: a.length, annotations: a };
      },
    },
    {
      method: 'POST',
      url: '/_vigil/datafeeds/:datafeed_id/_check_delayed_data',
      operationId: 'vigil.check_delayed_data',
      tag: 'vigil',
      summary: 'Vigil extension: run the delayed-data check of a started datafeed now.',
      params: DfParam,
      querystring: Q(),
      handler: async (req) => ({ missing_documents: await get().checkDelayedDataNow(id(req)) }),
    },
    ...indicesRoutes(() => datafeedsFor(deps.service).indices),
  ];
  return routes;
}

export { VigilError };
