/**
 * What a datafeed asks its source for, given its job: raw records, or buckets computed by the
 * store (pushed down) and posted as pre-summarised documents. Elastic's rule is kept: a job reads
 * pre-aggregated input when its `summary_count_field_name` is set (usually `doc_count`).
 *
 * - The datafeed has Elasticsearch `aggregations` (a `date_histogram`, optionally a `terms`
 *   split, metric sub-aggregations named after the fields the detectors read, a `max` on the time
 *   field): they are read into the source-neutral `BucketAggregation`, whatever the source.
 * - Else the job has `summary_count_field_name`: the bucketing is derived from the detectors —
 *   count functions use the document count, `mean` → avg, `sum` → sum, `min`, `max`, `median`,
 *   `distinct_count` → cardinality — split by the (single) partition/by/over field.
 * - Else documents are sent as they are.
 */
import { VigilError } from '../../core/errors.js';
import { parseTimeValue, type JobConfig } from '../../engine/job/index.js';
import type { BucketAggregation, BucketPage, MetricFn, MetricSpec, RecordPage } from '../../sources/datafeed/source.js';

export interface FeedPlan {
  aggregation?: BucketAggregation;
  /** The job's time field and format (documents are posted in it). */
  timeField: string;
  timeFormat: string;
  /** Where the document count goes in pre-summarised documents. */
  summaryCountField?: string;
}

const FN: Record<string, MetricFn | 'count'> = {
  count: 'count', high_count: 'count', low_count: 'count', non_zero_count: 'count', high_non_zero_count: 'count', low_non_zero_count: 'count',
  mean: 'avg', high_mean: 'avg', low_mean: 'avg', avg: 'avg', high_avg: 'avg', low_avg: 'avg',
  sum: 'sum', high_sum: 'sum', low_sum: 'sum', non_null_sum: 'sum', high_non_null_sum: 'sum', low_non_null_sum: 'sum',
  min: 'min', max: 'max', median: 'median', high_median: 'median', low_median: 'median',
  distinct_count: 'cardinality', high_distinct_count: 'cardinality', low_distinct_count: 'cardinality',
};

const ES_METRICS: Record<string, MetricFn> = { avg: 'avg', sum: 'sum', min: 'min', max: 'max', value_count: 'value_count', cardinality: 'cardinality', median_absolute_deviation: 'median' };

function intervalMs(h: Record<string, unknown>): number {
  const text = (h.fixed_interval ?? h.interval ?? h.calendar_interval) as string | number | undefined;
  if (text === undefined) throw new VigilError('INVALID_ARGUMENT', 'datafeed aggregations: the date_histogram needs fixed_interval');
  if (typeof text === 'number') return text;
  const cal: Record<string, number> = { minute: 60_000, '1m': 60_000, hour: 3_600_000, '1h': 3_600_000, day: 86_400_000, '1d': 86_400_000 };
  return cal[text] ?? parseTimeValue(text, 'fixed_interval');
}

/** Reads Elastic datafeed `aggregations` into a BucketAggregation. */
export function fromElasticAggregations(aggs: Record<string, unknown>, timeField: string): BucketAggregation {
  const entries = Object.entries(aggs);
  if (entries.length !== 1) throw new VigilError('INVALID_ARGUMENT', 'datafeed aggregations must have exactly one top-level date_histogram (or composite) aggregation');
  const top = entries[0][1] as Record<string, unknown>;
  let spanMs: number;
  let partitionField: string | undefined;
  if (top.date_histogram) spanMs = intervalMs(top.date_histogram as Record<string, unknown>);
  else if (top.composite) {
    const sources = ((top.composite as { sources?: Record<string, Record<string, Record<string, unknown>>>[] }).sources ?? []).map((s) => Object.values(s)[0]);
    const dh = sources.find((s) => s.date_histogram);
    if (!dh) throw new VigilError('INVALID_ARGUMENT', 'datafeed aggregations: the composite aggregation needs a date_histogram source');
    spanMs = intervalMs(dh.date_histogram);
    const terms = sources.filter((s) => s.terms);
    if (terms.length > 1) throw new VigilError('INVALID_ARGUMENT', 'datafeed aggregations: Vigil pushes down at most one terms split');
    partitionField = terms[0]?.terms.field as string | undefined;
  } else throw new VigilError('INVALID_ARGUMENT', 'datafeed aggregations: the top-level aggregation must be a date_histogram or a composite');
  const metrics: MetricSpec[] = [];
  const readMetrics = (sub: Record<string, unknown> | undefined): void => {
    for (const [name, def] of Object.entries(sub ?? {})) {
      const d = def as Record<string, Record<string, unknown>>;
      const [kind] = Object.keys(d).filter((k) => k !== 'aggregations' && k !== 'aggs' && k !== 'meta');
      if (kind === 'terms') {
        if (partitionField !== undefined) throw new VigilError('INVALID_ARGUMENT', 'datafeed aggregations: Vigil pushes down at most one terms split');
        partitionField = d.terms.field as string;
        readMetrics((d.aggregations ?? d.aggs) as Record<string, unknown> | undefined);
        continue;
      }
      if (kind === 'max' && d.max.field === timeField) continue; // the bucket's time (Elastic requires it)
      if (kind === 'percentiles') {
        const p = d.percentiles.percents as number[] | undefined;
        if (p && (p.length !== 1 || p[0] !== 50)) throw new VigilError('INVALID_ARGUMENT', `datafeed aggregations: [${name}] percentiles other than 50 are not supported`);
        metrics.push({ name, fn: 'median', field: d.percentiles.field as string });
        continue;
      }
      const fn = ES_METRICS[kind];
      if (!fn) throw new VigilError('INVALID_ARGUMENT', `datafeed aggregations: [${name}] of type [${kind}] is not supported (avg, sum, min, max, value_count, cardinality, percentiles 50, terms)`);
      metrics.push({ name, fn, field: d[kind].field as string });
    }
  };
  readMetrics((top.aggregations ?? top.aggs) as Record<string, unknown> | undefined);
  return { spanMs, metrics, ...(partitionField !== undefined ? { partitionField } : {}) };
}

/** Works out the plan for a job and its datafeed. */
export function planFeed(job: JobConfig, datafeed: { aggregations?: Record<string, unknown> }): FeedPlan {
  const timeField = job.data_description.time_field ?? 'time';
  const timeFormat = job.data_description.time_format ?? 'epoch';
  const summary = job.analysis_config.summary_count_field_name;
  if (datafeed.aggregations) {
    return { aggregation: fromElasticAggregations(datafeed.aggregations, timeField), timeField, timeFormat, summaryCountField: summary ?? 'doc_count' };
  }
  if (!summary) return { timeField, timeFormat };
  const spanMs = parseTimeValue(job.analysis_config.bucket_span, 'bucket_span');
  const metrics: MetricSpec[] = [];
  const splits = new Set<string>();
  for (const d of job.analysis_config.detectors) {
    const fn = FN[d.function];
    if (!fn) throw new VigilError('INVALID_ARGUMENT', `function [${d.function}] cannot read pre-summarised input: remove summary_count_field_name to send documents as they are`);
    if (fn !== 'count' && d.field_name && !metrics.some((m) => m.name === d.field_name && m.fn === fn)) {
      if (metrics.some((m) => m.name === d.field_name)) throw new VigilError('INVALID_ARGUMENT', `field [${d.field_name}] is read by two functions; pre-summarised input holds one value per field`);
      metrics.push({ name: d.field_name, fn, field: d.field_name });
    }
    for (const f of [d.partition_field_name, d.by_field_name, d.over_field_name]) if (f) splits.add(f);
  }
  if (splits.size > 1) throw new VigilError('INVALID_ARGUMENT', `pre-summarised input can be split by one field; the detectors split by ${[...splits].join(', ')}`);
  const [partitionField] = [...splits];
  return { aggregation: { spanMs, metrics, ...(partitionField ? { partitionField } : {}) }, timeField, timeFormat, summaryCountField: summary };
}

function formatTime(ms: number, format: string): unknown {
  if (format === 'epoch') return ms / 1000;
  if (format === 'epoch_ms') return ms;
  return new Date(ms).toISOString();
}

/** Documents for the job's `_data` from one page. */
export function pageToDocs(page: BucketPage | RecordPage, plan: FeedPlan, sourceTimeField: string): Record<string, unknown>[] {
  if (page.kind === 'records') {
    return page.docs.map((d) => {
      const out = { ...d };
      const t = d[sourceTimeField] as number;
      if (sourceTimeField !== plan.timeField) delete out[sourceTimeField];
      out[plan.timeField] = formatTime(t, plan.timeFormat);
      return out;
    });
  }
  const agg = plan.aggregation!;
  const docs: Record<string, unknown>[] = new Array(page.n);
  const names = Object.keys(page.metrics);
  for (let i = 0; i < page.n; i++) {
    const d: Record<string, unknown> = { [plan.timeField]: formatTime(page.time[i], plan.timeFormat), [plan.summaryCountField ?? 'doc_count']: page.docCount[i] };
    for (const k of names) {
      const v = page.metrics[k][i];
      if (!Number.isNaN(v)) d[k] = v;
    }
    if (agg.partitionField !== undefined && page.partition) d[agg.partitionField] = page.partition[i];
    docs[i] = d;
  }
  return docs;
}
