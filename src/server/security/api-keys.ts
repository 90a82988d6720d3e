/**
 * The API key store: `<data_dir>/security/api_keys.json`, one JSON document holding every key's
 * scrypt hash (never the key), owner, role, job-group scope, creation/expiration and invalidation.
 * The key itself is returned once, at creation.
 *
 * The server and the CLI (`vigil api-key …`, also while the server runs) share the file: writers
 * take a lock file, write a temporary file and rename it; readers reload when the file changes
 * (checked at most every `reloadMs`). A key verified once is remembered by a SHA-256 of its
 * secret so that scrypt is not paid per request; revocation is seen at the next reload.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VigilError } from '../../core/errors.js';
import { hashSecret, verifySecret } from './passwords.js';
import type { Role } from './roles.js';

export interface StoredApiKey {
  id: string;
  name: string;
  /** scrypt hash of the key (passwords.ts). */
  hash: string;
  /** Epoch ms. */
  creation: number;
  /** Epoch ms; absent: never expires. */
  expiration?: number;
  invalidated: boolean;
  invalidation?: number;
  /** Who created it (the owner) and through which realm. */
  username: string;
  realm: string;
  role: Role;
  job_groups?: string[];
  metadata?: Record<string, unknown>;
  role_descriptors?: Record<string, unknown>;
}

interface KeyFile {
  version: 1;
  keys: StoredApiKey[];
}

export interface CreatedApiKey {
  id: string;
  name: string;
  api_key: string;
  /** base64(id:api_key), what `Authorization: ApiKey …` carries. */
  encoded: string;
  expiration?: number;
}

export interface KeyFilter {
  id?: string;
  ids?: string[];
  name?: string;
  username?: string;
  activeOnly?: boolean;
}

/** Where the keys of a data directory live. */
export function apiKeyFile(dataDir: string): string {
  return join(dataDir, 'security', 'api_keys.json');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function wildcard(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
}

/**
 * The key file cannot be read (hand-edited into invalid JSON, or not a version-1 key file). Every
 * API key is refused until it is fixed (fail closed); the message names the file and the fix.
 */
export class ApiKeyFileError extends VigilError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(
      'PARSE_ERROR',
      `the API key file [${file}] cannot be read (${problem}); every API key is refused until it is fixed: restore it from a backup, or move it aside and create the keys again with \`vigil api-key create\``,
    );
    this.name = 'ApiKeyFileError';
  }

  /** A fault of the server's own file, not of the request. */
  override get status(): number {
    return 500;
  }

  override get type(): string {
    return 'security_exception';
  }

  override get hint(): string {
    return 'Restore security/api_keys.json from a backup, or move it aside and create the keys again with `vigil api-key create`.';
  }
}

/** The problem with a parsed key file, or undefined when it is a version-1 key file. */
function keyFileProblem(doc: unknown): string | undefined {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return 'not a JSON object';
  const d = doc as Partial<KeyFile>;
  if (d.version !== 1) return `version [${String(d.version)}], expected 1`;
  if (!Array.isArray(d.keys)) return '[keys] is not an array';
  const bad = d.keys.findIndex((k) => !k || typeof k !== 'object' || typeof k.id !== 'string' || typeof k.hash !== 'string' || typeof k.role !== 'string');
  if (bad >= 0) return `key [${bad}] lacks a string id, hash or role`;
  return undefined;
}

export class ApiKeyStore {
  private keys: StoredApiKey[] = [];
  /** Set while the file on disk cannot be read (until it changes). */
  private broken: ApiKeyFileError | undefined;
  private mtime = -1;
  private size = -1;
  private checkedAt = 0;
  /** id → sha256 of a secret already verified with scrypt. */
  private readonly verified = new Map<string, Buffer>();

  constructor(
    readonly file: string,
    private readonly o: { clock?: () => number; reloadMs?: number } = {},
  ) {}

  /**
   * Told once each time the file turns unreadable (and, with undefined, when it is readable or
   * gone again); the server sets it to log the problem once rather than per request.
   */
  onFileState: ((err: ApiKeyFileError | undefined) => void) | undefined;

  private now(): number {
    return (this.o.clock ?? Date.now)();
  }

  /**
   * Re-reads the file when it changed (throttled to every reloadMs, default 1 s). A file that
   * cannot be read leaves no key usable and throws ApiKeyFileError until it changes (it is read
   * once per change, and `onFileState` is told once).
   */
  refresh(force = false): void {
    const t = Date.now();
    if (!force && t - this.checkedAt < (this.o.reloadMs ?? 1000)) {
      if (this.broken) throw this.broken;
      return;
    }
    this.checkedAt = t;
    let st: { mtimeMs: number; size: number };
    try {
      st = statSync(this.file);
    } catch {
      this.keys = [];
      this.mtime = -1;
      this.size = -1;
      this.setBroken(undefined);
      return;
    }
    if (st.mtimeMs === this.mtime && st.size === this.size) {
      if (this.broken) throw this.broken;
      return;
    }
    this.mtime = st.mtimeMs;
    this.size = st.size;
    let doc: unknown;
    let problem: string | undefined;
    try {
      doc = JSON.parse(readFileSync(this.file, 'utf8'));
      problem = keyFileProblem(doc);
    } catch (err) {
      problem = err instanceof SyntaxError ? `invalid JSON: ${err.message}` : (err as Error).message;
    }
    if (problem !== undefined) {
      // fail closed: no key of a file that cannot be read is usable, not even one verified before
      this.keys = [];
      this.verified.clear();
      const err = new ApiKeyFileError(this.file, problem);
      this.setBroken(err);
      throw err;
    }
    this.keys = (doc as KeyFile).keys;
    this.setBroken(undefined);
    for (const id of this.verified.keys()) if (!this.keys.some((k) => k.id === id && !k.invalidated)) this.verified.delete(id);
  }

  private setBroken(err: ApiKeyFileError | undefined): void {
    const was = this.broken;
    this.broken = err;
    if (err || was) this.onFileState?.(err);
  }

  /** Read-modify-write under the lock file. */
  private async update<T>(fn: (keys: StoredApiKey[]) => T): Promise<T> {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const lock = this.file + '.lock';
    for (let i = 0; ; i++) {
      try {
        closeSync(openSync(lock, 'wx', 0o600));
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // a lock older than 30 s was left by a killed process
        try {
          if (Date.now() - statSync(lock).mtimeMs > 30_000) rmSync(lock, { force: true });
        } catch {
          // gone already
        }
        if (i > 500) throw new VigilError('INTERNAL', `${lock} stays locked; remove it if no Vigil process is writing keys`);
        await sleep(10);
      }
    }
    try {
      this.refresh(true);
      const keys = this.keys.map((k) => ({ ...k }));
      const out = fn(keys);
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: 1, keys } satisfies KeyFile, null, 1) + '\n', { mode: 0o600 });
      renameSync(tmp, this.file);
      this.refresh(true);
      return out;
    } finally {
      rmSync(lock, { force: true });
    }
  }

  async create(o: {
    name: string;
    role: Role;
    username: string;
    realm: string;
    jobGroups?: string[];
    expirationMs?: number;
    metadata?: Record<string, unknown>;
    roleDescriptors?: Record<string, unknown>;
  }): Promise<CreatedApiKey> {
    const id = randomBytes(15).toString('base64url');
    const apiKey = randomBytes(24).toString('base64url');
    const hash = await hashSecret(apiKey);
    const creation = this.now();
    const rec: StoredApiKey = {
      id,
      name: o.name,
      hash,
      creation,
      ...(o.expirationMs !== undefined ? { expiration: creation + o.expirationMs } : {}),
      invalidated: false,
      username: o.username,
      realm: o.realm,
      role: o.role,
      ...(o.jobGroups ? { job_groups: o.jobGroups } : {}),
      ...(o.metadata ? { metadata: o.metadata } : {}),
      ...(o.roleDescriptors ? { role_descriptors: o.roleDescriptors } : {}),
    };
    await this.update((keys) => keys.push(rec));
    return { id, name: o.name, api_key: apiKey, encoded: Buffer.from(`${id}:${apiKey}`).toString('base64'), ...(rec.expiration ? { expiration: rec.expiration } : {}) };
  }

  private matches(k: StoredApiKey, f: KeyFilter): boolean {
    if (f.id && k.id !== f.id) return false;
    if (f.ids && !f.ids.includes(k.id)) return false;
    if (f.name && !wildcard(f.name).test(k.name)) return false;
    if (f.username && k.username !== f.username) return false;
    if (f.activeOnly && !this.active(k)) return false;
    return true;
  }

  private active(k: StoredApiKey): boolean {
    return !k.invalidated && (k.expiration === undefined || k.expiration > this.now());
  }

  list(f: KeyFilter = {}): StoredApiKey[] {
    this.refresh();
    return this.keys.filter((k) => this.matches(k, f));
  }

  /** Invalidates the matching keys (Elastic keeps invalidated keys listed, marked invalidated). */
  async invalidate(f: KeyFilter): Promise<{ invalidated: string[]; previously: string[] }> {
    const out = { invalidated: [] as string[], previously: [] as string[] };
    await this.update((keys) => {
      for (const k of keys) {
        if (!this.matches(k, f)) continue;
        if (k.invalidated) out.previously.push(k.id);
        else {
          k.invalidated = true;
          k.invalidation = this.now();
          out.invalidated.push(k.id);
        }
      }
    });
    for (const id of out.invalidated) this.verified.delete(id);
    return out;
  }

  /** The key record when id and secret are right and the key is active. */
  async verify(id: string, secret: string): Promise<StoredApiKey | undefined> {
    this.refresh();
    const k = this.keys.find((x) => x.id === id);
    if (!k || !this.active(k)) return undefined;
    const digest = createHash('sha256').update(secret).digest();
    const known = this.verified.get(id);
    if (known) return timingSafeEqual(known, digest) ? k : undefined;
    if (!(await verifySecret(secret, k.hash))) return undefined;
    this.verified.set(id, digest);
    return k;
  }

  hasAny(): boolean {
    this.refresh(true);
    return this.keys.some((k) => this.active(k));
  }

  exists(): boolean {
    return existsSync(this.file);
  }
}
