/**
 * Trained-model activations that follow an anomaly-detection job's series.
 *
 * `jobSeriesSource` checks that a job's detector models single series whose bucket values a
 * trained model can take (count, distinct_count and metric detectors without over_field_name; the
 * series named by its partition / by value when the detector is split) at the model's bucket
 * span. `JobFeeds` listens to the jobs service's final buckets (`JobService.onBuckets`: `_data`,
 * `_flush`, datafeeds and write-ahead-log replays alike) and pushes each bucket's value to the
 * live activations that follow the job (`ModelManager.pushFromSource`). The value is the one the
 * job's detector computed for the bucket (the mean, sum, count … — for `metric` the mean), as the
 * job keeps it for `_forecast` (bucket-history.ts: float32, NaN for an empty bucket whose function
 * has no zero); the float32 is read back as the shortest decimal that rounds to it, so a value
 * with at most 7 significant digits comes back exactly.
 */
import { VigilError } from '../../core/errors.js';
import type { TrainingSeries } from '../../core/neural/data.js';
import { jobSettings, lookupFunction, type JobConfig } from '../../engine/job/index.js';
import type { ActivationSource, ModelManager } from '../../engine/training/model-manager.js';
import type { FinalBuckets, JobService } from '../jobs/job-service.js';

export type JobSource = Extract<ActivationSource, { kind: 'job' }>;

/** What a request names: a job and, where needed, a detector and the series' split values. */
export interface JobSeriesRequest {
  job_id: string;
  detector_index?: number;
  partition_field_value?: string;
  by_field_value?: string;
}

export const SUPPORTED_DETECTORS =
  'count, non_zero_count, distinct_count, mean, median, min, max, sum, non_null_sum, varp or metric (and their high_/low_ variants), without over_field_name';

/** The detector a source names, with its function's family (throws for what a trained model cannot follow). */
export function checkJobSeries(config: JobConfig, req: JobSeriesRequest, spanMs: number | null, modelId: string): { source: JobSource; config: JobConfig } {
  const jobId = config.job_id;
  const detectors = config.analysis_config.detectors;
  const i = req.detector_index ?? 0;
  if (!Number.isInteger(i) || i < 0 || i >= detectors.length) {
    throw new VigilError('INVALID_ARGUMENT', `job [${jobId}] has ${detectors.length} detector(s); [detector_index] must be 0 to ${detectors.length - 1}, got ${req.detector_index}`);
  }
  const d = detectors[i];
  const info = lookupFunction(d.function);
  const what = `${d.function}${d.field_name ? `(${d.field_name})` : ''}${d.by_field_name ? ` by ${d.by_field_name}` : ''}${d.over_field_name ? ` over ${d.over_field_name}` : ''}${d.partition_field_name ? ` partition by ${d.partition_field_name}` : ''}`;
  const singleSeries = info !== undefined && (info.family === 'count' || info.family === 'distinct_count' || info.family === 'metric') && d.over_field_name === undefined;
  if (!singleSeries) {
    throw new VigilError('INVALID_ARGUMENT', `a trained model follows one metric series of a job: a detector with function ${SUPPORTED_DETECTORS}; detector [${i}] of job [${jobId}] is [${what}]`);
  }
  for (const [field, value, name] of [
    [d.partition_field_name, req.partition_field_value, 'partition_field_value'],
    [d.by_field_name, req.by_field_value, 'by_field_value'],
  ] as const) {
    if (field !== undefined && value === undefined) {
      throw new VigilError('INVALID_ARGUMENT', `detector [${i}] of job [${jobId}] is split by [${field}]: name the series with [${name}]`);
    }
    if (field === undefined && value !== undefined) {
      throw new VigilError('INVALID_ARGUMENT', `detector [${i}] of job [${jobId}] has no ${name === 'partition_field_value' ? 'partition_field_name' : 'by_field_name'}; [${name}] does not apply`);
    }
  }
  const jobSpan = jobSettings(config).bucketSpanMs;
  if (spanMs !== null && jobSpan !== spanMs) {
    throw new VigilError('INVALID_ARGUMENT', `job [${jobId}] has bucket_span ${config.analysis_config.bucket_span} (${jobSpan} ms); model [${modelId}] was trained at ${spanMs} ms buckets: the spans must be equal`);
  }
  return {
    source: { kind: 'job', job_id: jobId, detector_index: d.detector_index ?? i, partition_field_value: req.partition_field_value ?? null, by_field_value: req.by_field_value ?? null },
    config,
  };
}

/** Checks a job series against a model's bucket span (unknown job: resource_not_found_exception, 404). */
export async function jobSeriesSource(jobs: JobService, req: JobSeriesRequest, spanMs: number, modelId: string): Promise<JobSource> {
  return checkJobSeries(await jobs.jobConfig(req.job_id), req, spanMs, modelId).source;
}

/** A float32 read back as the shortest decimal that rounds to it (123.4 stays 123.4). */
export function fromFloat32(v: number): number {
  if (!Number.isFinite(v)) return v;
  for (let p = 1; p <= 9; p++) {
    const x = Number(v.toPrecision(p));
    if (Math.fround(x) === v) return x;
  }
  return v;
}

type KeptSeries = { detector_index: number; partition_field_value?: string; by_field_value?: string; time: ArrayLike<number>; value: ArrayLike<number> };

export function findKept(kept: KeptSeries[], src: JobSource): KeptSeries | undefined {
  return kept.find((h) => h.detector_index === src.detector_index && (h.partition_field_value ?? null) === src.partition_field_value && (h.by_field_value ?? null) === src.by_field_value);
}

/** The series' values at `buckets` (NaN where it keeps none). */
export function valuesAt(series: KeptSeries | undefined, buckets: ArrayLike<number>, spanMs: number): Float64Array {
  const out = new Float64Array(buckets.length).fill(NaN);
  if (!series || series.time.length === 0) return out;
  const t0 = series.time[0];
  for (let i = 0; i < buckets.length; i++) {
    const k = Math.round((buckets[i] - t0) / spanMs);
    if (k >= 0 && k < series.time.length && series.time[k] === buckets[i]) out[i] = fromFloat32(series.value[k]);
  }
  return out;
}

/** The bucket values an open job keeps for the series (its last weeks of buckets); null when the job is not open or keeps none. */
export async function keptSeries(jobs: JobService, src: JobSource, spanMs: number): Promise<TrainingSeries | null> {
  if (!jobs.isOpen(src.job_id)) return null;
  const kept = await jobs.withOpenJob(src.job_id, async ({ engine }) => findKept(engine.forecastHistories?.(src) ?? [], src));
  if (!kept || kept.time.length === 0) return null;
  return { start: kept.time[0], spanMs, values: valuesAt(kept, kept.time, spanMs) };
}

/** Pushes each final bucket of the followed jobs to the live activations that follow them. */
export class JobFeeds {
  private readonly following = new Map<string, () => void>();

  constructor(
    private readonly models: ModelManager,
    private readonly jobs: JobService,
  ) {}

  /** Listens to `jobId`'s final buckets (once; it stops by itself when no activation follows the job any more). */
  follow(jobId: string): void {
    if (!this.following.has(jobId)) this.following.set(jobId, this.jobs.onBuckets(jobId, (e) => this.deliver(e)));
  }

  /** Follows the jobs of every live activation that follows one (after a restart). */
  followAll(): void {
    for (const a of this.models.followersOf()) if (a.source?.kind === 'job') this.follow(a.source.job_id);
  }

  private deliver(e: FinalBuckets): Promise<void> | undefined {
    const followers = this.models.followersOf(e.jobId);
    if (followers.length === 0) {
      this.following.get(e.jobId)?.();
      this.following.delete(e.jobId);
      return undefined;
    }
    const span = jobSettings(e.config).bucketSpanMs;
    const pushes: Promise<unknown>[] = [];
    for (const a of followers) {
      const src = a.source as JobSource;
      // the job may have been deleted and re-created (same id) since the activation was made: its
      // buckets are taken only while they are still the series the model can follow, at its span
      try {
        const req = { job_id: src.job_id, detector_index: src.detector_index, partition_field_value: src.partition_field_value ?? undefined, by_field_value: src.by_field_value ?? undefined };
        checkJobSeries(e.config, req, this.models.activationSpanMs(a.activation_id), a.model_id);
      } catch (err) {
        pushes.push(this.models.setSourceError(a.activation_id, `the buckets of job [${src.job_id}] are not taken: ${(err as Error).message}`));
        continue;
      }
      // read now (the engine goes on with its batch when this returns), and only this series' values
      const values = valuesAt(findKept(e.histories(src), src), e.buckets, span);
      pushes.push(this.models.setSourceError(a.activation_id, null).then(() => this.models.pushFromSource(a.activation_id, e.buckets, values)));
    }
    return Promise.all(pushes).then(() => undefined);
  }
}
