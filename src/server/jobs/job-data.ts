/**
 * Data into open jobs: `_data` and `_flush` are logged durably in the job's write-ahead log, then
 * applied to its engine; what the engine produced is stored (interim results replaced, model-change
 * annotations handed to the hooks, renormalised scores applied to stored results), then results
 * listeners and bucket listeners are told.
 */
import type { InvalidValueProblem as InvalidProblem, JobConfig } from '../../engine/job/index.js';
import { JUMP_RULE_TEXT } from '../../core/time/jump.js';
import type { ResultDoc } from '../../store/store.js';
import type { BucketFeed } from './bucket-feed.js';
import { renderDataCounts } from './data-counts.js';
import type { EngineJob, FlushOptions, ScoreUpdate } from './engine-port.js';
import type { ModelSnapshots } from './model-snapshots.js';
import { engineCounts, type OpenJob } from './open-job.js';
import { parseDataBody } from './parse-data.js';
import type { ServiceContext } from './service-context.js';
import { WAL_DATA, WAL_FLUSH } from './wal-records.js';

/** Bad values named in a `_data` response (all are counted). */
const INVALID_SHOWN = 10;


/** One bad value as the `_data` response names it: where, which field, the counter it went to, and why. */
function describeInvalid(at: string, field: string, value: unknown, problem: InvalidProblem): Record<string, unknown> {
  if (problem === 'time_jump') {
    return {
      at,
      field,
      value,
      counted_as: 'invalid_date_count',
      reason: `field [${field}] at ${at} is ${JSON.stringify(value)}, ${JUMP_RULE_TEXT} after the job's newest record: taken for a typo and not processed; to move the job ahead on purpose, _flush with skip_time first`,
    };
  }
  return { at, field, value, counted_as: 'missing_field_count', reason: `field [${field}] at ${at} is ${JSON.stringify(value)}, not a number` };
}

export class JobData {
  /** Called after a job's results were stored. */
  readonly resultsListeners: ((jobId: string) => void)[] = [];

  constructor(
    private readonly ctx: ServiceContext,
    private readonly snapshots: ModelSnapshots,
    private readonly feed: BucketFeed,
  ) {}

  /**
   * `_data`: `body` is what the write-ahead log keeps and replays. `parsed`, when given, must be
   * exactly what parsing `body` gives (the datafeeds pass the documents they serialised, with
   * string and finite-number values only, so the JSON round trip is the identity): it spares
   * parsing the body again.
   */
  async post(jobId: string, body: Buffer, parsed?: Record<string, unknown>[]): Promise<Record<string, unknown>> {
    return this.ctx.withOpenJob(jobId, async (job) => {
      const read = parsed ? { docs: parsed, where: (k: number) => `document ${k + 1}` } : parseDataBody(body);
      const docs = read.docs;
      this.ctx.guard?.beforeData({ job_id: jobId, config: job.config, stats: () => job.engine.modelSizeStats() }, docs);
      await job.wal?.append(WAL_DATA, body);
      job.opsSinceSnapshot++;
      // values the job cannot use: counted by the engine (a metric's non-number as a missing
      // field, a time far after the newest as an invalid date) and named here (Vigil extension of
      // the response; Elastic's clients ignore the extra key)
      let invalid = 0;
      const first: Record<string, unknown>[] = [];
      const onInvalidValue = (k: number, field: string, value: unknown, problem: InvalidProblem): void => {
        invalid++;
        if (first.length < INVALID_SHOWN) first.push(describeInvalid(read.where(k), field, value, problem));
      };
      await this.applyData(job, docs, body.length, onInvalidValue);
      await this.snapshots.maybeTake(job);
      const out = renderDataCounts(job.counts);
      if (invalid > 0) out.vigil_invalid_values = { count: invalid, first };
      return out;
    });
  }

  async flush(jobId: string, f: FlushOptions): Promise<{ flushed: boolean; last_finalized_bucket_end?: number }> {
    return this.ctx.withOpenJob(jobId, async (job) => {
      await job.wal?.append(WAL_FLUSH, Buffer.from(JSON.stringify(f)));
      job.opsSinceSnapshot++;
      const out = await this.applyFlush(job, f);
      await this.snapshots.maybeTake(job);
      const res: { flushed: boolean; last_finalized_bucket_end?: number } = { flushed: true };
      if (out.last_finalized_bucket_end !== undefined) res.last_finalized_bucket_end = out.last_finalized_bucket_end;
      return res;
    });
  }

  /** Runs `fn` on an open job's configuration and engine inside the job's queue (see JobService.withOpenJob). */
  async withEngine<T>(jobId: string, fn: (job: { config: JobConfig; engine: EngineJob }) => Promise<T>): Promise<T> {
    return this.ctx.withOpenJob(jobId, (job) => fn({ config: job.config, engine: job.engine }));
  }

  /** Applies documents to the job's engine and stores what it produced (also when replaying the WAL). */
  async applyData(job: OpenJob, docs: Record<string, unknown>[], bytes: number, onInvalidValue?: (index: number, field: string, value: unknown, problem: InvalidProblem) => void): Promise<void> {
    job.engine.postData(docs, { inputBytes: bytes, onInvalidValue });
    job.counts = engineCounts(job.record.job_id, job.engine);
    await this.writeResults(job);
  }

  /** Applies a flush to the job's engine and stores what it produced (also when replaying the WAL). */
  async applyFlush(job: OpenJob, f: FlushOptions): Promise<{ last_finalized_bucket_end?: number }> {
    const out = job.engine.flush(f);
    job.counts = engineCounts(job.record.job_id, job.engine);
    await this.writeResults(job);
    return out;
  }

  /** Stores what the engine produced, then applies renormalised scores to stored results. */
  private async writeResults(job: OpenJob): Promise<void> {
    const { store, engine } = this.ctx;
    const r = job.engine.drainResults();
    const docs: ResultDoc[] = [...r.buckets, ...r.records, ...r.influencers, ...r.modelPlots];
    for (const d of r.buckets) {
      if (d.is_interim !== true && (job.latestResultTime === undefined || d.timestamp > job.latestResultTime)) job.latestResultTime = d.timestamp;
    }
    if (docs.length > 0 || r.clearInterim) {
      await store.writeResults(job.record.job_id, docs, { deleteInterim: r.clearInterim, ids: docs.map((d) => engine.resultId(d)) });
    }
    if (r.annotations && r.annotations.length > 0) await this.ctx.hooks.onAnnotations?.(job.record.job_id, r.annotations);
    const updates = job.engine.renormalise();
    if (updates.length > 0) await store.updateResults(job.record.job_id, updates.map(toResultUpdate));
    if (docs.length > 0 || updates.length > 0) for (const fn of this.resultsListeners) fn(job.record.job_id);
    await this.feed.feed(job);
  }
}

/** A renormalised score as a store update (bucket_influencers merged by field name). */
function toResultUpdate(u: ScoreUpdate): { id: string; timestamp: number; apply: (doc: ResultDoc) => ResultDoc } {
  return {
    id: u.id,
    timestamp: u.timestamp,
    apply: (doc) => {
      if (u.result_type === 'record') return { ...doc, record_score: u.record_score };
      if (u.result_type === 'influencer') return { ...doc, influencer_score: u.influencer_score };
      const scores = new Map(u.bucket_influencers.map((b) => [b.influencer_field_name, b.anomaly_score]));
      const bis = Array.isArray(doc.bucket_influencers) ? (doc.bucket_influencers as Record<string, unknown>[]) : [];
      return {
        ...doc,
        anomaly_score: u.anomaly_score,
        bucket_influencers: bis.map((b) => (scores.has(b.influencer_field_name as string) ? { ...b, anomaly_score: scores.get(b.influencer_field_name as string) } : b)),
      };
    },
  };
}
