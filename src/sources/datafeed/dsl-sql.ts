/**
 * A datafeed's `query` (Elasticsearch query DSL) as a SQL condition, for the SQL sources
 * (PostgreSQL, DuckDB over files, the embedded indices). The common filtering subset is supported:
 * match_all, match_none, term, terms, match (as equality), range, exists, prefix, wildcard and
 * bool (must / filter / should with minimum_should_match / must_not). Anything else is refused
 * with a message naming it, never ignored. Values travel as bind parameters, never spliced in.
 */
import { VigilError } from '../../core/errors.js';

/** How a source spells a field in SQL; `kind` says whether the comparison is numeric. */
export type ColumnRef = (field: string, kind: 'number' | 'text' | 'any') => string;

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** A possibly schema-qualified table name (`schema.table`), each part quoted. */
export function quoteTable(name: string): string {
  return name
    .split('.')
    .map((p) => quoteIdent(p))
    .join('.');
}

export class SqlParams {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

function bad(what: string): never {
  throw new VigilError('INVALID_ARGUMENT', `datafeed query: ${what} is not supported by this source (supported: match_all, match_none, term, terms, match, range, exists, prefix, wildcard, bool)`);
}

function single(obj: unknown, name: string): [string, unknown] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) bad(`[${name}] must be an object`);
  const entries = Object.entries(obj as Record<string, unknown>).filter(([k]) => k !== 'boost' && k !== '_name');
  if (entries.length !== 1) bad(`[${name}] with ${entries.length} fields`);
  return entries[0];
}

function valueKind(v: unknown): 'number' | 'text' {
  return typeof v === 'number' ? 'number' : 'text';
}

function scalar(v: unknown): unknown {
  return typeof v === 'boolean' ? String(v) : v;
}

/** Translates a query into a SQL condition (`TRUE` for match_all). */
export function dslToSql(query: unknown, col: ColumnRef, params: SqlParams): string {
  if (query === undefined || query === null) return 'TRUE';
  if (typeof query !== 'object' || Array.isArray(query)) bad('a query that is not an object');
  const keys = Object.keys(query as object);
  if (keys.length === 0) return 'TRUE';
  if (keys.length !== 1) bad(`a query object with several clauses (${keys.join(', ')})`);
  const type = keys[0];
  const body = (query as Record<string, unknown>)[type];
  switch (type) {
    case 'match_all':
      return 'TRUE';
    case 'match_none':
      return 'FALSE';
    case 'term':
    case 'match':
    case 'match_phrase': {
      const [field, spec] = single(body, type);
      const v = spec !== null && typeof spec === 'object' ? ((spec as Record<string, unknown>).value ?? (spec as Record<string, unknown>).query) : spec;
      if (v === undefined) bad(`[${type}] without a value`);
      return `${col(field, valueKind(v))} = ${params.add(scalar(v))}`;
    }
    case 'terms': {
      const [field, list] = single(body, 'terms');
      if (!Array.isArray(list)) bad('[terms] lookup (only a list of values is supported)');
      if (list.length === 0) return 'FALSE';
      const kind = list.every((x) => typeof x === 'number') ? 'number' : 'text';
      return `${col(field, kind)} IN (${list.map((v) => params.add(kind === 'text' ? String(v) : v)).join(', ')})`;
    }
    case 'range': {
      const [field, spec] = single(body, 'range');
      if (spec === null || typeof spec !== 'object') bad('[range] without bounds');
      const parts: string[] = [];
      const ops: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=', from: '>=', to: '<=' };
      for (const [op, v] of Object.entries(spec as Record<string, unknown>)) {
        if (op === 'boost' || op === 'format' || op === 'time_zone' || v === null) continue;
        if (!(op in ops)) bad(`[range] option [${op}]`);
        parts.push(`${col(field, valueKind(v))} ${ops[op]} ${params.add(v)}`);
      }
      return parts.length ? `(${parts.join(' AND ')})` : 'TRUE';
    }
    case 'exists': {
      const field = (body as Record<string, unknown>)?.field;
      if (typeof field !== 'string') bad('[exists] without a field');
      return `${col(field, 'any')} IS NOT NULL`;
    }
    case 'prefix': {
      const [field, spec] = single(body, 'prefix');
      const v = spec !== null && typeof spec === 'object' ? (spec as Record<string, unknown>).value : spec;
      return `${col(field, 'text')} LIKE ${params.add(String(v).replace(/[\\%_]/g, (c) => '\\' + c) + '%')} ESCAPE '\\'`;
    }
    case 'wildcard': {
      const [field, spec] = single(body, 'wildcard');
      const v = spec !== null && typeof spec === 'object' ? ((spec as Record<string, unknown>).value ?? (spec as Record<string, unknown>).wildcard) : spec;
      const like = String(v)
        .replace(/[\\%_]/g, (c) => '\\' + c)
        .replace(/\*/g, '%')
        .replace(/\?/g, '_');
      return `${col(field, 'text')} LIKE ${params.add(like)} ESCAPE '\\'`;
    }
    case 'bool': {
      const b = body as Record<string, unknown>;
      const list = (x: unknown): unknown[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
      for (const k of Object.keys(b)) if (!['must', 'filter', 'should', 'must_not', 'minimum_should_match', 'boost', '_name'].includes(k)) bad(`[bool] option [${k}]`);
      const and = [...list(b.must), ...list(b.filter)].map((q) => dslToSql(q, col, params));
      // a NULL column makes a condition unknown, and NOT unknown drops the row; Elastic keeps the
      // documents a must_not clause does not match, those without the field included
      const not = list(b.must_not).map((q) => `NOT COALESCE(${dslToSql(q, col, params)}, FALSE)`);
      const should = list(b.should).map((q) => dslToSql(q, col, params));
      const parts = [...and, ...not];
      if (should.length) {
        const msm = b.minimum_should_match ?? (and.length || not.length ? 0 : 1);
        const min = typeof msm === 'number' ? msm : Number.parseInt(String(msm), 10);
        if (!Number.isFinite(min)) bad(`[bool] minimum_should_match [${String(msm)}]`);
        if (min === 1) parts.push(`(${should.join(' OR ')})`);
        else if (min > 1) parts.push(`((${should.map((s) => `CASE WHEN ${s} THEN 1 ELSE 0 END`).join(' + ')}) >= ${min})`);
      }
      return parts.length ? `(${parts.join(' AND ')})` : 'TRUE';
    }
    default:
      return bad(`[${type}]`);
  }
}
