import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { VigilError } from '../../core/errors.js';
import { PrometheusSource, retryAfterMs } from './prometheus-source.js';
import { bucketRows, collectPages } from './source.js';
import { sourceContract } from './test-kit/source-contract.js';
import { isSkipped, startVictoriaMetrics, victoriaMetricsBinary, type VictoriaMetricsService } from './test-kit/services.js';

const skipReason = victoriaMetricsBinary() ? undefined : 'VictoriaMetrics is not installed (apt-get install -y victoria-metrics, or scripts/test-services.sh)';
let vm: VictoriaMetricsService | undefined;

afterAll(async () => {
  await vm?.destroy();
});

sourceContract(
  'prometheus query_range (VictoriaMetrics)',
  async (rows) => {
    const s = await startVictoriaMetrics();
    if (isSkipped(s)) return s;
    vm = s;
    const held = rows.filter((r) => r.value !== null);
    await s.importSamples(held.map((r) => `contract_value{host="${r.host}"} ${r.value} ${r.ts}`));
    return {
      source: new PrometheusSource({ url: s.url, selector: 'contract_value' }),
      rows: held,
      caps: { records: 'a Prometheus store answers evaluated samples per step, not raw documents' },
    };
  },
  { skipReason },
);

describe('prometheus source: the PromQL it writes', () => {
  const src = new PrometheusSource({ url: 'http://127.0.0.1:1', selector: 'http_requests{job="api"}' });
  it('pushes each metric down as a rollup over one bucket, by the partition label', () => {
    expect(src.promql('avg', 60_000, 'host')).toBe('sum by (host) (sum_over_time(http_requests{job="api"}[60000ms])) / sum by (host) (count_over_time(http_requests{job="api"}[60000ms]))');
    expect(src.promql('max', 300_000)).toBe('max (max_over_time(http_requests{job="api"}[300000ms]))');
    expect(src.promql('doc_count', 60_000)).toBe('sum (count_over_time(http_requests{job="api"}[60000ms]))');
    expect(() => src.promql('cardinality', 60_000)).toThrow(/cannot be computed/);
  });
  it('uses a full PromQL query as written, with $__interval as the bucket span', () => {
    const q = new PrometheusSource({ url: 'http://x', query: 'sum(rate(http_requests_total[$__interval]))' });
    expect(q.promql('avg', 60_000)).toBe('sum(rate(http_requests_total[60000ms]))');
  });
  it('an unreachable store is SOURCE_UNAVAILABLE', async () => {
    const err = await collectPages(src.search({ start: 0, end: 600_000, aggregation: { spanMs: 60_000, metrics: [{ name: 'v', fn: 'sum', field: 'v' }] } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('SOURCE_UNAVAILABLE');
  });
});

describe.skipIf(skipReason !== undefined)(`prometheus source against VictoriaMetrics${skipReason ? ` — skipped: ${skipReason}` : ''}`, () => {
  it('a full PromQL query; a store that goes away and comes back', async () => {
    const s = vm!;
    const t0 = Date.UTC(2024, 5, 1);
    await s.importSamples(Array.from({ length: 120 }, (_, i) => `req_total{job="api"} ${i * 10} ${t0 + i * 60_000}`));
    const src = new PrometheusSource({ url: s.url, query: 'sum(increase(req_total[$__interval]))', timeoutMs: 2000 });
    const agg = { spanMs: 600_000, metrics: [{ name: 'requests', fn: 'sum' as const, field: 'requests' }] };
    const rows = bucketRows(await collectPages(src.search({ start: t0 + 600_000, end: t0 + 3_600_000, aggregation: agg })));
    expect(rows.map((r) => r.time)).toEqual([1, 2, 3, 4, 5].map((k) => t0 + k * 600_000));
    for (const r of rows) expect(r.requests).toBeCloseTo(100, 0);
    await s.stop();
    const err = await collectPages(src.search({ start: t0 + 600_000, end: t0 + 3_600_000, aggregation: agg })).catch((e: unknown) => e);
    expect((err as VigilError).code).toBe('SOURCE_UNAVAILABLE');
    await s.start();
    expect(bucketRows(await collectPages(src.search({ start: t0 + 600_000, end: t0 + 3_600_000, aggregation: agg })))).toHaveLength(5);
  });

  it('a records search yields one document per series and step, with the series labels', async () => {
    const s = vm!;
    const t0 = Date.UTC(2024, 6, 1);
    await s.importSamples(['a', 'b'].flatMap((h, k) => Array.from({ length: 10 }, (_, i) => `rec_latency{host="${h}"} ${(k + 1) * 100 + i} ${t0 + i * 60_000}`)));
    const src = new PrometheusSource({ url: s.url, selector: 'rec_latency', stepMs: 60_000 });
    const docs = (await collectPages(src.search({ start: t0, end: t0 + 600_000 }))).flatMap((p) => (p.kind === 'records' ? p.docs : []));
    expect(docs).toHaveLength(20);
    const a = docs.filter((d) => d.host === 'a');
    expect(a.map((d) => [d.timestamp, d.value])).toEqual(Array.from({ length: 10 }, (_, i) => [t0 + i * 60_000, 100 + i]));
    expect(docs.find((d) => d.host === 'b' && d.timestamp === t0)).toMatchObject({ value: 200, doc_count: 1 });
  });
});

/**
 * A proxy in front of the store that first answers the given "not now" responses (status and
 * Retry-After), then passes requests through; it counts the requests it saw.
 */
async function throttlingProxy(target: string, refusals: { status: number; retryAfter?: string }[]): Promise<{ url: string; seen: number[]; close(): Promise<void> }> {
  const seen: number[] = [];
  const queue = [...refusals];
  const server: Server = createServer((req, res) => {
    seen.push(Date.now());
    const r = queue.shift();
    if (r) {
      res.writeHead(r.status, { 'content-type': 'application/json', ...(r.retryAfter !== undefined ? { 'retry-after': r.retryAfter } : {}) });
      res.end(JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'too many concurrent queries' }));
      return;
    }
    const up = httpRequest(new URL(req.url!, target), { method: req.method, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode!, ur.headers);
      ur.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('prometheus source: Retry-After', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});

describe.skipIf(skipReason !== undefined)(`prometheus source: 429 and 503 are retried${skipReason ? ` — skipped: ${skipReason}` : ''}`, () => {
  const t0 = Date.UTC(2024, 7, 1);
  const agg = { spanMs: 600_000, metrics: [{ name: 'v', fn: 'sum' as const, field: 'v' }] };
  const store = async () => {
    if (!vm) {
      const s = await startVictoriaMetrics();
      if (isSkipped(s)) throw new Error(s.skip);
      vm = s;
    }
    await vm.importSamples(Array.from({ length: 60 }, (_, i) => `throttled{job="api"} 1 ${t0 + i * 60_000}`));
    return vm;
  };

  it('waits as Retry-After asks (429, then 503) and then reads the data', async () => {
    const s = await store();
    const proxy = await throttlingProxy(s.url, [{ status: 429, retryAfter: '1' }, { status: 503, retryAfter: '1' }]);
    try {
      const src = new PrometheusSource({ url: proxy.url, selector: 'throttled', timeoutMs: 5000 });
      const rows = bucketRows(await collectPages(src.search({ start: t0, end: t0 + 3_600_000, aggregation: agg })));
      expect(rows.map((r) => r.v)).toEqual([10, 10, 10, 10, 10, 10]);
      expect(proxy.seen[1] - proxy.seen[0]).toBeGreaterThanOrEqual(950);
      expect(proxy.seen[2] - proxy.seen[1]).toBeGreaterThanOrEqual(950);
    } finally {
      await proxy.close();
    }
  });

  it('is bounded: a 429 that persists, or a Retry-After beyond the longest wait, is SOURCE_UNAVAILABLE (a datafeed retries it), never a permanent error', async () => {
    const s = await store();
    const proxy = await throttlingProxy(s.url, [{ status: 429, retryAfter: '0' }, { status: 429, retryAfter: '0' }, { status: 429, retryAfter: '0' }, { status: 429, retryAfter: '3600' }]);
    try {
      const src = new PrometheusSource({ url: proxy.url, selector: 'throttled', timeoutMs: 5000 });
      const err = (await collectPages(src.search({ start: t0, end: t0 + 3_600_000, aggregation: agg })).catch((e: unknown) => e)) as VigilError;
      expect(err).toBeInstanceOf(VigilError);
      expect(err.code).toBe('SOURCE_UNAVAILABLE');
      expect(err.message).toMatch(/answered 429: too many concurrent queries \(after 2 retries\)/);
      expect(proxy.seen).toHaveLength(3);
      const started = Date.now();
      const late = (await collectPages(src.search({ start: t0, end: t0 + 3_600_000, aggregation: agg })).catch((e: unknown) => e)) as VigilError;
      expect(late.code).toBe('SOURCE_UNAVAILABLE');
      expect(late.message).toMatch(/asked to be called again in 3600 s/);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(proxy.seen).toHaveLength(4);
    } finally {
      await proxy.close();
    }
  });
});
