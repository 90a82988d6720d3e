/**
 * The embedded store's indices: named collections of documents that datafeeds read when no other
 * source is configured, so that Vigil needs no other server. Documents arrive through
 * Elasticsearch's bulk API (`POST /_bulk`, `POST /<index>/_bulk`: index / create / delete actions,
 * NDJSON), single documents (`POST /<index>/_doc`) or a CSV / NDJSON upload
 * (`POST /_vigil/indices/<index>/_upload`).
 *
 * Storage: one DuckDB database (`<data dir>/indices.duckdb`), one table per index whose columns
 * follow the documents (nested objects flattened to dotted names; numbers DOUBLE, booleans
 * BOOLEAN, everything else VARCHAR; a new field adds a column). Datafeeds read an index through
 * the DuckDB SQL source, so bucketing and metrics run in the database.
 */
import { Type } from '@sinclair/typebox';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import { DuckDbFileSource } from '../../sources/datafeed/file-source.js';
import type { DatafeedSource } from '../../sources/datafeed/source.js';
import { COMMON_QUERY, type RouteSpec } from '../route-spec.js';

const quote = (s: string): string => '"' + s.replace(/"/g, '""') + '"';
const tableOf = (index: string): string => quote(`idx_${index}`);

function validIndex(name: string): void {
  if (!/^[a-z0-9][a-z0-9_.+-]*$/.test(name) || name.length > 255) {
    throw new VigilError('INVALID_ARGUMENT', `Invalid index name [${name}], must be lowercase, must not start with '_', '-' or '+', and must not contain spaces or \\ / * ? " < > | , #`);
  }
}

function flatten(doc: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(doc)) {
    const key = prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key + '.', out);
    else out[key] = Array.isArray(v) ? JSON.stringify(v) : v;
  }
  return out;
}

type ColType = 'DOUBLE' | 'BOOLEAN' | 'VARCHAR';

function typeOf(v: unknown): ColType | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return 'DOUBLE';
  if (typeof v === 'boolean') return 'BOOLEAN';
  return 'VARCHAR';
}

function coerce(v: unknown, t: ColType): unknown {
  if (v === null || v === undefined) return null;
  if (t === 'DOUBLE') {
    const n = typeof v === 'number' ? v : Number(v);
    return Number.isFinite(n) ? n : null;
  }
  if (t === 'BOOLEAN') return v === true || v === 'true';
  return typeof v === 'string' ? v : String(v);
}

export class EmbeddedIndices {
  private instanceP: Promise<DuckDBInstance> | undefined;
  private writer: Promise<DuckDBConnection> | undefined;
  private readonly columns = new Map<string, Map<string, ColType>>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  private instance(): Promise<DuckDBInstance> {
    this.instanceP ??= (async () => {
      if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
      return DuckDBInstance.create(this.path, { threads: '2' });
    })();
    return this.instanceP;
  }

  private conn(): Promise<DuckDBConnection> {
    this.writer ??= (async () => {
      const c = await (await this.instance()).connect();
      await c.run(`SET TimeZone = 'UTC'`).catch(() => undefined);
      return c;
    })();
    return this.writer;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async cols(c: DuckDBConnection, index: string): Promise<Map<string, ColType> | undefined> {
    let m = this.columns.get(index);
    if (m) return m;
    const r = await c.runAndReadAll(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1`, [`idx_${index}`]);
    const rows = r.getRows();
    if (rows.length === 0) return undefined;
    m = new Map(rows.map(([n, t]) => [String(n), (String(t) === 'DOUBLE' ? 'DOUBLE' : String(t) === 'BOOLEAN' ? 'BOOLEAN' : 'VARCHAR') as ColType]));
    this.columns.set(index, m);
    return m;
  }

  /** Index names with their document counts. */
  async list(): Promise<{ index: string; docs_count: number }[]> {
    return this.serial(async () => {
      const c = await this.conn();
      const r = await c.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'idx_%' ORDER BY 1`);
      const out: { index: string; docs_count: number }[] = [];
      for (const [t] of r.getRows()) {
        const n = await c.runAndReadAll(`SELECT count(*) FROM ${quote(String(t))}`);
        out.push({ index: String(t).slice(4), docs_count: Number(n.getRows()[0][0]) });
      }
      return out;
    });
  }

  /** Writes documents (replacing those with the same _id); returns one bulk item per document. */
  async write(ops: { index: string; id?: string; doc?: Record<string, unknown>; op: 'index' | 'create' | 'delete' }[]): Promise<Record<string, unknown>[]> {
    return this.serial(async () => {
      const c = await this.conn();
      const items: Record<string, unknown>[] = [];
      const byIndex = new Map<string, typeof ops>();
      for (const o of ops) {
        validIndex(o.index);
        if (!byIndex.has(o.index)) byIndex.set(o.index, []);
        byIndex.get(o.index)!.push(o);
      }
      const results = new Map<(typeof ops)[number], Record<string, unknown>>();
      await c.run('BEGIN TRANSACTION');
      try {
        for (const [index, list] of byIndex) {
          const docs = list.filter((o) => o.op !== 'delete').map((o) => ({ o, id: o.id ?? randomUUID().replace(/-/g, '').slice(0, 20), flat: flatten(o.doc ?? {}) }));
          let cols = await this.cols(c, index);
          if (!cols) {
            await c.run(`CREATE TABLE IF NOT EXISTS ${tableOf(index)} ("_id" VARCHAR PRIMARY KEY)`);
            cols = new Map([['_id', 'VARCHAR']]);
            this.columns.set(index, cols);
          }
          for (const d of docs)
            for (const [k, v] of Object.entries(d.flat)) {
              if (cols.has(k)) continue;
              const t = typeOf(v);
              if (!t) continue;
              await c.run(`ALTER TABLE ${tableOf(index)} ADD COLUMN ${quote(k)} ${t}`);
              cols.set(k, t);
            }
          const deletes = list.filter((o) => o.op === 'delete');
          for (const d of deletes) {
            const r = await c.runAndReadAll(`DELETE FROM ${tableOf(index)} WHERE "_id" = $1 RETURNING "_id"`, [d.id ?? '']);
            const found = r.getRows().length > 0;
            results.set(d, { delete: { _index: index, _id: d.id, _version: 1, result: found ? 'deleted' : 'not_found', status: found ? 200 : 404 } });
          }
          if (docs.length) {
            const ids = docs.map((d) => d.id);
            const existing = new Set<string>();
            for (let i = 0; i < ids.length; i += 1000) {
              const part = ids.slice(i, i + 1000);
              const r = await c.runAndReadAll(`DELETE FROM ${tableOf(index)} WHERE "_id" IN (${part.map((_, k) => `$${k + 1}`).join(',')}) RETURNING "_id"`, part);
              for (const [x] of r.getRows()) existing.add(String(x));
            }
            const names = [...cols.keys()];
            for (let i = 0; i < docs.length; i += 500) {
              const part = docs.slice(i, i + 500);
              const values: unknown[] = [];
              const tuples = part.map((d) => {
                const row = names.map((n) => (n === '_id' ? d.id : coerce(d.flat[n], cols!.get(n)!)));
                const base = values.length;
                values.push(...row);
                return `(${row.map((_, k) => `$${base + k + 1}`).join(',')})`;
              });
              await c.run(`INSERT INTO ${tableOf(index)} (${names.map(quote).join(',')}) VALUES ${tuples.join(',')}`, values as never);
            }
            for (const d of docs) {
              const replaced = existing.has(d.id);
              results.set(d.o, { [d.o.op]: { _index: index, _id: d.id, _version: 1, result: replaced ? 'updated' : 'created', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: 0, _primary_term: 1, status: replaced ? 200 : 201 } });
            }
          }
        }
        await c.run('COMMIT');
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        this.columns.clear();
        throw err;
      }
      for (const o of ops) items.push(results.get(o)!);
      return items;
    });
  }

  async deleteIndex(index: string): Promise<boolean> {
    validIndex(index);
    return this.serial(async () => {
      const c = await this.conn();
      const had = (await this.cols(c, index)) !== undefined;
      await c.run(`DROP TABLE IF EXISTS ${tableOf(index)}`);
      this.columns.delete(index);
      return had;
    });
  }

  /** A datafeed source over indices (wildcards allowed). */
  source(indices: string[], timeField: string, query?: Record<string, unknown>): DatafeedSource {
    const self = this;
    let fromP: Promise<string> | undefined;
    const resolveFrom = async (): Promise<string> => {
      const all = (await self.list()).map((x) => x.index);
      const names = new Set<string>();
      for (const pat of indices) {
        const re = new RegExp('^' + pat.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
        for (const n of all) if (re.test(n)) names.add(n);
      }
      if (names.size === 0) throw new VigilError('RESOURCE_NOT_FOUND', `no such index [${indices.join(',')}] in the embedded store (write documents with POST /<index>/_bulk)`);
      return `(${[...names].map((n) => `SELECT * FROM ${tableOf(n)}`).join(' UNION ALL BY NAME ')})`;
    };
    // the FROM item is resolved lazily (an index may be created after the datafeed)
    const src = new DuckDbFileSource({ path: indices.join(','), timeField, query: query && !('match_all' in query) ? query : undefined }, false, {
      kind: 'embedded',
      from: '__resolved_later__',
      connection: async () => (await self.instance()).connect(),
    });
    const s = src as unknown as { from: string };
    const wrap = <T>(fn: () => Promise<T>): Promise<T> =>
      (fromP ??= resolveFrom().then((f) => (s.from = f))).then(fn, (err) => {
        fromP = undefined;
        throw err;
      });
    return {
      kind: 'embedded',
      get timeField() {
        return src.timeField;
      },
      pushesDown: (agg) => src.pushesDown(agg),
      search: (req) => ({
        async *[Symbol.asyncIterator]() {
          await wrap(async () => undefined);
          yield* src.search(req);
        },
      }),
      timeBounds: (r) => wrap(() => src.timeBounds(r)),
      fields: () => wrap(() => src.fields()),
      close: () => src.close(),
    };
  }

  async close(): Promise<void> {
    await this.tail.catch(() => undefined);
    if (this.writer) (await this.writer).closeSync();
    if (this.instanceP) (await this.instanceP).closeSync();
    this.writer = undefined;
    this.instanceP = undefined;
  }
}

/** Parses an Elasticsearch bulk body (NDJSON action/source pairs). */
/** Deepest nesting a stored document may have; deeper ones are refused as bad input (iterative check). */
const MAX_DEPTH = 64;

function checkDepth(doc: unknown, where: string): void {
  const stack: [unknown, number][] = [[doc, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > MAX_DEPTH) throw new VigilError('PARSE_ERROR', `${where}: document nested deeper than ${MAX_DEPTH} levels`);
    for (const c of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) stack.push([c, d + 1]);
  }
}

export function parseBulk(body: Buffer, defaultIndex?: string): { index: string; id?: string; doc?: Record<string, unknown>; op: 'index' | 'create' | 'delete' }[] {
  const lines = body.toString('utf8').split('\n');
  const ops: { index: string; id?: string; doc?: Record<string, unknown>; op: 'index' | 'create' | 'delete' }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let action: Record<string, { _index?: string; _id?: string }>;
    try {
      action = JSON.parse(line) as typeof action;
    } catch {
      throw new VigilError('PARSE_ERROR', `bulk: malformed action at line ${i + 1}`);
    }
    if (action === null || typeof action !== 'object' || Array.isArray(action)) throw new VigilError('PARSE_ERROR', `bulk: the action at line ${i + 1} is not an object`);
    const [op] = Object.keys(action);
    const meta = action[op] ?? {};
    const index = meta._index ?? defaultIndex;
    if (!index) throw new VigilError('INVALID_ARGUMENT', `bulk: action at line ${i + 1} names no index`);
    if (op === 'delete') {
      ops.push({ op, index, id: meta._id });
      continue;
    }
    if (op !== 'index' && op !== 'create') throw new VigilError('INVALID_ARGUMENT', `bulk: action [${op}] at line ${i + 1} is not supported (index, create, delete)`);
    const src = lines[++i];
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(src ?? '') as Record<string, unknown>;
    } catch {
      throw new VigilError('PARSE_ERROR', `bulk: malformed document at line ${i + 1}`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new VigilError('PARSE_ERROR', `bulk: the document at line ${i + 1} is not an object`);
    checkDepth(doc, `bulk: line ${i + 1}`);
    ops.push({ op, index, id: meta._id, doc });
  }
  return ops;
}

/** Reads an upload: NDJSON (or a JSON array), or CSV with a header (numbers detected). */
export function parseUpload(body: Buffer, contentType: string | undefined): Record<string, unknown>[] {
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
  const first = text.trimStart()[0];
  if (/json/.test(contentType ?? '') || first === '{' || first === '[') {
    if (first === '[') {
      let arr: unknown;
      try {
        arr = JSON.parse(text);
      } catch (err) {
        // malformed, or nested deeper than the parser's stack allows: bad input, not a server error
        throw new VigilError('PARSE_ERROR', `upload: malformed JSON array (${(err as Error).message})`);
      }
      if (!Array.isArray(arr) || arr.some((d) => d === null || typeof d !== 'object' || Array.isArray(d))) {
        throw new VigilError('PARSE_ERROR', 'upload: a JSON array upload must hold objects (documents)');
      }
      arr.forEach((d, i) => checkDepth(d, `upload: element ${i}`));
      return arr as Record<string, unknown>[];
    }
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l, i) => {
        let d: unknown;
        try {
          d = JSON.parse(l);
        } catch {
          throw new VigilError('PARSE_ERROR', `upload: malformed JSON at line ${i + 1}`);
        }
        if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new VigilError('PARSE_ERROR', `upload: line ${i + 1} is not a JSON object`);
        checkDepth(d, `upload: line ${i + 1}`);
        return d as Record<string, unknown>;
      });
  }
  const rows = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (rows.length === 0) return []; // an empty upload: no documents (it was a 500, found by the fuzz test)
  const split = (l: string): string[] => {
    const out: string[] = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < l.length; i++) {
      const ch = l[i];
      if (q) {
        if (ch === '"' && l[i + 1] === '"') (cur += '"', i++);
        else if (ch === '"') q = false;
        else cur += ch;
      } else if (ch === '"') q = true;
      else if (ch === ',') (out.push(cur), (cur = ''));
      else cur += ch;
    }
    out.push(cur);
    return out;
  };
  const header = split(rows[0]).map((h) => h.trim());
  return rows.slice(1).map((l) => {
    const f = split(l);
    const d: Record<string, unknown> = {};
    header.forEach((h, k) => {
      const v = f[k];
      if (v === undefined || v === '') return;
      d[h] = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v.trim()) ? Number(v) : v;
    });
    return d;
  });
}

export function indicesRoutes(get: () => EmbeddedIndices): RouteSpec[] {
  const Q = Type.Object({ ...COMMON_QUERY, refresh: Type.Optional(Type.String()), pipeline: Type.Optional(Type.String()), routing: Type.Optional(Type.String()), timeout: Type.Optional(Type.String()) }, { additionalProperties: false });
  const bulk = async (req: FastifyRequest, index?: string): Promise<unknown> => {
    const t0 = Date.now();
    const items = await get().write(parseBulk(req.body as Buffer, index));
    return { took: Date.now() - t0, errors: items.some((i) => Number((Object.values(i)[0] as { status: number }).status) >= 400 && Object.keys(i)[0] !== 'delete'), items };
  };
  const raw = { contentTypes: ['application/x-ndjson', 'application/json'], description: 'Elasticsearch bulk format: action line, then document line.' };
  return [
    { method: ['POST', 'PUT'], url: '/_bulk', operationId: 'bulk', tag: 'elastic', summary: 'Write documents into the embedded store (bulk format).', querystring: Q, bodyKind: 'data', rawBody: raw, handler: (req) => bulk(req) },
    {
      method: ['POST', 'PUT'],
      url: '/:index/_bulk',
      operationId: 'bulk',
      tag: 'elastic',
      summary: 'Write documents into an index of the embedded store (bulk format).',
      params: Type.Object({ index: Type.String() }, { additionalProperties: false }),
      querystring: Q,
      bodyKind: 'data',
      rawBody: raw,
      handler: (req) => bulk(req, (req.params as { index: string }).index),
    },
    {
      method: 'POST',
      url: '/:index/_doc',
      operationId: 'index',
      tag: 'elastic',
      summary: 'Write one document into an index of the embedded store.',
      params: Type.Object({ index: Type.String() }, { additionalProperties: false }),
      querystring: Q,
      bodyName: 'index',
      body: Type.Object({}, { additionalProperties: true }),
      handler: async (req, reply) => {
        checkDepth(req.body, 'document');
        const [item] = await get().write([{ op: 'index', index: (req.params as { index: string }).index, doc: req.body as Record<string, unknown> }]);
        reply.status(201);
        return (item as { index: unknown }).index;
      },
    },
    {
      method: 'POST',
      url: '/_vigil/indices/:index/_upload',
      operationId: 'vigil.upload_index',
      tag: 'vigil',
      summary: 'Vigil extension: upload CSV (with a header) or NDJSON documents into an index of the embedded store.',
      params: Type.Object({ index: Type.String() }, { additionalProperties: false }),
      querystring: Type.Object({ ...COMMON_QUERY }, { additionalProperties: false }),
      bodyKind: 'data',
      rawBody: { contentTypes: ['text/csv', 'application/x-ndjson'], description: 'CSV with a header line, or NDJSON.' },
      handler: async (req) => {
        const docs = parseUpload(req.body as Buffer, req.headers['content-type']);
        const items = await get().write(docs.map((doc) => ({ op: 'index' as const, index: (req.params as { index: string }).index, doc })));
        return { index: (req.params as { index: string }).index, documents: items.length };
      },
    },
    {
      method: 'GET',
      url: '/_vigil/indices',
      operationId: 'vigil.list_indices',
      tag: 'vigil',
      summary: "Vigil extension: the embedded store's indices and their document counts.",
      querystring: Type.Object({ ...COMMON_QUERY }, { additionalProperties: false }),
      handler: async () => ({ indices: await get().list() }),
    },
    {
      method: 'DELETE',
      url: '/_vigil/indices/:index',
      operationId: 'vigil.delete_index',
      tag: 'vigil',
      summary: 'Vigil extension: delete an index of the embedded store.',
      params: Type.Object({ index: Type.String() }, { additionalProperties: false }),
      querystring: Type.Object({ ...COMMON_QUERY }, { additionalProperties: false }),
      handler: async (req) => {
        const had = await get().deleteIndex((req.params as { index: string }).index);
        if (!had) throw new VigilError('RESOURCE_NOT_FOUND', `no such index [${(req.params as { index: string }).index}]`);
        return { acknowledged: true };
      },
    },
  ];
}
