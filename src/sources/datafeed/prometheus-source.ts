/**
 * Prometheus-compatible stores as a datafeed source, through `GET /api/v1/query_range` with
 * `step` = the bucket span — Prometheus, VictoriaMetrics, Thanos, Mimir and Cortex all speak it.
 *
 * Two ways to say what to read:
 * - `selector` (a series selector such as `http_requests{job="api"}`): the source writes the
 *   PromQL for each requested metric itself — `sum_over_time`, `count_over_time`,
 *   `min_over_time`, `max_over_time`, `quantile_over_time(0.5, …)` over a window of one bucket,
 *   summed (or min/max-ed) `by (<partition label>)` — so the store does the bucketing and the
 *   aggregation, and `doc_count` is the number of samples in the bucket;
 * - `query` (any PromQL): evaluated as written; every requested metric gets its value and
 *   `doc_count` is 1 per bucket. `$__interval` in it is replaced by the bucket span (`60000ms`).
 *
 * Alignment: a bucket `[b, b + span)` is the evaluation at `b + span − 1 ms`, whose range window
 * `(b − 1 ms, b + span − 1 ms]` holds exactly the samples of the bucket (millisecond timestamps).
 * There are no raw documents: a records search yields one document per series and step.
 */
import { VigilError } from '../../core/errors.js';
import { redactUrl } from './resolve-secret.js';
import { BucketPager, type BucketAggregation, type DatafeedSource, type FieldInfo, type MetricFn, type SearchPage, type SearchRequest, type TimeBounds } from './source.js';

export interface PrometheusSourceOptions {
  /** Base URL, e.g. `http://127.0.0.1:8428` (VictoriaMetrics) or `http://prometheus:9090`. */
  url: string;
  selector?: string;
  query?: string;
  /** Step for records searches and previews without a span (default 60 s). */
  stepMs?: number;
  /** Extra headers (e.g. `authorization`), resolved from the environment by the caller. */
  headers?: Record<string, string>;
  /** Request timeout, ms (default 30 000). */
  timeoutMs?: number;
  /** Most points per series per request (Prometheus allows 11 000; default 10 000). */
  maxPoints?: number;
  /** How far back `timeBounds` looks for the first sample when no start is given (default 10 years). */
  lookbackMs?: number;
  /**
   * Retries of one request the store turned away for now — 429 Too Many Requests, 502, 503, 504 —
   * before the search fails as SOURCE_UNAVAILABLE (which a running datafeed retries with its own
   * backoff). Default 2.
   */
  maxRetries?: number;
  /**
   * Longest wait before such a retry (default 30 000 ms). The wait is the answer's Retry-After
   * (seconds or an HTTP date) or else 1 s, 2 s, …; a Retry-After longer than this is not waited
   * for here: the search fails at once as SOURCE_UNAVAILABLE, saying when the store asked to be
   * called again.
   */
  maxRetryWaitMs?: number;
}

/** Statuses that say "not now" rather than "never": retried, then SOURCE_UNAVAILABLE. */
const RETRYABLE = new Set([429, 502, 503, 504]);

/** Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const t = header.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

const pause = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export class PrometheusSource implements DatafeedSource {
  readonly kind = 'prometheus';
  readonly timeField = 'timestamp';
  private readonly base: string;
  private readonly shown: string;

  constructor(private readonly o: PrometheusSourceOptions) {
    if ((o.selector === undefined) === (o.query === undefined)) throw new VigilError('INVALID_ARGUMENT', 'a prometheus source needs exactly one of selector or query');
    this.base = o.url.replace(/\/+$/, '');
    this.shown = redactUrl(this.base);
  }

  pushesDown(agg: BucketAggregation): boolean {
    return agg.metrics.every((m) => m.fn !== 'cardinality');
  }

  /** The PromQL for one metric over buckets of `spanMs` (exported for tests). */
  promql(fn: MetricFn | 'doc_count', spanMs: number, partitionLabel?: string): string {
    const by = partitionLabel ? ` by (${partitionLabel})` : '';
    if (this.o.query !== undefined) return fn === 'doc_count' ? '' : this.o.query.replace(/\$__interval/g, `${spanMs}ms`);
    const s = `${this.o.selector}[${spanMs}ms]`;
    switch (fn) {
      case 'doc_count':
      case 'value_count':
        return `sum${by} (count_over_time(${s}))`;
      case 'sum':
        return `sum${by} (sum_over_time(${s}))`;
      case 'avg':
        return `sum${by} (sum_over_time(${s})) / sum${by} (count_over_time(${s}))`;
      case 'min':
        return `min${by} (min_over_time(${s}))`;
      case 'max':
        return `max${by} (max_over_time(${s}))`;
      case 'median':
        return `max${by} (quantile_over_time(0.5, ${s}))`;
      default:
        throw new VigilError('INVALID_ARGUMENT', `prometheus source: metric [${fn}] cannot be computed from samples`);
    }
  }

  /** The PromQL of a records search with a selector: a rollup over one step, per series. */
  private seriesPromql(fn: 'avg' | 'count', spanMs: number): string {
    return `${fn}_over_time(${this.o.selector}[${spanMs}ms])`;
  }

  private async get(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
    const maxRetries = this.o.maxRetries ?? 2;
    const maxWait = this.o.maxRetryWaitMs ?? 30_000;
    for (let attempt = 0; ; attempt++) {
      const r = await this.getOnce(path, params, signal);
      if (!('retryAfter' in r)) return r.data;
      const wait = r.retryAfter ?? 1000 * 2 ** attempt;
      if (attempt >= maxRetries || wait > maxWait || signal?.aborted) {
        const asked = r.retryAfter !== undefined ? `; it asked to be called again in ${Math.ceil(r.retryAfter / 1000)} s` : '';
        const tries = attempt > 0 ? ` (after ${attempt} retr${attempt === 1 ? 'y' : 'ies'})` : '';
        throw new VigilError('SOURCE_UNAVAILABLE', `prometheus source ${this.shown} answered ${r.status}${r.error ? `: ${r.error}` : ''}${tries}${asked}`);
      }
      await pause(wait, signal);
    }
  }

  /** One request: the data, or a "not now" answer (its status and Retry-After) to retry. */
  private async getOnce(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<{ data: unknown } | { status: number; error: string; retryAfter: number | undefined }> {
    const u = `${this.base}${path}?${new URLSearchParams(params).toString()}`;
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.o.timeoutMs ?? 30_000);
    signal?.addEventListener('abort', () => ctrl.abort(), { once: true });
    let res: Response;
    try {
      res = await fetch(u, { headers: { accept: 'application/json', ...this.o.headers }, signal: ctrl.signal });
    } catch (err) {
      throw new VigilError('SOURCE_UNAVAILABLE', `prometheus source ${this.shown} is unavailable: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    const text = await res.text();
    let body: { status?: string; data?: unknown; error?: string; errorType?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = { error: text.slice(0, 300) };
    }
    if (RETRYABLE.has(res.status)) return { status: res.status, error: (body.error ?? '').trim(), retryAfter: retryAfterMs(res.headers.get('retry-after')) };
    if (res.status >= 500 && body.errorType !== 'bad_data') {
      throw new VigilError('SOURCE_UNAVAILABLE', `prometheus source ${this.shown} answered ${res.status}: ${body.error ?? ''}`);
    }
    if (!res.ok || body.status !== 'success') throw new VigilError('INVALID_ARGUMENT', `prometheus source ${this.shown}: ${body.errorType ?? res.status} ${body.error ?? ''}`.trim());
    return { data: body.data };
  }

  private async range(query: string, startEval: number, endEval: number, stepMs: number, signal?: AbortSignal): Promise<MatrixSeries[]> {
    const data = (await this.get(
      '/api/v1/query_range',
      { query, start: (startEval / 1000).toFixed(3), end: (endEval / 1000).toFixed(3), step: `${stepMs}ms`, nocache: '1' },
      signal,
    )) as { resultType: string; result: MatrixSeries[] };
    if (data.resultType !== 'matrix') throw new VigilError('INVALID_ARGUMENT', `prometheus source: query_range answered a ${data.resultType}, expected a matrix`);
    return data.result;
  }

  async *search(req: SearchRequest): AsyncGenerator<SearchPage> {
    const agg = req.aggregation;
    const step = agg?.spanMs ?? this.o.stepMs ?? 60_000;
    const first = Math.ceil(req.start / step) * step;
    if (first >= req.end) return;
    const maxPoints = this.o.maxPoints ?? 10_000;
    const label = agg?.partitionField;
    const metrics = agg ? agg.metrics : [{ name: 'value', fn: 'avg' as MetricFn, field: 'value' }];
    const names = metrics.map((m) => m.name);
    // records: one document per series and step, so the rollups are not summed across series
    const promqlOf = (fn: MetricFn | 'doc_count'): string => (agg || this.o.query !== undefined ? this.promql(fn, step, label) : this.seriesPromql(fn === 'doc_count' ? 'count' : 'avg', step));
    for (let chunkStart = first; chunkStart < req.end; chunkStart += maxPoints * step) {
      if (req.signal?.aborted) return;
      const lastBucket = Math.min(req.end - 1, chunkStart + (maxPoints - 1) * step);
      const lastStart = Math.floor(lastBucket / step) * step;
      const evalStart = chunkStart + step - 1;
      const evalEnd = lastStart + step - 1;
      // one query per distinct PromQL (metrics sharing a function share it), plus the sample count
      const queries = new Map<string, MatrixSeries[]>();
      const wanted = [...new Set([...metrics.map((m) => promqlOf(m.fn)), promqlOf('doc_count')])].filter((q) => q !== '');
      for (const q of wanted) queries.set(q, await this.range(q, evalStart, evalEnd, step, req.signal));
      // (rollup functions drop __name__ in some stores and not in others: a series is its other labels)
      const keyOf = (m: Record<string, string>): string => (label ? (m[label] ?? '') : agg ? '' : seriesName({ ...m, __name__: '' }));
      const rows = new Map<string, { time: number; key: string; labels: Record<string, string>; values: Float64Array; count: number }>();
      const row = (time: number, m: Record<string, string>) => {
        const key = keyOf(m);
        const id = `${time}|${key}`;
        let r = rows.get(id);
        if (!r) rows.set(id, (r = { time, key, labels: m, values: new Float64Array(names.length).fill(NaN), count: this.o.query !== undefined ? 1 : 0 }));
        return r;
      };
      for (let k = 0; k < metrics.length; k++) {
        for (const s of queries.get(promqlOf(metrics[k].fn)) ?? []) {
          for (const [ts, v] of s.values) row(Math.round(ts * 1000) + 1 - step, s.metric).values[k] = Number(v);
        }
      }
      const countQ = promqlOf('doc_count');
      if (countQ) for (const s of queries.get(countQ) ?? []) for (const [ts, v] of s.values) row(Math.round(ts * 1000) + 1 - step, s.metric).count = Number(v);
      const sorted = [...rows.values()].filter((r) => r.time >= req.start && r.time < req.end).sort((a, b) => a.time - b.time || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      if (agg) {
        const pager = new BucketPager(req.pageSize ?? 10_000, names, label !== undefined);
        for (const r of sorted) {
          const p = pager.push(r.time, r.count, r.values, label !== undefined ? r.key : null);
          if (p) yield p;
        }
        const p = pager.cut();
        if (p) yield p;
      } else if (sorted.length) {
        yield { kind: 'records', docs: sorted.map((r) => ({ ...r.labels, timestamp: r.time, value: r.values[0], doc_count: r.count })) };
      }
    }
  }

  async timeBounds(range: { start?: number; end?: number } = {}): Promise<TimeBounds> {
    const end = range.end ?? Date.now();
    const start = range.start ?? end - (this.o.lookbackMs ?? 3650 * 86_400_000);
    // coarse then fine: find the days with samples, then the first and last sample within them
    const day = 86_400_000;
    const sel = this.o.selector ?? `(${this.o.query!.replace(/\$__interval/g, `${day}ms`)})`;
    const countQ = this.o.selector ? `sum(count_over_time(${sel}[${day}ms]))` : `count(${sel})`;
    const firstDay = Math.floor(start / day) * day;
    const lastDay = Math.floor((end - 1) / day) * day;
    let lo: number | null = null;
    let hi: number | null = null;
    for (let c = firstDay; c <= lastDay; c += 10_000 * day) {
      const series = await this.range(countQ, c + day - 1, Math.min(lastDay, c + 9_999 * day) + day - 1, day);
      for (const s of series)
        for (const [ts, v] of s.values) {
          if (!(Number(v) > 0)) continue;
          const d = Math.round(ts * 1000) + 1 - day;
          if (lo === null || d < lo) lo = d;
          if (hi === null || d > hi) hi = d;
        }
    }
    if (lo === null || hi === null) return { earliest: null, latest: null };
    if (!this.o.selector) return { earliest: Math.max(lo, start), latest: Math.min(hi + day - 1, end - 1) };
    // timestamp() of the first/last sample inside the boundary days
    const first = await this.range(`min(min_over_time(timestamp(${this.o.selector})[${day}ms:]))`, lo + day - 1, lo + day - 1, day).catch(() => []);
    const last = await this.range(`max(max_over_time(timestamp(${this.o.selector})[${day}ms:]))`, hi + day - 1, hi + day - 1, day).catch(() => []);
    const f = first[0]?.values[0] ? Number(first[0].values[0][1]) * 1000 : lo;
    const l = last[0]?.values[0] ? Number(last[0].values[0][1]) * 1000 : hi + day - 1;
    return { earliest: Math.max(start, Math.round(f)), latest: Math.min(end - 1, Math.round(l)) };
  }

  async fields(): Promise<FieldInfo[]> {
    const out: FieldInfo[] = [
      { name: 'timestamp', type: 'date' },
      { name: 'value', type: 'number' },
    ];
    if (this.o.selector) {
      const data = (await this.get('/api/v1/series', { 'match[]': this.o.selector, start: String(Math.floor((Date.now() - 400 * 86_400_000) / 1000)) })) as Record<string, string>[];
      const labels = new Set<string>();
      for (const s of data) for (const k of Object.keys(s)) if (k !== '__name__') labels.add(k);
      for (const l of [...labels].sort()) out.push({ name: l, type: 'keyword' });
    }
    return out;
  }

  async close(): Promise<void> {}
}

function seriesName(m: Record<string, string>): string {
  const name = m.__name__ ?? '';
  const labels = Object.keys(m)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}="${m[k]}"`)
    .join(',');
  return `${name}{${labels}}`;
}
