/**
 * What the SQL sources (PostgreSQL, DuckDB over files) share: the SQL for a search — time range,
 * the datafeed query as a WHERE clause, and for aggregations the bucketing and metrics done by the
 * database (`GROUP BY bucket, partition ORDER BY bucket`) — written once with a small dialect.
 */
import { VigilError } from '../../core/errors.js';
import { dslToSql, quoteIdent, SqlParams, type ColumnRef } from './dsl-sql.js';
import type { BucketAggregation, MetricFn } from './source.js';
import { inferEpochUnit } from '../../core/time/parse-timestamp.js';

/** How the time column is stored: a timestamp type, or epoch numbers in s, ms, µs or ns. */
export type TimeType = 'timestamptz' | 'timestamp' | 'date' | 'epoch_ms' | 'epoch_s' | 'epoch_us' | 'epoch_ns';

/** The epoch TimeType of a number column whose largest value is `hi` (by magnitude, as the readers' auto format). */
export function epochTimeType(hi: number | bigint): TimeType {
  const u = inferEpochUnit(hi);
  return u === 's' ? 'epoch_s' : u === 'ms' ? 'epoch_ms' : u === 'us' ? 'epoch_us' : 'epoch_ns';
}

/** Units per millisecond of the sub-millisecond epoch types. */
const PER_MS: Partial<Record<TimeType, number>> = { epoch_us: 1000, epoch_ns: 1_000_000 };

/**
 * PostgreSQL: ⌊x / d⌋ for a µs / ns column, exactly (numeric: no double holds a nanosecond epoch,
 * and numeric division would round its quotient to a few decimals; div() truncates, so one less below zero).
 */
const pgFloorDiv = (c: string, d: number): string => `(div((${c})::numeric, ${d}) - (mod((${c})::numeric, ${d}) < 0)::int)`;
/** DuckDB: the same on HUGEINT (a DOUBLE or DECIMAL column is rounded to a whole µs / ns first). */
const duckFloorDiv = (c: string, d: number): string => `(CAST(${c} AS HUGEINT) // ${d} - CASE WHEN CAST(${c} AS HUGEINT) % ${d} < 0 THEN 1 ELSE 0 END)`;

export interface SqlDialect {
  name: 'postgres' | 'duckdb';
  /** The time column as epoch milliseconds (a double). */
  timeMs(col: string, type: TimeType): string;
  /** The start of the bucket of span `spanMs` containing the row, as epoch ms (a double). */
  bucketMs(col: string, type: TimeType, spanMs: number): string;
  /** A bind parameter holding epoch ms, in the column's type (for sargable range conditions). */
  timeParam(param: string, type: TimeType): string;
  double(expr: string): string;
  text(expr: string): string;
  median(expr: string): string;
}

export const POSTGRES_DIALECT: SqlDialect = {
  name: 'postgres',
  timeMs: (c, t) =>
    PER_MS[t] ? `${pgFloorDiv(c, PER_MS[t]!)}::float8` : t === 'epoch_ms' ? `(${c})::float8` : t === 'epoch_s' ? `((${c})::float8 * 1000)` : t === 'date' ? `(extract(epoch from (${c})::timestamp) * 1000)::float8` : `(extract(epoch from ${c}) * 1000)::float8`,
  bucketMs: (c, t, span) => {
    if (PER_MS[t]) return `(${pgFloorDiv(c, span * PER_MS[t]!)} * ${span})::float8`;
    if (t === 'epoch_ms') return `(floor((${c})::float8 / ${span}) * ${span})::float8`;
    if (t === 'epoch_s') return `(floor((${c})::float8 * 1000 / ${span}) * ${span})::float8`;
    const origin = t === 'timestamptz' ? `timestamptz '1970-01-01 00:00:00+00'` : `timestamp '1970-01-01 00:00:00'`;
    const col = t === 'date' ? `(${c})::timestamp` : c;
    // date_part (a double), not extract (a numeric since PostgreSQL 14, several times slower on every
    // row, which was a third of the query's time); the bucket start is a whole millisecond, so
    // rounding the double makes it exact
    return `round(date_part('epoch', date_bin('${span} milliseconds'::interval, ${col}, ${origin})) * 1000)`;
  },
  timeParam: (p, t) =>
    PER_MS[t] ? `ceil((${p})::numeric * ${PER_MS[t]})::int8` : t === 'epoch_ms' ? p : t === 'epoch_s' ? `(${p}::float8 / 1000)` : t === 'timestamptz' ? `to_timestamp(${p}::float8 / 1000)` : `(to_timestamp(${p}::float8 / 1000) AT TIME ZONE 'UTC')`,
  double: (e) => `(${e})::float8`,
  text: (e) => `(${e})::text`,
  median: (e) => `percentile_cont(0.5) WITHIN GROUP (ORDER BY (${e})::float8)`,
};

export const DUCKDB_DIALECT: SqlDialect = {
  name: 'duckdb',
  timeMs: (c, t) =>
    PER_MS[t] ? `CAST(${duckFloorDiv(c, PER_MS[t]!)} AS DOUBLE)` : t === 'epoch_ms' ? `CAST(${c} AS DOUBLE)` : t === 'epoch_s' ? `(CAST(${c} AS DOUBLE) * 1000)` : `CAST(epoch_ms(CAST(${c} AS TIMESTAMP)) AS DOUBLE)`,
  bucketMs: (c, t, span) => {
    if (PER_MS[t]) return `CAST(${duckFloorDiv(c, span * PER_MS[t]!)} * ${span} AS DOUBLE)`;
    const ms = t === 'epoch_ms' ? `CAST(${c} AS DOUBLE)` : t === 'epoch_s' ? `(CAST(${c} AS DOUBLE) * 1000)` : `CAST(epoch_ms(CAST(${c} AS TIMESTAMP)) AS DOUBLE)`;
    return `(floor(${ms} / ${span}) * ${span})`;
  },
  timeParam: (p, t) =>
    PER_MS[t] ? `CAST(ceil(CAST(${p} AS DECIMAL(38,3)) * ${PER_MS[t]}) AS HUGEINT)` : (t === 'epoch_ms' ? p : t === 'epoch_s' ? `(CAST(${p} AS DOUBLE) / 1000)` : `make_timestamp(CAST(${p} AS BIGINT) * 1000)`),
  double: (e) => `CAST(${e} AS DOUBLE)`,
  text: (e) => `CAST(${e} AS VARCHAR)`,
  median: (e) => `quantile_cont(CAST(${e} AS DOUBLE), 0.5)`,
};

export interface SqlSourceShape {
  /** The FROM item: a quoted table, `read_parquet(…)`, or `(user SQL)`. */
  from: string;
  timeField: string;
  timeType: TimeType;
  /** The datafeed's query (Elasticsearch DSL), translated to WHERE. */
  query?: unknown;
}

const TIME_ALIAS = '__vigil_time_ms';

function columnRef(d: SqlDialect): ColumnRef {
  return (field, kind) => {
    const q = `s.${quoteIdent(field)}`;
    return kind === 'text' ? d.text(q) : q;
  };
}

function metricSql(d: SqlDialect, fn: MetricFn, field: string): string {
  const c = `s.${quoteIdent(field)}`;
  switch (fn) {
    case 'avg':
      return d.double(`avg(${d.double(c)})`);
    case 'sum':
      return d.double(`sum(${d.double(c)})`);
    case 'min':
      return d.double(`min(${d.double(c)})`);
    case 'max':
      return d.double(`max(${d.double(c)})`);
    case 'value_count':
      return d.double(`count(${c})`);
    case 'median':
      return d.double(d.median(c));
    case 'cardinality':
      return d.double(`count(DISTINCT ${c})`);
    default:
      throw new VigilError('INVALID_ARGUMENT', `unknown metric function ${String(fn)}`);
  }
}

function where(d: SqlDialect, shape: SqlSourceShape, start: number, end: number, params: SqlParams): string {
  const t = `s.${quoteIdent(shape.timeField)}`;
  const conds = [`${t} >= ${d.timeParam(params.add(start), shape.timeType)}`, `${t} < ${d.timeParam(params.add(end), shape.timeType)}`];
  const q = dslToSql(shape.query, columnRef(d), params);
  if (q !== 'TRUE') conds.push(q);
  return conds.join(' AND ');
}

/**
 * Records in `[start, end)` in time order: every column, plus the time as epoch ms in the first
 * column (`__vigil_time_ms`).
 */
export function recordsSql(d: SqlDialect, shape: SqlSourceShape, start: number, end: number): { text: string; values: unknown[] } {
  const params = new SqlParams();
  const t = `s.${quoteIdent(shape.timeField)}`;
  const text = `SELECT ${d.timeMs(t, shape.timeType)} AS ${TIME_ALIAS}, s.* FROM ${shape.from} AS s WHERE ${where(d, shape, start, end, params)} ORDER BY ${t}`;
  return { text, values: params.values };
}

/**
 * Buckets in `[start, end)`: columns bucket start (ms), document count, each metric, and the
 * partition value (text) when the aggregation has one; ordered by bucket then partition.
 */
export function bucketsSql(d: SqlDialect, shape: SqlSourceShape, start: number, end: number, agg: BucketAggregation): { text: string; values: unknown[] } {
  const params = new SqlParams();
  const t = `s.${quoteIdent(shape.timeField)}`;
  const cols = [`${d.bucketMs(t, shape.timeType, agg.spanMs)} AS b`, `${d.double('count(*)')} AS n`];
  agg.metrics.forEach((m, k) => cols.push(`${metricSql(d, m.fn, m.field)} AS m${k}`));
  const group = ['1'];
  if (agg.partitionField !== undefined) {
    cols.push(`${d.text(`s.${quoteIdent(agg.partitionField)}`)} AS p`);
    group.push(String(cols.length));
  }
  const text = `SELECT ${cols.join(', ')} FROM ${shape.from} AS s WHERE ${where(d, shape, start, end, params)} GROUP BY ${group.join(', ')} ORDER BY ${group.join(', ')}`;
  return { text, values: params.values };
}

/** Earliest and latest time (epoch ms) within an optional range. */
export function boundsSql(d: SqlDialect, shape: SqlSourceShape, range: { start?: number; end?: number }): { text: string; values: unknown[] } {
  const params = new SqlParams();
  const t = `s.${quoteIdent(shape.timeField)}`;
  const conds: string[] = [];
  if (range.start !== undefined) conds.push(`${t} >= ${d.timeParam(params.add(range.start), shape.timeType)}`);
  if (range.end !== undefined) conds.push(`${t} < ${d.timeParam(params.add(range.end), shape.timeType)}`);
  const q = dslToSql(shape.query, columnRef(d), params);
  if (q !== 'TRUE') conds.push(q);
  const text = `SELECT ${d.timeMs(`min(${t})`, shape.timeType)} AS lo, ${d.timeMs(`max(${t})`, shape.timeType)} AS hi FROM ${shape.from} AS s${conds.length ? ' WHERE ' + conds.join(' AND ') : ''}`;
  return { text, values: params.values };
}

export { TIME_ALIAS };
