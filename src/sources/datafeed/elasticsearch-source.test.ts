import { describe, expect, it } from 'vitest';
import { VigilError } from '../../core/errors.js';
import { bucketsSearchBody, ElasticsearchSource, recordsSearchBody, timeFilteredQuery, type SearchTransport } from './elasticsearch-source.js';
import { bucketRows, collectPages } from './source.js';
import { sourceContract, type ContractRow } from './test-kit/source-contract.js';

describe('elasticsearch source: the requests it builds', () => {
  it('records: the datafeed query and the time range in bool.filter, sorted by time, time read as epoch_millis', () => {
    expect(recordsSearchBody({ query: { term: { host: 'a' } }, timeField: '@timestamp', start: 1000, end: 2000, size: 500 })).toEqual({
      size: 500,
      query: { bool: { filter: [{ term: { host: 'a' } }, { range: { '@timestamp': { format: 'epoch_millis', gte: 1000, lt: 2000 } } }] } },
      sort: [{ '@timestamp': { order: 'asc' } }, '_doc'],
      docvalue_fields: [{ field: '@timestamp', format: 'epoch_millis' }],
      track_total_hits: false,
    });
  });
  it('buckets: composite date_histogram (fixed_interval = span) then terms, one metric sub-aggregation each, paged with after', () => {
    const body = bucketsSearchBody({
      timeField: 'ts',
      start: 0,
      end: 3_600_000,
      size: 1000,
      after: { t: 60_000, p: 'b' },
      agg: {
        spanMs: 60_000,
        partitionField: 'host',
        metrics: [
          { name: 'mean', fn: 'avg', field: 'value' },
          { name: 'med', fn: 'median', field: 'value' },
          { name: 'users', fn: 'cardinality', field: 'user' },
        ],
      },
    });
    expect(body).toEqual({
      size: 0,
      query: { bool: { filter: [{ match_all: {} }, { range: { ts: { format: 'epoch_millis', gte: 0, lt: 3_600_000 } } }] } },
      aggs: {
        buckets: {
          composite: {
            size: 1000,
            sources: [{ t: { date_histogram: { field: 'ts', fixed_interval: '60000ms', order: 'asc' } } }, { p: { terms: { field: 'host', missing_bucket: true, order: 'asc' } } }],
            after: { t: 60_000, p: 'b' },
          },
          aggs: { m0: { avg: { field: 'value' } }, m1: { percentiles: { field: 'value', percents: [50] } }, m2: { cardinality: { field: 'user' } } },
        },
      },
      track_total_hits: false,
    });
  });
  it('time bounds without a range keep the query only', () => {
    expect(timeFilteredQuery(undefined, 'ts')).toEqual({ bool: { filter: [{ match_all: {} }] } });
  });
  it('an unreachable cluster is SOURCE_UNAVAILABLE, with the password out of the message', async () => {
    const src = new ElasticsearchSource({ url: 'http://elastic:s3cret@127.0.0.1:1', indices: ['x'], timeField: 'ts', timeoutMs: 2000 });
    const err = await collectPages(src.search({ start: 0, end: 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('SOURCE_UNAVAILABLE');
    expect((err as VigilError).message).not.toContain('s3cret');
    await src.close();
  });
});

/**
 * A stand-in cluster for the request/response round trip: answers exactly the bodies the source
 * builds (bool.filter of match_all/term and a range; composite date_histogram/terms with avg, sum,
 * min, max; scroll sorted by time) from rows in memory, with small pages to exercise paging.
 */
function fakeCluster(rows: ContractRow[], pageSize = 7): SearchTransport & { requests: number } {
  const scrolls = new Map<string, { hits: unknown[]; pos: number }>();
  const matches = (q: Record<string, unknown>, r: ContractRow): boolean => {
    const filter = (q.bool as { filter: Record<string, unknown>[] }).filter;
    return filter.every((f) => {
      if (f.match_all) return true;
      if (f.term) return Object.entries(f.term as Record<string, unknown>).every(([k, v]) => (r as unknown as Record<string, unknown>)[k] === v);
      const range = (f.range as Record<string, { gte?: number; lt?: number }>).ts;
      return (range.gte === undefined || r.ts >= range.gte) && (range.lt === undefined || r.ts < range.lt);
    });
  };
  const t: SearchTransport & { requests: number } = {
    requests: 0,
    async search(_index, body, params) {
      t.requests++;
      const sel = rows.filter((r) => matches(body.query as Record<string, unknown>, r));
      const aggs = body.aggs as Record<string, { composite?: { size: number; sources: Record<string, { date_histogram?: { fixed_interval: string } }>[]; after?: { t: number; p?: string } }; aggs?: Record<string, Record<string, { field: string }>>; min?: unknown }>;
      if (aggs?.lo) {
        const ts = sel.map((r) => r.ts);
        return { aggregations: { lo: { value: ts.length ? Math.min(...ts) : null }, hi: { value: ts.length ? Math.max(...ts) : null } } };
      }
      if (aggs?.buckets) {
        const comp = aggs.buckets.composite!;
        const span = Number(comp.sources[0].t.date_histogram!.fixed_interval.replace('ms', ''));
        const byP = comp.sources.length > 1;
        const groups = new Map<string, { t: number; p?: string; rows: ContractRow[] }>();
        for (const r of sel) {
          const b = Math.floor(r.ts / span) * span;
          const k = `${b}|${byP ? r.host : ''}`;
          if (!groups.has(k)) groups.set(k, { t: b, ...(byP ? { p: r.host } : {}), rows: [] });
          groups.get(k)!.rows.push(r);
        }
        let list = [...groups.values()].sort((a, b) => a.t - b.t || String(a.p).localeCompare(String(b.p)));
        if (comp.after) list = list.filter((g) => g.t > comp.after!.t || (g.t === comp.after!.t && byP && String(g.p) > String(comp.after!.p)));
        const page = list.slice(0, Math.min(comp.size, pageSize));
        const buckets = page.map((g) => {
          const out: Record<string, unknown> = { key: { t: g.t, ...(byP ? { p: g.p } : {}) }, doc_count: g.rows.length };
          for (const [name, def] of Object.entries(aggs.buckets.aggs!)) {
            const [fn] = Object.keys(def);
            const vs = g.rows.map((r) => r.value).filter((v): v is number => v !== null);
            const value = vs.length === 0 ? null : fn === 'avg' ? vs.reduce((a, b) => a + b, 0) / vs.length : fn === 'sum' ? vs.reduce((a, b) => a + b, 0) : fn === 'min' ? Math.min(...vs) : Math.max(...vs);
            out[name] = { value: fn === 'sum' && value === null ? 0 : value };
          }
          return out;
        });
        return { aggregations: { buckets: { buckets, ...(page.length ? { after_key: page[page.length - 1] && { t: page[page.length - 1].t, ...(byP ? { p: page[page.length - 1].p } : {}) } } : {}) } } };
      }
      const hits = sel.sort((a, b) => a.ts - b.ts).map((r) => ({ _source: { ts: new Date(r.ts).toISOString(), value: r.value, host: r.host }, fields: { ts: [String(r.ts)] } }));
      const id = `s${scrolls.size}`;
      scrolls.set(id, { hits, pos: Math.min(pageSize, hits.length) });
      void params;
      return { _scroll_id: id, hits: { hits: hits.slice(0, pageSize) } };
    },
    async scroll(id) {
      const s = scrolls.get(id)!;
      const page = s.hits.slice(s.pos, s.pos + pageSize);
      s.pos += page.length;
      return { _scroll_id: id, hits: { hits: page } };
    },
    async clearScroll(id) {
      scrolls.delete(id);
    },
    async mapping() {
      return { idx: { mappings: { properties: { ts: { type: 'date' }, value: { type: 'double' }, host: { type: 'keyword' } } } } };
    },
    async close() {},
  };
  return t;
}

sourceContract('elasticsearch (request/response round trip against an in-memory stand-in)', async (rows) => {
  // sum of a bucket where every value is null: Elasticsearch answers 0, SQL answers NULL; the
  // stand-in answers like Elasticsearch, so the contract rows keep values non-null
  const held = rows.filter((r) => r.value !== null);
  return { source: new ElasticsearchSource({ url: 'http://stand-in', indices: ['idx'], timeField: 'ts', transport: fakeCluster(held) }), rows: held };
});

describe('elasticsearch source with a datafeed query against the stand-in', () => {
  it('filters by the query and pages the composite aggregation', async () => {
    const t0 = Date.UTC(2024, 0, 1);
    const rows: ContractRow[] = Array.from({ length: 100 }, (_, i) => ({ ts: t0 + i * 60_000, value: i, host: i % 2 ? 'a' : 'b' }));
    const fake = fakeCluster(rows, 3);
    const src = new ElasticsearchSource({ url: 'http://stand-in', indices: ['idx'], timeField: 'ts', query: { term: { host: 'a' } }, transport: fake });
    const out = bucketRows(await collectPages(src.search({ start: t0, end: t0 + 6_000_000, aggregation: { spanMs: 600_000, metrics: [{ name: 'v', fn: 'sum', field: 'value' }] } })));
    expect(out.map((r) => r.doc_count)).toEqual(Array(10).fill(5));
    expect(out[0].v).toBe(1 + 3 + 5 + 7 + 9);
    expect(fake.requests).toBe(5); // 10 buckets in pages of 3, then an empty page
  });
});

// ---------------------------------------------------------------------------------------------
// A real cluster, when VIGIL_TEST_ES_URL is set (VIGIL_TEST_ES_FLAVOR=opensearch for OpenSearch;
// VIGIL_TEST_ES_API_KEY, or VIGIL_TEST_ES_USERNAME / VIGIL_TEST_ES_PASSWORD; VIGIL_TEST_ES_CA_FILE).

const esUrl = process.env.VIGIL_TEST_ES_URL;
const esSkip = esUrl ? undefined : 'VIGIL_TEST_ES_URL is not set (no Elasticsearch/OpenSearch can be installed on these machines; set it to run against a real cluster)';

sourceContract(
  `${process.env.VIGIL_TEST_ES_FLAVOR ?? 'elasticsearch'} (real cluster at VIGIL_TEST_ES_URL)`,
  async (rows) => {
    const flavor = process.env.VIGIL_TEST_ES_FLAVOR === 'opensearch' ? 'opensearch' : 'elasticsearch';
    const index = `vigil-contract-${Date.now()}`;
    const auth = { apiKey: process.env.VIGIL_TEST_ES_API_KEY, username: process.env.VIGIL_TEST_ES_USERNAME, password: process.env.VIGIL_TEST_ES_PASSWORD };
    const ca = process.env.VIGIL_TEST_ES_CA_FILE;
    // index the rows with a plain bulk request (works for both products)
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
    if (auth.apiKey) headers.authorization = `ApiKey ${auth.apiKey}`;
    else if (auth.username) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}`;
    const base = esUrl!.replace(/\/+$/, '');
    await fetch(`${base}/${index}`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ mappings: { properties: { ts: { type: 'date', format: 'epoch_millis' }, value: { type: 'double' }, host: { type: 'keyword' } } } }) });
    const body = rows.flatMap((r) => [JSON.stringify({ index: {} }), JSON.stringify({ ts: r.ts, value: r.value, host: r.host })]).join('\n') + '\n';
    const res = await fetch(`${base}/${index}/_bulk?refresh=true`, { method: 'POST', headers, body });
    if (!res.ok) throw new Error(`bulk failed: ${res.status} ${await res.text()}`);
    return {
      source: new ElasticsearchSource({ url: esUrl!, flavor, indices: [index], timeField: 'ts', auth, caFile: ca }),
      async close() {
        await fetch(`${base}/${index}`, { method: 'DELETE', headers });
      },
    };
  },
  { skipReason: esSkip },
);
