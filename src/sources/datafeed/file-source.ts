/**
 * Files as datafeed sources.
 *
 * - One CSV, NDJSON or JSON file (gzip detected): read with the project's streamed reader
 *   (`readSeries`: timestamp formats and zones, bad-row report), bucketed in Vigil. Every search
 *   reads the file once, keeping the records in `[start, end)`; records must be in time order.
 *   Documents carry the time, value and partition fields only, so the datafeed query must be
 *   match_all (use a folder/glob, read by DuckDB, to filter).
 * - Parquet files, a folder or a glob (`data/*.parquet`, `logs/**\/*.csv`): read by DuckDB, which
 *   reads Parquet, CSV and JSON natively; bucketing, metrics and the datafeed query run in DuckDB
 *   SQL (the same SQL builder as PostgreSQL's, DuckDB dialect).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { VigilError } from '../../core/errors.js';
import { readSeries } from '../read-series.js';
import { aggregateRecords } from './aggregate-records.js';
import { boundsSql, bucketsSql, DUCKDB_DIALECT, epochTimeType, recordsSql, type SqlSourceShape, type TimeType } from './sql-source.js';
import { BucketPager, RecordPager, type BucketAggregation, type DatafeedSource, type FieldInfo, type SearchPage, type SearchRequest, type TimeBounds } from './source.js';

export interface FileSourceOptions {
  /** A file, a folder (all Parquet files in it, recursively) or a glob. */
  path: string;
  /** Default: from the extension (`.parquet` → parquet), else detected by the reader. */
  format?: 'auto' | 'csv' | 'ndjson' | 'json' | 'parquet';
  timeField?: string;
  valueField?: string;
  partitionField?: string;
  /** Timestamp format for the streamed reader (auto, iso8601, epoch, epoch_ms or a pattern). */
  timeFormat?: string;
  timeZone?: string;
  /** The datafeed's query (DuckDB-read files only). */
  query?: unknown;
}

function isTrivialQuery(q: unknown): boolean {
  if (q === undefined || q === null) return true;
  const keys = Object.keys(q as object);
  return keys.length === 0 || (keys.length === 1 && keys[0] === 'match_all');
}

/** Chooses the reader: DuckDB for Parquet, folders and globs; the streamed reader for one text file. */
export function fileSource(o: FileSourceOptions): DatafeedSource {
  const glob = /[*?[]/.test(o.path);
  let dir = false;
  if (!glob) {
    try {
      dir = statSync(o.path).isDirectory();
    } catch {
      throw new VigilError('FILE_NOT_FOUND', `cannot read ${o.path}`, { path: o.path });
    }
  }
  const parquet = o.format === 'parquet' || /\.parquet$/i.test(o.path);
  if (glob || dir || parquet) return new DuckDbFileSource(o, dir);
  return new SeriesFileSource(o);
}

/** One CSV / NDJSON / JSON file through `readSeries`. */
export class SeriesFileSource implements DatafeedSource {
  readonly kind = 'file';
  timeField: string;

  constructor(private readonly o: FileSourceOptions) {
    if (!isTrivialQuery(o.query)) throw new VigilError('INVALID_ARGUMENT', `file source ${o.path}: a datafeed query needs a file read by DuckDB (give a folder or a glob, or Parquet)`);
    this.timeField = o.timeField ?? 'time';
  }

  pushesDown(_agg: BucketAggregation): boolean {
    return false;
  }

  private reader() {
    const o = this.o;
    return readSeries(o.path, {
      format: o.format === 'parquet' ? 'auto' : o.format,
      timeField: o.timeField,
      valueField: o.valueField,
      partitionField: o.partitionField,
      timeFormat: o.timeFormat,
      timeZone: o.timeZone,
    });
  }

  private async *records(req: SearchRequest): AsyncGenerator<SearchPage> {
    const reader = this.reader();
    const schema = await reader.schema();
    const tf = this.o.timeField ?? schema.timeField ?? 'time';
    this.timeField = tf;
    const vf = schema.valueField;
    const pf = schema.partitionField;
    const pager = new RecordPager(req.pageSize ?? 10_000);
    for await (const b of reader) {
      if (req.signal?.aborted) return;
      for (let i = 0; i < b.n; i++) {
        const t = b.time[i];
        if (t < req.start || t >= req.end) continue;
        const doc: Record<string, unknown> = { [tf]: t };
        if (vf) doc[vf] = b.value[i];
        if (pf && b.partition) doc[pf] = b.partition[i];
        const p = pager.push(doc, t);
        if (p) yield p;
      }
    }
    const p = pager.cut();
    if (p) yield p;
  }

  async *search(req: SearchRequest): AsyncGenerator<SearchPage> {
    if (!req.aggregation) {
      yield* this.records(req);
      return;
    }
    // resolve the field names first so the aggregation reads the right time field
    const schema = await this.reader().schema();
    this.timeField = this.o.timeField ?? schema.timeField ?? 'time';
    yield* aggregateRecords(this.records({ ...req, aggregation: undefined, pageSize: 65_536 }), req.aggregation, this.timeField, req.pageSize);
  }

  async timeBounds(range: { start?: number; end?: number } = {}): Promise<TimeBounds> {
    let lo = Infinity;
    let hi = -Infinity;
    for await (const b of this.reader()) {
      for (let i = 0; i < b.n; i++) {
        const t = b.time[i];
        if ((range.start !== undefined && t < range.start) || (range.end !== undefined && t >= range.end)) continue;
        if (t < lo) lo = t;
        if (t > hi) hi = t;
      }
    }
    return lo === Infinity ? { earliest: null, latest: null } : { earliest: lo, latest: hi };
  }

  async fields(): Promise<FieldInfo[]> {
    const s = await this.reader().schema();
    return s.fields.map((name) => ({ name, type: name === s.timeField ? 'date' : name === s.valueField ? 'number' : 'unknown' }));
  }

  async close(): Promise<void> {}
}

const DUCK_TS: Record<string, TimeType> = {
  TIMESTAMP: 'timestamp',
  'TIMESTAMP WITH TIME ZONE': 'timestamptz',
  TIMESTAMP_NS: 'timestamp',
  TIMESTAMP_MS: 'timestamp',
  TIMESTAMP_S: 'timestamp',
  DATE: 'date',
};
const DUCK_NUM = /^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|DOUBLE|FLOAT|DECIMAL.*|REAL)$/;

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Parquet files, folders and globs through DuckDB. */
export class DuckDbFileSource implements DatafeedSource {
  readonly kind: string;
  readonly timeField: string;
  private conn: Promise<DuckDBConnection> | undefined;
  private instance: DuckDBInstance | undefined;
  private shapeP: Promise<SqlSourceShape> | undefined;
  private readonly from: string;

  /**
   * @param table instead of files: a FROM item over tables of an existing DuckDB database (the
   * embedded indices), with the connection to use.
   */
  constructor(
    private readonly o: FileSourceOptions,
    dir: boolean,
    table?: { from: string; connection: () => Promise<DuckDBConnection>; kind: string },
  ) {
    this.timeField = o.timeField ?? 'time';
    if (table) {
      this.kind = table.kind;
      this.from = table.from;
      this.conn = table.connection(); // its own connection, closed by close()
      return;
    }
    const fmt = o.format && o.format !== 'auto' ? o.format : /\.parquet$/i.test(o.path) || dir ? 'parquet' : /\.(nd)?jsonl?(\.gz)?$/i.test(o.path) ? 'ndjson' : /\.json(\.gz)?$/i.test(o.path) ? 'json' : 'csv';
    this.kind = fmt === 'parquet' ? 'parquet' : 'file';
    const path = dir ? join(o.path, '**', '*.parquet') : o.path;
    this.from =
      fmt === 'parquet'
        ? `read_parquet(${sqlString(path)}, union_by_name = true)`
        : fmt === 'csv'
          ? `read_csv_auto(${sqlString(path)}, union_by_name = true)`
          : `read_json_auto(${sqlString(path)}, union_by_name = true${fmt === 'ndjson' ? ", format = 'newline_delimited'" : ''})`;
  }

  private connection(): Promise<DuckDBConnection> {
    this.conn ??= (async () => {
      this.instance = await DuckDBInstance.create(':memory:', { threads: '2' });
      const c = await this.instance.connect();
      await c.run(`SET TimeZone = 'UTC'`).catch(() => undefined);
      return c;
    })();
    return this.conn;
  }

  private fail(err: unknown): never {
    if (err instanceof VigilError) throw err;
    const msg = (err as Error).message ?? String(err);
    if (/No files found|does not exist|No such file/i.test(msg)) throw new VigilError('FILE_NOT_FOUND', `file source ${this.o.path}: ${msg}`, { path: this.o.path });
    throw new VigilError('INVALID_ARGUMENT', `file source ${this.o.path}: ${msg}`);
  }

  private shape(): Promise<SqlSourceShape> {
    this.shapeP ??= (async () => {
      const c = await this.connection();
      try {
        const r = await c.runAndReadAll(`DESCRIBE SELECT * FROM ${this.from}`);
        const cols = r.getRowObjects() as { column_name: string; column_type: string }[];
        const col = cols.find((x) => x.column_name === this.timeField);
        if (!col) throw new VigilError('FIELD_NOT_FOUND', `file source ${this.o.path}: no field [${this.timeField}] (fields: ${cols.map((x) => x.column_name).join(', ')})`);
        let t = DUCK_TS[col.column_type];
        if (!t && DUCK_NUM.test(col.column_type)) {
          const m = await c.runAndReadAll(`SELECT CAST(max("${this.timeField.replace(/"/g, '""')}") AS DOUBLE) AS hi FROM ${this.from}`);
          const raw = m.getRows()[0]?.[0];
          if (raw === null || raw === undefined) {
            // no rows yet: seconds or milliseconds is decided once there are some (Number(null) is 0, which read as seconds)
            this.shapeP = undefined;
            return { from: this.from, timeField: this.timeField, timeType: 'epoch_ms', query: this.o.query };
          }
          const hi = Number(raw);
          t = Number.isFinite(hi) ? epochTimeType(hi) : 'epoch_ms';
        }
        if (!t && col.column_type === 'VARCHAR') t = 'timestamp'; // ISO text: cast to TIMESTAMP
        if (!t) throw new VigilError('INVALID_ARGUMENT', `file source ${this.o.path}: time field [${this.timeField}] has type ${col.column_type}`);
        return { from: this.from, timeField: this.timeField, timeType: t, query: this.o.query };
      } catch (err) {
        this.shapeP = undefined;
        this.fail(err);
      }
    })();
    return this.shapeP;
  }

  pushesDown(_agg: BucketAggregation): boolean {
    return true;
  }

  async *search(req: SearchRequest): AsyncGenerator<SearchPage> {
    const shape = await this.shape();
    const c = await this.connection();
    const agg = req.aggregation;
    const q = agg ? bucketsSql(DUCKDB_DIALECT, shape, req.start, req.end, agg) : recordsSql(DUCKDB_DIALECT, shape, req.start, req.end);
    let result;
    try {
      result = await c.stream(q.text, q.values as never);
    } catch (err) {
      this.fail(err);
    }
    const size = req.pageSize ?? 10_000;
    const names = agg ? agg.metrics.map((m) => m.name) : [];
    const bp = agg ? new BucketPager(size, names, agg.partitionField !== undefined) : null;
    const rp = agg ? null : new RecordPager(size);
    const colNames = result.columnNames();
    const values = new Float64Array(names.length);
    for (;;) {
      if (req.signal?.aborted) return;
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const rows = chunk.getRows();
      for (const row of rows) {
        if (bp) {
          for (let k = 0; k < names.length; k++) values[k] = row[2 + k] === null ? NaN : Number(row[2 + k]);
          const p = bp.push(Number(row[0]), Number(row[1]), values, agg!.partitionField !== undefined ? String(row[2 + names.length] ?? '') : null);
          if (p) yield p;
        } else {
          const doc: Record<string, unknown> = {};
          for (let k = 1; k < colNames.length; k++) {
            const v = row[k];
            doc[colNames[k]] = v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : typeof v === 'bigint' ? Number(v) : String(v);
          }
          const t = Number(row[0]);
          doc[this.timeField] = t;
          const p = rp!.push(doc, t);
          if (p) yield p;
        }
      }
    }
    const last = bp ? bp.cut() : rp!.cut();
    if (last) yield last;
  }

  async timeBounds(range: { start?: number; end?: number } = {}): Promise<TimeBounds> {
    const shape = await this.shape();
    const c = await this.connection();
    const q = boundsSql(DUCKDB_DIALECT, shape, range);
    try {
      const r = await c.runAndReadAll(q.text, q.values as never);
      const [lo, hi] = r.getRows()[0] ?? [null, null];
      return { earliest: lo === null ? null : Number(lo), latest: hi === null ? null : Number(hi) };
    } catch (err) {
      this.fail(err);
    }
  }

  async fields(): Promise<FieldInfo[]> {
    const c = await this.connection();
    try {
      const r = await c.runAndReadAll(`DESCRIBE SELECT * FROM ${this.from}`);
      return (r.getRowObjects() as { column_name: string; column_type: string }[]).map((x) => ({
        name: x.column_name,
        type: DUCK_TS[x.column_type] ? 'date' : DUCK_NUM.test(x.column_type) ? 'number' : x.column_type === 'BOOLEAN' ? 'boolean' : x.column_type === 'VARCHAR' ? 'keyword' : 'unknown',
      }));
    } catch (err) {
      this.fail(err);
    }
  }

  async close(): Promise<void> {
    if (this.conn) (await this.conn).closeSync();
    this.instance?.closeSync();
    this.conn = undefined;
  }
}
