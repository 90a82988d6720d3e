/**
 * Series for historical activations read from stored data instead of a request body:
 *
 * - **a job's series** (`readJobSeries`): the per-bucket values the store keeps for it — the
 *   `actual` of its `model_plot` results (written for every final bucket once the model has a
 *   typical value, when the job has `model_plot_config.enabled`), and, when the job is open, the
 *   bucket values it keeps for `_forecast` (its last three weeks of buckets, at least 336 and at
 *   most 2 016; these win where both exist). Model plot writes 0 for an empty bucket; for a
 *   function whose empty bucket is missing data (mean, min, max, median, varp, non_null_sum,
 *   non_zero_count, metric) the bucket is read as missing when the job is not split and the
 *   bucket's `event_count` is 0 (a split job's empty buckets cannot be told from real zeros there
 *   and read as 0). Bucket docs, records and influencers hold no per-bucket value and are not used.
 * - **an index of the embedded store** (`readIndexSeries`, documents written with `_bulk`): the
 *   mean of `value_field` per bucket of the model's span, computed in the database as datafeeds do.
 */
import { VigilError } from '../../core/errors.js';
import type { TrainingSeries } from '../../core/neural/data.js';
import { parseFunction } from '../../core/bucket/functions.js';
import { jobSettings, lookupFunction } from '../../engine/job/index.js';
import type { ResultDoc } from '../../store/store.js';
import type { EmbeddedIndices } from '../datafeeds/indices-routes.js';
import type { JobService } from '../jobs/job-service.js';
import { findKept, fromFloat32, type JobSource } from './job-feed.js';

const PAGE = 10_000;

/** What a stored series was read from, for the activation's answer. */
export interface ReadReport {
  buckets: number;
  /** Buckets with a value, by where it came from. */
  from_model_plot?: number;
  from_kept_values?: number;
  from_index?: number;
}

function assemble(values: Map<number, number>, spanMs: number): TrainingSeries {
  const times = [...values.keys()].sort((a, b) => a - b);
  const start = times[0];
  const n = Math.round((times[times.length - 1] - start) / spanMs) + 1;
  const out = new Float64Array(n).fill(NaN);
  for (const t of times) out[Math.round((t - start) / spanMs)] = values.get(t) as number;
  return { start, spanMs, values: out };
}

/**
 * The job series' stored values in [from, to) (either bound open), bucket by bucket (NaN where
 * none is kept). Throws when nothing is kept in the range, saying what the store keeps.
 */
export async function readJobSeries(jobs: JobService, src: JobSource, range: { from?: number; to?: number }): Promise<{ series: TrainingSeries; read: ReadReport }> {
  const config = await jobs.jobConfig(src.job_id);
  const span = jobSettings(config).bucketSpanMs;
  const d = config.analysis_config.detectors.find((x, i) => (x.detector_index ?? i) === src.detector_index);
  const info = d ? lookupFunction(d.function) : undefined;
  const emptyIsZero = info?.bucketFunction ? parseFunction(info.bucketFunction === 'metric' ? 'mean' : info.bucketFunction).emptyIsZero : false;
  const split = d?.partition_field_name !== undefined || d?.by_field_name !== undefined;
  const inRange = (t: number): boolean => (range.from === undefined || t >= range.from) && (range.to === undefined || t < range.to);
  const values = new Map<number, number>();
  const read: ReadReport = { buckets: 0, from_model_plot: 0, from_kept_values: 0 };
  // model plot: one document per bucket (and feature: `metric` writes min, mean and max; the mean is the series)
  const q = {
    jobIds: [src.job_id],
    start: range.from,
    end: range.to,
    excludeInterim: true,
    detectorIndex: src.detector_index,
    partitionFieldValue: src.partition_field_value ?? undefined,
    byFieldValue: src.by_field_value ?? undefined,
    sort: 'timestamp' as const,
  };
  const plots: ResultDoc[] = [];
  for (let from = 0; ; from += PAGE) {
    const page = await jobs.store.queryResults({ ...q, resultType: 'model_plot', from, size: PAGE });
    plots.push(...page.docs);
    if (page.docs.length < PAGE) break;
  }
  for (const p of plots) {
    if ((p.partition_field_value ?? null) !== src.partition_field_value || (p.by_field_value ?? null) !== src.by_field_value) continue;
    if (d?.function === 'metric' && p.model_feature !== 'mean') continue;
    if (typeof p.actual === 'number') values.set(p.timestamp, p.actual);
  }
  if (values.size > 0 && !emptyIsZero && !split) {
    // an empty bucket is written as actual 0: the job's bucket says it held no documents
    for (let from = 0; ; from += PAGE) {
      const page = await jobs.store.queryResults({ jobIds: [src.job_id], resultType: 'bucket', start: range.from, end: range.to, excludeInterim: true, sort: 'timestamp', from, size: PAGE });
      for (const b of page.docs) if (b.event_count === 0 && values.has(b.timestamp)) values.set(b.timestamp, NaN);
      if (page.docs.length < PAGE) break;
    }
  }
  const fromKept = new Set<number>();
  if (jobs.isOpen(src.job_id)) {
    const kept = await jobs.withOpenJob(src.job_id, async ({ engine }) => findKept(engine.forecastHistories?.(src) ?? [], src));
    if (kept) {
      for (let i = 0; i < kept.time.length; i++) {
        const t = kept.time[i];
        if (!inRange(t)) continue;
        values.set(t, fromFloat32(kept.value[i]));
        fromKept.add(t);
      }
    }
  }
  for (const [t, v] of values) if (!Number.isNaN(v)) read[fromKept.has(t) ? 'from_kept_values' : 'from_model_plot']!++;
  if (![...values.values()].some((v) => !Number.isNaN(v))) {
    throw new VigilError(
      'INVALID_ARGUMENT',
      `job [${src.job_id}] keeps no values of this series${range.from !== undefined || range.to !== undefined ? ' in the range' : ''}: its results hold the series' values only as model plot (model_plot_config.enabled: true), and an open job keeps its last weeks of buckets; post the data instead, or read an index (index, time_field, value_field)`,
    );
  }
  const series = assemble(values, span);
  read.buckets = series.values.length;
  return { series, read };
}

/** The mean of `valueField` per bucket of `spanMs` in an embedded index, over [from, to) (either open: the index's bounds). */
export async function readIndexSeries(indices: EmbeddedIndices, o: { index: string; timeField: string; valueField: string; spanMs: number; from?: number; to?: number }): Promise<{ series: TrainingSeries; read: ReadReport }> {
  const source = indices.source([o.index], o.timeField);
  try {
    const fields = await source.fields();
    for (const [name, role] of [
      [o.timeField, 'time_field'],
      [o.valueField, 'value_field'],
    ] as const) {
      const f = fields.find((x) => x.name === name);
      if (!f) throw new VigilError('INVALID_ARGUMENT', `index [${o.index}] has no field [${name}] (${role}); its fields: ${fields.map((x) => x.name).filter((x) => x !== '_id').join(', ')}`);
      if (role === 'value_field' && f.type !== 'number' && f.type !== 'unknown') throw new VigilError('INVALID_ARGUMENT', `field [${name}] of index [${o.index}] holds ${f.type} values; [value_field] must be numeric`);
    }
    let start = o.from;
    let end = o.to;
    if (start === undefined || end === undefined) {
      const b = await source.timeBounds({ start, end });
      if (b.earliest === null || b.latest === null) throw new VigilError('INVALID_ARGUMENT', `index [${o.index}] holds no documents with [${o.timeField}]${o.from !== undefined || o.to !== undefined ? ' in the range' : ''}`);
      start ??= Math.floor(b.earliest / o.spanMs) * o.spanMs;
      end ??= Math.floor(b.latest / o.spanMs) * o.spanMs + o.spanMs;
    }
    const values = new Map<number, number>();
    for await (const page of source.search({ start, end, aggregation: { spanMs: o.spanMs, metrics: [{ name: 'value', fn: 'avg', field: o.valueField }] } })) {
      if (page.kind !== 'buckets') throw new VigilError('INTERNAL', `index [${o.index}] answered a bucket request with records`);
      const v = page.metrics.value;
      for (let i = 0; i < page.n; i++) values.set(page.time[i], v[i]);
    }
    const found = [...values.values()].filter((v) => Number.isFinite(v)).length;
    if (found === 0) throw new VigilError('INVALID_ARGUMENT', `index [${o.index}] has no numeric [${o.valueField}] between ${new Date(start).toISOString()} and ${new Date(end).toISOString()}`);
    const series = assemble(values, o.spanMs);
    return { series, read: { buckets: series.values.length, from_index: found } };
  } finally {
    await source.close().catch(() => undefined);
  }
}
