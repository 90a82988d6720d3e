/**
 * In-memory Store: the reference implementation of the Store contract (simple enough to be
 * obviously right) and a store for tests that need no files. Nothing survives the process.
 */
import { resultId } from './result-id.js';
import {
  scoreField,
  type BucketScore,
  type BucketSummary,
  type ForecastQuery,
  type ForecastStatsDoc,
  type JobRecord,
  type ModelSnapshotRecord,
  type ResultDoc,
  type ResultPage,
  type ResultQuery,
  type ResultUpdate,
  type Store,
  type WriteOptions,
} from './store.js';

const clone = <T>(v: T): T => structuredClone(v);

/** Compares two sort values the way the stored column would (numbers numerically, nulls last). */
export function compareValues(a: unknown, b: unknown): number {
  const an = a === undefined || a === null;
  const bn = b === undefined || b === null;
  if (an || bn) return an && bn ? 0 : an ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const as = String(a);
  const bs = String(b);
  return as < bs ? -1 : as > bs ? 1 : 0;
}

/** Sort order shared by every store: by value in the direction asked, missing values last. */
export function sortCompare(a: unknown, b: unknown, dir: 1 | -1): number {
  const an = a === undefined || a === null;
  const bn = b === undefined || b === null;
  if (an || bn) return an && bn ? 0 : an ? 1 : -1;
  return dir * compareValues(a, b);
}

/** True when the document passes the query's filters (shared by the reference store and tests). */
export function matchesQuery(doc: ResultDoc, q: ResultQuery): boolean {
  if (doc.result_type !== q.resultType) return false;
  if (!q.jobIds.includes(doc.job_id)) return false;
  if (q.start !== undefined && doc.timestamp < q.start) return false;
  if (q.end !== undefined && doc.timestamp >= q.end) return false;
  if (q.timestamp !== undefined && doc.timestamp !== q.timestamp) return false;
  if (q.excludeInterim && doc.is_interim === true) return false;
  const sf = scoreField(q.resultType);
  if (q.minScore !== undefined && sf && !(Number(doc[sf] ?? 0) >= q.minScore)) return false;
  if (q.detectorIndex !== undefined && doc.detector_index !== q.detectorIndex) return false;
  if (q.partitionFieldValue !== undefined && doc.partition_field_value !== q.partitionFieldValue) return false;
  if (q.byFieldValue !== undefined && doc.by_field_value !== q.byFieldValue) return false;
  if (q.overFieldValue !== undefined && doc.over_field_value !== q.overFieldValue) return false;
  if (q.influencerFieldName !== undefined && doc.influencer_field_name !== q.influencerFieldName) return false;
  return true;
}

export class MemoryStore implements Store {
  readonly kind = 'memory';
  private jobs = new Map<string, JobRecord>();
  private results = new Map<string, Map<string, ResultDoc>>();
  private snapshots = new Map<string, { meta: ModelSnapshotRecord; state: string }[]>();
  /** Forecasts per job, by forecast id, in insertion order. */
  private forecasts = new Map<string, Map<string, { stats: ForecastStatsDoc; docs: ResultDoc[] }>>();

  async close(): Promise<void> {}

  async createJob(job: JobRecord): Promise<boolean> {
    if (this.jobs.has(job.job_id)) return false;
    this.jobs.set(job.job_id, clone(job));
    return true;
  }
  async saveJob(job: JobRecord): Promise<void> {
    this.jobs.set(job.job_id, clone(job));
  }
  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const j = this.jobs.get(jobId);
    return j && clone(j);
  }
  async listJobs(): Promise<JobRecord[]> {
    return [...this.jobs.values()].map(clone).sort((a, b) => compareValues(a.job_id, b.job_id));
  }
  async deleteJob(jobId: string): Promise<void> {
    this.jobs.delete(jobId);
    this.results.delete(jobId);
    this.snapshots.delete(jobId);
    this.forecasts.delete(jobId);
  }

  async writeResults(jobId: string, docs: ResultDoc[], opts: WriteOptions = {}): Promise<void> {
    let m = this.results.get(jobId);
    if (!m) this.results.set(jobId, (m = new Map()));
    if (opts.deleteInterim) for (const [id, d] of m) if (d.is_interim === true) m.delete(id);
    docs.forEach((d, i) => m.set(opts.ids?.[i] ?? resultId(d), clone(d)));
  }

  async updateResults(jobId: string, updates: ResultUpdate[]): Promise<number> {
    const m = this.results.get(jobId);
    let n = 0;
    for (const u of updates) {
      const d = m?.get(u.id);
      if (!d || !m) continue;
      m.set(u.id, clone(u.apply(clone(d))));
      n++;
    }
    return n;
  }

  async queryResults(q: ResultQuery): Promise<ResultPage> {
    const all: ResultDoc[] = [];
    for (const id of q.jobIds) for (const d of this.results.get(id)?.values() ?? []) if (matchesQuery(d, q)) all.push(d);
    const sort = q.sort ?? 'timestamp';
    const dir = q.desc ? -1 : 1 as const;
    all.sort((a, b) => sortCompare(a[sort], b[sort], dir) || compareValues(a.timestamp, b.timestamp) || compareValues(resultId(a), resultId(b)));
    const from = q.from ?? 0;
    const size = q.size ?? 100;
    return { count: all.length, docs: all.slice(from, from + size).map(clone) };
  }

  async bucketScores(q: { jobIds: string[]; start?: number; end?: number; excludeInterim?: boolean }): Promise<BucketScore[]> {
    const page = await this.queryResults({ ...q, resultType: 'bucket', size: Number.MAX_SAFE_INTEGER });
    return page.docs.map((d) => ({ job_id: d.job_id, timestamp: d.timestamp, anomaly_score: Number(d.anomaly_score ?? 0), is_interim: d.is_interim === true }));
  }

  async bucketSummaries(jobIds: string[]): Promise<BucketSummary[]> {
    const out: BucketSummary[] = [];
    for (const jobId of new Set(jobIds)) {
      let latest: { id: string; doc: ResultDoc } | undefined;
      let max = -Infinity;
      for (const [id, doc] of this.results.get(jobId) ?? []) {
        if (doc.result_type !== 'bucket') continue;
        const score = Number(doc.anomaly_score ?? 0);
        if (score > max) max = score;
        if (!latest || doc.timestamp > latest.doc.timestamp || (doc.timestamp === latest.doc.timestamp && compareValues(id, latest.id) < 0)) latest = { id, doc };
      }
      if (!latest) continue;
      const d = latest.doc;
      out.push({ job_id: jobId, latest: { timestamp: d.timestamp, anomaly_score: Number(d.anomaly_score ?? 0), is_interim: d.is_interim === true }, max_anomaly_score: max });
    }
    return out.sort((a, b) => compareValues(a.job_id, b.job_id));
  }

  async putSnapshot(meta: ModelSnapshotRecord, state: string): Promise<void> {
    const list = this.snapshots.get(meta.job_id) ?? [];
    const rest = list.filter((s) => s.meta.snapshot_id !== meta.snapshot_id);
    rest.push({ meta: clone(meta), state });
    this.snapshots.set(meta.job_id, rest);
  }
  async listSnapshots(jobId: string): Promise<ModelSnapshotRecord[]> {
    const list = [...(this.snapshots.get(jobId) ?? [])];
    return list.map((s) => clone(s.meta)).sort((a, b) => b.wal_seq - a.wal_seq || b.timestamp - a.timestamp);
  }
  async getSnapshotState(jobId: string, snapshotId: string): Promise<string | undefined> {
    return this.snapshots.get(jobId)?.find((s) => s.meta.snapshot_id === snapshotId)?.state;
  }
  async updateSnapshot(meta: ModelSnapshotRecord): Promise<boolean> {
    const s = this.snapshots.get(meta.job_id)?.find((x) => x.meta.snapshot_id === meta.snapshot_id);
    if (!s) return false;
    s.meta = clone(meta);
    return true;
  }
  async deleteResults(jobId: string, range: { start?: number; end?: number }): Promise<number> {
    const m = this.results.get(jobId);
    if (!m) return 0;
    let n = 0;
    for (const [id, d] of m) {
      if ((range.start === undefined || d.timestamp >= range.start) && (range.end === undefined || d.timestamp < range.end)) {
        m.delete(id);
        n++;
      }
    }
    return n;
  }
  async deleteSnapshot(jobId: string, snapshotId: string): Promise<boolean> {
    const list = this.snapshots.get(jobId) ?? [];
    const rest = list.filter((s) => s.meta.snapshot_id !== snapshotId);
    this.snapshots.set(jobId, rest);
    return rest.length < list.length;
  }
  async pruneSnapshots(jobId: string, keep: number): Promise<void> {
    const newest = (await this.listSnapshots(jobId)).slice(0, keep).map((s) => s.snapshot_id);
    const list = this.snapshots.get(jobId) ?? [];
    this.snapshots.set(jobId, list.filter((s) => s.meta.retain || newest.includes(s.meta.snapshot_id)));
  }

  async putForecast(jobId: string, stats: ForecastStatsDoc, docs: ResultDoc[]): Promise<void> {
    let m = this.forecasts.get(jobId);
    if (!m) this.forecasts.set(jobId, (m = new Map()));
    m.delete(stats.forecast_id);
    m.set(stats.forecast_id, { stats: clone(stats), docs: docs.map(clone) });
  }
  async listForecasts(jobIds: string[]): Promise<ForecastStatsDoc[]> {
    const created = (d: ForecastStatsDoc): number => Number(d.forecast_create_timestamp ?? 0);
    return jobIds
      .flatMap((id) => [...(this.forecasts.get(id)?.values() ?? [])].map((f) => clone(f.stats)))
      .sort((a, b) => created(a) - created(b) || compareValues(a.forecast_id, b.forecast_id));
  }
  async queryForecast(q: ForecastQuery): Promise<ResultPage> {
    const f = this.forecasts.get(q.jobId)?.get(q.forecastId);
    const all = (f?.docs ?? []).filter(
      (d) =>
        (q.start === undefined || d.timestamp >= q.start) &&
        (q.end === undefined || d.timestamp < q.end) &&
        (q.detectorIndex === undefined || d.detector_index === q.detectorIndex) &&
        (q.partitionFieldValue === undefined || d.partition_field_value === q.partitionFieldValue) &&
        (q.byFieldValue === undefined || d.by_field_value === q.byFieldValue),
    );
    all.sort(
      (a, b) =>
        compareValues(a.timestamp, b.timestamp) ||
        compareValues(a.detector_index, b.detector_index) ||
        compareValues(a.partition_field_value ?? '', b.partition_field_value ?? '') ||
        compareValues(a.by_field_value ?? '', b.by_field_value ?? ''),
    );
    const from = q.from ?? 0;
    return { count: all.length, docs: all.slice(from, from + (q.size ?? 100)).map(clone) };
  }
  async deleteForecasts(jobId: string, forecastIds: string[]): Promise<number> {
    const m = this.forecasts.get(jobId);
    let n = 0;
    for (const id of forecastIds) if (m?.delete(id)) n++;
    return n;
  }
}
