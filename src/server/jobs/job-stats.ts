/** Elastic's `_stats` of jobs: data counts, model size and timing stats, forecasts, state and assignment, open jobs' live figures. */
import { forecastsStats } from '../../engine/forecast/index.js';
import { liveForecasts } from '../forecast/expiry.js';
import { emptyDataCounts, renderDataCounts, type DataCounts } from './data-counts.js';
import { expandJobIds } from './id-expression.js';
import { runtimeOf } from './open-job.js';
import type { ServiceContext } from './service-context.js';

export async function jobStats(ctx: ServiceContext, expr: string | undefined, allowNoMatch: boolean): Promise<Record<string, unknown>[]> {
  const all = await ctx.store.listJobs();
  const ids = new Set(expandJobIds(expr, all, allowNoMatch));
  const now = ctx.clock();
  const forecasts = liveForecasts(await ctx.store.listForecasts([...ids]), now);
  return all
    .filter((j) => ids.has(j.job_id))
    .map((rec) => {
      const job = ctx.open.get(rec.job_id);
      const rt = job ? { ...rec.runtime, ...runtimeOf(job) } : rec.runtime;
      const counts = (rt.data_counts as DataCounts | undefined) ?? emptyDataCounts(rec.job_id);
      const out: Record<string, unknown> = {
        job_id: rec.job_id,
        data_counts: renderDataCounts(counts),
        model_size_stats: { job_id: rec.job_id, result_type: 'model_size_stats', ...(rt.model_size_stats ?? { model_bytes: 0, memory_status: 'ok' }) },
        forecasts_stats: forecastsStats((forecasts.get(rec.job_id) ?? []) as unknown as Parameters<typeof forecastsStats>[0]),
        state: job ? 'opened' : rec.runtime.state,
      };
      if (rec.runtime.state === 'failed' && rec.runtime.failure_reason) out.assignment_explanation = rec.runtime.failure_reason;
      if (!job && ctx.waiting.includes(rec.job_id)) {
        out.state = 'opening';
        out.assignment_explanation = `Waiting for capacity: ${ctx.open.size} jobs are open (limits.max_open_jobs is ${ctx.opts.maxOpenJobs}); this job opens when another closes (allow_lazy_open)`;
      }
      if (job) {
        out.node = { ...ctx.node };
        out.assignment_explanation = '';
        out.open_time = `${Math.max(0, Math.round((now - (rec.runtime.open_time ?? now)) / 1000))}s`;
      }
      out.timing_stats = { job_id: rec.job_id, ...(rt.timing_stats ?? { bucket_count: 0, total_bucket_processing_time_ms: 0 }) };
      return out;
    });
}
