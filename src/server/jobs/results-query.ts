/**
 * Elastic's results APIs over the Store: get buckets (with expand), records, influencers, overall
 * buckets across jobs, and Vigil's model plot. Query-string parameters and POST bodies are merged
 * (body wins) and checked with Elastic's paging rules and messages.
 */
import { VigilError } from '../../core/errors.js';
import { SORT_FIELDS, type ResultDoc, type ResultQuery, type ResultType, type SortField, type Store } from '../../store/store.js';
import { parseTimeParam } from './time-param.js';

/** Elastic's index.max_result_window: from + size may not exceed it. */
export const MAX_RESULT_WINDOW = 10_000;

export interface ResultsParams {
  start?: unknown;
  end?: unknown;
  exclude_interim?: unknown;
  anomaly_score?: unknown;
  record_score?: unknown;
  influencer_score?: unknown;
  sort?: unknown;
  desc?: unknown;
  expand?: unknown;
  from?: unknown;
  size?: unknown;
  page?: { from?: unknown; size?: unknown };
  detector_index?: unknown;
  partition_field_value?: unknown;
  by_field_value?: unknown;
  over_field_value?: unknown;
  influencer_field_name?: unknown;
}

const bool = (v: unknown, dflt: boolean): boolean => (v === undefined ? dflt : v === true || v === '' || v === 'true');

function number(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new VigilError('INVALID_ARGUMENT', `Failed to parse value [${String(v)}] for parameter [${name}]`);
  return n;
}

/** Elastic's PageParams checks. */
export function pageOf(p: ResultsParams): { from: number; size: number } {
  const from = number('from', p.page?.from ?? p.from) ?? 0;
  const size = number('size', p.page?.size ?? p.size) ?? 100;
  if (from < 0) throw new VigilError('INVALID_ARGUMENT', 'Parameter [from] cannot be < 0');
  if (size < 0) throw new VigilError('INVALID_ARGUMENT', 'Parameter [size] cannot be < 0');
  if (from + size > MAX_RESULT_WINDOW) throw new VigilError('INVALID_ARGUMENT', `The sum of parameters [from] and [size] cannot be higher than ${MAX_RESULT_WINDOW}.`);
  return { from: Math.floor(from), size: Math.floor(size) };
}

function sortOf(v: unknown, dflt: SortField): SortField {
  if (v === undefined || v === '') return dflt;
  const s = String(v);
  if (!(SORT_FIELDS as readonly string[]).includes(s)) {
    throw new VigilError('INVALID_ARGUMENT', `No mapping found for [${s}] in order to sort on; sort by one of ${SORT_FIELDS.join(', ')}`);
  }
  return s as SortField;
}

function timeRange(p: ResultsParams): { start?: number; end?: number } {
  const out: { start?: number; end?: number } = {};
  if (p.start !== undefined && p.start !== '') out.start = parseTimeParam('start', p.start);
  if (p.end !== undefined && p.end !== '') out.end = parseTimeParam('end', p.end);
  return out;
}

/** Merges URL parameters with a POST body (the body wins), dropping undefined values. */
export function mergeParams(query: Record<string, unknown> | undefined, body: unknown): ResultsParams {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) out[k] = v;
  if (body && typeof body === 'object') for (const [k, v] of Object.entries(body as Record<string, unknown>)) if (v !== undefined) out[k] = v;
  return out as ResultsParams;
}

function baseQuery(jobIds: string[], type: ResultType, p: ResultsParams, dfltSort: SortField, dfltDesc: boolean): ResultQuery {
  const { from, size } = pageOf(p);
  return {
    jobIds,
    resultType: type,
    ...timeRange(p),
    excludeInterim: bool(p.exclude_interim, false),
    sort: sortOf(p.sort, dfltSort),
    desc: bool(p.desc, dfltDesc),
    from,
    size,
  };
}

export async function getBuckets(store: Store, jobIds: string[], p: ResultsParams, timestamp?: string): Promise<{ count: number; buckets: ResultDoc[] }> {
  const q = baseQuery(jobIds, 'bucket', p, 'timestamp', false);
  q.minScore = number('anomaly_score', p.anomaly_score);
  if (timestamp !== undefined) {
    q.timestamp = parseTimeParam('timestamp', timestamp);
    delete q.start;
    delete q.end;
  }
  const page = await store.queryResults(q);
  let buckets = page.docs;
  if (bool(p.expand, false) && buckets.length > 0) {
    const ts = buckets.map((b) => b.timestamp);
    const recs = await store.queryResults({
      jobIds,
      resultType: 'record',
      start: Math.min(...ts),
      end: Math.max(...ts) + 1,
      excludeInterim: q.excludeInterim,
      sort: 'record_score',
      desc: true,
      size: MAX_RESULT_WINDOW,
    });
    const byKey = new Map<string, ResultDoc[]>();
    for (const r of recs.docs) {
      const k = `${r.job_id}\u0001${r.timestamp}`;
      const list = byKey.get(k) ?? [];
      list.push(r);
      byKey.set(k, list);
    }
    buckets = buckets.map((b) => ({ ...b, records: byKey.get(`${b.job_id}\u0001${b.timestamp}`) ?? [] }));
  }
  return { count: page.count, buckets };
}

export async function getRecords(store: Store, jobIds: string[], p: ResultsParams): Promise<{ count: number; records: ResultDoc[] }> {
  const q = baseQuery(jobIds, 'record', p, 'record_score', true);
  q.minScore = number('record_score', p.record_score);
  const page = await store.queryResults(q);
  return { count: page.count, records: page.docs };
}

export async function getInfluencers(store: Store, jobIds: string[], p: ResultsParams): Promise<{ count: number; influencers: ResultDoc[] }> {
  const q = baseQuery(jobIds, 'influencer', p, 'influencer_score', true);
  q.minScore = number('influencer_score', p.influencer_score);
  if (p.influencer_field_name !== undefined) q.influencerFieldName = String(p.influencer_field_name);
  const page = await store.queryResults(q);
  return { count: page.count, influencers: page.docs };
}

export async function getModelPlot(store: Store, jobIds: string[], p: ResultsParams): Promise<{ count: number; model_plot: ResultDoc[] }> {
  const q = baseQuery(jobIds, 'model_plot', p, 'timestamp', false);
  const di = number('detector_index', p.detector_index);
  if (di !== undefined) q.detectorIndex = di;
  if (p.partition_field_value !== undefined) q.partitionFieldValue = String(p.partition_field_value);
  if (p.by_field_value !== undefined) q.byFieldValue = String(p.by_field_value);
  if (p.over_field_value !== undefined) q.overFieldValue = String(p.over_field_value);
  const page = await store.queryResults(q);
  return { count: page.count, model_plot: page.docs };
}

export interface OverallParams {
  top_n?: unknown;
  bucket_span?: unknown;
  overall_score?: unknown;
  exclude_interim?: unknown;
  start?: unknown;
  end?: unknown;
}

const SPAN_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function spanMs(name: string, v: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(v.trim());
  if (!m) throw new VigilError('INVALID_ARGUMENT', `failed to parse setting [${name}] with value [${v}] as a time value: unit is missing or unrecognized`);
  return Number(m[1]) * SPAN_UNITS[m[2]];
}

function spanText(ms: number): string {
  for (const [u, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${u}`;
  }
  return `${ms}ms`;
}

/**
 * Elastic's overall buckets: per overall bucket (aligned to bucket_span), each job's highest bucket
 * anomaly_score, and overall_score the mean of the top_n of those.
 */
export async function getOverallBuckets(
  store: Store,
  jobs: { job_id: string; bucketSpanMs: number }[],
  p: OverallParams,
): Promise<{ count: number; overall_buckets: Record<string, unknown>[] }> {
  if (jobs.length === 0) return { count: 0, overall_buckets: [] };
  const topN = number('top_n', p.top_n) ?? 1;
  if (topN < 1 || !Number.isInteger(topN)) throw new VigilError('INVALID_ARGUMENT', `[top_n] parameter must be positive, found [${String(p.top_n)}]`);
  const maxSpan = Math.max(...jobs.map((j) => j.bucketSpanMs));
  let span = maxSpan;
  if (p.bucket_span !== undefined && p.bucket_span !== '') {
    span = spanMs('bucket_span', String(p.bucket_span));
    if (span < maxSpan) throw new VigilError('INVALID_ARGUMENT', `Param [bucket_span] must be greater or equal to the max bucket_span [${spanText(maxSpan)}]`);
  }
  const minScore = number('overall_score', p.overall_score) ?? 0;
  const range = timeRange(p);
  const rows = await store.bucketScores({
    jobIds: jobs.map((j) => j.job_id),
    start: range.start === undefined ? undefined : Math.floor(range.start / span) * span,
    end: range.end,
    excludeInterim: bool(p.exclude_interim, false),
  });
  const groups = new Map<number, { jobs: Map<string, number>; interim: boolean }>();
  for (const r of rows) {
    const t = Math.floor(r.timestamp / span) * span;
    let g = groups.get(t);
    if (!g) groups.set(t, (g = { jobs: new Map(), interim: false }));
    g.jobs.set(r.job_id, Math.max(g.jobs.get(r.job_id) ?? 0, r.anomaly_score));
    if (r.is_interim) g.interim = true;
  }
  const out: Record<string, unknown>[] = [];
  for (const t of [...groups.keys()].sort((a, b) => a - b)) {
    const g = groups.get(t)!;
    const scores = [...g.jobs.values()].sort((a, b) => b - a).slice(0, topN);
    const overall = scores.reduce((s, x) => s + x, 0) / scores.length;
    if (overall < minScore) continue;
    out.push({
      timestamp: t,
      bucket_span: span / 1000,
      overall_score: overall,
      jobs: [...g.jobs.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([job_id, max_anomaly_score]) => ({ job_id, max_anomaly_score })),
      is_interim: g.interim,
      result_type: 'overall_bucket',
    });
  }
  return { count: out.length, overall_buckets: out };
}
