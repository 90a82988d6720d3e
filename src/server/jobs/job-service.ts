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
 */
import { join } from 'node:path';
import { VigilError } from '../../core/errors.js';
import {
  jobSettings,
  toElasticJob,
  updateJobConfig,
  validateJobConfig,
  validateJobId,
  type JobConfig,
  type JobControls,
  type ValidateJobOptions,
} from '../../engine/job/index.js';
import { HISTORY_MIN_BUCKETS } from '../../engine/job/bucket-history.js';
import { snapshotsToDelete } from './retention.js';
import { forecastsStats } from '../../engine/forecast/index.js';
import type { JobRecord, ModelSnapshotRecord, ResultDoc, Store } from '../../store/store.js';
import { JobWal } from '../../store/wal.js';
import { emptyDataCounts, renderDataCounts, type DataCounts } from './data-counts.js';
import type { EngineFactory, EngineJob, FlushOptions, ScoreUpdate } from './engine-port.js';
import { liveForecasts } from '../forecast/expiry.js';
import { expandJobIds } from './id-expression.js';
import { parseDataBody } from './parse-data.js';

const WAL_DATA = 1;
const WAL_FLUSH = 2;
const WAL_CONFIG = 3;
/** Filters and scheduled events the job was told (src/server/control), replayed in place. */
const WAL_CONTROL = 4;
/** Written after a revert so sequence numbers stay above every snapshot's (replay ignores it). */
const WAL_MARK = 5;

/** What src/server/control adds to the job life cycle (filters, calendars, annotations). */
export interface JobHooks {
  /** Filters and scheduled events in force for a job. */
  controlsFor?(jobId: string, config: JobConfig): Promise<JobControls>;
  /** Checks a configuration before it is stored (filters that custom rules refer to exist). */
  checkConfig?(config: JobConfig): Promise<void>;
  /** Model-change annotations the engine produced (stored by id: replays rewrite them). */
  onAnnotations?(jobId: string, docs: Record<string, unknown>[]): Promise<void>;
  /** A job was reset (annotations: model-change ones, and user ones when asked) or reverted (those after `after`). */
  onWipe?(jobId: string, o: { after?: number; userAnnotations: boolean }): Promise<void>;
}

/** Buckets of a job that became final, in time order, with the job's kept bucket values (see {@link JobService.onBuckets}). */
export interface FinalBuckets {
  jobId: string;
  config: JobConfig;
  /** Bucket starts, epoch ms, ascending. */
  buckets: number[];
  /** Each modelled series' kept bucket values (EngineJob.forecastHistories, read once per call); they hold every bucket of `buckets`. */
  histories(): ReturnType<NonNullable<EngineJob['forecastHistories']>>;
}

export type BucketListener = (e: FinalBuckets) => void | Promise<void>;

/** Final buckets handed to listeners at most this many at a time: fewer than any series keeps (bucket-history.ts), so each is still there. */
const BUCKETS_PER_CALL = Math.min(256, HISTORY_MIN_BUCKETS);

export interface NodeInfo {
  id: string;
  name: string;
  ephemeral_id: string;
  transport_address: string;
  attributes: Record<string, string>;
}

export interface JobServiceOptions {
  store: Store;
  engine: EngineFactory;
  /** Root of the per-job write-ahead logs; without it nothing is durable (tests, in-memory use). */
  walDir?: string;
  clock?: () => number;
  node?: NodeInfo;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  maxOpenJobs?: number;
  /** Limits checked before a job is created and before a `_data` batch is accepted (src/server/security/limits.ts JobGuard). */
  guard?: JobGuard;
  /** Snapshot after this many WAL records since the last one (default 1000). */
  snapshotEveryOps?: number;
  /** Snapshot after this many WAL bytes since the last one (default 64 MiB). */
  snapshotEveryBytes?: number;
  /** Wall-time snapshot interval when the job sets no background_persist_interval (default 3 h). */
  snapshotIntervalMs?: number;
  /** Snapshots kept per job (default 3). */
  snapshotsKept?: number;
  validateOptions?: ValidateJobOptions;
}

/** An open job in memory. */
interface OpenJob {
  record: JobRecord;
  config: JobConfig;
  engine: EngineJob;
  wal: JobWal | undefined;
  counts: DataCounts;
  queue: Promise<unknown>;
  opsSinceSnapshot: number;
  lastSnapshotAt: number;
  lastSnapshotId: number;
  latestResultTime: number | undefined;
  closing: boolean;
  /** JSON of the controls last given to the engine ('' before any). */
  controls: string;
  /** Final buckets not yet handed to bucket listeners, and what listeners are still doing. */
  finalBuckets: number[];
  feeding: Promise<unknown>[];
}

/** Checks of configured limits; each throws a VigilError naming the limit. */
export interface JobGuard {
  beforeCreate(existingJobs: number): void;
  beforeData(job: { job_id: string; config: unknown; stats: () => Record<string, unknown> }, docs: Record<string, unknown>[]): void;
  forget(jobId: string): void;
}

class Serial {
  tail: Promise<unknown> = Promise.resolve();
  /** Operations queued or running (for the queue-length metric). */
  pending = 0;
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.pending++;
    const next = this.tail.then(fn, fn).finally(() => this.pending--);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

const DEFAULT_NODE: NodeInfo = {
  id: 'vigil-node',
  name: 'vigil',
  ephemeral_id: 'vigil',
  transport_address: '127.0.0.1:9300',
  attributes: {},
};

function parseInterval(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(m[1]) * unit[m[2]];
}

export class JobService {
  readonly store: Store;
  private readonly engine: EngineFactory;
  private readonly walDir: string | undefined;
  private readonly clock: () => number;
  readonly node: NodeInfo;
  private log: NonNullable<JobServiceOptions['log']>;
  private readonly opts: Required<Pick<JobServiceOptions, 'maxOpenJobs' | 'snapshotEveryOps' | 'snapshotEveryBytes' | 'snapshotIntervalMs' | 'snapshotsKept'>>;
  private readonly validateOptions: ValidateJobOptions;
  private readonly guard: JobGuard | undefined;
  private readonly open = new Map<string, OpenJob>();
  private readonly queues = new Map<string, Serial>();
  /** Serialises job creation/deletion (id uniqueness against groups). */
  private readonly catalog = new Serial();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly resultsListeners: ((jobId: string) => void)[] = [];
  private hooks: JobHooks = {};
  /** Jobs opened lazily, waiting for capacity (allow_lazy_open), in arrival order. */
  private readonly waiting: string[] = [];
  private readonly bucketListeners = new Map<string, Set<BucketListener>>();
  /** What recover() waits for first (listeners restored from disk must see replayed buckets). */
  private readonly recoveryGates: Promise<unknown>[] = [];

  constructor(o: JobServiceOptions) {
    this.store = o.store;
    this.engine = o.engine;
    this.walDir = o.walDir;
    this.clock = o.clock ?? Date.now;
    this.node = o.node ?? DEFAULT_NODE;
    this.log = o.log ?? { info() {}, warn() {}, error() {} };
    this.opts = {
      maxOpenJobs: o.maxOpenJobs ?? 512,
      snapshotEveryOps: o.snapshotEveryOps ?? 1000,
      snapshotEveryBytes: o.snapshotEveryBytes ?? 64 * 2 ** 20,
      snapshotIntervalMs: o.snapshotIntervalMs ?? 3 * 3_600_000,
      snapshotsKept: o.snapshotsKept ?? 3,
    };
    this.validateOptions = o.validateOptions ?? {};
    this.guard = o.guard;
  }

  /** The service's clock, epoch ms (forecast create and expiry times). */
  now(): number {
    return this.clock();
  }

  /** Calls `fn` after a job's results were stored (alerting evaluates its rules then). */
  onResults(fn: (jobId: string) => void): void {
    this.resultsListeners.push(fn);
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
    let set = this.bucketListeners.get(jobId);
    if (!set) this.bucketListeners.set(jobId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.bucketListeners.get(jobId) === set) this.bucketListeners.delete(jobId);
    };
  }

  /** recover() waits for `p` to settle before re-opening jobs. */
  delayRecovery(p: Promise<unknown>): void {
    this.recoveryGates.push(p.catch(() => undefined));
  }

  private watchBuckets(job: OpenJob): void {
    const jobId = job.record.job_id;
    job.engine.setBucketListener?.((bucket) => {
      if (!this.bucketListeners.has(jobId)) return;
      job.finalBuckets.push(bucket);
      if (job.finalBuckets.length >= BUCKETS_PER_CALL) this.handOutBuckets(job);
    });
  }

  /** Gives the final buckets collected so far to the job's listeners (synchronously: the engine may be in the middle of a batch). */
  private handOutBuckets(job: OpenJob): void {
    const buckets = job.finalBuckets;
    if (buckets.length === 0) return;
    job.finalBuckets = [];
    const jobId = job.record.job_id;
    const set = this.bucketListeners.get(jobId);
    if (!set) return;
    let kept: ReturnType<FinalBuckets['histories']> | undefined;
    const e: FinalBuckets = { jobId, config: job.config, buckets, histories: () => (kept ??= job.engine.forecastHistories?.() ?? []) };
    for (const fn of set) {
      try {
        const p = fn(e);
        if (p) job.feeding.push(p.catch((err: unknown) => this.log.warn({ job_id: jobId, err: String(err) }, 'bucket listener failed')));
      } catch (err) {
        this.log.warn({ job_id: jobId, err: String(err) }, 'bucket listener failed');
      }
    }
  }

  private async feedListeners(job: OpenJob): Promise<void> {
    this.handOutBuckets(job);
    while (job.feeding.length > 0) await Promise.all(job.feeding.splice(0));
  }

  /** Filters, calendars and annotations (src/server/control) join the life cycle here. */
  setHooks(hooks: JobHooks): void {
    this.hooks = hooks;
  }

  /** Uses the app's logger (structured JSON logs). */
  setLogger(log: NonNullable<JobServiceOptions['log']>): void {
    this.log = log;
  }

  private queue(jobId: string): Serial {
    let q = this.queues.get(jobId);
    if (!q) this.queues.set(jobId, (q = new Serial()));
    return q;
  }

  private checkRunning(): void {
    if (this.stopping) throw new VigilError('SHUTTING_DOWN', 'the server is shutting down');
  }

  // ------------------------------------------------------------------------------------------
  // start-up and shutdown

  /** Re-opens the jobs that were open when the server last stopped (replaying their WAL). */
  async recover(): Promise<{ reopened: string[]; failed: string[] }> {
    await Promise.all(this.recoveryGates);
    const reopened: string[] = [];
    const failed: string[] = [];
    for (const rec of await this.store.listJobs()) {
      if (rec.runtime.state === 'opening') this.waiting.push(rec.job_id);
      if (rec.runtime.state !== 'opened') continue;
      try {
        await this.openJob(rec.job_id, { recovering: true });
        reopened.push(rec.job_id);
      } catch (err) {
        failed.push(rec.job_id);
        this.log.error({ job_id: rec.job_id, err: String(err) }, 'could not re-open job');
        rec.runtime = { ...rec.runtime, state: 'failed', failure_reason: (err as Error).message };
        await this.store.saveJob(rec);
      }
    }
    await this.promoteWaiting();
    this.timer = setInterval(() => void this.periodicSnapshots(), 60_000);
    this.timer.unref();
    return { reopened, failed };
  }

  /** Snapshots every open job (they stay `opened` and resume at the next start) and stops. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(
      [...this.open.values()].map((job) =>
        this.queue(job.record.job_id).run(async () => {
          try {
            if (job.opsSinceSnapshot > 0) await this.snapshot(job, 'State persisted due to node shutdown');
          } catch (err) {
            this.log.error({ job_id: job.record.job_id, err: String(err) }, 'snapshot at shutdown failed; the WAL still holds the data');
          }
          await job.wal?.close();
        }),
      ),
    );
    this.open.clear();
  }

  private async periodicSnapshots(): Promise<void> {
    const now = this.clock();
    for (const job of this.open.values()) {
      const interval = parseInterval(job.config.background_persist_interval) ?? this.opts.snapshotIntervalMs;
      if (job.opsSinceSnapshot > 0 && now - job.lastSnapshotAt >= interval) {
        await this.queue(job.record.job_id)
          .run(async () => {
            if (this.open.get(job.record.job_id) === job) await this.snapshot(job, 'Periodic persist');
          })
          .catch((err) => this.log.error({ job_id: job.record.job_id, err: String(err) }, 'periodic snapshot failed'));
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // configuration

  private async requireJob(jobId: string): Promise<JobRecord> {
    const rec = await this.store.getJob(jobId);
    if (!rec) throw new VigilError('RESOURCE_NOT_FOUND', `No known job with id '${jobId}'`);
    return rec;
  }

  private meta(rec: JobRecord): Parameters<typeof toElasticJob>[1] {
    return {
      create_time: rec.create_time,
      finished_time: rec.runtime.state === 'opened' ? undefined : rec.runtime.finished_time,
      model_snapshot_id: rec.runtime.model_snapshot_id,
    };
  }

  render(rec: JobRecord): Record<string, unknown> {
    return toElasticJob(rec.config as JobConfig, this.meta(rec));
  }

  async putJob(jobId: string, body: unknown): Promise<Record<string, unknown>> {
    this.checkRunning();
    validateJobId(jobId);
    const config = validateJobConfig(jobId, body, this.validateOptions);
    await this.hooks.checkConfig?.(config);
    return this.catalog.run(async () => {
      const all = await this.store.listJobs();
      this.guard?.beforeCreate(all.length);
      if (all.some((j) => j.job_id === jobId)) throw new VigilError('RESOURCE_EXISTS', `The job cannot be created with the Id '${jobId}'. The Id is already used.`);
      for (const j of all) {
        if (j.groups.includes(jobId)) throw new VigilError('RESOURCE_EXISTS', `job and group names must be unique but job [${jobId}] and group [${jobId}] have the same name`);
        const clash = config.groups.find((g) => g === j.job_id);
        if (clash) throw new VigilError('RESOURCE_EXISTS', `job and group names must be unique but job [${clash}] and group [${clash}] have the same name`);
      }
      const rec: JobRecord = {
        job_id: jobId,
        config,
        groups: config.groups,
        create_time: this.clock(),
        runtime: { state: 'closed', data_counts: emptyDataCounts(jobId) },
      };
      if (!(await this.store.createJob(rec))) throw new VigilError('RESOURCE_EXISTS', `The job cannot be created with the Id '${jobId}'. The Id is already used.`);
      this.log.info({ job_id: jobId }, 'job created');
      return this.render(rec);
    });
  }

  async getJobs(expr: string | undefined, allowNoMatch = true): Promise<Record<string, unknown>[]> {
    const all = await this.store.listJobs();
    const ids = new Set(expandJobIds(expr, all, allowNoMatch));
    return all.filter((j) => ids.has(j.job_id)).map((j) => this.render(j));
  }

  /** Job ids matching an expression (for results and stats). */
  async expand(expr: string | undefined, allowNoMatch = true): Promise<string[]> {
    return expandJobIds(expr, await this.store.listJobs(), allowNoMatch);
  }

  async jobConfig(jobId: string): Promise<JobConfig> {
    return (await this.requireJob(jobId)).config as JobConfig;
  }

  async updateJob(jobId: string, body: unknown): Promise<Record<string, unknown>> {
    this.checkRunning();
    await this.requireJob(jobId);
    return this.queue(jobId).run(async () => {
      const rec = await this.requireJob(jobId);
      const job = this.open.get(jobId);
      const modelBytes = job ? Number(job.engine.modelSizeStats().model_bytes ?? 0) : undefined;
      const next = updateJobConfig(rec.config as JobConfig, body, { isOpen: !!job, modelBytes, maxModelMemoryLimit: this.validateOptions.maxModelMemoryLimit });
      await this.hooks.checkConfig?.(next);
      if (next.groups.includes(jobId) || (await this.store.listJobs()).some((j) => j.job_id !== jobId && next.groups.includes(j.job_id))) {
        const g = next.groups.find((x) => x === jobId) ?? next.groups[0];
        throw new VigilError('RESOURCE_EXISTS', `job and group names must be unique but job [${g}] and group [${g}] have the same name`);
      }
      rec.config = next;
      rec.groups = next.groups;
      if (job) {
        // the open job's engine sees the new configuration at this point of its input, replays too
        await job.wal?.append(WAL_CONFIG, Buffer.from(JSON.stringify(next)));
        this.applyConfig(job, next);
        job.record = rec;
      }
      await this.store.saveJob(rec);
      return this.render(rec);
    });
  }

  private applyConfig(job: OpenJob, next: JobConfig): void {
    job.config = next;
    const e = job.engine as EngineJob & { updateConfig?: (c: JobConfig) => void };
    e.updateConfig?.(next);
  }

  async deleteJob(jobId: string, force: boolean): Promise<void> {
    this.checkRunning();
    await this.requireJob(jobId);
    if (this.open.has(jobId) && !force) {
      throw new VigilError('JOB_STATE_CONFLICT', `Cannot delete job [${jobId}] because the job is opened`);
    }
    await this.queue(jobId).run(async () => {
      const job = this.open.get(jobId);
      this.dropWaiting(jobId);
      if (job) {
        this.open.delete(jobId);
        await job.wal?.close();
      }
      await this.catalog.run(() => this.store.deleteJob(jobId));
      if (this.walDir) {
        const { wal } = await JobWal.open(this.walPath(jobId));
        await wal.destroy();
      }
      this.log.info({ job_id: jobId, force }, 'job deleted');
    });
    this.queues.delete(jobId);
    this.guard?.forget(jobId);
    await this.hooks.onWipe?.(jobId, { userAnnotations: true });
    await this.promoteWaiting();
  }

  private walPath(jobId: string): string {
    return join(this.walDir as string, jobId);
  }

  // ------------------------------------------------------------------------------------------
  // open / close

  isOpen(jobId: string): boolean {
    return this.open.has(jobId);
  }

  async openJob(jobId: string, o: { recovering?: boolean; promoting?: boolean } = {}): Promise<{ opened: boolean; node: string }> {
    this.checkRunning();
    await this.requireJob(jobId);
    return this.queue(jobId).run(async () => {
      if (this.open.has(jobId)) return { opened: true, node: this.node.id };
      if (this.waiting.includes(jobId) && !o.promoting) return { opened: true, node: '' };
      if (this.open.size >= this.opts.maxOpenJobs) {
        const rec = await this.requireJob(jobId);
        if ((rec.config as JobConfig).allow_lazy_open) {
          // Elastic: a lazily opened job waits in `opening` until a node has room
          if (!this.waiting.includes(jobId)) this.waiting.push(jobId);
          rec.runtime = { ...rec.runtime, state: 'opening', failure_reason: undefined };
          await this.store.saveJob(rec);
          this.log.info({ job_id: jobId }, 'job waits for capacity (allow_lazy_open)');
          return { opened: true, node: '' };
        }
        throw new VigilError('CAPACITY', `Could not open job because no ML nodes with sufficient capacity were found (limits.max_open_jobs is ${this.opts.maxOpenJobs})`);
      }
      this.dropWaiting(jobId);
      const rec = await this.requireJob(jobId);
      let config = rec.config as JobConfig;
      const snaps = await this.store.listSnapshots(jobId);
      // the job's active snapshot (a revert chooses an older one), else the newest
      const latest = snaps.find((s) => s.snapshot_id === rec.runtime.model_snapshot_id) ?? snaps[0];
      let engine: EngineJob;
      let counts: DataCounts;
      if (latest) {
        const state = await this.store.getSnapshotState(jobId, latest.snapshot_id);
        if (state === undefined) throw new VigilError('INTERNAL', `model snapshot ${latest.snapshot_id} of job ${jobId} has no state`);
        const snapConfig = (latest.extra?.config as JobConfig | undefined) ?? config;
        engine = this.engine.restore(snapConfig, JSON.parse(state), { wallClock: this.clock });
        config = snapConfig;
        counts = { ...emptyDataCounts(jobId), ...engine.dataCounts() } as DataCounts;
      } else {
        engine = this.engine.create(config, { wallClock: this.clock });
        counts = emptyDataCounts(jobId);
      }
      let wal: JobWal | undefined;
      let replay: { seq: number; kind: number; payload: Buffer }[] = [];
      if (this.walDir) {
        const opened = await JobWal.open(this.walPath(jobId), latest?.wal_seq ?? 0);
        wal = opened.wal;
        replay = opened.records;
      }
      const job: OpenJob = {
        record: rec,
        config,
        engine,
        wal,
        counts,
        queue: Promise.resolve(),
        opsSinceSnapshot: replay.length,
        lastSnapshotAt: this.clock(),
        lastSnapshotId: latest ? Number.parseInt(latest.snapshot_id, 10) || 0 : 0,
        latestResultTime: latest?.latest_result_time_stamp,
        closing: false,
        controls: '',
        finalBuckets: [],
        feeding: [],
      };
      this.watchBuckets(job);
      // the controls in force when the snapshot was taken; the WAL holds later changes in place
      const snapControls = latest?.extra?.controls as JobControls | undefined;
      if (snapControls) this.applyControls(job, snapControls);
      const t0 = Date.now();
      for (const r of replay) {
        try {
          if (r.kind === WAL_DATA) await this.applyData(job, parseDataBody(r.payload).docs, r.payload.length);
          else if (r.kind === WAL_FLUSH) await this.applyFlush(job, JSON.parse(r.payload.toString('utf8')) as FlushOptions);
          else if (r.kind === WAL_CONFIG) this.applyConfig(job, JSON.parse(r.payload.toString('utf8')) as JobConfig);
          else if (r.kind === WAL_CONTROL) this.applyControls(job, JSON.parse(r.payload.toString('utf8')) as JobControls);
        } catch (err) {
          // it failed the same way when it was first applied (the engine is deterministic)
          this.log.warn({ job_id: jobId, seq: r.seq, err: String(err) }, 'replayed WAL record failed');
        }
      }
      if (replay.length > 0) this.log.info({ job_id: jobId, records: replay.length, ms: Date.now() - t0 }, 'replayed write-ahead log');
      // an update made while the job was closed comes after everything replayed
      if (JSON.stringify(job.config) !== JSON.stringify(rec.config)) this.applyConfig(job, rec.config as JobConfig);
      // filters and calendars changed while the job was closed
      await this.syncControls(job);
      rec.runtime = {
        ...rec.runtime,
        state: 'opened',
        open_time: o.recovering && rec.runtime.open_time ? rec.runtime.open_time : this.clock(),
        data_counts: job.counts,
        failure_reason: undefined,
      };
      job.record = rec;
      this.open.set(jobId, job);
      await this.store.saveJob(rec);
      this.log.info({ job_id: jobId, snapshot: latest?.snapshot_id ?? null, replayed: replay.length }, 'job opened');
      return { opened: true, node: this.node.id };
    });
  }

  /** Closes the jobs of an expression; force drops the in-memory model without a snapshot (the WAL keeps the data). */
  async closeJobs(expr: string | undefined, o: { force?: boolean; allowNoMatch?: boolean } = {}): Promise<{ closed: boolean }> {
    this.checkRunning();
    const ids = await this.expand(expr, o.allowNoMatch ?? true);
    await Promise.all(ids.map((id) => this.closeJob(id, !!o.force)));
    return { closed: true };
  }

  private async closeJob(jobId: string, force: boolean): Promise<void> {
    const rec = await this.requireJob(jobId);
    if (this.dropWaiting(jobId) || rec.runtime.state === 'opening') {
      rec.runtime = { ...rec.runtime, state: 'closed', finished_time: this.clock() };
      await this.store.saveJob(rec);
      return;
    }
    if (!this.open.has(jobId) && rec.runtime.state !== 'failed') return;
    const run = async (): Promise<void> => {
      const job = this.open.get(jobId);
      const r = (await this.store.getJob(jobId)) ?? rec;
      if (job) {
        job.closing = true;
        if (!force && job.opsSinceSnapshot > 0) await this.snapshot(job, `State persisted due to job close at ${new Date(this.clock()).toISOString()}`);
        await job.wal?.close();
        this.open.delete(jobId);
        r.runtime = { ...r.runtime, ...this.runtimeOf(job) };
      }
      r.runtime = { ...r.runtime, state: 'closed', finished_time: this.clock(), failure_reason: undefined };
      await this.store.saveJob(r);
      this.log.info({ job_id: jobId, force }, 'job closed');
    };
    // force does not wait for queued work of a stuck job; it still never interleaves with a write
    await this.queue(jobId).run(run);
    await this.promoteWaiting();
  }

  private dropWaiting(jobId: string): boolean {
    const i = this.waiting.indexOf(jobId);
    if (i >= 0) this.waiting.splice(i, 1);
    return i >= 0;
  }

  /** Opens waiting (lazily opened) jobs while there is capacity. */
  private async promoteWaiting(): Promise<void> {
    while (this.waiting.length > 0 && this.open.size < this.opts.maxOpenJobs && !this.stopping) {
      const jobId = this.waiting[0];
      try {
        await this.openJob(jobId, { promoting: true });
      } catch (err) {
        this.dropWaiting(jobId);
        this.log.error({ job_id: jobId, err: String(err) }, 'could not open a waiting job');
      }
    }
  }

  /** Jobs waiting for capacity (allow_lazy_open), in order. */
  waitingJobs(): string[] {
    return [...this.waiting];
  }

  // ------------------------------------------------------------------------------------------
  // controls (filters, scheduled events: src/server/control)

  private applyControls(job: OpenJob, c: JobControls): void {
    job.controls = JSON.stringify(c);
    job.engine.setControls?.(c);
  }

  /** Gives an open job its current controls when they changed, logged in the WAL at this point of its input (call inside its queue). */
  private async syncControls(job: OpenJob): Promise<void> {
    if (!this.hooks.controlsFor) return;
    const c = await this.hooks.controlsFor(job.record.job_id, job.config);
    const text = JSON.stringify(c);
    if (text === job.controls) return;
    await job.wal?.append(WAL_CONTROL, Buffer.from(text));
    job.opsSinceSnapshot++;
    this.applyControls(job, c);
  }

  /** Filters or calendars changed: the open jobs among `jobIds` (all when omitted) take them from their next bucket on. */
  async refreshControls(jobIds?: string[]): Promise<void> {
    const ids = jobIds ?? [...this.open.keys()];
    await Promise.all(
      ids
        .filter((id) => this.open.has(id))
        .map((id) =>
          this.queue(id).run(async () => {
            const job = this.open.get(id);
            if (job && !job.closing) await this.syncControls(job);
          }),
        ),
    );
  }

  private runtimeOf(job: OpenJob): Partial<JobRecord['runtime']> {
    return {
      data_counts: job.counts,
      model_size_stats: job.engine.modelSizeStats(),
      timing_stats: job.engine.timingStats(),
      model_snapshot_id: job.record.runtime.model_snapshot_id,
    };
  }

  private openJobOrConflict(jobId: string): OpenJob {
    const job = this.open.get(jobId);
    if (!job || job.closing) throw new VigilError('JOB_STATE_CONFLICT', `Cannot perform requested action because job [${jobId}] is not open`);
    return job;
  }

  // ------------------------------------------------------------------------------------------
  // data and flush

  /** POST _data: parses the whole body, logs it durably, applies it; returns the job's data_counts. */
  /**
   * `_data`: `body` is what the write-ahead log keeps and replays. `parsed`, when given, must be
   * exactly what parsing `body` gives (the datafeeds pass the documents they serialised, with
   * string and finite-number values only, so the JSON round trip is the identity): it spares
   * parsing the body again.
   */
  async postData(jobId: string, body: Buffer, parsed?: Record<string, unknown>[]): Promise<Record<string, unknown>> {
    this.checkRunning();
    if (!this.open.has(jobId)) {
      await this.requireJob(jobId);
      this.openJobOrConflict(jobId);
    }
    return this.queue(jobId).run(async () => {
      const job = this.openJobOrConflict(jobId);
      const docs = parsed ?? parseDataBody(body).docs;
      this.guard?.beforeData({ job_id: jobId, config: job.config, stats: () => job.engine.modelSizeStats() }, docs);
      await job.wal?.append(WAL_DATA, body);
      job.opsSinceSnapshot++;
      await this.applyData(job, docs, body.length);
      await this.maybeSnapshot(job);
      return renderDataCounts(job.counts);
    });
  }

  private async applyData(job: OpenJob, docs: Record<string, unknown>[], bytes: number): Promise<void> {
    job.engine.postData(docs, { inputBytes: bytes });
    job.counts = { ...emptyDataCounts(job.record.job_id), ...job.engine.dataCounts() } as DataCounts;
    await this.writeResults(job);
  }

  private async applyFlush(job: OpenJob, f: FlushOptions): Promise<{ last_finalized_bucket_end?: number }> {
    const out = job.engine.flush(f);
    job.counts = { ...emptyDataCounts(job.record.job_id), ...job.engine.dataCounts() } as DataCounts;
    await this.writeResults(job);
    return out;
  }

  /** Stores what the engine produced, then applies renormalised scores to stored results. */
  private async writeResults(job: OpenJob): Promise<void> {
    const r = job.engine.drainResults();
    const docs: ResultDoc[] = [...r.buckets, ...r.records, ...r.influencers, ...r.modelPlots];
    for (const d of r.buckets) {
      if (d.is_interim !== true && (job.latestResultTime === undefined || d.timestamp > job.latestResultTime)) job.latestResultTime = d.timestamp;
    }
    if (docs.length > 0 || r.clearInterim) {
      await this.store.writeResults(job.record.job_id, docs, { deleteInterim: r.clearInterim, ids: docs.map((d) => this.engine.resultId(d)) });
    }
    if (r.annotations && r.annotations.length > 0) await this.hooks.onAnnotations?.(job.record.job_id, r.annotations);
    const updates = job.engine.renormalise();
    if (updates.length > 0) await this.store.updateResults(job.record.job_id, updates.map(toResultUpdate));
    if (docs.length > 0 || updates.length > 0) for (const fn of this.resultsListeners) fn(job.record.job_id);
    await this.feedListeners(job);
  }

  async flushJob(jobId: string, f: FlushOptions): Promise<{ flushed: boolean; last_finalized_bucket_end?: number }> {
    this.checkRunning();
    if (!this.open.has(jobId)) {
      await this.requireJob(jobId);
      this.openJobOrConflict(jobId);
    }
    return this.queue(jobId).run(async () => {
      const job = this.openJobOrConflict(jobId);
      await job.wal?.append(WAL_FLUSH, Buffer.from(JSON.stringify(f)));
      job.opsSinceSnapshot++;
      const out = await this.applyFlush(job, f);
      await this.maybeSnapshot(job);
      const res: { flushed: boolean; last_finalized_bucket_end?: number } = { flushed: true };
      if (out.last_finalized_bucket_end !== undefined) res.last_finalized_bucket_end = out.last_finalized_bucket_end;
      return res;
    });
  }

  /**
   * Runs `fn` on an open job's configuration and engine inside the job's queue, between two
   * posts, never during one (`_forecast` reads the engine's bucket histories so; src/server/forecast).
   * A closed job: 409, Elastic's "Cannot perform requested action because job [id] is not open".
   */
  async withOpenJob<T>(jobId: string, fn: (job: { config: JobConfig; engine: EngineJob }) => Promise<T>): Promise<T> {
    this.checkRunning();
    if (!this.open.has(jobId)) {
      await this.requireJob(jobId);
      this.openJobOrConflict(jobId);
    }
    return this.queue(jobId).run(async () => {
      const job = this.openJobOrConflict(jobId);
      return fn({ config: job.config, engine: job.engine });
    });
  }

  // ------------------------------------------------------------------------------------------
  // snapshots

  private async maybeSnapshot(job: OpenJob): Promise<void> {
    const walBytes = job.wal?.bytesSinceRotate ?? 0;
    if (job.opsSinceSnapshot >= this.opts.snapshotEveryOps || walBytes >= this.opts.snapshotEveryBytes) {
      await this.snapshot(job, 'Periodic persist');
    }
  }

  /** Persists the model (call inside the job's queue). */
  private async snapshot(job: OpenJob, description: string): Promise<ModelSnapshotRecord> {
    const now = this.clock();
    const id = Math.max(Math.floor(now / 1000), job.lastSnapshotId + 1);
    const stats = job.engine.modelSizeStats();
    const meta: ModelSnapshotRecord = {
      job_id: job.record.job_id,
      snapshot_id: String(id),
      timestamp: now,
      description,
      latest_record_time_stamp: job.counts.latest_record_timestamp as number | undefined,
      latest_result_time_stamp: job.latestResultTime,
      model_size_stats: stats,
      retain: false,
      min_version: '7.0.0',
      snapshot_doc_count: 1,
      wal_seq: job.wal?.lastSeq ?? 0,
      data_counts: job.counts,
      extra: { config: job.config, ...(job.controls ? { controls: JSON.parse(job.controls) as JobControls } : {}) },
    };
    await this.store.putSnapshot(meta, JSON.stringify(job.engine.toState()));
    job.lastSnapshotId = id;
    job.lastSnapshotAt = now;
    job.opsSinceSnapshot = 0;
    job.record.runtime = { ...job.record.runtime, ...this.runtimeOf(job), model_snapshot_id: meta.snapshot_id };
    await this.store.saveJob(job.record);
    await job.wal?.rotate(meta.wal_seq);
    await this.applyRetention(job.record.job_id, job.config, meta.snapshot_id, job.latestResultTime);
    return meta;
  }

  /**
   * Elastic's retention after a snapshot: model snapshots by model_snapshot_retention_days and
   * daily_model_snapshot_retention_after_days (never the active or a retained one, nor the newest
   * `snapshotsKept`), results older than results_retention_days before the latest bucket.
   */
  private async applyRetention(jobId: string, config: JobConfig, activeId: string | undefined, latestResult: number | undefined): Promise<void> {
    const snaps = await this.store.listSnapshots(jobId);
    for (const id of snapshotsToDelete(snaps, config, activeId, this.opts.snapshotsKept)) await this.store.deleteSnapshot(jobId, id);
    if (config.results_retention_days !== undefined && latestResult !== undefined) {
      const n = await this.store.deleteResults(jobId, { end: latestResult - config.results_retention_days * 86_400_000 });
      if (n > 0) this.log.info({ job_id: jobId, deleted: n }, 'results retention');
    }
  }

  /** Runs the retention of a closed or open job now (the daily maintenance Elastic runs; tests). */
  async runRetention(jobId: string): Promise<void> {
    await this.queue(jobId).run(async () => {
      const job = this.open.get(jobId);
      const rec = await this.requireJob(jobId);
      const latest = job?.latestResultTime ?? (await this.store.listSnapshots(jobId))[0]?.latest_result_time_stamp;
      await this.applyRetention(jobId, (job?.config ?? rec.config) as JobConfig, rec.runtime.model_snapshot_id, latest);
    });
  }

  /**
   * Elastic's `_revert`: the closed job resumes from `snapshotId` when opened; its data counts go
   * back to the snapshot's; with `deleteInterveningResults`, results (and model-change
   * annotations) after the snapshot's latest result are deleted. Data accepted after the snapshot
   * is dropped from the write-ahead log (it belongs to the abandoned model).
   */
  async revertSnapshot(jobId: string, snapshotId: string, deleteInterveningResults: boolean): Promise<ModelSnapshotRecord> {
    this.checkRunning();
    await this.requireJob(jobId);
    return this.queue(jobId).run(async () => {
      const rec = await this.requireJob(jobId);
      if (this.open.has(jobId) || this.waiting.includes(jobId) || rec.runtime.state === 'opened' || rec.runtime.state === 'opening') {
        throw new VigilError('JOB_STATE_CONFLICT', 'Can only revert to a model snapshot when the job is closed.');
      }
      const snaps = await this.store.listSnapshots(jobId);
      const snap = snaps.find((s) => s.snapshot_id === snapshotId);
      if (!snap) throw new VigilError('RESOURCE_NOT_FOUND', `No model snapshot with id [${snapshotId}] exists for job [${jobId}]`);
      if (deleteInterveningResults) {
        const after = snap.latest_result_time_stamp;
        // results from the bucket after the snapshot's last one on
        const bucketMs = jobSettingsSpan(rec.config as JobConfig);
        await this.store.deleteResults(jobId, { start: after === undefined ? undefined : after + bucketMs });
        await this.hooks.onWipe?.(jobId, { after: after === undefined ? -Infinity : after + bucketMs, userAnnotations: false });
      }
      if (this.walDir) {
        const maxSeq = Math.max(0, ...snaps.map((s) => s.wal_seq));
        const { wal } = await JobWal.open(this.walPath(jobId));
        const top = Math.max(maxSeq, wal.lastSeq);
        await wal.destroy();
        // a fresh log whose numbers continue above every snapshot's, so the chosen one replays nothing
        const fresh = await JobWal.open(this.walPath(jobId), top);
        await fresh.wal.append(WAL_MARK, Buffer.from(JSON.stringify({ reverted_to: snapshotId })));
        await fresh.wal.close();
      }
      rec.runtime = {
        ...rec.runtime,
        model_snapshot_id: snapshotId,
        data_counts: { ...emptyDataCounts(jobId), ...snap.data_counts } as Record<string, unknown>,
        model_size_stats: snap.model_size_stats,
      };
      await this.store.saveJob(rec);
      this.log.info({ job_id: jobId, snapshot: snapshotId, delete_intervening_results: deleteInterveningResults }, 'job model snapshot reverted');
      return snap;
    });
  }

  /**
   * Elastic's `_reset`: the closed job loses its model (snapshots, write-ahead log), results and
   * model-change annotations (user annotations too with `deleteUserAnnotations`), and keeps its
   * configuration: it starts over as if just created.
   */
  async resetJob(jobId: string, deleteUserAnnotations: boolean): Promise<void> {
    this.checkRunning();
    await this.requireJob(jobId);
    await this.queue(jobId).run(async () => {
      const rec = await this.requireJob(jobId);
      if (this.open.has(jobId) || this.waiting.includes(jobId) || rec.runtime.state === 'opened' || rec.runtime.state === 'opening') {
        throw new VigilError('JOB_STATE_CONFLICT', 'Can only reset a job when it is closed.');
      }
      for (const s of await this.store.listSnapshots(jobId)) await this.store.deleteSnapshot(jobId, s.snapshot_id);
      await this.store.deleteResults(jobId, {});
      if (this.walDir) {
        const { wal } = await JobWal.open(this.walPath(jobId));
        await wal.destroy();
      }
      await this.hooks.onWipe?.(jobId, { userAnnotations: deleteUserAnnotations });
      rec.runtime = { state: 'closed', data_counts: emptyDataCounts(jobId), finished_time: rec.runtime.finished_time };
      await this.store.saveJob(rec);
      this.log.info({ job_id: jobId, delete_user_annotations: deleteUserAnnotations }, 'job reset');
    });
  }

  /** The job's active model snapshot id (the one it resumes from). */
  async activeSnapshotId(jobId: string): Promise<string | undefined> {
    const job = this.open.get(jobId);
    if (job) return job.record.runtime.model_snapshot_id;
    return (await this.requireJob(jobId)).runtime.model_snapshot_id;
  }

  async modelSnapshots(jobId: string): Promise<Record<string, unknown>[]> {
    await this.requireJob(jobId);
    return (await this.store.listSnapshots(jobId)).map((s) => ({
      job_id: s.job_id,
      min_version: s.min_version,
      timestamp: s.timestamp,
      description: s.description,
      snapshot_id: s.snapshot_id,
      snapshot_doc_count: s.snapshot_doc_count,
      model_size_stats: s.model_size_stats,
      latest_record_time_stamp: s.latest_record_time_stamp,
      latest_result_time_stamp: s.latest_result_time_stamp,
      retain: s.retain,
    }));
  }

  // ------------------------------------------------------------------------------------------
  // stats

  async stats(expr: string | undefined, allowNoMatch = true): Promise<Record<string, unknown>[]> {
    const all = await this.store.listJobs();
    const ids = new Set(expandJobIds(expr, all, allowNoMatch));
    const now = this.clock();
    const forecasts = liveForecasts(await this.store.listForecasts([...ids]), now);
    return all
      .filter((j) => ids.has(j.job_id))
      .map((rec) => {
        const job = this.open.get(rec.job_id);
        const rt = job ? { ...rec.runtime, ...this.runtimeOf(job) } : rec.runtime;
        const counts = (rt.data_counts as DataCounts | undefined) ?? emptyDataCounts(rec.job_id);
        const out: Record<string, unknown> = {
          job_id: rec.job_id,
          data_counts: renderDataCounts(counts),
          model_size_stats: { job_id: rec.job_id, result_type: 'model_size_stats', ...(rt.model_size_stats ?? { model_bytes: 0, memory_status: 'ok' }) },
          forecasts_stats: forecastsStats((forecasts.get(rec.job_id) ?? []) as unknown as Parameters<typeof forecastsStats>[0]),
          state: job ? 'opened' : rec.runtime.state,
        };
        if (rec.runtime.state === 'failed' && rec.runtime.failure_reason) out.assignment_explanation = rec.runtime.failure_reason;
        if (!job && this.waiting.includes(rec.job_id)) {
          out.state = 'opening';
          out.assignment_explanation = `Waiting for capacity: ${this.open.size} jobs are open (limits.max_open_jobs is ${this.opts.maxOpenJobs}); this job opens when another closes (allow_lazy_open)`;
        }
        if (job) {
          out.node = { ...this.node };
          out.assignment_explanation = '';
          out.open_time = `${Math.max(0, Math.round((now - (rec.runtime.open_time ?? now)) / 1000))}s`;
        }
        out.timing_stats = { job_id: rec.job_id, ...(rt.timing_stats ?? { bucket_count: 0, total_bucket_processing_time_ms: 0 }) };
        return out;
      });
  }

  /** Operations queued or running per job (the /metrics queue lengths). */
  queueLengths(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, q] of this.queues) out[id] = q.pending;
    return out;
  }

  /** Counts for `GET /_vigil/health`. */
  summary(): { open_jobs: number; stopping: boolean } {
    return { open_jobs: this.open.size, stopping: this.stopping };
  }
}

function jobSettingsSpan(config: JobConfig): number {
  return jobSettings(config).bucketSpanMs;
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
