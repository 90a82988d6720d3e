/**
 * Activation results in the shapes other jobs write (Elastic's result documents): a `record` for
 * each scored bucket (score > 0), a `model_plot` for every bucket (actual, typical, bounds), and for
 * prediction models `model_forecast` documents (prediction and band at the user's horizon).
 * `job_id` carries the model id. Predictions are indexed by day (UTC) for per-day retrieval.
 */
import type { DetectorOutput } from '../../core/detect/detector.js';
import type { LivePrediction } from '../../core/neural/neural-forecaster.js';

export interface ModelRecordDoc {
  job_id: string;
  result_type: 'record';
  timestamp: number;
  bucket_span: number;
  detector_index: 0;
  is_interim: false;
  probability: number;
  record_score: number;
  initial_record_score: number;
  multi_bucket_impact: number;
  function: 'mean';
  function_description: 'mean';
  typical: number[];
  actual: number[];
  anomaly_score_explanation: { anomaly_type?: 'spike' | 'dip'; lower_confidence_bound: number; typical_value: number; upper_confidence_bound: number; multi_bucket_impact: number };
  vigil_kind: string;
  vigil_explanation: string;
}

export interface ModelPlotDoc {
  job_id: string;
  result_type: 'model_plot';
  timestamp: number;
  bucket_span: number;
  detector_index: 0;
  model_lower: number | null;
  model_upper: number | null;
  model_median: number | null;
  actual: number | null;
  vigil_score: number;
}

export interface ModelForecastDoc {
  job_id: string;
  result_type: 'model_forecast';
  /** The activation that made it. */
  forecast_id: string;
  /** The bucket forecast. */
  timestamp: number;
  bucket_span: number;
  detector_index: 0;
  forecast_prediction: number;
  forecast_lower: number;
  forecast_upper: number;
  /** When it was made (the last bucket seen), and how many buckets ahead. */
  forecast_create_timestamp: number;
  forecast_step: number;
}

/** Any result document of an activation (what a live activation's repository keeps, in order). */
export type ActivationResultDoc = ModelRecordDoc | ModelPlotDoc | ModelForecastDoc;

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function detectionDocs(modelId: string, spanMs: number, time: number, value: number, out: DetectorOutput): { plot: ModelPlotDoc; record: ModelRecordDoc | null } {
  const bucketSpan = Math.round(spanMs / 1000);
  const plot: ModelPlotDoc = {
    job_id: modelId,
    result_type: 'model_plot',
    timestamp: time,
    bucket_span: bucketSpan,
    detector_index: 0,
    model_lower: finiteOrNull(out.lower),
    model_upper: finiteOrNull(out.upper),
    model_median: finiteOrNull(out.typical),
    actual: finiteOrNull(value),
    vigil_score: out.score,
  };
  if (!(out.score > 0)) return { plot, record: null };
  const record: ModelRecordDoc = {
    job_id: modelId,
    result_type: 'record',
    timestamp: time,
    bucket_span: bucketSpan,
    detector_index: 0,
    is_interim: false,
    probability: out.probability,
    record_score: out.score,
    initial_record_score: out.score,
    multi_bucket_impact: out.multiBucketImpact,
    function: 'mean',
    function_description: 'mean',
    typical: [out.typical],
    actual: [value],
    anomaly_score_explanation: {
      ...(out.kind === 'spike' || out.kind === 'dip' ? { anomaly_type: out.kind } : {}),
      lower_confidence_bound: out.lower,
      typical_value: out.typical,
      upper_confidence_bound: out.upper,
      multi_bucket_impact: out.multiBucketImpact,
    },
    vigil_kind: out.kind,
    vigil_explanation: out.explanation,
  };
  return { plot, record };
}

/** The forecast at `step` buckets ahead (1-based) of a live prediction, at `level` %. */
export function forecastDoc(modelId: string, activationId: string, spanMs: number, p: LivePrediction, step: number, level: number): ModelForecastDoc {
  const j = Math.min(step, p.forecast.mean.length) - 1;
  const iv = p.forecast.intervals.find((i) => i.level === level) ?? p.forecast.intervals[p.forecast.intervals.length - 1];
  return {
    job_id: modelId,
    result_type: 'model_forecast',
    forecast_id: activationId,
    timestamp: p.from + j * spanMs,
    bucket_span: Math.round(spanMs / 1000),
    detector_index: 0,
    forecast_prediction: p.forecast.mean[j],
    forecast_lower: iv.lower[j],
    forecast_upper: iv.upper[j],
    forecast_create_timestamp: p.time,
    forecast_step: j + 1,
  };
}

/** `YYYY-MM-DD` (UTC) of an epoch-ms time. */
export function dayOf(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** Results of one activation or historical run, kept in order, forecasts indexed by day. */
export class ResultLog {
  readonly records: ModelRecordDoc[] = [];
  readonly plots: ModelPlotDoc[] = [];
  private readonly byDay = new Map<string, ModelForecastDoc[]>();
  forecasts = 0;

  addDetection(d: { plot: ModelPlotDoc; record: ModelRecordDoc | null }): void {
    this.plots.push(d.plot);
    if (d.record) this.records.push(d.record);
  }

  addForecast(doc: ModelForecastDoc): void {
    const day = dayOf(doc.timestamp);
    let list = this.byDay.get(day);
    if (!list) this.byDay.set(day, (list = []));
    list.push(doc);
    this.forecasts++;
  }

  /** Puts back documents kept in the order they were made (a live activation after a restart). */
  restore(docs: Iterable<ActivationResultDoc>): void {
    for (const d of docs) {
      if (d.result_type === 'record') this.records.push(d);
      else if (d.result_type === 'model_plot') this.plots.push(d);
      else if (d.result_type === 'model_forecast') this.addForecast(d);
    }
  }

  /** Forecasts whose forecast bucket falls on `day` (YYYY-MM-DD, UTC), in time order. */
  predictionsForDay(day: string): ModelForecastDoc[] {
    return [...(this.byDay.get(day) ?? [])].sort((a, b) => a.timestamp - b.timestamp || a.forecast_create_timestamp - b.forecast_create_timestamp);
  }

  days(): string[] {
    return [...this.byDay.keys()].sort();
  }
}
