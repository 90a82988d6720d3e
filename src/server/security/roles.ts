/**
 * Roles, privileges and the permission every route declares.
 *
 * Three built-in roles, each including the one before: `viewer` (read jobs, results, stats,
 * metrics), `editor` (+ create, change, open, close, feed and delete jobs, datafeeds, rules,
 * uploads), `admin` (+ everything else: other users' API keys, backups). A principal may be
 * scoped to job groups (`job_groups: [web, 'db-*']`): it then only sees and acts on jobs whose id
 * or one of whose groups matches a pattern.
 */

export type Role = 'viewer' | 'editor' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

/**
 * What a route needs: `public` (no credentials: liveness/readiness), `authenticated` (any valid
 * credentials), `monitor` (cluster-level reads: info, health, metrics), `read`, `write`, `admin`.
 */
export type Privilege = 'public' | 'authenticated' | 'monitor' | 'read' | 'write' | 'admin';

const LEVEL: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };
const NEEDS: Record<Privilege, number> = { public: 0, authenticated: 0, monitor: 1, read: 1, write: 2, admin: 3 };

export interface Permission {
  privilege: Privilege;
  /** Path parameter holding the job id (or job expression) the action applies to: job_groups scoping. */
  job?: string;
  /** The request creates the job named by `job`: the body's `groups` decide whether it is in scope. */
  creates?: boolean;
  /** The request may change the job's groups (body `groups`): the new groups must stay in scope. */
  regroups?: boolean;
  /** A listing: for a scoped principal the response's `jobs` array is narrowed to its jobs. */
  filter?: 'jobs';
  /** The action concerns jobs but cannot be scoped by job: principals scoped to job groups are refused. */
  unscoped?: boolean;
  /** Counted against limits.max_concurrent_historical_runs while it runs. */
  historical?: boolean;
}

export interface Principal {
  username: string;
  /** `file` (users of the configuration), `api_key`, or `anonymous` (security off on loopback). */
  realm: 'file' | 'api_key' | 'anonymous';
  role: Role;
  /** Job-group patterns the principal is limited to (absent: all jobs). */
  jobGroups?: string[];
  apiKey?: { id: string; name: string };
}

export function roleAllows(role: Role, privilege: Privilege): boolean {
  return LEVEL[role] >= NEEDS[privilege];
}

/** Roles that hold a privilege (for 403 messages). */
export function rolesGranting(privilege: Privilege): Role[] {
  return ROLES.filter((r) => roleAllows(r, privilege));
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** The lower of two roles (an API key never exceeds its creator). */
export function minRole(a: Role, b: Role): Role {
  return LEVEL[a] <= LEVEL[b] ? a : b;
}

function wildcard(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
}

/** Whether a job (its id and groups) is inside a principal's job_groups scope. */
export function jobInScope(p: Pick<Principal, 'jobGroups'>, job: { job_id: string; groups?: readonly string[] }): boolean {
  if (!p.jobGroups) return true;
  const names = [job.job_id, ...(job.groups ?? [])];
  return p.jobGroups.some((pat) => {
    const re = wildcard(pat);
    return names.some((n) => re.test(n));
  });
}
