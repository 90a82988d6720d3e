/**
 * Bucket listeners: who follows a job's final buckets (trained-model activations:
 * src/server/models/job-feed.ts). The engine tells each final bucket; they are handed to the job's
 * listeners in time order, at most BUCKETS_PER_CALL at a time, with the series' kept values, and
 * the job's `_data` or `_flush` answers once what the listeners started has settled.
 */
import type { JobConfig } from '../../engine/job/index.js';
import { HISTORY_MIN_BUCKETS } from '../../engine/job/bucket-history.js';
import type { EngineJob } from './engine-port.js';
import type { OpenJob } from './open-job.js';
import type { ServiceContext } from './service-context.js';

/** Buckets of a job that became final, in time order, with the job's kept bucket values (see {@link JobService.onBuckets}). */
export interface FinalBuckets {
  jobId: string;
  config: JobConfig;
  /** Bucket starts, epoch ms, ascending. */
  buckets: number[];
  /**
   * Each modelled series' kept bucket values (EngineJob.forecastHistories, read once per call), or
   * with `only` one series' (read per call); they hold every bucket of `buckets`.
   */
  histories(only?: Parameters<NonNullable<EngineJob['forecastHistories']>>[0]): ReturnType<NonNullable<EngineJob['forecastHistories']>>;
}

export type BucketListener = (e: FinalBuckets) => void | Promise<void>;

/** Final buckets handed to listeners at most this many at a time: fewer than any series keeps (bucket-history.ts), so each is still there. */
const BUCKETS_PER_CALL = Math.min(256, HISTORY_MIN_BUCKETS);

export class BucketFeed {
  private readonly listeners = new Map<string, Set<BucketListener>>();

  constructor(private readonly ctx: ServiceContext) {}

  /** Adds a listener of job `jobId`'s final buckets; returns the function that removes it. */
  on(jobId: string, fn: BucketListener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
    };
  }

  /** Collects an open job's final buckets while it has listeners. */
  watch(job: OpenJob): void {
    const jobId = job.record.job_id;
    job.engine.setBucketListener?.((bucket) => {
      if (!this.listeners.has(jobId)) return;
      job.finalBuckets.push(bucket);
      if (job.finalBuckets.length >= BUCKETS_PER_CALL) this.handOut(job);
    });
  }

  /** Gives the final buckets collected so far to the job's listeners (synchronously: the engine may be in the middle of a batch). */
  private handOut(job: OpenJob): void {
    const buckets = job.finalBuckets;
    if (buckets.length === 0) return;
    job.finalBuckets = [];
    const jobId = job.record.job_id;
    const set = this.listeners.get(jobId);
    if (!set) return;
    let kept: ReturnType<FinalBuckets['histories']> | undefined;
    const e: FinalBuckets = { jobId, config: job.config, buckets, histories: (only) => (only ? (job.engine.forecastHistories?.(only) ?? []) : (kept ??= job.engine.forecastHistories?.() ?? [])) };
    for (const fn of set) {
      try {
        const p = fn(e);
        if (p) job.feeding.push(p.catch((err: unknown) => this.ctx.log.warn({ job_id: jobId, err: String(err) }, 'bucket listener failed')));
      } catch (err) {
        this.ctx.log.warn({ job_id: jobId, err: String(err) }, 'bucket listener failed');
      }
    }
  }

  /** Hands out what is left and waits until what the listeners started has settled. */
  async feed(job: OpenJob): Promise<void> {
    this.handOut(job);
    while (job.feeding.length > 0) await Promise.all(job.feeding.splice(0));
  }
}
