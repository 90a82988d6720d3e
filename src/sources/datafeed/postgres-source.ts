/**
 * PostgreSQL as a datafeed source: a table (or view) or any SELECT, read through a server-side
 * cursor in pages, with bucketing (`date_bin`) and the metrics done by the database when a search
 * asks for an aggregation. The datafeed's query (Elasticsearch DSL) becomes a WHERE clause with
 * bind parameters.
 *
 * Credentials: the connection string comes from the caller (resolved from configuration or the
 * environment, see resolve-secret.ts); it is never logged, and errors show it with the password
 * removed. The session runs in UTC, read-only.
 */
import pg from 'pg';
import { VigilError } from '../../core/errors.js';
import { quoteTable } from './dsl-sql.js';
import { redactUrl } from './resolve-secret.js';
import { boundsSql, bucketsSql, epochTimeType, POSTGRES_DIALECT, recordsSql, TIME_ALIAS, type SqlSourceShape, type TimeType } from './sql-source.js';
import { BucketPager, RecordPager, type BucketAggregation, type DatafeedSource, type FieldInfo, type SearchPage, type SearchRequest, type TimeBounds } from './source.js';

export interface PostgresSourceOptions {
  /** `postgres://user:password@host:port/db?sslmode=…` (resolved, never logged). */
  connection: string;
  /** A table or view (`schema.table`), or … */
  table?: string;
  /** … a SELECT whose rows are the documents. */
  sql?: string;
  timeField: string;
  /** How the time column is stored; detected from its type (numbers: epoch s, ms, µs or ns by the size of the largest; looked at again while the table is empty). */
  timeType?: TimeType;
  /** The datafeed's query (Elasticsearch DSL subset, see dsl-sql.ts). */
  query?: unknown;
  /** Connect timeout, ms (default 10 000). */
  connectTimeoutMs?: number;
}

const TYPES = {
  getTypeParser(oid: number, format?: string): (v: string) => unknown {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v); // int8, numeric → number
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

const TS_OIDS: Record<number, TimeType> = { 1184: 'timestamptz', 1114: 'timestamp', 1082: 'date' };
const NUM_OIDS = new Set([20, 21, 23, 700, 701, 1700]);

/** Connection-level failures (the server is down, restarting, unreachable) as opposed to SQL errors. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03'].includes(code) ||
    code.startsWith('08') ||
    /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection/i.test(e?.message ?? '')
  );
}

/**
 * Runs one statement whose rows are handed to `onRow` as they arrive (they are not collected);
 * resolves with the number of rows. An exception in `onRow` fails the statement once it completes.
 */
function fetchRows(client: pg.PoolClient, text: string, onRow: (row: unknown[], fields: pg.FieldDef[]) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    let failed: unknown;
    const query = new pg.Query<unknown[]>({ text, rowMode: 'array' } as pg.QueryArrayConfig as pg.QueryConfig);
    query.on('row', (row, result) => {
      n++;
      if (failed !== undefined) return;
      try {
        onRow(row, result!.fields);
      } catch (err) {
        failed = err;
      }
    });
    query.on('error', reject);
    query.on('end', () => (failed === undefined ? resolve(n) : reject(failed)));
    void client.query(query);
  });
}

export class PostgresSource implements DatafeedSource {
  readonly kind = 'postgres';
  readonly timeField: string;
  private readonly pool: pg.Pool;
  private readonly from: string;
  private timeType: TimeType | undefined;
  private readonly where: string;

  constructor(private readonly o: PostgresSourceOptions) {
    if ((o.table === undefined) === (o.sql === undefined)) throw new VigilError('INVALID_ARGUMENT', 'a postgres source needs exactly one of table or sql');
    this.timeField = o.timeField;
    this.from = o.table !== undefined ? quoteTable(o.table) : `(${o.sql!.replace(/;\s*$/, '')})`;
    this.timeType = o.timeType;
    this.where = redactUrl(o.connection);
    this.pool = new pg.Pool({
      connectionString: o.connection,
      max: 2,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: o.connectTimeoutMs ?? 10_000,
      options: '-c TimeZone=UTC -c default_transaction_read_only=on',
      application_name: 'vigil-datafeed',
      types: TYPES,
      // queries are written without waiting for the previous one's answer, so that the next FETCH
      // is already queued in the server while this one's rows are read (see search())
      pipeline: true,
    } as pg.PoolConfig);
    // an idle connection that the server drops must not crash the process; the next query reconnects
    this.pool.on('error', () => undefined);
    // and neither must a connection lost while a client is checked out (its query rejects instead)
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  private fail(err: unknown): never {
    if (err instanceof VigilError) throw err;
    const msg = (err as Error)?.message ?? String(err);
    if (isConnectionError(err)) throw new VigilError('SOURCE_UNAVAILABLE', `postgres source ${this.where} is unavailable: ${msg}`);
    throw new VigilError('INVALID_ARGUMENT', `postgres source ${this.where}: ${msg}`);
  }

  private async shape(): Promise<SqlSourceShape> {
    if (this.timeType === undefined) {
      const c = await this.pool.connect().catch((e) => this.fail(e));
      try {
        const r = await c.query(`SELECT * FROM ${this.from} AS s LIMIT 0`);
        const f = r.fields.find((x) => x.name === this.timeField);
        if (!f) throw new VigilError('FIELD_NOT_FOUND', `postgres source: no column [${this.timeField}] (columns: ${r.fields.map((x) => x.name).join(', ')})`);
        let t = TS_OIDS[f.dataTypeID];
        if (!t && NUM_OIDS.has(f.dataTypeID)) {
          const m = await c.query(`SELECT max(s."${this.timeField.replace(/"/g, '""')}")::float8 AS hi FROM ${this.from} AS s`);
          const hi = m.rows[0]?.hi as number | null | undefined;
          // no rows yet (a live datafeed started before its table filled): nothing tells seconds
          // from milliseconds, so this search (which finds nothing) guesses and the next one looks again
          if (hi === null || hi === undefined) return { from: this.from, timeField: this.timeField, timeType: 'epoch_ms', query: this.o.query };
          t = Number.isFinite(hi) ? epochTimeType(hi) : 'epoch_ms';
        }
        if (!t) throw new VigilError('INVALID_ARGUMENT', `postgres source: time column [${this.timeField}] has a type that is neither a timestamp nor a number (oid ${f.dataTypeID})`);
        this.timeType = t;
      } catch (err) {
        this.fail(err);
      } finally {
        c.release();
      }
    }
    return { from: this.from, timeField: this.timeField, timeType: this.timeType!, query: this.o.query };
  }

  pushesDown(_agg: BucketAggregation): boolean {
    return true;
  }

  /**
   * Reads through a server-side cursor with FETCHes kept in flight: the connection is pipelined and
   * two FETCHes are queued in the server at any time, so the database computes the next rows while
   * these travel, are parsed and handed to the consumer (a FETCH's rows are only sent once all of
   * them are computed: without the second one queued, the database would wait for Vigil after
   * every FETCH). Rows go into the pager as they arrive (pg's row events), not into a result array.
   */
  async *search(req: SearchRequest): AsyncGenerator<SearchPage> {
    const shape = await this.shape();
    const size = req.pageSize ?? 10_000;
    const q = req.aggregation ? bucketsSql(POSTGRES_DIALECT, shape, req.start, req.end, req.aggregation) : recordsSql(POSTGRES_DIALECT, shape, req.start, req.end);
    const client = await this.pool.connect().catch((e) => this.fail(e));
    let broken: Error | undefined;
    let finished = false;
    const inFlight: Promise<number>[] = [];
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`DECLARE vigil_cursor NO SCROLL CURSOR FOR ${q.text}`, q.values);
      const agg = req.aggregation;
      const ready: SearchPage[] = [];
      let onRow: (row: unknown[], fields: pg.FieldDef[]) => void;
      let pager: BucketPager | RecordPager;
      if (agg) {
        const names = agg.metrics.map((m) => m.name);
        const m = names.length;
        const partitioned = agg.partitionField !== undefined;
        const values = new Float64Array(m);
        const bp = new BucketPager(size, names, partitioned);
        pager = bp;
        onRow = (row) => {
          for (let k = 0; k < m; k++) {
            const v = row[2 + k];
            values[k] = v === null ? NaN : (v as number);
          }
          const page = bp.push(row[0] as number, row[1] as number, values, partitioned ? String(row[2 + m] ?? '') : null);
          if (page) ready.push(page);
        };
      } else {
        const rp = new RecordPager(size);
        pager = rp;
        let cols: string[] | null = null;
        onRow = (row, fields) => {
          cols ??= fields.map((f) => f.name);
          const doc: Record<string, unknown> = {};
          for (let k = 1; k < cols.length; k++) doc[cols[k]] = row[k];
          doc[this.timeField] = row[0];
          const page = rp.push(doc, row[0] as number);
          if (page) ready.push(page);
        };
      }
      const fetch = Math.max(1000, Math.min(size, 50_000));
      const issue = (): void => {
        const p = fetchRows(client, `FETCH FORWARD ${fetch} FROM vigil_cursor`, onRow);
        p.catch(() => undefined); // awaited below; a consumer that stops early must not leave it unhandled
        inFlight.push(p);
      };
      const aborted = (): boolean => req.signal?.aborted === true;
      // a client that does not pipeline (older pg) would only queue the second one, with a warning
      const depth = (client as { pipeline?: boolean }).pipeline === true ? 2 : 1;
      for (let i = 0; i < depth; i++) issue();
      for (;;) {
        const got = await inFlight[0];
        inFlight.shift();
        if (aborted()) break;
        const more = got === fetch;
        if (more) issue(); // (those after the last page answer no rows)
        while (ready.length && !aborted()) yield ready.shift()!;
        if (!more || aborted()) break;
      }
      while (inFlight.length) await inFlight.shift(); // aborted, or past the end, with FETCHes in flight
      // once aborted nothing more is handed out, in particular not the rows held back by the pager,
      // which may end in the middle of a bucket's partitions or a millisecond's documents
      if (!aborted()) {
        while (ready.length) yield ready.shift()!;
        const last = pager.cut();
        if (last) yield last;
      }
      await client.query('CLOSE vigil_cursor');
      await client.query('COMMIT');
      finished = true;
    } catch (err) {
      broken = err as Error;
      try {
        await Promise.allSettled(inFlight);
        await client.query('ROLLBACK');
      } catch {
        /* the connection is gone */
      }
      this.fail(err);
    } finally {
      if (!finished && !broken) {
        // the consumer stopped early (return / break): end the transaction, closing the cursor, so
        // the connection goes back to the pool clean
        try {
          await Promise.allSettled(inFlight);
          await client.query('ROLLBACK');
        } catch (err) {
          broken = err as Error;
        }
      }
      client.release(broken && isConnectionError(broken) ? broken : undefined);
    }
  }

  async timeBounds(range: { start?: number; end?: number } = {}): Promise<TimeBounds> {
    const shape = await this.shape();
    const q = boundsSql(POSTGRES_DIALECT, shape, range);
    try {
      const r = await this.pool.query(q.text, q.values);
      const row = r.rows[0] as { lo: number | null; hi: number | null } | undefined;
      return { earliest: row?.lo ?? null, latest: row?.hi ?? null };
    } catch (err) {
      this.fail(err);
    }
  }

  async fields(): Promise<FieldInfo[]> {
    try {
      const r = await this.pool.query(`SELECT * FROM ${this.from} AS s LIMIT 0`);
      return r.fields.map((f) => ({
        name: f.name,
        type: TS_OIDS[f.dataTypeID] ? 'date' : NUM_OIDS.has(f.dataTypeID) ? 'number' : f.dataTypeID === 16 ? 'boolean' : [25, 1043, 1042, 19].includes(f.dataTypeID) ? 'keyword' : 'unknown',
      }));
    } catch (err) {
      this.fail(err);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export { TIME_ALIAS };
