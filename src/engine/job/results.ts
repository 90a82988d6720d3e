/**
 * Elastic-shaped result documents of an anomaly-detection job (what `results/buckets`, `records`,
 * `influencers` and the model plot return), their stable ids, and the score updates that
 * renormalisation produces for stored results.
 */
import type { AnnotationDoc } from './controls.js';

export interface Influence {
  influencer_field_name: string;
  influencer_field_values: string[];
}

export interface AnomalyScoreExplanation {
  anomaly_type?: 'spike' | 'dip';
  anomaly_length?: number;
  single_bucket_impact?: number;
  multi_bucket_impact?: number;
  anomaly_characteristics_impact?: number;
  lower_confidence_bound?: number;
  typical_value?: number;
  upper_confidence_bound?: number;
  high_variance_penalty?: boolean;
  incomplete_bucket_penalty?: boolean;
  by_field_first_occurrence?: boolean;
  by_field_relative_rarity?: number;
}

export interface GeoResults {
  actual_point?: string;
  typical_point?: string;
}

/** What a record and each of its causes say: the field, the series (by, over, partition), typical and actual. */
export interface AnomalyFields {
  field_name?: string;
  by_field_name?: string;
  by_field_value?: string;
  over_field_name?: string;
  over_field_value?: string;
  partition_field_name?: string;
  partition_field_value?: string;
  typical?: number[];
  actual?: number[];
}

export interface AnomalyCause extends AnomalyFields {
  probability: number;
  function: string;
  function_description: string;
  geo_results?: GeoResults;
}

export interface RecordDoc extends AnomalyFields {
  job_id: string;
  result_type: 'record';
  probability: number;
  multi_bucket_impact: number;
  record_score: number;
  initial_record_score: number;
  bucket_span: number;
  detector_index: number;
  is_interim: boolean;
  timestamp: number;
  function: string;
  function_description: string;
  causes?: AnomalyCause[];
  influencers?: Influence[];
  anomaly_score_explanation?: AnomalyScoreExplanation;
  geo_results?: GeoResults;
  /** Each influencer field with its values, as Elastic adds them to the record (`"clientip": ["1.2.3.4"]`). */
  [field: string]: unknown;
}

export interface BucketInfluencerDoc {
  job_id: string;
  result_type: 'bucket_influencer';
  influencer_field_name: string;
  initial_anomaly_score: number;
  anomaly_score: number;
  raw_anomaly_score: number;
  probability: number;
  timestamp: number;
  bucket_span: number;
  is_interim: boolean;
}

export interface BucketDoc {
  job_id: string;
  result_type: 'bucket';
  timestamp: number;
  bucket_span: number;
  anomaly_score: number;
  initial_anomaly_score: number;
  event_count: number;
  is_interim: boolean;
  processing_time_ms: number;
  bucket_influencers: BucketInfluencerDoc[];
  /** Descriptions of the scheduled events in force during the bucket (Elastic's field). */
  scheduled_events?: string[];
}

export interface InfluencerDoc {
  job_id: string;
  result_type: 'influencer';
  influencer_field_name: string;
  influencer_field_value: string;
  influencer_score: number;
  initial_influencer_score: number;
  probability: number;
  bucket_span: number;
  is_interim: boolean;
  timestamp: number;
  /** Elastic also writes the value under the field's own name. */
  [field: string]: unknown;
}

export interface ModelPlotDoc {
  job_id: string;
  result_type: 'model_plot';
  bucket_span: number;
  detector_index: number;
  timestamp: number;
  model_feature: string;
  partition_field_name?: string;
  partition_field_value?: string;
  over_field_name?: string;
  over_field_value?: string;
  by_field_name?: string;
  by_field_value?: string;
  model_lower: number;
  model_upper: number;
  model_median: number;
  /** Absent when the bucket held no value for a metric function (no data is not a value of 0). */
  actual?: number;
  is_interim: boolean;
}

/** What a drain hands back. */
export interface JobResults {
  /**
   * Delete every stored interim result of the job before storing these (interim results were
   * handed out earlier and the buckets they stood for are now final or recomputed).
   */
  clearInterim: boolean;
  buckets: BucketDoc[];
  records: RecordDoc[];
  influencers: InfluencerDoc[];
  modelPlots: ModelPlotDoc[];
  /** Model-change annotations (Elastic's `event: model_change`), stored by the server. */
  annotations?: AnnotationDoc[];
}

/** A changed score for a stored result (renormalisation). Apply by `id`. */
export type ScoreUpdate =
  | { id: string; result_type: 'bucket'; timestamp: number; anomaly_score: number; bucket_influencers: { influencer_field_name: string; anomaly_score: number }[] }
  | { id: string; result_type: 'record'; timestamp: number; record_score: number }
  | { id: string; result_type: 'influencer'; timestamp: number; influencer_score: number };

/** FNV-1a, 32 bits, as 8 hex digits. */
export function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function entityKey(d: { partition_field_value?: string; by_field_value?: string; over_field_value?: string }): string {
  return `${d.partition_field_value ?? '\u0000'}\u0001${d.by_field_value ?? '\u0000'}\u0001${d.over_field_value ?? '\u0000'}`;
}

/**
 * A stable document id for a result, like Elastic's (`<job>_bucket_<timestamp>_<span>` …). Interim
 * and final results of the same bucket and entity share an id, so storing the final one replaces
 * the interim one.
 */
export function resultId(doc: BucketDoc | RecordDoc | InfluencerDoc | ModelPlotDoc): string {
  const base = `${doc.job_id}_${doc.result_type}_${doc.timestamp}_${doc.bucket_span}`;
  switch (doc.result_type) {
    case 'bucket':
      return base;
    case 'record':
    case 'model_plot': {
      const d = doc as RecordDoc | ModelPlotDoc;
      const feature = doc.result_type === 'model_plot' ? (doc as ModelPlotDoc).model_feature : '';
      return `${base}_${d.detector_index}_${hashText(entityKey(d) + feature)}`;
    }
    case 'influencer': {
      const d = doc as InfluencerDoc;
      return `${base}_${d.influencer_field_name}_${hashText(d.influencer_field_value)}_${d.influencer_field_value.length}`;
    }
  }
}
