/**
 * Elasticsearch and OpenSearch as datafeed sources, through their official clients
 * (`@elastic/elasticsearch`, `@opensearch-project/opensearch`).
 *
 * - Records: a scroll search sorted by time, the datafeed query and a range on the time field in a
 *   `bool.filter`, the time read back as epoch ms through `docvalue_fields` (whatever its format in
 *   `_source`), `size` = scroll_size — what Elastic's own datafeeds do.
 * - Buckets: a `composite` aggregation — `date_histogram` (`fixed_interval` = the bucket span) then
 *   `terms` on the partition field — with one metric sub-aggregation per requested metric (avg,
 *   sum, min, max, value_count, percentiles 50 for the median, cardinality), paged with `after`.
 *   The cluster does the bucketing; Vigil reads one row per bucket and partition.
 *
 * Authentication: API key, basic (username/password) or a bearer token, and TLS with a CA
 * certificate (PEM) — all passed in resolved by the caller (from configuration or environment).
 * The request bodies are built by pure functions exported for tests.
 */
import { readFileSync } from 'node:fs';
import { VigilError } from '../../core/errors.js';
import { redactUrl } from './resolve-secret.js';
import { BucketPager, RecordPager, type BucketAggregation, type DatafeedSource, type FieldInfo, type MetricSpec, type SearchPage, type SearchRequest, type TimeBounds } from './source.js';

export interface ElasticsearchAuth {
  apiKey?: string;
  username?: string;
  password?: string;
  bearer?: string;
}

export interface ElasticsearchSourceOptions {
  /** `https://host:9200` (several: comma-separated). */
  url: string;
  flavor?: 'elasticsearch' | 'opensearch';
  indices: string[];
  timeField: string;
  /** The datafeed's query (passed verbatim, as Elastic does). */
  query?: Record<string, unknown>;
  auth?: ElasticsearchAuth;
  /** PEM text of the CA, or a path to it (`caFile`). */
  ca?: string;
  caFile?: string;
  /** Default true; false accepts any certificate (tests only). */
  rejectUnauthorized?: boolean;
  /** Request timeout, ms (default 60 000). */
  timeoutMs?: number;
  /** Runtime fields (Elastic's runtime_mappings), passed verbatim. */
  runtimeMappings?: Record<string, unknown>;
  /** A transport for tests (replaces the client). */
  transport?: SearchTransport;
}

/** What the source needs from a client; both official clients are wrapped into it. */
export interface SearchTransport {
  search(index: string[], body: Record<string, unknown>, params?: { scroll?: string }): Promise<Record<string, unknown>>;
  scroll(scrollId: string, scroll: string): Promise<Record<string, unknown>>;
  clearScroll(scrollId: string): Promise<void>;
  mapping(index: string[]): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** The bool filter of every search: the datafeed query and the time range (epoch ms, [start, end)). */
export function timeFilteredQuery(query: Record<string, unknown> | undefined, timeField: string, start?: number, end?: number): Record<string, unknown> {
  const range: Record<string, unknown> = { format: 'epoch_millis' };
  if (start !== undefined) range.gte = start;
  if (end !== undefined) range.lt = end;
  const filter: unknown[] = [query ?? { match_all: {} }];
  if (start !== undefined || end !== undefined) filter.push({ range: { [timeField]: range } });
  return { bool: { filter } };
}

/** The body of a records search. */
export function recordsSearchBody(o: { query?: Record<string, unknown>; timeField: string; start: number; end: number; size: number; runtimeMappings?: Record<string, unknown> }): Record<string, unknown> {
  const body: Record<string, unknown> = {
    size: o.size,
    query: timeFilteredQuery(o.query, o.timeField, o.start, o.end),
    sort: [{ [o.timeField]: { order: 'asc' } }, '_doc'],
    docvalue_fields: [{ field: o.timeField, format: 'epoch_millis' }],
    track_total_hits: false,
  };
  if (o.runtimeMappings) body.runtime_mappings = o.runtimeMappings;
  return body;
}

function metricAgg(m: MetricSpec): Record<string, unknown> {
  switch (m.fn) {
    case 'avg':
    case 'sum':
    case 'min':
    case 'max':
    case 'value_count':
    case 'cardinality':
      return { [m.fn]: { field: m.field } };
    case 'median':
      return { percentiles: { field: m.field, percents: [50] } };
    default:
      throw new VigilError('INVALID_ARGUMENT', `unknown metric ${String(m.fn)}`);
  }
}

/** The body of a buckets search: composite(date_histogram[, terms]) with metric sub-aggregations. */
export function bucketsSearchBody(o: {
  query?: Record<string, unknown>;
  timeField: string;
  start: number;
  end: number;
  agg: BucketAggregation;
  size: number;
  after?: Record<string, unknown>;
  runtimeMappings?: Record<string, unknown>;
}): Record<string, unknown> {
  const sources: Record<string, unknown>[] = [{ t: { date_histogram: { field: o.timeField, fixed_interval: `${o.agg.spanMs}ms`, order: 'asc' } } }];
  if (o.agg.partitionField !== undefined) sources.push({ p: { terms: { field: o.agg.partitionField, missing_bucket: true, order: 'asc' } } });
  const aggs: Record<string, unknown> = {};
  o.agg.metrics.forEach((m, k) => (aggs[`m${k}`] = metricAgg(m)));
  const composite: Record<string, unknown> = { size: o.size, sources };
  if (o.after) composite.after = o.after;
  const body: Record<string, unknown> = {
    size: 0,
    query: timeFilteredQuery(o.query, o.timeField, o.start, o.end),
    aggs: { buckets: { composite, aggs } },
    track_total_hits: false,
  };
  if (o.runtimeMappings) body.runtime_mappings = o.runtimeMappings;
  return body;
}

function metricValue(m: MetricSpec, v: Record<string, unknown> | undefined): number {
  if (!v) return NaN;
  if (m.fn === 'median') {
    const vals = v.values as Record<string, number | null> | { key: number; value: number | null }[] | undefined;
    const x = Array.isArray(vals) ? vals[0]?.value : vals?.['50.0'];
    return x === null || x === undefined ? NaN : Number(x);
  }
  const x = v.value;
  return x === null || x === undefined ? NaN : Number(x);
}

function connectionError(err: unknown): boolean {
  const e = err as { name?: string; meta?: { statusCode?: number }; statusCode?: number };
  const status = e.meta?.statusCode ?? e.statusCode;
  return e.name === 'ConnectionError' || e.name === 'TimeoutError' || e.name === 'NoLivingConnectionsError' || status === 502 || status === 503 || status === 504 || status === 429;
}

export class ElasticsearchSource implements DatafeedSource {
  readonly kind: string;
  readonly timeField: string;
  private transportP: Promise<SearchTransport> | undefined;
  private readonly shown: string;

  constructor(private readonly o: ElasticsearchSourceOptions) {
    if (!o.indices.length) throw new VigilError('INVALID_ARGUMENT', 'an elasticsearch source needs at least one index');
    this.kind = o.flavor ?? 'elasticsearch';
    this.timeField = o.timeField;
    this.shown = o.url
      .split(',')
      .map((u) => redactUrl(u.trim()))
      .join(',');
  }

  private transport(): Promise<SearchTransport> {
    this.transportP ??= this.o.transport ? Promise.resolve(this.o.transport) : this.o.flavor === 'opensearch' ? openSearchTransport(this.o) : elasticTransport(this.o);
    return this.transportP;
  }

  private fail(err: unknown): never {
    if (err instanceof VigilError) throw err;
    const e = err as { message?: string; meta?: { body?: { error?: { reason?: string; type?: string } } } };
    const reason = e.meta?.body?.error?.reason ?? e.message ?? String(err);
    if (connectionError(err)) throw new VigilError('SOURCE_UNAVAILABLE', `${this.kind} source ${this.shown} is unavailable: ${reason}`);
    throw new VigilError('INVALID_ARGUMENT', `${this.kind} source ${this.shown}: ${reason}`);
  }

  pushesDown(_agg: BucketAggregation): boolean {
    return true;
  }

  async *search(req: SearchRequest): AsyncGenerator<SearchPage> {
    const t = await this.transport();
    const size = req.pageSize ?? 10_000;
    if (req.aggregation) {
      const agg = req.aggregation;
      const names = agg.metrics.map((m) => m.name);
      const pager = new BucketPager(size, names, agg.partitionField !== undefined);
      const values = new Float64Array(names.length);
      let after: Record<string, unknown> | undefined;
      for (;;) {
        if (req.signal?.aborted) return;
        let res: Record<string, unknown>;
        try {
          res = await t.search(this.o.indices, bucketsSearchBody({ query: this.o.query, timeField: this.timeField, start: req.start, end: req.end, agg, size: Math.min(size, 10_000), after, runtimeMappings: this.o.runtimeMappings }));
        } catch (err) {
          this.fail(err);
        }
        const comp = (res.aggregations as Record<string, { buckets: Record<string, unknown>[]; after_key?: Record<string, unknown> }> | undefined)?.buckets;
        const buckets = comp?.buckets ?? [];
        for (const b of buckets) {
          const key = b.key as { t: number; p?: unknown };
          agg.metrics.forEach((m, k) => (values[k] = metricValue(m, b[`m${k}`] as Record<string, unknown> | undefined)));
          const p = pager.push(Number(key.t), Number(b.doc_count), values, agg.partitionField !== undefined ? (key.p === null || key.p === undefined ? '' : String(key.p)) : null);
          if (p) yield p;
        }
        if (buckets.length === 0 || !comp?.after_key) break;
        after = comp.after_key;
      }
      const last = pager.cut();
      if (last) yield last;
      return;
    }
    const pager = new RecordPager(size);
    let scrollId: string | undefined;
    try {
      let res: Record<string, unknown>;
      try {
        res = await t.search(this.o.indices, recordsSearchBody({ query: this.o.query, timeField: this.timeField, start: req.start, end: req.end, size: Math.min(size, 10_000), runtimeMappings: this.o.runtimeMappings }), { scroll: '5m' });
      } catch (err) {
        this.fail(err);
      }
      for (;;) {
        scrollId = (res._scroll_id as string | undefined) ?? scrollId;
        const hits = ((res.hits as { hits?: Record<string, unknown>[] } | undefined)?.hits ?? []) as { _source?: Record<string, unknown>; fields?: Record<string, unknown[]> }[];
        if (hits.length === 0) break;
        for (const h of hits) {
          const doc: Record<string, unknown> = { ...(h._source ?? {}) };
          const tv = h.fields?.[this.timeField]?.[0];
          const ms = typeof tv === 'number' ? tv : Number(tv);
          doc[this.timeField] = ms;
          const p = pager.push(doc, ms);
          if (p) yield p;
        }
        if (req.signal?.aborted || !scrollId) break;
        try {
          res = await t.scroll(scrollId, '5m');
        } catch (err) {
          this.fail(err);
        }
      }
    } finally {
      if (scrollId) await t.clearScroll(scrollId).catch(() => undefined);
    }
    const last = pager.cut();
    if (last) yield last;
  }

  async timeBounds(range: { start?: number; end?: number } = {}): Promise<TimeBounds> {
    const t = await this.transport();
    try {
      const res = await t.search(this.o.indices, {
        size: 0,
        query: timeFilteredQuery(this.o.query, this.timeField, range.start, range.end),
        aggs: { lo: { min: { field: this.timeField } }, hi: { max: { field: this.timeField } } },
        track_total_hits: false,
      });
      const a = res.aggregations as { lo?: { value: number | null }; hi?: { value: number | null } } | undefined;
      return { earliest: a?.lo?.value ?? null, latest: a?.hi?.value ?? null };
    } catch (err) {
      this.fail(err);
    }
  }

  async fields(): Promise<FieldInfo[]> {
    const t = await this.transport();
    let m: Record<string, unknown>;
    try {
      m = await t.mapping(this.o.indices);
    } catch (err) {
      this.fail(err);
    }
    const out = new Map<string, FieldInfo['type']>();
    const walk = (props: Record<string, { type?: string; properties?: Record<string, unknown> }>, prefix: string): void => {
      for (const [name, def] of Object.entries(props)) {
        const full = prefix + name;
        if (def.properties) walk(def.properties as Record<string, { type?: string }>, full + '.');
        const ty = def.type ?? '';
        out.set(full, /date/.test(ty) ? 'date' : /long|integer|short|byte|double|float|scaled_float|unsigned_long/.test(ty) ? 'number' : ty === 'keyword' || ty === 'text' ? 'keyword' : ty === 'boolean' ? 'boolean' : 'unknown');
      }
    };
    for (const idx of Object.values(m)) {
      const props = (idx as { mappings?: { properties?: Record<string, { type?: string }> } }).mappings?.properties;
      if (props) walk(props, '');
    }
    return [...out].map(([name, type]) => ({ name, type }));
  }

  async close(): Promise<void> {
    if (this.transportP) await (await this.transportP).close();
  }
}

function caOf(o: ElasticsearchSourceOptions): string | undefined {
  if (o.ca) return o.ca;
  if (o.caFile) return readFileSync(o.caFile, 'utf8');
  return undefined;
}

async function elasticTransport(o: ElasticsearchSourceOptions): Promise<SearchTransport> {
  const { Client } = await import('@elastic/elasticsearch');
  const ca = caOf(o);
  const auth = o.auth?.apiKey ? { apiKey: o.auth.apiKey } : o.auth?.bearer ? { bearer: o.auth.bearer } : o.auth?.username ? { username: o.auth.username, password: o.auth.password ?? '' } : undefined;
  const client = new Client({
    nodes: o.url.split(',').map((u) => u.trim()),
    ...(auth ? { auth } : {}),
    ...(ca || o.rejectUnauthorized === false ? { tls: { ...(ca ? { ca } : {}), rejectUnauthorized: o.rejectUnauthorized ?? true } } : {}),
    requestTimeout: o.timeoutMs ?? 60_000,
    maxRetries: 1,
  });
  return {
    search: async (index, body, params) => (await client.search({ index, ...body, ...(params?.scroll ? { scroll: params.scroll } : {}) } as never)) as unknown as Record<string, unknown>,
    scroll: async (id, scroll) => (await client.scroll({ scroll_id: id, scroll })) as unknown as Record<string, unknown>,
    clearScroll: async (id) => {
      await client.clearScroll({ scroll_id: id });
    },
    mapping: async (index) => (await client.indices.getMapping({ index })) as unknown as Record<string, unknown>,
    close: () => client.close(),
  };
}

async function openSearchTransport(o: ElasticsearchSourceOptions): Promise<SearchTransport> {
  const { Client } = await import('@opensearch-project/opensearch');
  const ca = caOf(o);
  const client = new Client({
    nodes: o.url.split(',').map((u) => u.trim()),
    ...(o.auth?.username ? { auth: { username: o.auth.username, password: o.auth.password ?? '' } } : {}),
    ...(o.auth?.apiKey || o.auth?.bearer ? { headers: { authorization: o.auth.apiKey ? `ApiKey ${o.auth.apiKey}` : `Bearer ${o.auth.bearer}` } } : {}),
    ...(ca || o.rejectUnauthorized === false ? { ssl: { ...(ca ? { ca } : {}), rejectUnauthorized: o.rejectUnauthorized ?? true } } : {}),
    requestTimeout: o.timeoutMs ?? 60_000,
    maxRetries: 1,
  } as never);
  const c = client as unknown as {
    search(p: unknown): Promise<{ body: Record<string, unknown> }>;
    scroll(p: unknown): Promise<{ body: Record<string, unknown> }>;
    clearScroll(p: unknown): Promise<unknown>;
    indices: { getMapping(p: unknown): Promise<{ body: Record<string, unknown> }> };
    close(): Promise<void>;
  };
  return {
    search: async (index, body, params) => (await c.search({ index: index.join(','), body, ...(params?.scroll ? { scroll: params.scroll } : {}) })).body,
    scroll: async (id, scroll) => (await c.scroll({ body: { scroll_id: id, scroll } })).body,
    clearScroll: async (id) => {
      await c.clearScroll({ body: { scroll_id: id } });
    },
    mapping: async (index) => (await c.indices.getMapping({ index: index.join(',') })).body,
    close: () => c.close(),
  };
}
