/**
 * `vigil detect --source URL`: reads a datafeed source (PostgreSQL, a Prometheus-compatible
 * store, Elasticsearch/OpenSearch, Parquet/CSV/NDJSON files or globs) as the series the detect
 * command analyses, in the shape of `readSeries` (typed-array batches and an input report), so the
 * command needs no other change.
 *
 * With `--bucket-span`, the bucketing is pushed down to the store for functions where one value per
 * bucket is the same as all of them (mean, min, max, median, sum and their variants: the store's
 * value per bucket and partition is passed on); count functions receive the store's document count
 * per bucket (expanded to that many records at the bucket's start, which counts exactly the
 * same); other functions, or no bucket span, read the documents themselves.
 *
 * Options (removed from the argument list before the command parses the rest):
 *   --source URL        postgres://…, prometheus+http://…, elasticsearch+https://…, opensearch+https://…,
 *                       file:PATH or a folder / glob / .parquet path
 *   --table NAME        PostgreSQL table (or view)
 *   --query TEXT        PostgreSQL: a SELECT; Prometheus: PromQL; Elasticsearch / files: query DSL (JSON)
 *   --selector SEL      Prometheus series selector (the rollups are written by Vigil)
 *   --index NAME        Elasticsearch / OpenSearch index (comma-separated, wildcards)
 *   --start TIME, --end TIME   the range to read (default: all the source holds)
 *   Credentials: in the URL (`${ENV}` references are substituted), or VIGIL_SOURCE_API_KEY /
 *   VIGIL_SOURCE_USERNAME / VIGIL_SOURCE_PASSWORD / VIGIL_SOURCE_CA_FILE for Elasticsearch.
 */
import { parseFunction } from '../../core/bucket/functions.js';
import { VigilError } from '../../core/errors.js';
import { epochToMs } from '../../core/time/parse-timestamp.js';
import { newInputReport, type InputReport } from '../input-report.js';
import type { SeriesBatch } from '../series-batch.js';
import { aggregateRecords, getField, numberOf } from './aggregate-records.js';
import { openSource, specFromUrl } from './open-source.js';
import { redactUrl, resolveSecret } from './resolve-secret.js';
import type { BucketAggregation, DatafeedSource, MetricFn, SearchPage } from './source.js';

export interface SourceArgs {
  url: string;
  table?: string;
  query?: string;
  selector?: string;
  index?: string;
  start?: string;
  end?: string;
  /** What the command shows instead of a file name (credentials removed). */
  label: string;
}

const FLAGS = ['--source', '--table', '--query', '--selector', '--index', '--start', '--end'];

/** Takes the source options out of `argv`. */
export function splitSourceArgs(argv: string[]): { rest: string[]; source?: SourceArgs } {
  const rest: string[] = [];
  const got: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (FLAGS.includes(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new VigilError('USAGE', `${name} needs a value`);
      got[name.slice(2)] = v;
    } else rest.push(a);
  }
  if (got.source === undefined) {
    const stray = Object.keys(got);
    if (stray.length) throw new VigilError('USAGE', `--${stray[0]} is an option of --source`);
    return { rest };
  }
  return { rest, source: { url: got.source, table: got.table, query: got.query, selector: got.selector, index: got.index, start: got.start, end: got.end, label: redactUrl(got.source) } };
}

const PUSH: Record<string, MetricFn> = { mean: 'avg', min: 'min', max: 'max', median: 'median', sum: 'sum', non_null_sum: 'sum' };

function parseWhen(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  // epoch digits: up to 10 seconds, up to 14 milliseconds, up to 17 microseconds, else nanoseconds
  if (/^\d+$/.test(text)) return epochToMs(text, text.length <= 10 ? 's' : text.length <= 14 ? 'ms' : text.length <= 17 ? 'us' : 'ns');
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) || !/T|\d:\d/.test(text) ? text : text + 'Z');
  if (!Number.isFinite(t)) throw new VigilError('USAGE', `${what} must be an ISO 8601 time or epoch seconds/milliseconds/microseconds/nanoseconds, got [${text}]`);
  return t;
}

export interface SourceReaderOptions {
  timeField?: string;
  valueField?: string;
  partitionField?: string;
  function?: string;
  bucketSpanMs?: number;
  batchSize?: number;
}

/** A `readSeries`-shaped reader over a datafeed source. */
export interface SourceSeriesReader extends AsyncIterable<SeriesBatch> {
  readonly report: InputReport;
  /** Whether the store did the bucketing, and in which form (for the summary line). */
  readonly pushedDown: string | null;
}

export function openSourceReader(a: SourceArgs, o: SourceReaderOptions, env: NodeJS.ProcessEnv = process.env): SourceSeriesReader {
  const url = resolveSecret(a.url, '--source', env)!;
  let dsl: Record<string, unknown> | undefined;
  const spec = specFromUrl(url, {
    table: a.table,
    timeField: o.timeField,
    valueField: o.valueField,
    partitionField: o.partitionField,
    apiKey: env.VIGIL_SOURCE_API_KEY,
    username: env.VIGIL_SOURCE_USERNAME,
    password: env.VIGIL_SOURCE_PASSWORD,
    caFile: env.VIGIL_SOURCE_CA_FILE,
  });
  if (spec.type === 'postgres' && a.query !== undefined) spec.sql = a.query;
  else if (spec.type === 'prometheus') {
    if (a.query !== undefined) spec.query = a.query;
    else spec.selector = a.selector;
  } else if (a.query !== undefined) {
    try {
      dsl = JSON.parse(a.query) as Record<string, unknown>;
    } catch {
      throw new VigilError('USAGE', '--query must be query DSL in JSON for this source');
    }
  }
  if (spec.type === 'postgres' && spec.sql === undefined && spec.table === undefined) throw new VigilError('USAGE', 'a postgres --source needs --table or --query "SELECT …"');
  const report = newInputReport();
  report.format = null;
  const reader = {
    report,
    pushedDown: null as string | null,
    async *[Symbol.asyncIterator](): AsyncGenerator<SeriesBatch> {
      const source = openSource(spec, { indices: a.index ? a.index.split(',') : a.table ? [a.table] : [], query: dsl, timeField: o.timeField ?? 'time' });
      try {
        yield* read(source);
      } finally {
        await source.close();
      }
    },
  };
  const read = async function* (source: DatafeedSource): AsyncGenerator<SeriesBatch> {
    // fields: named, or the first date and number fields the source reports
    const fields = o.timeField && (o.valueField || o.function) ? [] : await source.fields();
    const timeField = o.timeField ?? (spec.type === 'prometheus' ? 'timestamp' : fields.find((f) => f.type === 'date')?.name);
    if (!timeField) throw new VigilError('FIELD_NOT_FOUND', `--source ${a.label}: no time field found; name it with --time-field`);
    const fn = o.function ? parseFunction(o.function) : null;
    const valueField = o.valueField ?? (fn?.isCount ? undefined : spec.type === 'prometheus' ? 'value' : fields.find((f) => f.type === 'number' && f.name !== timeField)?.name);
    Object.assign(report, { timeField, valueField: valueField ?? null, partitionField: o.partitionField ?? null, timeFormat: 'epoch_ms' });
    const fnName = fn?.name ?? (valueField ? 'mean' : 'count');
    const base = fnName.replace(/^(high|low)_/, '');
    const isCount = fn ? fn.isCount : !valueField;
    let start = parseWhen(a.start, '--start');
    let end = parseWhen(a.end, '--end');
    if (start === undefined || end === undefined) {
      const b = await source.timeBounds({ start, end });
      start ??= b.earliest ?? 0;
      end ??= (b.latest ?? start) + 1;
    }
    let agg: BucketAggregation | undefined;
    if (o.bucketSpanMs !== undefined && (isCount || (PUSH[base] && valueField))) {
      agg = { spanMs: o.bucketSpanMs, metrics: isCount ? [] : [{ name: 'value', fn: PUSH[base], field: valueField! }], ...(o.partitionField ? { partitionField: o.partitionField } : {}) };
      start = Math.floor(start / o.bucketSpanMs) * o.bucketSpanMs;
      reader.pushedDown = source.pushesDown(agg) ? `${source.kind} (${isCount ? 'document count' : `${PUSH[base]}(${valueField})`} per ${o.bucketSpanMs / 1000}s bucket${o.partitionField ? ` and ${o.partitionField}` : ''})` : null;
    }
    // Pages (and PostgreSQL's FETCHes) of 16 384 rows: the source reads the next page while the
    // model works on this one, so what is left after the store's last page is small. The first
    // batch stays large: the command infers (or checks) the bucket span from it.
    const pageSize = 16_384;
    let pages: AsyncIterable<SearchPage> = source.search({ start, end, aggregation: agg, pageSize });
    if (agg && !source.pushesDown(agg)) pages = aggregateRecords(pages, agg, source.timeField, pageSize);
    const first = o.batchSize ?? 65_536;
    let size = first;
    let b = newBatch(size, !!o.partitionField);
    const out: SeriesBatch[] = [];
    const push = (t: number, v: number, p: string | null): void => {
      b.time[b.n] = t;
      b.value[b.n] = v;
      b.line[b.n] = report.rows + 1;
      if (b.partition) b.partition.push(p ?? '');
      b.n++;
      report.rows++;
      report.processed++;
      if (t < report.minTime || Number.isNaN(report.minTime)) report.minTime = t;
      if (t > report.maxTime || Number.isNaN(report.maxTime)) report.maxTime = t;
      if (b.n === size) {
        out.push(b);
        size = Math.min(first, pageSize);
        b = newBatch(size, !!o.partitionField);
      }
    };
    for await (const page of pages) {
      if (page.kind === 'buckets') {
        const vals = page.metrics.value;
        for (let i = 0; i < page.n; i++) {
          const p = page.partition ? page.partition[i] : null;
          if (isCount) for (let k = 0; k < page.docCount[i]; k++) push(page.time[i], 1, p);
          else if (!Number.isNaN(vals[i])) push(page.time[i], vals[i], p);
        }
      } else {
        for (const d of page.docs) {
          const t = d[source.timeField] as number;
          const v = valueField ? numberOf(getField(d, valueField)) : 1;
          if (valueField && !Number.isFinite(v)) {
            report.badRows++;
            report.processed++;
            report.bad.non_numeric.count++;
            continue;
          }
          push(t, v, o.partitionField ? String(getField(d, o.partitionField) ?? '') : null);
        }
      }
      while (out.length) yield out.shift()!;
    }
    if (b.n) yield trim(b);
  };
  return reader;
}

function newBatch(n: number, partitioned: boolean): SeriesBatch & { n: number } {
  return { n: 0, time: new Float64Array(n), value: new Float64Array(n), line: new Float64Array(n), partition: partitioned ? [] : null, category: null, rawTime: null };
}

function trim(b: SeriesBatch): SeriesBatch {
  return { ...b, time: b.time.slice(0, b.n), value: b.value.slice(0, b.n), line: b.line.slice(0, b.n) };
}
