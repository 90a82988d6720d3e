/**
 * Model snapshots of the jobs service: taking one (the engine's state with what it covers: WAL
 * sequence, data counts, configuration and controls), Elastic's retention after each, `_revert`,
 * `_reset`, and listing them.
 */
import { VigilError } from '../../core/errors.js';
import { jobSettings, type JobConfig, type JobControls } from '../../engine/job/index.js';
import type { JobRecord, ModelSnapshotRecord } from '../../store/store.js';
import { JobWal } from '../../store/wal.js';
import { emptyDataCounts } from './data-counts.js';
import { runtimeOf, type OpenJob } from './open-job.js';
import { snapshotsToDelete } from './retention.js';
import type { ServiceContext } from './service-context.js';
import { WAL_MARK } from './wal-records.js';

export class ModelSnapshots {
  constructor(private readonly ctx: ServiceContext) {}

  /** Snapshots when enough WAL records or bytes have come since the last one (call inside the job's queue). */
  async maybeTake(job: OpenJob): Promise<void> {
    const walBytes = job.wal?.bytesSinceRotate ?? 0;
    if (job.opsSinceSnapshot >= this.ctx.opts.snapshotEveryOps || walBytes >= this.ctx.opts.snapshotEveryBytes) {
      await this.take(job, 'Periodic persist');
    }
  }

  /** Persists the model (call inside the job's queue). */
  async take(job: OpenJob, description: string): Promise<ModelSnapshotRecord> {
    const { store } = this.ctx;
    const now = this.ctx.clock();
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
    await store.putSnapshot(meta, JSON.stringify(job.engine.toState()));
    job.lastSnapshotId = id;
    job.lastSnapshotAt = now;
    job.opsSinceSnapshot = 0;
    job.record.runtime = { ...job.record.runtime, ...runtimeOf(job), model_snapshot_id: meta.snapshot_id };
    await store.saveJob(job.record);
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
    const { store } = this.ctx;
    const snaps = await store.listSnapshots(jobId);
    for (const id of snapshotsToDelete(snaps, config, activeId, this.ctx.opts.snapshotsKept)) await store.deleteSnapshot(jobId, id);
    if (config.results_retention_days !== undefined && latestResult !== undefined) {
      const n = await store.deleteResults(jobId, { end: latestResult - config.results_retention_days * 86_400_000 });
      if (n > 0) this.ctx.log.info({ job_id: jobId, deleted: n }, 'results retention');
    }
  }

  /** Runs the retention of a closed or open job now (the daily maintenance Elastic runs; tests). */
  async runRetention(jobId: string): Promise<void> {
    await this.ctx.queue(jobId).run(async () => {
      const job = this.ctx.open.get(jobId);
      const rec = await this.ctx.requireJob(jobId);
      const latest = job?.latestResultTime ?? (await this.ctx.store.listSnapshots(jobId))[0]?.latest_result_time_stamp;
      await this.applyRetention(jobId, (job?.config ?? rec.config) as JobConfig, rec.runtime.model_snapshot_id, latest);
    });
  }

  /**
   * Elastic's `_revert`: the closed job resumes from `snapshotId` when opened; its data counts go
   * back to the snapshot's; with `deleteInterveningResults`, results (and model-change
   * annotations) after the snapshot's latest result are deleted. Data accepted after the snapshot
   * is dropped from the write-ahead log (it belongs to the abandoned model).
   */
  async revert(jobId: string, snapshotId: string, deleteInterveningResults: boolean): Promise<ModelSnapshotRecord> {
    const ctx = this.ctx;
    return this.withClosedJob(jobId, 'Can only revert to a model snapshot when the job is closed.', async (rec) => {
      const snaps = await ctx.store.listSnapshots(jobId);
      const snap = snaps.find((s) => s.snapshot_id === snapshotId);
      if (!snap) throw new VigilError('RESOURCE_NOT_FOUND', `No model snapshot with id [${snapshotId}] exists for job [${jobId}]`);
      if (deleteInterveningResults) {
        const after = snap.latest_result_time_stamp;
        // results from the bucket after the snapshot's last one on
        const bucketMs = jobSettings(rec.config as JobConfig).bucketSpanMs;
        await ctx.store.deleteResults(jobId, { start: after === undefined ? undefined : after + bucketMs });
        await ctx.hooks.onWipe?.(jobId, { after: after === undefined ? -Infinity : after + bucketMs, userAnnotations: false });
      }
      if (ctx.walDir) {
        const maxSeq = Math.max(0, ...snaps.map((s) => s.wal_seq));
        const { wal } = await JobWal.open(ctx.walPath(jobId));
        const top = Math.max(maxSeq, wal.lastSeq);
        await wal.destroy();
        // a fresh log whose numbers continue above every snapshot's, so the chosen one replays nothing
        const fresh = await JobWal.open(ctx.walPath(jobId), top);
        await fresh.wal.append(WAL_MARK, Buffer.from(JSON.stringify({ reverted_to: snapshotId })));
        await fresh.wal.close();
      }
      rec.runtime = {
        ...rec.runtime,
        model_snapshot_id: snapshotId,
        data_counts: { ...emptyDataCounts(jobId), ...snap.data_counts } as Record<string, unknown>,
        model_size_stats: snap.model_size_stats,
      };
      await ctx.store.saveJob(rec);
      ctx.log.info({ job_id: jobId, snapshot: snapshotId, delete_intervening_results: deleteInterveningResults }, 'job model snapshot reverted');
      return snap;
    });
  }

  /**
   * Elastic's `_reset`: the closed job loses its model (snapshots, write-ahead log), results and
   * model-change annotations (user annotations too with `deleteUserAnnotations`), and keeps its
   * configuration: it starts over as if just created.
   */
  async reset(jobId: string, deleteUserAnnotations: boolean): Promise<void> {
    const ctx = this.ctx;
    await this.withClosedJob(jobId, 'Can only reset a job when it is closed.', async (rec) => {
      for (const s of await ctx.store.listSnapshots(jobId)) await ctx.store.deleteSnapshot(jobId, s.snapshot_id);
      await ctx.store.deleteResults(jobId, {});
      if (ctx.walDir) {
        const { wal } = await JobWal.open(ctx.walPath(jobId));
        await wal.destroy();
      }
      await ctx.hooks.onWipe?.(jobId, { userAnnotations: deleteUserAnnotations });
      rec.runtime = { state: 'closed', data_counts: emptyDataCounts(jobId), finished_time: rec.runtime.finished_time };
      await ctx.store.saveJob(rec);
      ctx.log.info({ job_id: jobId, delete_user_annotations: deleteUserAnnotations }, 'job reset');
    });
  }

  /** Runs `fn` on a closed job's record inside its queue; a job that is open or opening: 409 with `refusal`. */
  private async withClosedJob<T>(jobId: string, refusal: string, fn: (rec: JobRecord) => Promise<T>): Promise<T> {
    const ctx = this.ctx;
    ctx.checkRunning();
    await ctx.requireJob(jobId);
    return ctx.queue(jobId).run(async () => {
      const rec = await ctx.requireJob(jobId);
      if (ctx.isInUse(rec)) throw new VigilError('JOB_STATE_CONFLICT', refusal);
      return fn(rec);
    });
  }

  /** The job's active model snapshot id (the one it resumes from). */
  async activeId(jobId: string): Promise<string | undefined> {
    const job = this.ctx.open.get(jobId);
    if (job) return job.record.runtime.model_snapshot_id;
    return (await this.ctx.requireJob(jobId)).runtime.model_snapshot_id;
  }

  /** The job's model snapshots in Elastic's shape, newest first. */
  async list(jobId: string): Promise<Record<string, unknown>[]> {
    await this.ctx.requireJob(jobId);
    return (await this.ctx.store.listSnapshots(jobId)).map((s) => ({
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
}
