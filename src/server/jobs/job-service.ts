/**
 * The jobs service: Elastic's anomaly-detection job life cycle over a Store, a job engine and a
 * per-job write-ahead log. HTTP-free (routes call it; `vigil serve --demo` calls it directly).
 *
 * Durability: every accepted `_data` batch and flush is appended to the job's WAL and fsynced
 * before it is applied and answered. The model state is snapshotted into the store (on close, on
 * shutdown, every `snapshotEveryOps` WAL records or `snapshotEveryBytes` bytes, and every
 * background_persist_interval of wall time); a snapshot records the WAL sequence it covers, after
 * which the covered WAL segments are deleted. Opening a job (also at start-up, for jobs that were
 * open when the server stopped or crashed) restores the newest snapshot and replays the WAL
 * records after it; results documents are replaced by identity, so a replay rewrites exactly what
 * the uninterrupted run wrote.
 *
 * Concurrency: each job has one queue; posts, flushes, updates, snapshots and closes of a job run
 * one after another, never interleaved. Different jobs run concurrently.
 *
 * The parts: job-catalog.ts (create, read, `_update`, delete), job-lifecycle.ts (open with restore
 * and WAL replay, lazy open, close, recovery at start-up, shutdown, periodic snapshots, controls),
 * job-data.ts (`_data`, `_flush` and storing what the engine produced), model-snapshots.ts
 * (snapshots, retention, `_revert`, `_reset`), bucket-feed.ts (bucket listeners), job-stats.ts
 * (`_stats`), wal-records.ts (what the WAL holds and its replay), sharing a ServiceContext
 * (service-context.ts) and the open jobs (open-job.ts). This class is their public face.
 */
import type { JobConfig } from '../../engine/job/index.js';
import type { JobRecord, ModelSnapshotRecord, Store } from '../../store/store.js';
import { BucketFeed, type BucketListener } from './bucket-feed.js';
import type { EngineJob, FlushOptions } from './engine-port.js';
import { expandJobIds } from './id-expression.js';
import { JobCatalog } from './job-catalog.js';
import { JobData } from './job-data.js';
import { JobLifecycle } from './job-lifecycle.js';
import { jobStats } from './job-stats.js';
import { ModelSnapshots } from './model-snapshots.js';
import { ServiceContext, type JobHooks, type JobServiceOptions, type NodeInfo, type ServiceLog } from './service-context.js';

export type { BucketListener, FinalBuckets } from './bucket-feed.js';
export type { JobGuard, JobHooks, JobServiceOptions, NodeInfo } from './service-context.js';

export class JobService {
  readonly store: Store;
  readonly node: NodeInfo;
  /** Root of the per-job write-ahead logs (undefined: nothing is durable); the datafeeds keep their state next to them. */
  readonly walDir: string | undefined;
  private readonly ctx: ServiceContext;
  private readonly feed: BucketFeed;
  private readonly snapshots: ModelSnapshots;
  private readonly data: JobData;
  private readonly lifecycle: JobLifecycle;
  private readonly catalog: JobCatalog;

  constructor(o: JobServiceOptions) {
    const ctx = new ServiceContext(o);
    this.ctx = ctx;
    this.store = ctx.store;
    this.node = ctx.node;
    this.walDir = ctx.walDir;
    this.feed = new BucketFeed(ctx);
    this.snapshots = new ModelSnapshots(ctx);
    this.data = new JobData(ctx, this.snapshots, this.feed);
    this.lifecycle = new JobLifecycle(ctx, this.data, this.snapshots, this.feed);
    this.catalog = new JobCatalog(ctx, this.lifecycle);
  }

  /** The service's clock, epoch ms (forecast create and expiry times). */
  now(): number {
    return this.ctx.clock();
  }

  /** Calls `fn` after a job's results were stored (alerting evaluates its rules then). */
  onResults(fn: (jobId: string) => void): void {
    this.data.resultsListeners.push(fn);
  }

  /**
   * Calls `fn` with the buckets of job `jobId` as they become final — from `_data`, `_flush`,
   * datafeeds and write-ahead-log replays alike — after their results are stored, at most
   * BUCKETS_PER_CALL at a time; `_data` and `_flush` answer once the promise `fn` returns has
   * settled. It must read `histories()` before it returns (the engine goes on with the batch).
   * Its errors are logged, never the job's. Returns the function that removes it.
   * (Trained-model activations follow a job so: src/server/models/job-feed.ts.)
   */
  onBuckets(jobId: string, fn: BucketListener): () => void {
    return this.feed.on(jobId, fn);
  }

  /** recover() waits for `p` to settle before re-opening jobs. */
  delayRecovery(p: Promise<unknown>): void {
    this.lifecycle.delayRecovery(p);
  }

  /** Filters, calendars and annotations (src/server/control) join the life cycle here. */
  setHooks(hooks: JobHooks): void {
    this.ctx.hooks = hooks;
  }

  /** Uses the app's logger (structured JSON logs). */
  setLogger(log: ServiceLog): void {
    this.ctx.log = log;
  }

  // ------------------------------------------------------------------------------------------
  // start-up and shutdown

  /** Re-opens the jobs that were open when the server last stopped (replaying their WAL). */
  recover(): Promise<{ reopened: string[]; failed: string[] }> {
    return this.lifecycle.recover();
  }

  /** Snapshots every open job (they stay `opened` and resume at the next start) and stops. */
  shutdown(): Promise<void> {
    return this.lifecycle.shutdown();
  }

  // ------------------------------------------------------------------------------------------
  // configuration

  render(rec: JobRecord): Record<string, unknown> {
    return this.catalog.render(rec);
  }

  putJob(jobId: string, body: unknown): Promise<Record<string, unknown>> {
    return this.catalog.put(jobId, body);
  }

  getJobs(expr: string | undefined, allowNoMatch = true): Promise<Record<string, unknown>[]> {
    return this.catalog.get(expr, allowNoMatch);
  }

  /** Job ids matching an expression (for results and stats). */
  async expand(expr: string | undefined, allowNoMatch = true): Promise<string[]> {
    return expandJobIds(expr, await this.store.listJobs(), allowNoMatch);
  }

  async jobConfig(jobId: string): Promise<JobConfig> {
    return (await this.ctx.requireJob(jobId)).config as JobConfig;
  }

  updateJob(jobId: string, body: unknown): Promise<Record<string, unknown>> {
    return this.catalog.update(jobId, body);
  }

  /** The job's datafeed `datafeedId` was deleted: the job's `datafeed_config` naming it goes too. */
  dropDatafeedConfig(jobId: string, datafeedId: string): Promise<void> {
    return this.catalog.dropDatafeedConfig(jobId, datafeedId);
  }

  deleteJob(jobId: string, force: boolean): Promise<void> {
    return this.catalog.delete(jobId, force);
  }

  // ------------------------------------------------------------------------------------------
  // open / close

  isOpen(jobId: string): boolean {
    return this.ctx.open.has(jobId);
  }

  openJob(jobId: string, o: { recovering?: boolean; promoting?: boolean } = {}): Promise<{ opened: boolean; node: string }> {
    return this.lifecycle.open(jobId, o);
  }

  /** Closes the jobs of an expression; force drops the in-memory model without a snapshot (the WAL keeps the data). */
  closeJobs(expr: string | undefined, o: { force?: boolean; allowNoMatch?: boolean } = {}): Promise<{ closed: boolean }> {
    return this.lifecycle.closeJobs(expr, o);
  }

  /** Jobs waiting for capacity (allow_lazy_open), in order. */
  waitingJobs(): string[] {
    return [...this.ctx.waiting];
  }

  /** Filters or calendars changed: the open jobs among `jobIds` (all when omitted) take them from their next bucket on. */
  refreshControls(jobIds?: string[]): Promise<void> {
    return this.lifecycle.refreshControls(jobIds);
  }

  // ------------------------------------------------------------------------------------------
  // data and flush

  /**
   * `_data`: `body` is what the write-ahead log keeps and replays. `parsed`, when given, must be
   * exactly what parsing `body` gives (the datafeeds pass the documents they serialised, with
   * string and finite-number values only, so the JSON round trip is the identity): it spares
   * parsing the body again. Returns the job's data_counts.
   */
  postData(jobId: string, body: Buffer, parsed?: Record<string, unknown>[]): Promise<Record<string, unknown>> {
    return this.data.post(jobId, body, parsed);
  }

  flushJob(jobId: string, f: FlushOptions): Promise<{ flushed: boolean; last_finalized_bucket_end?: number }> {
    return this.data.flush(jobId, f);
  }

  /**
   * Runs `fn` on an open job's configuration and engine inside the job's queue, between two
   * posts, never during one (`_forecast` reads the engine's bucket histories so; src/server/forecast).
   * A closed job: 409, Elastic's "Cannot perform requested action because job [id] is not open".
   */
  withOpenJob<T>(jobId: string, fn: (job: { config: JobConfig; engine: EngineJob }) => Promise<T>): Promise<T> {
    return this.data.withEngine(jobId, fn);
  }

  // ------------------------------------------------------------------------------------------
  // snapshots

  /** Runs the retention of a closed or open job now (the daily maintenance Elastic runs; tests). */
  runRetention(jobId: string): Promise<void> {
    return this.snapshots.runRetention(jobId);
  }

  /**
   * Elastic's `_revert`: the closed job resumes from `snapshotId` when opened; its data counts go
   * back to the snapshot's; with `deleteInterveningResults`, results (and model-change
   * annotations) after the snapshot's latest result are deleted. Data accepted after the snapshot
   * is dropped from the write-ahead log (it belongs to the abandoned model).
   */
  revertSnapshot(jobId: string, snapshotId: string, deleteInterveningResults: boolean): Promise<ModelSnapshotRecord> {
    return this.snapshots.revert(jobId, snapshotId, deleteInterveningResults);
  }

  /**
   * Elastic's `_reset`: the closed job loses its model (snapshots, write-ahead log), results and
   * model-change annotations (user annotations too with `deleteUserAnnotations`), and keeps its
   * configuration: it starts over as if just created.
   */
  resetJob(jobId: string, deleteUserAnnotations: boolean): Promise<void> {
    return this.snapshots.reset(jobId, deleteUserAnnotations);
  }

  /** The job's active model snapshot id (the one it resumes from). */
  activeSnapshotId(jobId: string): Promise<string | undefined> {
    return this.snapshots.activeId(jobId);
  }

  modelSnapshots(jobId: string): Promise<Record<string, unknown>[]> {
    return this.snapshots.list(jobId);
  }

  // ------------------------------------------------------------------------------------------
  // stats

  stats(expr: string | undefined, allowNoMatch = true): Promise<Record<string, unknown>[]> {
    return jobStats(this.ctx, expr, allowNoMatch);
  }

  /** Operations queued or running per job (the /metrics queue lengths). */
  queueLengths(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, q] of this.ctx.queues) out[id] = q.pending;
    return out;
  }

  /** Counts for `GET /_vigil/health`. */
  summary(): { open_jobs: number; stopping: boolean } {
    return { open_jobs: this.ctx.open.size, stopping: this.ctx.stopping };
  }
}
