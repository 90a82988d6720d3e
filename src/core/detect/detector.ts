/**
 * The one interface every anomaly detector implements. A detector is online and causal: it sees one
 * bucket at a time, in time order, and its output for a bucket depends only on buckets up to it.
 *
 * Shape (after Merlion): a raw model gives typical value, bounds and a probability; a calibrator maps
 * that to Vigil's 0–100 record score; an alarm policy keeps scores sparse (one alert per event).
 * Detectors write into a caller-owned output object so the hot loop allocates nothing.
 */
import type { ModelState } from '../state.js';

/** What kind of deviation a bucket shows (0 = none). */
export type AnomalyKind =
  | 'none'
  | 'spike'
  | 'dip'
  | 'level_shift_up'
  | 'level_shift_down'
  | 'variance_increase'
  | 'pattern'
  | 'missing';

export interface DetectorOutput {
  /** The value the model expected (NaN during cold start). */
  typical: number;
  /** 95 % prediction bounds (NaN during cold start). */
  lower: number;
  upper: number;
  /** Probability of seeing a value at least this unusual under the model (1 = perfectly normal). */
  probability: number;
  /** Record score 0–100 after calibration and the alarm policy (0 = not anomalous). */
  score: number;
  /** Elastic's multi_bucket_impact, −5 (single-bucket anomaly) … +5 (sustained, multi-bucket). */
  multiBucketImpact: number;
  kind: AnomalyKind;
  /** A short human explanation when score > 0, else ''. */
  explanation: string;
}

export function newOutput(): DetectorOutput {
  return {
    typical: NaN,
    lower: NaN,
    upper: NaN,
    probability: 1,
    score: 0,
    multiBucketImpact: 0,
    kind: 'none',
    explanation: '',
  };
}

/** Which side of typical counts as anomalous (Elastic's high_/low_ function variants). */
export type Side = 'both' | 'high' | 'low';

/** What every detector is told about the series when it is created. */
export interface DetectorContext {
  /** Bucket span in milliseconds. */
  bucketSpanMs: number;
  /** high_ / low_ variants score one side only. */
  side?: Side;
  /** True for count-type functions: values are non-negative counts (an empty bucket is a real 0). */
  isCount?: boolean;
}

export interface Detector {
  readonly type: string;
  /** Buckets the detector needs before it scores (its stated cold-start period). */
  readonly coldStartBuckets: number;
  /**
   * Feeds one bucket. `time` is the bucket start (epoch ms), `value` the bucket's value or NaN when
   * the bucket is missing (the detector is told data is missing, not fed a zero).
   */
  update(time: number, value: number, out: DetectorOutput): void;
  /** Serialisable, versioned state; `fromState` of the same factory restores it exactly. */
  toState(): ModelState;
  /** Approximate bytes of model state held in memory. */
  memoryBytes(): number;
}

export interface DetectorFactory<Spec = Record<string, unknown>> {
  readonly type: string;
  readonly description: string;
  create(context: DetectorContext, spec?: Partial<Spec>): Detector;
  fromState(state: ModelState): Detector;
}
