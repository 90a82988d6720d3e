/**
 * The jobs' configurations in the store: create (ids unique against jobs and groups), read and
 * render in Elastic's shape, `_update` (an open job's engine takes the change at this point of its
 * input, logged in its WAL), delete.
 */
import { VigilError } from '../../core/errors.js';
import { toElasticJob, updateJobConfig, validateJobConfig, validateJobId, type JobConfig } from '../../engine/job/index.js';
import type { JobRecord } from '../../store/store.js';
import { JobWal } from '../../store/wal.js';
import { emptyDataCounts } from './data-counts.js';
import { expandJobIds } from './id-expression.js';
import type { JobLifecycle } from './job-lifecycle.js';
import { applyConfig } from './open-job.js';
import type { ServiceContext } from './service-context.js';
import { WAL_CONFIG } from './wal-records.js';

export class JobCatalog {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly lifecycle: JobLifecycle,
  ) {}

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

  async put(jobId: string, body: unknown): Promise<Record<string, unknown>> {
    const ctx = this.ctx;
    ctx.checkRunning();
    validateJobId(jobId);
    const config = validateJobConfig(jobId, body, ctx.validateOptions);
    await ctx.hooks.checkConfig?.(config);
    return ctx.catalog.run(async () => {
      const all = await ctx.store.listJobs();
      ctx.guard?.beforeCreate(all.length);
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
        create_time: ctx.clock(),
        runtime: { state: 'closed', data_counts: emptyDataCounts(jobId) },
      };
      if (!(await ctx.store.createJob(rec))) throw new VigilError('RESOURCE_EXISTS', `The job cannot be created with the Id '${jobId}'. The Id is already used.`);
      ctx.log.info({ job_id: jobId }, 'job created');
      return this.render(rec);
    });
  }

  async get(expr: string | undefined, allowNoMatch = true): Promise<Record<string, unknown>[]> {
    const all = await this.ctx.store.listJobs();
    const ids = new Set(expandJobIds(expr, all, allowNoMatch));
    return all.filter((j) => ids.has(j.job_id)).map((j) => this.render(j));
  }

  async update(jobId: string, body: unknown): Promise<Record<string, unknown>> {
    const ctx = this.ctx;
    ctx.checkRunning();
    await ctx.requireJob(jobId);
    return ctx.queue(jobId).run(async () => {
      const rec = await ctx.requireJob(jobId);
      const job = ctx.open.get(jobId);
      const modelBytes = job ? Number(job.engine.modelSizeStats().model_bytes ?? 0) : undefined;
      const next = updateJobConfig(rec.config as JobConfig, body, { isOpen: !!job, modelBytes, maxModelMemoryLimit: ctx.validateOptions.maxModelMemoryLimit });
      await ctx.hooks.checkConfig?.(next);
      if (next.groups.includes(jobId) || (await ctx.store.listJobs()).some((j) => j.job_id !== jobId && next.groups.includes(j.job_id))) {
        const g = next.groups.find((x) => x === jobId) ?? next.groups[0];
        throw new VigilError('RESOURCE_EXISTS', `job and group names must be unique but job [${g}] and group [${g}] have the same name`);
      }
      rec.config = next;
      rec.groups = next.groups;
      if (job) {
        // the open job's engine sees the new configuration at this point of its input, replays too
        await job.wal?.append(WAL_CONFIG, Buffer.from(JSON.stringify(next)));
        applyConfig(job, next);
        job.record = rec;
      }
      await ctx.store.saveJob(rec);
      return this.render(rec);
    });
  }

  /**
   * The job's datafeed was deleted: its `datafeed_config` (the datafeed it was created with) goes
   * too, so that the datafeed is not made again from it and the job no longer shows one.
   */
  async dropDatafeedConfig(jobId: string, datafeedId: string): Promise<void> {
    const ctx = this.ctx;
    await ctx.queue(jobId).run(async () => {
      const rec = await ctx.store.getJob(jobId);
      const df = (rec?.config as JobConfig | undefined)?.datafeed_config as { datafeed_id?: string } | undefined;
      if (!rec || !df || df.datafeed_id !== datafeedId) return;
      const without = (c: JobConfig): JobConfig => {
        const { datafeed_config: _, ...rest } = c;
        return rest as JobConfig;
      };
      rec.config = without(rec.config as JobConfig);
      // a snapshot saves the open job's record: it must not bring the old config back
      const job = ctx.open.get(jobId);
      if (job) job.record.config = without(job.record.config as JobConfig);
      await ctx.store.saveJob(rec);
    });
  }

  async delete(jobId: string, force: boolean): Promise<void> {
    const ctx = this.ctx;
    ctx.checkRunning();
    await ctx.requireJob(jobId);
    if (ctx.open.has(jobId) && !force) {
      throw new VigilError('JOB_STATE_CONFLICT', `Cannot delete job [${jobId}] because the job is opened`);
    }
    await ctx.queue(jobId).run(async () => {
      const job = ctx.open.get(jobId);
      ctx.dropWaiting(jobId);
      if (job) {
        ctx.open.delete(jobId);
        await job.wal?.close();
      }
      await ctx.catalog.run(() => ctx.store.deleteJob(jobId));
      if (ctx.walDir) {
        const { wal } = await JobWal.open(ctx.walPath(jobId));
        await wal.destroy();
      }
      ctx.log.info({ job_id: jobId, force }, 'job deleted');
    });
    ctx.queues.delete(jobId);
    ctx.guard?.forget(jobId);
    await ctx.hooks.onWipe?.(jobId, { userAnnotations: true });
    await ctx.hooks.onDelete?.(jobId);
    await this.lifecycle.promoteWaiting();
  }
}
