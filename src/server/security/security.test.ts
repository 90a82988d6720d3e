/**
 * Authentication and roles through HTTP, for every route the server registers: no credentials →
 * 401 (security_exception, WWW-Authenticate), wrong credentials → 401, a role below the route's
 * privilege → 403, enough → neither. Job-group scoping; the refusal to serve a public address
 * without authentication.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registeredRoutes } from '../app.js';
import { JSON9 } from '../test-kit/harness.js';
import { authRequired, defaultOpsConfig } from './config.js';
import { routePermissions } from './install.js';
import { RateLimiter } from './limits.js';
import { roleAllows, type Permission, type Role } from './roles.js';
import { apiKeyHeader, basic, secureHarness, type SecureHarness } from './test-kit/secure-harness.js';

let h: SecureHarness;
beforeAll(async () => {
  // walking every route three times without valid credentials (hundreds of routes now) outruns
  // the per-address limit on unauthenticated requests; that limit is not what these tests check
  h = await secureHarness({ ops: { unauthenticatedRate: new RateLimiter(0, 0) } });
});
afterAll(async () => h?.close());

const SAMPLE: Record<string, string> = { job_id: 'job-a', upload_id: 'u1', timestamp: '1704067200000', datafeed_id: 'df', index: 'idx', rule_id: 'r1', key: 'k1', '*': 'index.html' };

function concrete(url: string): string {
  return url.replace(/:([A-Za-z_]+)/g, (_, p: string) => SAMPLE[p] ?? 'x').replace('*', SAMPLE['*']);
}

function routeTable(): { method: string; url: string; perm: Permission }[] {
  const perms = routePermissions(h.app);
  return registeredRoutes(h.app).map((k) => {
    const [method, url] = k.split(' ');
    return { method, url, perm: perms.get(k) ?? ({ privilege: 'admin' } as Permission) }; // undeclared: admin only, as at run time
  });
}

describe('every route declares a permission', () => {
  it('the routes fastify registered each have one (declare `permission` in the RouteSpec or in security/permissions.ts)', () => {
    const routes = registeredRoutes(h.app);
    expect(routes.length).toBeGreaterThan(30);
    const perms = routePermissions(h.app);
    const missing = routes.filter((k) => !perms.has(k));
    expect(missing, `routes without a permission: ${missing.join(', ')}`).toEqual([]);
  });

  it('the OpenAPI document lists no route without one', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/_vigil/openapi.json', headers: basic('vi') })).json();
    const perms = routePermissions(h.app);
    const declared = new Set([...perms.keys()].map((k) => k.replace(/:([A-Za-z_]+)/g, '{$1}')));
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const m of Object.keys(ops)) expect(declared.has(`${m.toUpperCase()} ${path}`), `${m} ${path}`).toBe(true);
    }
  });
});

describe('authentication and roles on every route', () => {
  it('no credentials, wrong credentials: 401 in Elastic’s shape, except public routes', async () => {
    for (const r of routeTable()) {
      const url = concrete(r.url);
      const res = await h.app.inject({ method: r.method as 'GET', url, headers: JSON9 });
      if (r.perm.privilege === 'public') {
        expect(res.statusCode, `${r.method} ${r.url}`).not.toBe(401);
        continue;
      }
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
      const body = res.json();
      expect(body.error.type).toBe('security_exception');
      expect(body.error.reason).toContain('missing authentication credentials');
      expect(body.status).toBe(401);
      expect(res.headers['www-authenticate']).toBeDefined();
      const bad = await h.app.inject({ method: r.method as 'GET', url, headers: { ...JSON9, ...basic('root', 'wrong password') } });
      expect(bad.statusCode, `${r.method} ${r.url} with a wrong password`).toBe(401);
      const badKey = await h.app.inject({ method: r.method as 'GET', url, headers: { ...JSON9, ...apiKeyHeader(Buffer.from('nokey:secret').toString('base64')) } });
      expect(badKey.statusCode, `${r.method} ${r.url} with an unknown API key`).toBe(401);
    }
  });

  it('each role gets 403 exactly where its privilege is too low', async () => {
    const users: [string, Role][] = [
      ['vi', 'viewer'],
      ['ed', 'editor'],
      ['root', 'admin'],
    ];
    for (const r of routeTable()) {
      if (r.perm.privilege === 'public') continue;
      for (const [user, role] of users) {
        const res = await h.app.inject({ method: r.method as 'GET', url: concrete(r.url), headers: { ...JSON9, ...basic(user) } });
        const allowed = roleAllows(role, r.perm.privilege);
        if (allowed) expect([401, 403], `${user} (${role}) → ${r.method} ${r.url}: ${res.body.slice(0, 200)}`).not.toContain(res.statusCode);
        else {
          expect(res.statusCode, `${user} (${role}) → ${r.method} ${r.url}`).toBe(403);
          expect(res.json().error.type).toBe('security_exception');
          expect(res.json().error.reason).toMatch(/is unauthorized for user \[\w+\] with role/);
        }
      }
    }
  });

  it('public routes answer without credentials', async () => {
    for (const url of ['/_vigil/live', '/_vigil/ready', '/_vigil/health']) expect((await h.app.inject({ url })).statusCode, url).toBe(200);
  });

  it('unknown paths need credentials too (no probing of what exists)', async () => {
    expect((await h.app.inject({ url: '/_no/such/path' })).statusCode).toBe(401);
    expect((await h.app.inject({ url: '/_no/such/path', headers: basic('vi') })).statusCode).toBe(400);
  });

  it('malformed Authorization headers are 401, never 500', async () => {
    for (const v of ['Basic', 'Basic !!!', 'ApiKey', 'ApiKey bm9jb2xvbg==', 'Bearer abc', 'Basic ' + 'A'.repeat(5000), 'Negotiate x y', '']) {
      const res = await h.app.inject({ url: '/_ml/anomaly_detectors', headers: { authorization: v } });
      expect(res.statusCode, v.slice(0, 30)).toBe(401);
    }
  });
});

describe('API keys through the HTTP API', () => {
  it('create (shown once, stored hashed), authenticate, list, invalidate', async () => {
    const created = (await h.app.inject({ method: 'POST', url: '/_security/api_key', headers: { ...JSON9, ...basic('ed') }, payload: { name: 'ingest', expiration: '1d' } })).json();
    expect(created).toMatchObject({ name: 'ingest' });
    expect(Buffer.from(created.encoded, 'base64').toString()).toBe(`${created.id}:${created.api_key}`);
    const { readFileSync } = await import('node:fs');
    const file = readFileSync(h.ops.apiKeys!.file, 'utf8');
    expect(file).not.toContain(created.api_key);
    const who = (await h.app.inject({ url: '/_security/_authenticate', headers: apiKeyHeader(created.encoded) })).json();
    expect(who).toMatchObject({ username: 'ed', roles: ['editor'], authentication_type: 'api_key', api_key: { id: created.id, name: 'ingest' } });
    const put = await h.app.inject({ method: 'PUT', url: '/_ml/anomaly_detectors/key-job', headers: { ...JSON9, ...apiKeyHeader(created.encoded) }, payload: { analysis_config: { bucket_span: '5m', detectors: [{ function: 'count' }] }, data_description: {} } });
    expect(put.statusCode).toBe(200);
    const listed = (await h.app.inject({ url: '/_security/api_key', headers: basic('ed') })).json();
    expect(listed.api_keys.map((k: any) => k.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain('scrypt$');
    // a viewer sees only its own keys; an admin all
    expect((await h.app.inject({ url: '/_security/api_key', headers: basic('vi') })).json().api_keys.every((k: any) => k.username === 'vi')).toBe(true);
    expect((await h.app.inject({ url: '/_security/api_key', headers: basic('root') })).json().api_keys.map((k: any) => k.id)).toContain(created.id);
    // viewers cannot revoke others' keys (nothing of theirs matches)
    const viDel = (await h.app.inject({ method: 'DELETE', url: '/_security/api_key', headers: { ...JSON9, ...basic('vi') }, payload: { ids: [created.id] } })).json();
    expect(viDel.invalidated_api_keys).toEqual([]);
    const del = (await h.app.inject({ method: 'DELETE', url: '/_security/api_key', headers: { ...JSON9, ...basic('ed') }, payload: { ids: [created.id] } })).json();
    expect(del).toEqual({ invalidated_api_keys: [created.id], previously_invalidated_api_keys: [], error_count: 0 });
    expect((await h.app.inject({ url: '/_security/_authenticate', headers: apiKeyHeader(created.encoded) })).statusCode).toBe(401);
    await h.app.inject({ method: 'DELETE', url: '/_ml/anomaly_detectors/key-job', headers: basic('root') });
  });

  it('creating an API key needs an editor (Elastic: manage_own_api_key, which monitor_ml lacks); viewers still see who they are and their keys', async () => {
    for (const method of ['POST', 'PUT'] as const) {
      const r = await h.app.inject({ method, url: '/_security/api_key', headers: { ...JSON9, ...basic('vi') }, payload: { name: 'grafana-forever' } });
      expect(r.statusCode, method).toBe(403);
      expect(r.json().error.type).toBe('security_exception');
    }
    const root = (await h.app.inject({ method: 'POST', url: '/_security/api_key', headers: { ...JSON9, ...basic('root') }, payload: { name: 'ro', role_descriptors: { r: { cluster: ['monitor_ml'] } } } })).json();
    expect((await h.app.inject({ method: 'POST', url: '/_security/api_key', headers: { ...JSON9, ...apiKeyHeader(root.encoded) }, payload: { name: 'derived' } })).statusCode).toBe(403);
    expect((await h.app.inject({ url: '/_security/_authenticate', headers: basic('vi') })).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/_security/api_key', headers: basic('vi') })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'POST', url: '/_security/api_key', headers: { ...JSON9, ...basic('ed') }, payload: { name: 'ok' } })).statusCode).toBe(200);
  });

  it('a key never exceeds its creator: role descriptors map to roles, capped by the creator’s', async () => {
    const mk = async (user: string, role_descriptors: unknown) => (await h.app.inject({ method: 'POST', url: '/_security/api_key', headers: { ...JSON9, ...basic(user) }, payload: { name: 'k', role_descriptors } })).json();
    const viewerKey = await mk('root', { r: { cluster: ['monitor_ml'] } });
    expect((await h.app.inject({ url: '/_security/_authenticate', headers: apiKeyHeader(viewerKey.encoded) })).json().roles).toEqual(['viewer']);
    const tried = await mk('ed', { r: { cluster: ['all'] } });
    expect((await h.app.inject({ url: '/_security/_authenticate', headers: apiKeyHeader(tried.encoded) })).json().roles).toEqual(['editor']);
    const scoped = await mk('root', { r: { cluster: ['manage_ml'], metadata: { vigil_job_groups: ['web'] } } });
    expect((await h.app.inject({ url: '/_security/_authenticate', headers: apiKeyHeader(scoped.encoded) })).json()).toMatchObject({ roles: ['editor'], metadata: { vigil_job_groups: ['web'] } });
    const escape = await h.app.inject({ method: 'POST', url: '/_security/api_key', headers: { ...JSON9, ...basic('webed') }, payload: { name: 'k', role_descriptors: { r: { cluster: ['manage_ml'], metadata: { vigil_job_groups: ['db'] } } } } });
    expect(escape.statusCode).toBe(403);
    expect((await h.app.inject({ method: 'POST', url: '/_security/api_key', headers: { ...JSON9, ...basic('ed') }, payload: { name: 'k', expiration: 'soon' } })).statusCode).toBe(400);
  });
});

describe('a corrupt API key file (hand-edited)', () => {
  it('fails closed with a message naming the file and the fix, logged once, not per request; users still sign in; fixing the file restores the keys', async () => {
    const own = await secureHarness();
    try {
      const created = (await own.app.inject({ method: 'POST', url: '/_security/api_key', headers: { ...JSON9, ...basic('ed') }, payload: { name: 'k' } })).json();
      const auth = () => own.app.inject({ url: '/_security/_authenticate', headers: apiKeyHeader(created.encoded) });
      expect((await auth()).statusCode).toBe(200);
      const file = own.ops.apiKeys!.file;
      const good = readFileSync(file, 'utf8');
      const bad = good.slice(0, good.length - 20); // cut short by a hand edit: invalid JSON
      writeFileSync(file, bad);
      const error = vi.spyOn(own.app.log, 'error');
      for (let i = 0; i < 3; i++) {
        const r = await auth();
        expect(r.statusCode).toBe(500);
        expect(r.json().error.type).toBe('security_exception');
        expect(r.json().error.reason).toMatch(new RegExp(`^the API key file \\[${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\] cannot be read \\(invalid JSON: .*\\); every API key is refused until it is fixed: restore it from a backup, or move it aside and create the keys again with \`vigil api-key create\`$`));
      }
      // the explanation is logged once (each 5xx still has its one-line access log entry, 'request failed')
      const explained = () => error.mock.calls.filter((c) => String(c[1]).includes('cannot be read'));
      expect(explained()).toHaveLength(1);
      expect(String(explained()[0][1])).toContain(file);
      // users of the configuration are not affected
      expect((await own.app.inject({ url: '/_security/_authenticate', headers: basic('ed') })).statusCode).toBe(200);
      // creating a key does not overwrite the file (its keys would be lost)
      const create = await own.app.inject({ method: 'POST', url: '/_security/api_key', headers: { ...JSON9, ...basic('ed') }, payload: { name: 'k2' } });
      expect(create.statusCode).toBe(500);
      expect(readFileSync(file, 'utf8')).toBe(bad);
      // a file of another shape is refused the same way
      writeFileSync(file, JSON.stringify({ version: 1, keys: [{ name: 'no id' }] }));
      expect((await auth()).json().error.reason).toContain('(key [0] lacks a string id, hash or role)');
      expect(explained()).toHaveLength(2);
      writeFileSync(file, good);
      expect((await auth()).statusCode).toBe(200);
    } finally {
      await own.close();
    }
  });
});

describe('job_groups scoping', () => {
  const job = (groups: string[]) => ({ analysis_config: { bucket_span: '5m', detectors: [{ function: 'count' }] }, data_description: {}, groups });
  it('a user limited to group web only creates, sees and changes web jobs', async () => {
    const put = (id: string, groups: string[], user = 'webed') => h.app.inject({ method: 'PUT', url: `/_ml/anomaly_detectors/${id}`, headers: { ...JSON9, ...basic(user) }, payload: job(groups) });
    expect((await put('w1', ['web'])).statusCode).toBe(200);
    expect((await put('d1', ['db'])).statusCode).toBe(403);
    expect((await put('d1', ['db'], 'ed')).statusCode).toBe(200);
    const list = (await h.app.inject({ url: '/_ml/anomaly_detectors', headers: basic('webed') })).json();
    expect(list.jobs.map((j: any) => j.job_id)).toEqual(['w1']);
    expect(list.count).toBe(1);
    expect((await h.app.inject({ url: '/_ml/anomaly_detectors/_all/_stats', headers: basic('webed') })).json().jobs.map((j: any) => j.job_id)).toEqual(['w1']);
    // the UI's jobs-list scores follow the same rule
    expect((await h.app.inject({ url: '/_vigil/ui/jobs/_all/_scores', headers: basic('webed') })).json().jobs.map((j: any) => j.job_id)).toEqual(['w1']);
    expect((await h.app.inject({ url: '/_ml/anomaly_detectors/d1', headers: basic('webed') })).statusCode).toBe(403);
    expect((await h.app.inject({ url: '/_ml/anomaly_detectors/d1/results/buckets', headers: basic('webed') })).statusCode).toBe(403);
    expect((await h.app.inject({ url: '/_ml/anomaly_detectors/_all/results/overall_buckets', headers: basic('webed') })).statusCode).toBe(403);
    expect((await h.app.inject({ url: '/_ml/anomaly_detectors/w1/results/buckets', headers: basic('webed') })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/d1/_open', headers: basic('webed') })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'DELETE', url: '/_ml/anomaly_detectors/d1', headers: basic('webed') })).statusCode).toBe(403);
    const regroup = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/w1/_update', headers: { ...JSON9, ...basic('webed') }, payload: { groups: ['db'] } });
    expect(regroup.statusCode).toBe(403);
    // datafeeds name their job in the body: not available to scoped principals
    expect((await h.app.inject({ url: '/_ml/datafeeds', headers: basic('webed') })).statusCode).toBe(403);
    for (const id of ['w1', 'd1']) await h.app.inject({ method: 'DELETE', url: `/_ml/anomaly_detectors/${id}`, headers: basic('root') });
  });

  it('calendars and filters (which name or serve any job) are refused to scoped principals', async () => {
    const put = (id: string, groups: string[]) => h.app.inject({ method: 'PUT', url: `/_ml/anomaly_detectors/${id}`, headers: { ...JSON9, ...basic('ed') }, payload: job(groups) });
    expect((await put('d2', ['db'])).statusCode).toBe(200);
    // a calendar's scheduled events silence every job in it: a web-only editor must not put a db job in one
    const cal = await h.app.inject({ method: 'PUT', url: '/_ml/calendars/quiet', headers: { ...JSON9, ...basic('webed') }, payload: { job_ids: ['d2'] } });
    expect(cal.statusCode, cal.body).toBe(403);
    expect(cal.json().error.type).toBe('security_exception');
    expect((await h.app.inject({ method: 'PUT', url: '/_ml/calendars/quiet', headers: { ...JSON9, ...basic('ed') }, payload: {} })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'PUT', url: '/_ml/calendars/quiet/jobs/d2', headers: basic('webed') })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'POST', url: '/_ml/calendars/quiet/events', headers: { ...JSON9, ...basic('webed') }, payload: { events: [{ description: 'x', start_time: 0, end_time: 86_400_000 }] } })).statusCode).toBe(403);
    expect((await h.app.inject({ url: '/_ml/calendars', headers: basic('webed') })).statusCode).toBe(403);
    // a filter is used by the rules of any job
    expect((await h.app.inject({ method: 'PUT', url: '/_ml/filters/safe', headers: { ...JSON9, ...basic('webed') }, payload: { items: ['a'] } })).statusCode).toBe(403);
    // unscoped editors keep them; job-free helpers stay open to scoped principals
    expect((await h.app.inject({ method: 'PUT', url: '/_ml/calendars/quiet/jobs/d2', headers: basic('ed') })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'POST', url: '/_vigil/anomaly_detectors/_suggest_bucket_span', headers: { ...JSON9, ...basic('webed') }, payload: {} })).statusCode).not.toBe(403);
    await h.app.inject({ method: 'DELETE', url: '/_ml/calendars/quiet', headers: basic('root') });
    await h.app.inject({ method: 'DELETE', url: '/_ml/anomaly_detectors/d2', headers: basic('root') });
  });
});

describe('authentication is off only on loopback', () => {
  const cfg = (host: string, enabled: 'auto' | boolean) => ({ host, security: { ...defaultOpsConfig().security, enabled } });
  it('auto: off on loopback, on elsewhere; false on a public address is refused with a clear message', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost', '127.0.0.2']) expect(authRequired(cfg(host, 'auto')), host).toBe(false);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'vigil.example.com']) expect(authRequired(cfg(host, 'auto')), host).toBe(true);
    expect(authRequired(cfg('127.0.0.1', true))).toBe(true);
    expect(() => authRequired(cfg('0.0.0.0', false))).toThrow(/refusing to listen on 0\.0\.0\.0 with security\.enabled: false/);
  });
});
