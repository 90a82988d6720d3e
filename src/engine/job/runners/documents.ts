/**
 * The Elastic-shaped documents a detector's runners write: the record (before the job normalises
 * its score), the model-plot point, a record's influencers, and the anomaly-score explanation.
 */
import type { DetectorOutput } from '../../../core/detect/detector.js';
import type { AnomalyScoreExplanation, Influence, ModelPlotDoc, RecordDoc } from '../results.js';
import type { SlotAcc } from '../slot-acc.js';
import type { RunnerKit } from './runner-kit.js';

/** A record with the detector's fields and the entity's split values; scores and values are the caller's to fill in. */
export function recordDoc(kit: RunnerKit, bucket: number, interim: boolean, probability: number, partition: string | null, by: string | null, over: string | null): RecordDoc {
  const c = kit.config;
  const doc: RecordDoc = {
    job_id: kit.env.jobId,
    result_type: 'record',
    // Elastic reports a smallest probability of 1e-308 rather than 0
    probability: probability > 1e-308 ? probability : 1e-308,
    multi_bucket_impact: 0,
    record_score: 0,
    initial_record_score: 0,
    bucket_span: kit.env.bucketSpanMs / 1000,
    detector_index: c.detector_index,
    is_interim: interim,
    timestamp: bucket,
    function: kit.info.name,
    function_description: kit.functionDescription,
  };
  if (c.field_name !== undefined) doc.field_name = c.field_name;
  if (c.partition_field_name !== undefined && partition !== null) {
    doc.partition_field_name = c.partition_field_name;
    doc.partition_field_value = partition;
  }
  if (c.by_field_name !== undefined && by !== null) {
    doc.by_field_name = c.by_field_name;
    doc.by_field_value = by;
  }
  if (c.over_field_name !== undefined && over !== null) {
    doc.over_field_name = c.over_field_name;
    doc.over_field_value = over;
  }
  return doc;
}

/** Whether model plot covers an entity (model_plot_config.terms lists its partition or by value, or is not given). */
export function plotAllowed(kit: RunnerKit, partition: string | null, by: string | null): boolean {
  const terms = kit.env.modelPlot.terms;
  if (!terms) return true;
  return (partition !== null && terms.has(partition)) || (by !== null && terms.has(by));
}

export function plotDoc(kit: RunnerKit, bucket: number, partition: string | null, by: string | null, over: string | null, feature: string, o: DetectorOutput, actual: number, interim: boolean): ModelPlotDoc {
  const c = kit.config;
  const doc: ModelPlotDoc = {
    job_id: kit.env.jobId,
    result_type: 'model_plot',
    bucket_span: kit.env.bucketSpanMs / 1000,
    detector_index: c.detector_index,
    timestamp: bucket,
    model_feature: feature,
    model_lower: round(o.lower),
    model_upper: round(o.upper),
    model_median: round(o.typical),
    // a metric's empty bucket has no actual (it was written as 0, a value the series never had, and
    // the UI could not shade the run as missing data); a count's empty bucket is a real 0
    ...(Number.isNaN(actual) ? {} : { actual }),
    is_interim: interim,
  };
  if (c.partition_field_name !== undefined && partition !== null) {
    doc.partition_field_name = c.partition_field_name;
    doc.partition_field_value = partition;
  }
  if (c.over_field_name !== undefined && over !== null) {
    doc.over_field_name = c.over_field_name;
    doc.over_field_value = over;
  }
  if (c.by_field_name !== undefined && by !== null) {
    doc.by_field_name = c.by_field_name;
    doc.by_field_value = by;
  }
  return doc;
}

/**
 * The influencer values of a record: a split field's own value, else the values that brought at
 * least half as many of the entity's records in the bucket as the most frequent one (at most 10).
 */
export function influencesOf(kit: RunnerKit, acc: SlotAcc | undefined, partition: string | null, by: string | null, over: string | null): Influence[] {
  const out: Influence[] = [];
  const c = kit.config;
  kit.env.influencerFields.forEach((field, i) => {
    let values: string[] = [];
    if (field === c.partition_field_name) values = partition !== null ? [partition] : [];
    else if (field === c.by_field_name) values = by !== null ? [by] : [];
    else if (field === c.over_field_name) values = over !== null ? [over] : [];
    else {
      const m = acc?.influence?.[i];
      if (m && m.size > 0) {
        let max = 0;
        for (const w of m.values()) if (w > max) max = w;
        values = [...m]
          .filter(([, w]) => w >= 0.5 * max)
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .slice(0, 10)
          .map(([v]) => v);
      }
    }
    if (values.length > 0) out.push({ influencer_field_name: field, influencer_field_values: values });
  });
  return out;
}

/** Elastic's impact figures: about −log10 of the probability, as an integer. */
export function impactOf(probability: number): number {
  return Math.max(0, Math.round(Math.min(20, -Math.log10(Math.max(probability, 1e-300)))));
}

/** The explanation of a default-detector record: its kind, length, impacts and bounds. */
export function explanation(o: DetectorOutput, actual: number, length: number): AnomalyScoreExplanation {
  const total = impactOf(o.probability);
  const mbi = o.multiBucketImpact;
  return {
    anomaly_type: actual >= o.typical ? 'spike' : 'dip',
    anomaly_length: length,
    single_bucket_impact: Math.round((total * (5 - mbi)) / 10),
    multi_bucket_impact: Math.round((total * (5 + mbi)) / 10),
    lower_confidence_bound: round(o.lower),
    typical_value: round(o.typical),
    upper_confidence_bound: round(o.upper),
    high_variance_penalty: false,
    incomplete_bucket_penalty: false,
  };
}

export function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
