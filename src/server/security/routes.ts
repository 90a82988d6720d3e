/**
 * Elastic's security APIs that Vigil serves: API keys (`POST|PUT /_security/api_key` create,
 * `GET /_security/api_key` list, `DELETE /_security/api_key` invalidate) and
 * `GET /_security/_authenticate`. Keys are stored hashed (api-keys.ts) and shown once.
 *
 * A key's role comes from its `role_descriptors` (Elastic cluster privileges: all/manage/
 * manage_security → admin, manage_ml → editor, monitor_ml/monitor → viewer; or a descriptor's
 * `metadata.vigil_role`), its job-group scope from `metadata.vigil_job_groups`; without
 * descriptors it has its creator's role and scope. A key never exceeds its creator. Admins see and
 * invalidate every key, others their own. Creating one needs an editor (Elastic's
 * manage_own_api_key); listing and invalidating one's own keys any credentials.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import type { Ops } from '../ops/context.js';
import { COMMON_QUERY, QBool, qbool, type RouteSpec } from '../route-spec.js';
import type { KeyFilter, StoredApiKey } from './api-keys.js';
import { isRole, minRole, type Principal, type Role } from './roles.js';

const LEVEL: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };

export function parseExpiration(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const m = typeof v === 'string' ? /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(v) : null;
  if (!m || Number(m[1]) <= 0) throw new VigilError('INVALID_ARGUMENT', `failed to parse setting [expiration] with value [${String(v)}] as a time value: use a duration such as 30m, 12h or 90d`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
}

/** The role and job groups that Elastic role descriptors grant. */
export function fromRoleDescriptors(rd: unknown): { role?: Role; jobGroups?: string[] } {
  if (rd === undefined || rd === null) return {};
  if (typeof rd !== 'object' || Array.isArray(rd)) throw new VigilError('BODY_PARSE', '[api_key_request] role_descriptors must be an object of named role descriptors');
  const entries = Object.entries(rd as Record<string, unknown>);
  if (entries.length === 0) return {};
  let role: Role | undefined;
  let groups: string[] | undefined;
  for (const [name, d] of entries) {
    if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new VigilError('BODY_PARSE', `[api_key_request] role descriptor [${name}] must be an object`);
    const desc = d as { cluster?: unknown; metadata?: Record<string, unknown> };
    const cluster = Array.isArray(desc.cluster) ? desc.cluster.map(String) : [];
    let r: Role | undefined;
    const meta = desc.metadata && typeof desc.metadata === 'object' ? desc.metadata : {};
    if (meta.vigil_role !== undefined) {
      if (!isRole(meta.vigil_role)) throw new VigilError('INVALID_ARGUMENT', `role descriptor [${name}]: metadata.vigil_role must be viewer, editor or admin`);
      r = meta.vigil_role;
    } else if (cluster.some((c) => ['all', 'manage', 'manage_security'].includes(c))) r = 'admin';
    else if (cluster.some((c) => ['manage_ml'].includes(c))) r = 'editor';
    else if (cluster.some((c) => ['monitor_ml', 'monitor', 'read'].includes(c))) r = 'viewer';
    if (r && (!role || LEVEL[r] > LEVEL[role])) role = r;
    if (meta.vigil_job_groups !== undefined) {
      const g = meta.vigil_job_groups;
      if (!Array.isArray(g) || g.length === 0 || g.some((x) => typeof x !== 'string' || x === '')) throw new VigilError('INVALID_ARGUMENT', `role descriptor [${name}]: metadata.vigil_job_groups must be a non-empty list of group names or patterns`);
      groups = [...(groups ?? []), ...(g as string[])];
    }
  }
  // descriptors granting nothing Vigil knows give the least role, not the creator's
  return { role: role ?? 'viewer', ...(groups ? { jobGroups: groups } : {}) };
}

function principalOf(req: FastifyRequest): Principal {
  const p = req.vigilPrincipal;
  if (!p) throw new VigilError('AUTHENTICATION', 'missing authentication credentials');
  return p;
}

function render(k: StoredApiKey, withDescriptors: boolean): Record<string, unknown> {
  return {
    id: k.id,
    name: k.name,
    type: 'rest',
    creation: k.creation,
    ...(k.expiration !== undefined ? { expiration: k.expiration } : {}),
    invalidated: k.invalidated,
    ...(k.invalidation !== undefined ? { invalidation: k.invalidation } : {}),
    username: k.username,
    realm: k.realm,
    metadata: k.metadata ?? {},
    ...(withDescriptors ? { role_descriptors: k.role_descriptors ?? {} } : {}),
    vigil: { role: k.role, ...(k.job_groups ? { job_groups: k.job_groups } : {}) },
  };
}

const Q = (props: Record<string, TSchema>) => Type.Object({ ...COMMON_QUERY, ...props }, { additionalProperties: false });

const CreateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 1024 })),
    expiration: Type.Optional(Type.String({ description: 'Lifetime, e.g. 30d (default: never expires).' })),
    role_descriptors: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Elastic role descriptors; cluster privileges map to Vigil roles, metadata.vigil_job_groups scopes the key.' })),
    metadata: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);

export function securityRoutes(ops: Ops | undefined): RouteSpec[] {
  const store = () => {
    if (!ops?.apiKeys) throw new VigilError('INVALID_ARGUMENT', 'API keys are not available: this server has no data directory for its key store');
    return ops.apiKeys;
  };
  const isAdmin = (p: Principal): boolean => p.role === 'admin' && !p.jobGroups;
  const own = (p: Principal, f: KeyFilter): KeyFilter => (isAdmin(p) ? f : { ...f, username: p.username });

  const create = async (req: FastifyRequest): Promise<unknown> => {
    const p = principalOf(req);
    const body = req.body as { name?: string; expiration?: string; role_descriptors?: unknown; metadata?: Record<string, unknown> };
    const granted = fromRoleDescriptors(body.role_descriptors);
    const role = granted.role ? minRole(granted.role, p.role) : p.role;
    let jobGroups = granted.jobGroups ?? p.jobGroups;
    if (p.jobGroups && granted.jobGroups) {
      const extra = granted.jobGroups.filter((g) => !p.jobGroups!.includes(g));
      if (extra.length) throw new VigilError('FORBIDDEN', `cannot create an API key for job_groups [${extra.join(',')}]: user [${p.username}] is limited to job_groups [${p.jobGroups.join(',')}]`);
    }
    if (jobGroups && jobGroups.length === 0) jobGroups = undefined;
    const created = await store().create({
      name: body.name ?? '',
      role,
      username: p.username,
      realm: p.realm,
      ...(jobGroups ? { jobGroups } : {}),
      ...(body.expiration !== undefined ? { expirationMs: parseExpiration(body.expiration) } : {}),
      ...(body.metadata ? { metadata: body.metadata } : {}),
      ...(body.role_descriptors ? { roleDescriptors: body.role_descriptors as Record<string, unknown> } : {}),
    });
    req.log.info({ api_key_id: created.id, name: created.name, role, owner: p.username }, 'API key created');
    return created;
  };

  return [
    {
      method: ['POST', 'PUT'],
      url: '/_security/api_key',
      operationId: 'security.create_api_key',
      tag: 'elastic',
      summary: 'Create an API key (returned once; stored hashed). Its role never exceeds the creator’s.',
      querystring: Q({ refresh: Type.Optional(Type.String()) }),
      bodyName: 'api_key_request',
      body: CreateBody,
      // Elastic: manage_own_api_key, which monitor_ml (viewer) lacks — production.md gives it to editors
      permission: { privilege: 'write' },
      handler: create,
    },
    {
      method: 'GET',
      url: '/_security/api_key',
      operationId: 'security.get_api_key',
      tag: 'elastic',
      summary: 'API keys: all of them for an admin, one’s own otherwise.',
      querystring: Q({
        id: Type.Optional(Type.String()),
        name: Type.Optional(Type.String()),
        username: Type.Optional(Type.String()),
        realm_name: Type.Optional(Type.String()),
        owner: QBool('Only the caller’s keys.'),
        active_only: QBool('Leave out invalidated and expired keys.'),
        with_limited_by: QBool('Accepted for compatibility.'),
        with_profile_uid: QBool('Accepted for compatibility.'),
      }),
      permission: { privilege: 'authenticated' },
      handler: async (req) => {
        const p = principalOf(req);
        const q = req.query as Record<string, unknown>;
        let f: KeyFilter = {
          ...(q.id ? { id: String(q.id) } : {}),
          ...(q.name ? { name: String(q.name) } : {}),
          ...(q.username ? { username: String(q.username) } : {}),
          activeOnly: qbool(q.active_only),
        };
        if (qbool(q.owner)) f.username = p.username;
        f = own(p, f);
        const keys = store().list(f);
        if (q.id && keys.length === 0) throw new VigilError('RESOURCE_NOT_FOUND', `api key [${String(q.id)}] not found`);
        return { api_keys: keys.map((k) => render(k, true)) };
      },
    },
    {
      method: 'DELETE',
      url: '/_security/api_key',
      operationId: 'security.invalidate_api_key',
      tag: 'elastic',
      summary: 'Invalidate API keys by id(s), name, or owner (admins: any key; others: their own).',
      querystring: Q({}),
      bodyName: 'invalidate_api_key_request',
      body: Type.Object(
        {
          id: Type.Optional(Type.String()),
          ids: Type.Optional(Type.Array(Type.String())),
          name: Type.Optional(Type.String()),
          owner: Type.Optional(Type.Boolean()),
          username: Type.Optional(Type.String()),
          realm_name: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
      permission: { privilege: 'authenticated' },
      handler: async (req) => {
        const p = principalOf(req);
        const b = (req.body ?? {}) as Record<string, unknown>;
        const known = ['id', 'ids', 'name', 'owner', 'username', 'realm_name'];
        for (const k of Object.keys(b)) if (!known.includes(k)) throw new VigilError('BODY_PARSE', `[invalidate_api_key_request] unknown field [${k}]`);
        const str = (k: string): string | undefined => {
          const v = b[k];
          if (v === undefined) return undefined;
          if (typeof v !== 'string') throw new VigilError('BODY_PARSE', `[invalidate_api_key_request] failed to parse field [${k}]: expected a string`);
          return v;
        };
        const ids = b.ids === undefined ? undefined : Array.isArray(b.ids) && b.ids.every((x) => typeof x === 'string') ? (b.ids as string[]) : (() => {
          throw new VigilError('BODY_PARSE', '[invalidate_api_key_request] failed to parse field [ids]: expected an array of strings');
        })();
        const f: KeyFilter = { ...(str('id') ? { id: str('id') } : {}), ...(ids ? { ids } : {}), ...(str('name') ? { name: str('name') } : {}), ...(str('username') ? { username: str('username') } : {}) };
        if (b.owner === true) f.username = p.username;
        if (!f.id && !f.ids && !f.name && !f.username) {
          throw new VigilError('INVALID_ARGUMENT', 'One of [api key id(s), api key name, username, realm name] must be specified if [owner] flag is false');
        }
        const r = await store().invalidate(own(p, f));
        req.log.info({ invalidated: r.invalidated, by: p.username }, 'API keys invalidated');
        return { invalidated_api_keys: r.invalidated, previously_invalidated_api_keys: r.previously, error_count: 0 };
      },
    },
    {
      method: 'GET',
      url: '/_security/_authenticate',
      operationId: 'security.authenticate',
      tag: 'elastic',
      summary: 'Who the credentials are: user name, role, realm, API key, job-group scope.',
      querystring: Q({}),
      permission: { privilege: 'authenticated' },
      handler: async (req) => {
        const p = principalOf(req);
        const realm = { name: p.realm === 'api_key' ? '_es_api_key' : p.realm === 'anonymous' ? '__anonymous' : 'vigil_file', type: p.realm === 'api_key' ? '_es_api_key' : p.realm === 'anonymous' ? '__anonymous' : 'file' };
        return {
          username: p.username,
          roles: [p.role],
          full_name: null,
          email: null,
          metadata: p.jobGroups ? { vigil_job_groups: p.jobGroups } : {},
          enabled: true,
          authentication_realm: realm,
          lookup_realm: realm,
          authentication_type: p.realm === 'api_key' ? 'api_key' : p.realm === 'anonymous' ? 'anonymous' : 'realm',
          ...(p.apiKey ? { api_key: p.apiKey } : {}),
        };
      },
    },
  ];
}
