/**
 * installOps(app, deps, routes): the fastify hooks that enforce security and limits on every
 * route and record the operational metrics — registered by the app builder in one line.
 *
 * Per request, in order:
 * 1. onRequest: `X-Request-Id` echoed; the route's permission looked up (RouteSpec.permission, else
 *    permissions.ts); public routes pass; a client address over its budget of failed
 *    authentications gets 429 before any credentials are checked; otherwise the principal is authenticated (ApiKey or Basic;
 *    anonymous admin when authentication is off on loopback; the local admin socket is admin) —
 *    401 without valid credentials; the request rate of the principal (429); the role against the
 *    privilege (403); a historical-run slot for routes that start one (429 at the limit).
 * 2. preHandler (bodies parsed): job_groups scoping against the job id/expression in the path, the
 *    groups of a job being created or regrouped (403), listings narrowed.
 * 3. onSend: scoped listings filtered. onResponse: request count and latency by route and status.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { VigilError } from '../../core/errors.js';
import { errorBody } from '../errors.js';
import type { JobService } from '../jobs/job-service.js';
import type { Ops } from '../ops/context.js';
import type { RouteSpec } from '../route-spec.js';
import { ApiKeyFileError } from './api-keys.js';
import { parseAuthorization } from './authorization-header.js';
import { verifySecret } from './passwords.js';
import { ROUTE_PERMISSIONS } from './permissions.js';
import { jobInScope, roleAllows, rolesGranting, type Permission, type Principal } from './roles.js';

declare module 'fastify' {
  interface FastifyRequest {
    vigilPrincipal: Principal | null;
    vigilJobFilter: Set<string> | null;
    vigilRelease: (() => void) | null;
  }
}

const ANONYMOUS: Principal = { username: '_anonymous', realm: 'anonymous', role: 'admin' };
const LOCAL: Principal = { username: '_local', realm: 'file', role: 'admin' };
const CHALLENGE = ['Basic realm="security", charset="UTF-8"', 'ApiKey'];

/** Connections accepted on the local admin socket (ops/admin-socket.ts). */
export const localSockets = new WeakSet<Socket>();

/** The permission of each `METHOD url` the routes declare or the table gives (HEAD: GET's). */
export function permissionMap(routes: RouteSpec[]): Map<string, Permission> {
  const out = new Map<string, Permission>();
  for (const r of routes) {
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) {
      const p = r.permission ?? ROUTE_PERMISSIONS[`${m} ${r.url}`];
      if (p) out.set(`${m} ${r.url}`, p);
    }
  }
  return out;
}

/** The permission of every route of an app, as installOps resolved them (`METHOD url` → Permission). */
export function routePermissions(app: FastifyInstance): Map<string, Permission> {
  return (app as unknown as { vigilPermissions?: Map<string, Permission> }).vigilPermissions ?? new Map();
}

interface BasicCacheEntry {
  digest: string;
  principal: Principal;
}

export function installOps(app: FastifyInstance, deps: { service: JobService; ops?: Ops }, routes: RouteSpec[], ops: Ops): void {
  const perms = permissionMap(routes);
  app.decorate('vigilPermissions', perms);
  const undeclared = routes.flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).map((m) => `${m} ${r.url}`)).filter((k) => !perms.has(k));
  if (undeclared.length) app.log.warn({ routes: undeclared }, 'routes without a declared permission: only admin may call them');
  const m = ops.metrics;
  const requests = m.counter('vigil_http_requests_total', 'HTTP requests by method, route and status.', ['method', 'route', 'status']);
  const latency = m.histogram('vigil_http_request_duration_seconds', 'HTTP request latency by method and route.', ['method', 'route']);
  const inFlight = m.gauge('vigil_http_requests_in_flight', 'HTTP requests being served.');
  const authFailures = m.counter('vigil_auth_failures_total', 'Requests refused by authentication (401) or authorization (403).', ['status']);
  const rateLimited = m.counter('vigil_rate_limited_total', 'Requests refused by the rate limit (429).');
  /** Basic credentials already verified with scrypt: user → sha256(user:password). */
  const basicCache = new Map<string, BasicCacheEntry>();

  // an unreadable key file is logged once when it is found (and once when it is fixed), not per request
  if (ops.apiKeys) {
    ops.apiKeys.onFileState = (err) => {
      if (err) app.log.error({ file: err.file }, err.message);
      else app.log.info({ file: ops.apiKeys!.file }, 'the API key file is readable again: API keys are accepted');
    };
  }

  app.decorateRequest('vigilPrincipal', null);
  app.decorateRequest('vigilJobFilter', null);
  app.decorateRequest('vigilRelease', null);

  const deny401 = (req: FastifyRequest, reply: FastifyReply, reason: string): FastifyReply => {
    authFailures.inc({ status: 401 });
    const body = errorBody(401, 'security_exception', reason);
    (body.error as Record<string, unknown>).header = { 'WWW-Authenticate': CHALLENGE };
    (body.error.root_cause[0] as Record<string, unknown>).header = { 'WWW-Authenticate': CHALLENGE };
    return reply.code(401).header('WWW-Authenticate', CHALLENGE).type('application/json; charset=utf-8').send(body);
  };

  const tooMany = (reply: FastifyReply, seconds: number, who: string): FastifyReply => {
    rateLimited.inc();
    return reply
      .code(429)
      .header('Retry-After', String(seconds))
      .type('application/json; charset=utf-8')
      .send(errorBody(429, 'es_rejected_execution_exception', `rejected execution: request rate of ${who} is above limits.rate_per_second (${ops.limits.rate_per_second}/s, burst ${ops.limits.rate_burst}); retry in ${seconds}s`));
  };

  async function authenticate(req: FastifyRequest): Promise<Principal | string> {
    if ((req.raw.socket && localSockets.has(req.raw.socket)) ) return LOCAL;
    const creds = parseAuthorization(req.headers.authorization);
    if (!ops.auth) return ANONYMOUS;
    const path = req.url.split('?')[0].slice(0, 200);
    if (!creds) return `missing authentication credentials for REST request [${path}]`;
    if (creds.kind === 'invalid') return `${creds.reason} for REST request [${path}]`;
    if (creds.kind === 'api_key') {
      const key = ops.apiKeys ? await ops.apiKeys.verify(creds.id, creds.key) : undefined;
      if (!key) return `unable to authenticate with provided credentials and anonymous access is not allowed for this request`;
      return { username: key.username, realm: 'api_key', role: key.role, ...(key.job_groups ? { jobGroups: key.job_groups } : {}), apiKey: { id: key.id, name: key.name } };
    }
    const user = Object.hasOwn(ops.users, creds.username) ? ops.users[creds.username] : undefined;
    if (!user) return `unable to authenticate user [${creds.username.slice(0, 64)}] for REST request [${path}]`;
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(`${creds.username}\u0000${creds.password}\u0000${user.password_hash}`).digest('hex');
    const cached = basicCache.get(creds.username);
    if (cached && cached.digest === digest) return cached.principal;
    if (!(await verifySecret(creds.password, user.password_hash))) return `unable to authenticate user [${creds.username.slice(0, 64)}] for REST request [${path}]`;
    const principal: Principal = { username: creds.username, realm: 'file', role: user.role, ...(user.job_groups ? { jobGroups: user.job_groups } : {}) };
    if (basicCache.size > 1000) basicCache.clear();
    basicCache.set(creds.username, { digest, principal });
    return principal;
  }

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    inFlight.inc();
    const url = req.routeOptions.url;
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    let perm: Permission | undefined = url === undefined ? { privilege: 'authenticated' } : perms.get(`${method} ${url}`);
    perm ??= { privilege: 'admin' }; // undeclared: fail closed
    if (perm.privilege === 'public') return;
    if (perm.privilege === 'monitor' && url === '/metrics' && ops.anonymousMetrics) return;
    // an address that has used up its failures is refused before its credentials are checked:
    // otherwise a right guess would still pass, and the limit would not slow password guessing
    if (ops.auth && !(req.raw.socket && localSockets.has(req.raw.socket))) {
      const blocked = ops.unauthenticatedRate.wait(`ip:${req.ip}`);
      if (blocked > 0) return tooMany(reply, blocked, `unauthenticated client ${req.ip} (too many requests without valid credentials)`);
    }
    let who: Principal | string;
    try {
      who = await authenticate(req);
    } catch (err) {
      if (!(err instanceof ApiKeyFileError)) throw err;
      // fail closed, answered here so that the error handler does not log it again per request
      return reply.code(500).type('application/json; charset=utf-8').send(errorBody(500, err.type, err.message));
    }
    if (typeof who === 'string') {
      const wait = ops.unauthenticatedRate.take(`ip:${req.ip}`);
      if (wait > 0) return tooMany(reply, wait, `unauthenticated client ${req.ip}`);
      return deny401(req, reply, who);
    }
    req.vigilPrincipal = who;
    if (who.realm !== 'anonymous' && who !== LOCAL) {
      const key = who.apiKey ? `key:${who.apiKey.id}` : `user:${who.username}`;
      const wait = ops.rate.take(key);
      if (wait > 0) return tooMany(reply, wait, who.apiKey ? `API key [${who.apiKey.id}]` : `user [${who.username}]`);
    }
    if (!roleAllows(who.role, perm.privilege)) {
      authFailures.inc({ status: 403 });
      const op = routes.find((r) => r.url === url)?.operationId ?? `${req.method} ${url}`;
      throw new VigilError(
        'FORBIDDEN',
        `action [${op}] is unauthorized for ${who.apiKey ? `API key id [${who.apiKey.id}] of user [${who.username}]` : `user [${who.username}]`} with role [${who.role}], this action is granted by the roles [${rolesGranting(perm.privilege).join(',')}]`,
      );
    }
    if (who.jobGroups && perm.unscoped) {
      authFailures.inc({ status: 403 });
      throw new VigilError('FORBIDDEN', `action [${req.method} ${url}] cannot be limited to job groups; user [${who.username}] is limited to job_groups [${who.jobGroups.join(',')}]`);
    }
    if (perm.historical) req.vigilRelease = ops.historicalRuns.tryAcquire(`${req.method} ${req.url.split('?')[0].slice(0, 200)}`);
  });

  app.addHook('preHandler', async (req) => {
    const who = req.vigilPrincipal;
    if (!who?.jobGroups) return;
    const url = req.routeOptions.url;
    const perm = url === undefined ? undefined : perms.get(`${req.method === 'HEAD' ? 'GET' : req.method} ${url}`);
    if (!perm || (!perm.job && !perm.filter)) return;
    const forbid = (jobs: string[]): never => {
      authFailures.inc({ status: 403 });
      throw new VigilError('FORBIDDEN', `action [${req.method} ${url}] is unauthorized for user [${who.username}] on job [${jobs.slice(0, 5).join(',')}]: it is limited to job_groups [${who.jobGroups!.join(',')}]`);
    };
    const body = (req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? req.body : {}) as Record<string, unknown>;
    const bodyGroups = Array.isArray(body.groups) ? body.groups.filter((g): g is string => typeof g === 'string') : undefined;
    const expr = perm.job ? (req.params as Record<string, string>)[perm.job] : undefined;
    if (perm.creates && expr !== undefined) {
      if (!jobInScope(who, { job_id: expr, groups: bodyGroups ?? [] })) forbid([expr]);
      return;
    }
    const all = await deps.service.store.listJobs();
    const byId = new Map(all.map((j) => [j.job_id, j]));
    const ids = await deps.service.expand(expr, true);
    const outside = ids.filter((id) => !jobInScope(who, byId.get(id) ?? { job_id: id }));
    if (perm.filter) {
      // explicit ids out of scope are refused; patterns and _all are narrowed to the principal's jobs
      const explicit = (expr ?? '').split(',').map((t) => t.trim()).filter((t) => byId.has(t));
      const refused = explicit.filter((id) => outside.includes(id));
      if (refused.length) forbid(refused);
      req.vigilJobFilter = new Set(ids.filter((id) => !outside.includes(id)));
      return;
    }
    if (outside.length) forbid(outside);
    if (perm.regroups && bodyGroups && expr !== undefined && !jobInScope(who, { job_id: expr, groups: bodyGroups })) forbid([expr]);
  });

  app.addHook('onSend', async (req, _reply, payload) => {
    const keep = req.vigilJobFilter;
    if (!keep || typeof payload !== 'string' || !payload.startsWith('{')) return payload;
    try {
      const doc = JSON.parse(payload) as { count?: number; jobs?: { job_id?: string }[] };
      if (!Array.isArray(doc.jobs)) return payload;
      doc.jobs = doc.jobs.filter((j) => typeof j.job_id === 'string' && keep.has(j.job_id));
      doc.count = doc.jobs.length;
      return JSON.stringify(doc);
    } catch {
      return payload;
    }
  });

  const done = (req: FastifyRequest, reply: FastifyReply): void => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: reply.statusCode });
    latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  };
  app.addHook('onResponse', async (req, reply) => {
    inFlight.dec();
    req.vigilRelease?.();
    done(req, reply);
  });
  app.addHook('onRequestAbort', async (req) => {
    req.vigilRelease?.();
  });
}
