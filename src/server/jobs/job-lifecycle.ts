/**
 * The life cycle of jobs in the jobs service: opening (restoring the active snapshot and replaying
 * the write-ahead log after it; a job that does not fit waits in `opening` when it allows lazy
 * open), closing (snapshot first unless forced), re-opening at start-up the jobs that were open,
 * snapshotting at shutdown and periodically, and the controls (filters, scheduled events) open
 * jobs are told.
 */
import { VigilError } from '../../core/errors.js';
import type { JobConfig, JobControls } from '../../engine/job/index.js';
import { JobWal } from '../../store/wal.js';
import type { BucketFeed } from './bucket-feed.js';
import { emptyDataCounts, type DataCounts } from './data-counts.js';
import type { EngineJob } from './engine-port.js';
import { expandJobIds } from './id-expression.js';
import type { JobData } from './job-data.js';
import type { ModelSnapshots } from './model-snapshots.js';
import { applyConfig, applyControls, engineCounts, runtimeOf, type OpenJob } from './open-job.js';
import type { ServiceContext } from './service-context.js';
import { WAL_CONTROL, replayWal, type WalRecord } from './wal-records.js';

function parseInterval(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(m[1]) * unit[m[2]];
}

export class JobLifecycle {
  private timer: NodeJS.Timeout | undefined;
  /** What recover() waits for first (listeners restored from disk must see replayed buckets). */
  private readonly recoveryGates: Promise<unknown>[] = [];

  constructor(
    private readonly ctx: ServiceContext,
    private readonly data: JobData,
    private readonly snapshots: ModelSnapshots,
    private readonly feed: BucketFeed,
  ) {}

  /** recover() waits for `p` to settle before re-opening jobs. */
  delayRecovery(p: Promise<unknown>): void {
    this.recoveryGates.push(p.catch(() => undefined));
  }

  // ------------------------------------------------------------------------------------------
  // start-up and shutdown

  /** Re-opens the jobs that were open when the server last stopped (replaying their WAL). */
  async recover(): Promise<{ reopened: string[]; failed: string[] }> {
    const ctx = this.ctx;
    await Promise.all(this.recoveryGates);
    const reopened: string[] = [];
    const failed: string[] = [];
    for (const rec of await ctx.store.listJobs()) {
      if (rec.runtime.state === 'opening') ctx.waiting.push(rec.job_id);
      if (rec.runtime.state !== 'opened') continue;
      try {
        await this.open(rec.job_id, { recovering: true });
        reopened.push(rec.job_id);
      } catch (err) {
        failed.push(rec.job_id);
        ctx.log.error({ job_id: rec.job_id, err: String(err) }, 'could not re-open job');
        rec.runtime = { ...rec.runtime, state: 'failed', failure_reason: (err as Error).message };
        await ctx.store.saveJob(rec);
      }
    }
    await this.promoteWaiting();
    this.timer = setInterval(() => void this.periodicSnapshots(), 60_000);
    this.timer.unref();
    return { reopened, failed };
  }

  /** Snapshots every open job (they stay `opened` and resume at the next start) and stops. */
  async shutdown(): Promise<void> {
    const ctx = this.ctx;
    ctx.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(
      [...ctx.open.values()].map((job) =>
        ctx.queue(job.record.job_id).run(async () => {
          try {
            if (job.opsSinceSnapshot > 0) await this.snapshots.take(job, 'State persisted due to node shutdown');
          } catch (err) {
            ctx.log.error({ job_id: job.record.job_id, err: String(err) }, 'snapshot at shutdown failed; the WAL still holds the data');
          }
          await job.wal?.close();
        }),
      ),
    );
    ctx.open.clear();
  }

  private async periodicSnapshots(): Promise<void> {
    const ctx = this.ctx;
    const now = ctx.clock();
    for (const job of ctx.open.values()) {
      const interval = parseInterval(job.config.background_persist_interval) ?? ctx.opts.snapshotIntervalMs;
      if (job.opsSinceSnapshot > 0 && now - job.lastSnapshotAt >= interval) {
        await ctx
          .queue(job.record.job_id)
          .run(async () => {
            if (ctx.open.get(job.record.job_id) === job) await this.snapshots.take(job, 'Periodic persist');
          })
          .catch((err) => ctx.log.error({ job_id: job.record.job_id, err: String(err) }, 'periodic snapshot failed'));
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // open / close

  async open(jobId: string, o: { recovering?: boolean; promoting?: boolean } = {}): Promise<{ opened: boolean; node: string }> {
    const ctx = this.ctx;
    ctx.checkRunning();
    await ctx.requireJob(jobId);
    return ctx.queue(jobId).run(async () => {
      if (ctx.open.has(jobId)) return { opened: true, node: ctx.node.id };
      if (ctx.waiting.includes(jobId) && !o.promoting) return { opened: true, node: '' };
      if (ctx.open.size >= ctx.opts.maxOpenJobs) {
        const rec = await ctx.requireJob(jobId);
        if ((rec.config as JobConfig).allow_lazy_open) {
          // Elastic: a lazily opened job waits in `opening` until a node has room
          if (!ctx.waiting.includes(jobId)) ctx.waiting.push(jobId);
          rec.runtime = { ...rec.runtime, state: 'opening', failure_reason: undefined };
          await ctx.store.saveJob(rec);
          ctx.log.info({ job_id: jobId }, 'job waits for capacity (allow_lazy_open)');
          return { opened: true, node: '' };
        }
        throw new VigilError('CAPACITY', `Could not open job because no ML nodes with sufficient capacity were found (limits.max_open_jobs is ${ctx.opts.maxOpenJobs})`);
      }
      ctx.dropWaiting(jobId);
      const rec = await ctx.requireJob(jobId);
      let config = rec.config as JobConfig;
      const snaps = await ctx.store.listSnapshots(jobId);
      // the job's active snapshot (a revert chooses an older one), else the newest
      const latest = snaps.find((s) => s.snapshot_id === rec.runtime.model_snapshot_id) ?? snaps[0];
      let engine: EngineJob;
      let counts: DataCounts;
      if (latest) {
        const state = await ctx.store.getSnapshotState(jobId, latest.snapshot_id);
        if (state === undefined) throw new VigilError('INTERNAL', `model snapshot ${latest.snapshot_id} of job ${jobId} has no state`);
        const snapConfig = (latest.extra?.config as JobConfig | undefined) ?? config;
        engine = ctx.engine.restore(snapConfig, JSON.parse(state), { wallClock: ctx.clock });
        config = snapConfig;
        counts = engineCounts(jobId, engine);
      } else {
        engine = ctx.engine.create(config, { wallClock: ctx.clock });
        counts = emptyDataCounts(jobId);
      }
      let wal: JobWal | undefined;
      let replay: WalRecord[] = [];
      if (ctx.walDir) {
        const opened = await JobWal.open(ctx.walPath(jobId), latest?.wal_seq ?? 0);
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
        lastSnapshotAt: ctx.clock(),
        lastSnapshotId: latest ? Number.parseInt(latest.snapshot_id, 10) || 0 : 0,
        latestResultTime: latest?.latest_result_time_stamp,
        closing: false,
        controls: '',
        finalBuckets: [],
        feeding: [],
      };
      this.feed.watch(job);
      // the controls in force when the snapshot was taken; the WAL holds later changes in place
      const snapControls = latest?.extra?.controls as JobControls | undefined;
      if (snapControls) applyControls(job, snapControls);
      const t0 = Date.now();
      await replayWal(replay, {
        data: (docs, bytes) => this.data.applyData(job, docs, bytes),
        flush: (f) => this.data.applyFlush(job, f),
        config: (c) => applyConfig(job, c),
        controls: (c) => applyControls(job, c),
        failed: (seq, err) => ctx.log.warn({ job_id: jobId, seq, err: String(err) }, 'replayed WAL record failed'),
      });
      if (replay.length > 0) ctx.log.info({ job_id: jobId, records: replay.length, ms: Date.now() - t0 }, 'replayed write-ahead log');
      // an update made while the job was closed comes after everything replayed
      if (JSON.stringify(job.config) !== JSON.stringify(rec.config)) applyConfig(job, rec.config as JobConfig);
      // filters and calendars changed while the job was closed
      await this.syncControls(job);
      rec.runtime = {
        ...rec.runtime,
        state: 'opened',
        open_time: o.recovering && rec.runtime.open_time ? rec.runtime.open_time : ctx.clock(),
        data_counts: job.counts,
        failure_reason: undefined,
      };
      job.record = rec;
      ctx.open.set(jobId, job);
      await ctx.store.saveJob(rec);
      ctx.log.info({ job_id: jobId, snapshot: latest?.snapshot_id ?? null, replayed: replay.length }, 'job opened');
      return { opened: true, node: ctx.node.id };
    });
  }

  /** Closes the jobs of an expression; force drops the in-memory model without a snapshot (the WAL keeps the data). */
  async closeJobs(expr: string | undefined, o: { force?: boolean; allowNoMatch?: boolean } = {}): Promise<{ closed: boolean }> {
    this.ctx.checkRunning();
    const ids = expandJobIds(expr, await this.ctx.store.listJobs(), o.allowNoMatch ?? true);
    await Promise.all(ids.map((id) => this.closeJob(id, !!o.force)));
    return { closed: true };
  }

  private async closeJob(jobId: string, force: boolean): Promise<void> {
    const ctx = this.ctx;
    const rec = await ctx.requireJob(jobId);
    if (ctx.dropWaiting(jobId) || rec.runtime.state === 'opening') {
      rec.runtime = { ...rec.runtime, state: 'closed', finished_time: ctx.clock() };
      await ctx.store.saveJob(rec);
      return;
    }
    if (!ctx.open.has(jobId) && rec.runtime.state !== 'failed') return;
    const run = async (): Promise<void> => {
      const job = ctx.open.get(jobId);
      const r = (await ctx.store.getJob(jobId)) ?? rec;
      if (job) {
        job.closing = true;
        if (!force && job.opsSinceSnapshot > 0) await this.snapshots.take(job, `State persisted due to job close at ${new Date(ctx.clock()).toISOString()}`);
        await job.wal?.close();
        ctx.open.delete(jobId);
        r.runtime = { ...r.runtime, ...runtimeOf(job) };
      }
      r.runtime = { ...r.runtime, state: 'closed', finished_time: ctx.clock(), failure_reason: undefined };
      await ctx.store.saveJob(r);
      ctx.log.info({ job_id: jobId, force }, 'job closed');
    };
    // force does not wait for queued work of a stuck job; it still never interleaves with a write
    await ctx.queue(jobId).run(run);
    await this.promoteWaiting();
  }

  /** Opens waiting (lazily opened) jobs while there is capacity. */
  async promoteWaiting(): Promise<void> {
    const ctx = this.ctx;
    while (ctx.waiting.length > 0 && ctx.open.size < ctx.opts.maxOpenJobs && !ctx.stopping) {
      const jobId = ctx.waiting[0];
      try {
        await this.open(jobId, { promoting: true });
      } catch (err) {
        ctx.dropWaiting(jobId);
        ctx.log.error({ job_id: jobId, err: String(err) }, 'could not open a waiting job');
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // controls (filters, scheduled events: src/server/control)

  /** Gives an open job its current controls when they changed, logged in the WAL at this point of its input (call inside its queue). */
  private async syncControls(job: OpenJob): Promise<void> {
    const hooks = this.ctx.hooks;
    if (!hooks.controlsFor) return;
    const c = await hooks.controlsFor(job.record.job_id, job.config);
    const text = JSON.stringify(c);
    if (text === job.controls) return;
    await job.wal?.append(WAL_CONTROL, Buffer.from(text));
    job.opsSinceSnapshot++;
    applyControls(job, c);
  }

  /** Filters or calendars changed: the open jobs among `jobIds` (all when omitted) take them from their next bucket on. */
  async refreshControls(jobIds?: string[]): Promise<void> {
    const ctx = this.ctx;
    const ids = jobIds ?? [...ctx.open.keys()];
    await Promise.all(
      ids
        .filter((id) => ctx.open.has(id))
        .map((id) =>
          ctx.queue(id).run(async () => {
            const job = ctx.open.get(id);
            if (job && !job.closing) await this.syncControls(job);
          }),
        ),
    );
  }
}
