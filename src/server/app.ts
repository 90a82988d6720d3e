/**
 * buildApp(deps): the HTTP application (fastify) without a socket — tests drive it with
 * `app.inject()`, server.ts listens with it. Body parsers accept what the official Elasticsearch
 * clients send (`application/json`, `application/vnd.elasticsearch+json; compatible-with=8|9`,
 * `application/x-ndjson`, `application/vnd.elasticsearch+x-ndjson`, empty bodies); every response
 * carries `x-elastic-product: Elasticsearch`; every error goes through the one mapper (errors.ts).
 *
 * fastify rather than node:http: measured ~35 k req/s here for a trivial JSON route (node:http
 * ~48 k), far above what `_data` batching needs, and it brings inject(), JSON-Schema validation
 * (the schemas that also generate the OpenAPI document), body limits and structured (pino) logs.
 */
import { hostname } from 'node:os';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { VigilError } from '../core/errors.js';
import { toElasticError } from './errors.js';
import { filterPath } from './filter-path.js';
import type { JobService } from './jobs/job-service.js';
import { buildOpenApi, openApiPath } from './openapi.js';
import { COMMON_QUERY, type HttpMethod, type RouteSpec } from './route-spec.js';
import { forecastRoutes } from './forecast/routes.js';
import { controlRoutes } from './control/routes.js';
import { mlRoutes } from './routes/ml.js';
import { uiRoutes, type UiOptions } from './ui/routes.js';
import { opsFastifyOptions, type Ops } from './ops/context.js';
import { installOpsPlugin, opsRouteList } from './ops/plugin.js';
import { datafeedRoutes } from './datafeeds/routes.js';
import type { AlertService } from './alerting/alert-service.js';
import { alertRoutes } from './alerting/routes.js';
import { modelRoutes } from './models/routes.js';
import type { TrainingLimits } from '../engine/training/model-manager.js';
import { Type } from '@sinclair/typebox';

export interface AppDeps extends UiOptions {
  service: JobService;
  /** Vigil's version (package.json). */
  version?: string;
  clusterName?: string;
  /** Largest request body accepted, bytes (default 100 MiB, Elastic's http.max_content_length). */
  maxBodyBytes?: number;
  /** A pino-compatible logger, or pino options (`{ level: 'info' }`), or false (default) for none. */
  logger?: boolean | { level: string } | FastifyBaseLogger;
  /** Extra routes (tests). */
  extraRoutes?: RouteSpec[];
  /** Security and operations (authentication, limits, TLS, metrics); absent: auth off, as on loopback. */
  ops?: Ops;
  /** Alerting (rules, history) under /_vigil/alerts; without it those routes are absent. */
  alerts?: AlertService;
  /** Limits on parallel trainings, live activations and historical runs (the `training.*` settings). */
  trainingLimits?: Partial<TrainingLimits>;
}

/** The Elastic version Vigil's API corresponds to (what `GET /` reports). */
export const ELASTIC_COMPAT_VERSION = '9.1.0';

export function allRoutes(deps: AppDeps): RouteSpec[] {
  const version = deps.version ?? '0.0.0';
  const service = deps.service;
  const routes: RouteSpec[] = [
    {
      method: 'GET',
      url: '/',
      operationId: 'info',
      tag: 'elastic',
      summary: 'Cluster information (what clients that probe the server read).',
      querystring: Type.Object({ ...COMMON_QUERY }, { additionalProperties: false }),
      handler: async () => ({
        name: service.node.name,
        cluster_name: deps.clusterName ?? 'vigil',
        cluster_uuid: service.node.id,
        version: {
          number: ELASTIC_COMPAT_VERSION,
          build_flavor: 'default',
          build_type: 'vigil',
          build_hash: 'vigil',
          build_date: '2025-01-01T00:00:00.000Z',
          build_snapshot: false,
          lucene_version: '10.0.0',
          minimum_wire_compatibility_version: '8.18.0',
          minimum_index_compatibility_version: '8.0.0',
          vigil_version: version,
        },
        tagline: 'You Know, for Search',
      }),
    },
    {
      method: 'GET',
      url: '/_vigil/health',
      operationId: 'vigil.health',
      tag: 'vigil',
      summary: 'Vigil extension: liveness and readiness (200 while serving, 503 while shutting down).',
      querystring: Type.Object({ ...COMMON_QUERY }, { additionalProperties: false }),
      handler: async (_req, reply) => {
        const s = service.summary();
        if (s.stopping) reply.status(503);
        return { status: s.stopping ? 'stopping' : 'green', store: service.store.kind, open_jobs: s.open_jobs, version, uptime_s: Math.round(process.uptime()) };
      },
    },
    {
      method: 'GET',
      url: '/_cluster/health',
      operationId: 'cluster.health',
      tag: 'elastic',
      summary: 'Cluster health, for tools that wait for a green cluster.',
      querystring: Type.Object(
        { ...COMMON_QUERY, wait_for_status: Type.Optional(Type.String()), timeout: Type.Optional(Type.String()), level: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
      handler: async () => ({
        cluster_name: deps.clusterName ?? 'vigil',
        status: 'green',
        timed_out: false,
        number_of_nodes: 1,
        number_of_data_nodes: 1,
        active_primary_shards: 0,
        active_shards: 0,
        relocating_shards: 0,
        initializing_shards: 0,
        unassigned_shards: 0,
      }),
    },
    ...mlRoutes(service, { version }),
    ...controlRoutes(deps), // filters, calendars, snapshots, reset, memory estimates, annotations (src/server/control)
    ...forecastRoutes(service), // _forecast, its deletion and Vigil's forecast results (src/server/forecast)
    ...uiRoutes(deps), // the web UI (/app/) and its upload/preview extensions
    ...opsRouteList(deps), // _security API keys, /metrics, liveness/readiness, backup
    ...datafeedRoutes(deps), // datafeeds (_ml/datafeeds) and the embedded store's indices (_bulk)
    ...alertRoutes(deps), // alert rules and history (/_vigil/alerts/…)
    ...modelRoutes(deps), // trained models: create, train, runs, activate (/_vigil/models/…, src/server/models)
    ...(deps.extraRoutes ?? []),
  ];
  routes.push({
    method: 'GET',
    url: '/_vigil/openapi.json',
    operationId: 'vigil.openapi',
    tag: 'vigil',
    summary: 'Vigil extension: this OpenAPI document.',
    querystring: Type.Object({ ...COMMON_QUERY }, { additionalProperties: false }),
    handler: async () => buildOpenApi(routes, { version }),
  });
  return routes;
}

function routeRegex(url: string): RegExp {
  return new RegExp('^' + url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+') + '/?$');
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const maxBody = deps.maxBodyBytes ?? 100 * 2 ** 20;
  const logger = deps.logger ?? false;
  const app = Fastify({
    ...(typeof logger === 'object' && 'info' in logger ? { loggerInstance: logger as FastifyBaseLogger } : { logger: logger as boolean | { level: string } }),
    // one log line per request (onResponse below) instead of fastify's two
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: maxBody,
    ...opsFastifyOptions(deps.ops), // request ids, https
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: false, allErrors: false, strict: false } },
  });
  const routes = allRoutes(deps);
  // what fastify really registered (HEAD routes it adds for GET excluded), for the OpenAPI drift test
  const registered: string[] = [];
  app.addHook('onRoute', (opts) => {
    for (const m of Array.isArray(opts.method) ? opts.method : [opts.method]) if (m !== 'HEAD') registered.push(`${m} ${opts.url}`);
  });
  app.decorate('vigilRegisteredRoutes', registered);
  installOpsPlugin(app, deps, routes); // authentication, roles, limits, metrics (src/server/security, src/server/ops)
  const bodyNames = new Map<string, string | undefined>();

  // every body arrives as bytes; preValidation turns JSON bodies into objects (empty allowed)
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBody }, (_req, body, done) => done(null, body));

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-elastic-product', 'Elasticsearch');
    const q = req.query as Record<string, unknown> | undefined;
    const pretty = q?.pretty !== undefined && q.pretty !== 'false';
    const filter = typeof q?.filter_path === 'string' && q.filter_path !== '' && reply.statusCode < 300 ? q.filter_path : undefined;
    if ((pretty || filter) && typeof payload === 'string' && payload.startsWith('{')) {
      try {
        let value: unknown = JSON.parse(payload);
        if (filter) value = filterPath(value, filter);
        return pretty ? JSON.stringify(value, null, 2) + '\n' : JSON.stringify(value);
      } catch {
        return payload;
      }
    }
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 500) req.log.error({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request failed');
    else req.log.info({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toElasticError(err, {
      path: req.url.split('?')[0],
      bodyName: bodyNames.get(`${req.method} ${req.routeOptions.url}`),
      query: req.query as Record<string, unknown>,
    });
    if (status >= 500) req.log.error({ err }, 'internal error');
    void reply.status(status).type('application/json; charset=utf-8').send(body);
  });

  const patterns = routes.map((r) => ({ re: routeRegex(r.url), methods: Array.isArray(r.method) ? r.method : [r.method] }));
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allowed = new Set<string>();
    for (const p of patterns) if (p.re.test(path)) for (const m of p.methods) allowed.add(m);
    if (allowed.size > 0) {
      void reply.status(405).send({ error: `Incorrect HTTP method for uri [${req.url}] and method [${req.method}], allowed: [${[...allowed].join(', ')}]`, status: 405 });
      return;
    }
    void reply.status(400).send({ error: `no handler found for uri [${req.url}] and method [${req.method}]`, status: 400 });
  });

  for (const r of routes) {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) bodyNames.set(`${m} ${r.url}`, r.bodyName);
    const kind = r.bodyKind ?? (r.body ? 'json' : 'none');
    // fastify refuses a body schema on GET: GET routes take no body (the official clients POST)
    const withBody: HttpMethod[] = methods.filter((m) => m !== 'GET' && m !== 'HEAD' && m !== 'DELETE');
    const withoutBody = methods.filter((m) => !withBody.includes(m));
    for (const group of [withBody, withoutBody]) {
      if (group.length === 0) continue;
      const hasBody = group === withBody;
    app.route({
      method: group,
      url: r.url,
      schema: {
        ...(r.params ? { params: r.params } : {}),
        ...(r.querystring ? { querystring: r.querystring } : {}),
        ...(r.body && kind === 'json' && hasBody ? { body: r.body } : {}),
      },
      preValidation: async (req) => {
        const raw = req.body as Buffer | undefined;
        if (kind === 'data') {
          req.body = raw ?? Buffer.alloc(0);
          return;
        }
        if (!raw || raw.length === 0 || /^\s*$/.test(raw.toString('utf8'))) {
          req.body = kind === 'json' ? {} : undefined;
          return;
        }
        if (kind === 'none') {
          req.body = undefined;
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString('utf8'));
        } catch (err) {
          throw new VigilError('BODY_PARSE', `[${r.bodyName ?? 'request'}] request body is not valid JSON`, { caused_by: { type: 'json_parse_exception', reason: (err as Error).message } });
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          throw new VigilError('BODY_PARSE', `[${r.bodyName ?? 'request'}] request body must be a JSON object`);
        }
        req.body = parsed;
      },
      handler: async (req, reply) => r.handler(req, reply),
    });
    }
  }
  return app;
}

/** Method and path of every route fastify registered (`GET /_ml/anomaly_detectors/:job_id`). */
export function registeredRoutes(app: FastifyInstance): string[] {
  return [...((app as unknown as { vigilRegisteredRoutes: string[] }).vigilRegisteredRoutes ?? [])];
}

/** The OpenAPI paths a route appears under (for the drift test). */
export function routeKeys(routes: RouteSpec[]): string[] {
  return routes.flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).map((m) => `${m} ${openApiPath(r.url)}`));
}

export const DEFAULT_NODE_NAME = hostname();
