/**
 * The shared back half of every family detector: raw score → tail calibration → sparse alarm policy
 * → the caller's output object. Detectors compute a raw score (≥ 0, z-like) and hand it here.
 */
import { VigilError } from '../../errors.js';
import type { AnomalyKind, DetectorOutput, Side } from '../detector.js';
import { AlarmPolicy, type AlarmState } from './alarm-policy.js';
import { TailCalibrator, scoreOfProbability, type CalibratorState } from './calibrator.js';

/** Spec fields every family detector accepts for its calibration and alarm policy. */
export interface StageSpec {
  /** Effective memory of the calibrator, in buckets. */
  calibrationMemory: number;
  /** Quantile above which the calibrator models the tail. */
  tailQuantile: number;
  /** Calibrated score that opens an alert episode. */
  alertScore: number;
  /** Buckets below `alertScore` that close an episode. */
  quietBuckets: number;
}

/**
 * An anomalous raw score is learned as at most this many tail scales above the tail threshold.
 * Measured with auto on nab-dev (standard): 2 → 73.3, 3 → 72.7, 4 → 73.0, 5 → 73.0, 8 → 71.5 (and
 * the deafness back), uncapped 71.5, capped at the threshold itself 67.5 (the tail stays too thin:
 * the shape member's false alarms double); the synthetic suite 68.6 throughout.
 */
const ANOMALY_LEARN_K = 4;

export const STAGE_DEFAULTS: StageSpec = {
  calibrationMemory: 10_000,
  tailQuantile: 0.98,
  alertScore: 10,
  quietBuckets: 36,
};

export interface StageState {
  cal: CalibratorState;
  alarm: AlarmState;
  mb: number;
}

/** Signed deviation → raw score for the side a job watches. */
export function sided(z: number, side: Side | undefined): number {
  if (side === 'high') return z > 0 ? z : 0;
  if (side === 'low') return z < 0 ? -z : 0;
  return Math.abs(z);
}

export class ScoreStage {
  private readonly cal: TailCalibrator;
  readonly alarm: AlarmPolicy;
  /** Short exponential mean of recent raw scores (multi-bucket impact). */
  private mb = 0;
  /** Calibrated score of the last bucket, before the alarm policy. */
  lastCalibrated = 0;

  constructor(spec: StageSpec, state?: StageState, escalate = 75) {
    this.cal = new TailCalibrator({ memory: spec.calibrationMemory, tailQuantile: spec.tailQuantile }, state?.cal);
    this.alarm = new AlarmPolicy({ enter: spec.alertScore, quietBuckets: spec.quietBuckets, escalate }, state?.alarm);
    if (state) this.mb = state.mb;
  }

  /**
   * Scores one raw value: writes probability, score (after the alarm policy) and multi-bucket impact.
   * `learn` false scores without adding the raw value to the calibration history.
   */
  score(out: DetectorOutput, raw: number, learn = true): number {
    return this.scoreLevels(out, raw, -1, -1, learn);
  }

  /**
   * Like `score`, with two K-sigma levels on the raw score: below `warnK` nothing is scored; from
   * `warnK` a warning (1–49, ordered by the calibrated score); from `alertK` an alert (50–100).
   * Negative levels disable the banding (plain calibrated score).
   */
  scoreLevels(out: DetectorOutput, raw: number, warnK: number, alertK: number, learn = true): number {
    return this.finish(out, raw, this.cal.probability(raw), warnK, alertK, learn);
  }

  /** Scores a probability that is calibrated already (an ensemble of calibrated members). */
  scoreProbability(out: DetectorOutput, p: number): number {
    return this.finish(out, -Math.log10(Math.max(p, 1e-300)), p, -1, -1, false);
  }

  private finish(out: DetectorOutput, raw: number, p: number, warnK: number, alertK: number, learn: boolean): number {
    let calibrated = scoreOfProbability(p);
    if (warnK >= 0) {
      calibrated = raw >= alertK ? 50 + calibrated / 2 : raw >= warnK ? 1 + 0.48 * calibrated : 0;
    }
    // an anomalous raw score is learned as the tail threshold: its size would lift the tail's mean
    // excess for the calibrator's whole memory (an event's many strange buckets, a spike held in a
    // window) and leave the detector deaf to later anomalies; the event still counts as tail mass
    if (learn) this.cal.add(calibrated >= this.alarm.enter ? Math.min(raw, this.cal.tailPoint(ANOMALY_LEARN_K)) : raw);
    this.mb += 0.25 * (raw - this.mb);
    this.lastCalibrated = calibrated;
    out.probability = p;
    out.score = this.alarm.apply(calibrated);
    if (out.score > 0) {
      const hi = Math.max(raw, 1e-12);
      const v = 10 * Math.min(this.mb, hi) / hi - 5;
      out.multiBucketImpact = Math.max(-5, Math.min(5, Math.round(v)));
    } else {
      out.multiBucketImpact = 0;
    }
    return calibrated;
  }

  /** Adds a raw score to calibration history without scoring (warm-up replay). */
  learn(raw: number): void {
    this.cal.add(raw);
  }

  /** A missing bucket: no score, the alarm counts it as quiet. */
  missing(out: DetectorOutput): void {
    this.alarm.skip();
    this.lastCalibrated = 0;
    out.probability = 1;
    out.score = 0;
    out.multiBucketImpact = 0;
  }

  /** A missing bucket while the detector scores: `missing`, with kind `missing` and no explanation. */
  missingBucket(out: DetectorOutput): void {
    this.missing(out);
    out.kind = 'missing';
    out.explanation = '';
  }

  toState(): StageState {
    return { cal: this.cal.toState(), alarm: this.alarm.toState(), mb: this.mb };
  }

  memoryBytes(): number {
    return this.cal.memoryBytes() + 64;
  }
}

/** Resets the output to the cold-start shape (nothing known, nothing scored; kind `missing` for a missing bucket). */
export function coldOutput(out: DetectorOutput, missing = false): void {
  out.typical = NaN;
  out.lower = NaN;
  out.upper = NaN;
  out.probability = 1;
  out.score = 0;
  out.multiBucketImpact = 0;
  out.kind = missing ? 'missing' : 'none';
  out.explanation = '';
}

/** Writes the typical value and its band, typical ± z·sigma (z = 1.96: 95 %). */
export function bandOutput(out: DetectorOutput, typical: number, sigma: number, z = 1.96): void {
  out.typical = typical;
  out.lower = typical - z * sigma;
  out.upper = typical + z * sigma;
}

/** The kind of a deviation up or down: a level shift when it is sustained, else a spike or a dip. */
export function deviationKind(up: boolean, shift: boolean): AnomalyKind {
  return shift ? (up ? 'level_shift_up' : 'level_shift_down') : up ? 'spike' : 'dip';
}

/** Spec helper: a number from the partial spec or the default, validated as finite and in range. */
export function num(spec: Record<string, unknown> | undefined, key: string, def: number, min = -Infinity, max = Infinity): number {
  const v = spec?.[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new VigilError('INVALID_ARGUMENT', `spec.${key} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

export function stageSpec(spec: Record<string, unknown> | undefined, defaults: Partial<StageSpec> = {}): StageSpec {
  const d = { ...STAGE_DEFAULTS, ...defaults };
  return {
    calibrationMemory: num(spec, 'calibrationMemory', d.calibrationMemory, 10, 1e9),
    tailQuantile: num(spec, 'tailQuantile', d.tailQuantile, 0.5, 0.9999),
    alertScore: num(spec, 'alertScore', d.alertScore, 0, 100),
    quietBuckets: num(spec, 'quietBuckets', d.quietBuckets, 1, 1e7),
  };
}
