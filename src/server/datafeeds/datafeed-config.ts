/**
 * A datafeed's configuration: validation of a body against its job (Elastic's rules plus Vigil's
 * `vigil_source`), the body as the API renders it, the timing it implies (span, query delay,
 * frequency, chunk, page size, check window) and the `_all` / wildcard id expressions.
 */
import { VigilError } from '../../core/errors.js';
import { parseTimeValue, validateDatafeedConfig, type JobConfig } from '../../engine/job/index.js';
import { validateSourceSpec } from '../../sources/datafeed/open-source.js';
import type { JobService } from '../jobs/job-service.js';
import type { DatafeedRecord } from './datafeed-store.js';
import { planFeed, type FeedPlan } from './feed-plan.js';

const CONFIG_FIELDS = ['datafeed_id', 'job_id', 'indices', 'query', 'aggregations', 'chunking_config', 'delayed_data_check_config', 'frequency', 'query_delay', 'scroll_size', 'script_fields', 'runtime_mappings', 'indices_options', 'max_empty_searches'];

/** How a datafeed reads: bucket (or aggregation) span, query delay, search frequency, chunk and page size. */
export interface FeedTiming {
  span: number;
  queryDelay: number;
  frequency: number;
  chunk: number;
  scroll: number;
}

/** The ids that `expr` (comma-separated ids and wildcards, `_all`, `*`) names among `ids`, in their order. */
export function matchIds(expr: string | undefined, ids: string[], allowNoMatch: boolean, what = 'datafeed'): string[] {
  if (!expr || expr === '_all' || expr === '*') return ids;
  const out = new Set<string>();
  for (const part of expr.split(',')) {
    const p = part.trim();
    const re = new RegExp('^' + p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
    const hit = ids.filter((i) => re.test(i));
    if (hit.length === 0 && !p.includes('*')) throw new VigilError('RESOURCE_NOT_FOUND', `No ${what} with id [${p}] exists`);
    hit.forEach((h) => out.add(h));
  }
  if (out.size === 0 && !allowNoMatch) throw new VigilError('RESOURCE_NOT_FOUND', `No ${what} with id [${expr}] exists`);
  return ids.filter((i) => out.has(i));
}

export async function validateDatafeed(jobs: Pick<JobService, 'jobConfig'>, id: string, body: Record<string, unknown>): Promise<{ config: Record<string, unknown>; job: JobConfig }> {
  const jobId = body.job_id;
  if (typeof jobId !== 'string' || jobId === '') throw new VigilError('INVALID_ARGUMENT', '[datafeed_config] job_id must be set');
  const job = await jobs.jobConfig(jobId);
  const { vigil_source: rawSource, ...rest } = body;
  const bucketSpanMs = parseTimeValue(job.analysis_config.bucket_span, 'bucket_span');
  const v = validateDatafeedConfig({ ...rest, datafeed_id: id, job_id: jobId }, jobId, bucketSpanMs) as unknown as Record<string, unknown>;
  const config: Record<string, unknown> = { ...v };
  if (rawSource !== undefined) config.vigil_source = validateSourceSpec(rawSource);
  planFeed(job, config as { aggregations?: Record<string, unknown> }); // refuses what cannot be fed
  return { config, job };
}

export function renderDatafeed(rec: DatafeedRecord): Record<string, unknown> {
  const c = rec.config;
  const out: Record<string, unknown> = { datafeed_id: rec.datafeed_id, job_id: rec.job_id };
  for (const k of CONFIG_FIELDS) if (c[k] !== undefined && k !== 'datafeed_id' && k !== 'job_id') out[k] = c[k];
  out.query_delay ??= '60s';
  if (c.vigil_source !== undefined) out.vigil_source = c.vigil_source;
  return out;
}

export function feedTiming(rec: DatafeedRecord, job: JobConfig, plan: FeedPlan): FeedTiming {
  const c = rec.config;
  const bucketSpan = parseTimeValue(job.analysis_config.bucket_span, 'bucket_span');
  const span = plan.aggregation?.spanMs ?? bucketSpan;
  const queryDelay = c.query_delay !== undefined ? parseTimeValue(c.query_delay as string, 'query_delay') : 60_000;
  const frequency = c.frequency !== undefined ? parseTimeValue(c.frequency as string, 'frequency') : bucketSpan <= 120_000 ? bucketSpan : bucketSpan <= 1_200_000 ? bucketSpan / 2 : bucketSpan <= 43_200_000 ? 600_000 : 3_600_000;
  const cc = c.chunking_config as { mode: string; time_span?: string } | undefined;
  const chunk =
    cc?.mode === 'manual' ? parseTimeValue(cc.time_span!, 'time_span') : cc?.mode === 'off' ? Number.POSITIVE_INFINITY : plan.aggregation ? span * 100_000 : span * 1_000;
  return { span, queryDelay, frequency, chunk, scroll: (c.scroll_size as number | undefined) ?? 1000 };
}

export function checkWindow(rec: DatafeedRecord, t: { span: number }): number {
  const w = (rec.config.delayed_data_check_config as { check_window?: string } | undefined)?.check_window;
  return w ? parseTimeValue(w, 'check_window') : Math.max(2 * 3_600_000, 8 * t.span);
}
