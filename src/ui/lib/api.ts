/**
 * The UI's one door to the server: fetch with Elastic's error bodies turned into ApiError (status,
 * type, reason), and the calls the views make. The UI talks to the server's HTTP API only.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body !== undefined && !(body instanceof Blob) ? { 'content-type': 'application/json' } : undefined,
      body: body === undefined ? undefined : body instanceof Blob ? body : JSON.stringify(body),
      ...init,
    });
  } catch (e) {
    throw new ApiError(0, 'network', `cannot reach the Vigil server (${(e as Error).message})`);
  }
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  if (!res.ok) {
    const err = (json as { error?: { type?: string; reason?: string; caused_by?: { reason?: string } } | string } | undefined)?.error;
    if (err && typeof err === 'object') {
      const cause = err.caused_by?.reason ? ` (${err.caused_by.reason})` : '';
      throw new ApiError(res.status, err.type ?? 'error', `${err.reason ?? 'request failed'}${cause}`);
    }
    throw new ApiError(res.status, 'error', typeof err === 'string' ? err : `${method} ${path} failed with HTTP ${res.status}${text && !json ? `: ${text.slice(0, 200)}` : ''}`);
  }
  return json as T;
}

export const D = '/_ml/anomaly_detectors';
export const enc = encodeURIComponent;

export interface Detector {
  function: string;
  field_name?: string;
  by_field_name?: string;
  over_field_name?: string;
  partition_field_name?: string;
  detector_description?: string;
}

export interface Job {
  job_id: string;
  description?: string;
  groups?: string[];
  create_time?: number;
  analysis_config: { bucket_span: string; detectors: Detector[]; influencers?: string[] };
  data_description?: { time_field?: string; time_format?: string };
  model_plot_config?: { enabled?: boolean };
}

export interface JobStats {
  job_id: string;
  state: string;
  data_counts: Record<string, number | string | undefined>;
  model_size_stats?: { model_bytes?: number; memory_status?: string; total_partition_field_count?: number; total_by_field_count?: number };
  forecasts_stats?: { total?: number };
  assignment_explanation?: string;
}

export interface RecordDoc {
  job_id: string;
  timestamp: number;
  record_score: number;
  probability: number;
  detector_index: number;
  function: string;
  field_name?: string;
  partition_field_name?: string;
  partition_field_value?: string;
  by_field_name?: string;
  by_field_value?: string;
  over_field_name?: string;
  over_field_value?: string;
  actual?: number[];
  typical?: number[];
  multi_bucket_impact?: number;
  influencers?: { influencer_field_name: string; influencer_field_values: string[] }[];
  anomaly_score_explanation?: { anomaly_type?: string; lower_confidence_bound?: number; upper_confidence_bound?: number; typical_value?: number };
  explanation?: string;
  is_interim?: boolean;
}

export interface BucketDoc {
  job_id: string;
  timestamp: number;
  anomaly_score: number;
  event_count?: number;
  is_interim?: boolean;
}

export interface ModelPlotDoc {
  timestamp: number;
  actual?: number;
  model_lower?: number;
  model_upper?: number;
  model_median?: number;
  partition_field_value?: string;
  by_field_value?: string;
  over_field_value?: string;
  detector_index?: number;
}

export interface InfluencerDoc {
  job_id: string;
  timestamp: number;
  influencer_field_name: string;
  influencer_field_value: string;
  influencer_score: number;
}

export interface OverallBucket {
  timestamp: number;
  overall_score: number;
  jobs: { job_id: string; max_anomaly_score: number }[];
}

export interface ForecastDoc {
  timestamp: number;
  forecast_id?: string;
  forecast_prediction: number;
  forecast_lower: number;
  forecast_upper: number;
  partition_field_value?: string;
  by_field_value?: string;
  detector_index?: number;
}

export interface Annotation {
  timestamp: number;
  end_timestamp?: number;
  annotation: string;
  detector_index?: number;
  partition_field_value?: string;
  by_field_value?: string;
}

/** Time filters: epoch ms, both optional. */
export interface Range {
  start?: number;
  end?: number;
}

const rangeBody = (r: Range): Record<string, number> => ({ ...(r.start !== undefined ? { start: r.start } : {}), ...(r.end !== undefined ? { end: r.end } : {}) });

export async function getJobs(): Promise<Job[]> {
  return (await api<{ jobs: Job[] }>('GET', D)).jobs;
}

export async function getJob(id: string): Promise<Job> {
  const r = await api<{ jobs: Job[] }>('GET', `${D}/${enc(id)}`);
  return r.jobs[0];
}

export async function getStats(id = '_all'): Promise<JobStats[]> {
  return (await api<{ jobs: JobStats[] }>('GET', id === '_all' ? `${D}/_stats` : `${D}/${enc(id)}/_stats`)).jobs;
}

export async function getRecords(id: string, r: Range & { minScore?: number; size?: number; sort?: string; desc?: boolean }): Promise<RecordDoc[]> {
  const body = { ...rangeBody(r), record_score: r.minScore ?? 0, sort: r.sort ?? 'record_score', desc: r.desc ?? true, page: { from: 0, size: r.size ?? 500 } };
  return (await api<{ records: RecordDoc[] }>('POST', `${D}/${enc(id)}/results/records`, body)).records;
}

export async function getBuckets(id: string, r: Range & { size?: number; desc?: boolean; minScore?: number }): Promise<BucketDoc[]> {
  const body = { ...rangeBody(r), desc: r.desc ?? false, anomaly_score: r.minScore ?? 0, page: { from: 0, size: r.size ?? 1000 } };
  return (await api<{ buckets: BucketDoc[] }>('POST', `${D}/${enc(id)}/results/buckets`, body)).buckets;
}

/** Influencer results (Elastic's API has no field filter: `field` filters here). */
export async function getInfluencers(id: string, r: Range & { field?: string; size?: number; minScore?: number }): Promise<InfluencerDoc[]> {
  const body = { ...rangeBody(r), influencer_score: r.minScore ?? 0, sort: 'influencer_score', desc: true, page: { from: 0, size: r.size ?? 1000 } };
  const docs = (await api<{ influencers: InfluencerDoc[] }>('POST', `${D}/${enc(id)}/results/influencers`, body)).influencers;
  return r.field ? docs.filter((d) => d.influencer_field_name === r.field) : docs;
}

export async function getOverallBuckets(ids: string[], r: Range & { bucketSpan?: string }): Promise<OverallBucket[]> {
  const body = { ...rangeBody(r), top_n: 1, ...(r.bucketSpan ? { bucket_span: r.bucketSpan } : {}) };
  return (await api<{ overall_buckets: OverallBucket[] }>('POST', `${D}/${ids.map(enc).join(',')}/results/overall_buckets`, body)).overall_buckets;
}

/**
 * Every model-plot document of one entity in a range, paged by time (Elastic caps from + size at
 * 10 000, so pages continue from the last timestamp seen).
 */
export async function getModelPlot(id: string, r: Range & { partition?: string; by?: string; detector?: number; limit?: number; desc?: boolean; size?: number }): Promise<ModelPlotDoc[]> {
  const out: ModelPlotDoc[] = [];
  let start = r.start;
  const limit = r.limit ?? 2_000_000;
  for (;;) {
    const size = Math.min(r.size ?? 10_000, limit - out.length);
    const body: Record<string, unknown> = { ...rangeBody({ start, end: r.end }), desc: r.desc ?? false, page: { from: 0, size } };
    if (r.partition !== undefined) body.partition_field_value = r.partition;
    if (r.by !== undefined) body.by_field_value = r.by;
    if (r.detector !== undefined) body.detector_index = r.detector;
    const page = (await api<{ model_plot: ModelPlotDoc[] }>('POST', `${D}/${enc(id)}/results/model_plot`, body)).model_plot;
    out.push(...page);
    if (page.length < size || out.length >= limit || r.desc) return out;
    start = page[page.length - 1].timestamp + 1;
  }
}

export const jobAction = (id: string, action: '_open' | '_close' | '_reset' | '_flush'): Promise<unknown> => api('POST', `${D}/${enc(id)}/${action}`);
export const deleteJob = (id: string): Promise<unknown> => api('DELETE', `${D}/${enc(id)}?force=true`);

/** Which operations the server offers (from its OpenAPI document), to enable features as they land; an answer is remembered, a failure is not. */
let ops: Promise<Set<string>> | undefined;
export function serverOperations(): Promise<Set<string>> {
  ops ??= api<{ paths: Record<string, Record<string, { operationId?: string }>> }>('GET', '/_vigil/openapi.json')
    .then((doc) => {
      const s = new Set<string>();
      for (const [path, methods] of Object.entries(doc.paths ?? {})) {
        for (const [m, op] of Object.entries(methods)) {
          s.add(`${m.toUpperCase()} ${path}`);
          if (op?.operationId) s.add(op.operationId);
        }
      }
      return s;
    })
    .catch(() => {
      // not remembered: a server that was down (or refused) is asked again next time, so features
      // come back once it answers instead of staying off until the page is reloaded
      ops = undefined;
      return new Set<string>();
    });
  return ops;
}
