/**
 * Population model (Elastic's `over_field_name` analysis): one model of what the members of a
 * population (client IPs, users…) do in a bucket, against which each member's bucket value is
 * scored. Every bucket, each member contributes one value (its count, distinct count, mean…).
 *
 * Model: exponentially weighted mean and variance of the values, on log1p scale for non-negative
 * counts (per-member activity is skewed: most do little, a few do a lot), learned after scoring
 * (causal) and winsorised at a few standard deviations once warm so one outlier member cannot
 * widen the population. The surprise of a member's value (one- or two-sided normal tail) is
 * calibrated to the 0–100 score with the shared SurpriseCalibrator. State is versioned.
 */
import { VigilError } from '../../errors.js';
import { SurpriseCalibrator, scoreFromSurprise, type CalibratorState } from '../../score/calibrator.js';
import { normalTwoSidedSurprise, normalUpperSurprise } from '../../score/probability.js';
import { checkState, type ModelState } from '../../state.js';
import type { Side } from '../detector.js';

const TYPE = 'population';
const VERSION = 1;
const Z95 = 1.959963985;

export interface PopulationSpec {
  side: Side;
  /** Values are non-negative counts: modelled on log1p scale. */
  isCount: boolean;
  /** Half-life of the population statistics, in buckets. */
  halfLifeBuckets: number;
  /** Values seen before any score is given. */
  minValues: number;
  /** Buckets seen before any score is given. */
  minBuckets: number;
  /** Learning clips values beyond this many standard deviations. */
  clipSigmas: number;
}

export const POPULATION_DEFAULTS: PopulationSpec = {
  side: 'both',
  isCount: false,
  halfLifeBuckets: 500,
  minValues: 20,
  minBuckets: 3,
  clipSigmas: 4,
};

/** One member's score. */
export interface PopulationScore {
  typical: number;
  lower: number;
  upper: number;
  probability: number;
  /** Calibrated 0–100 score (0 while learning). */
  score: number;
  /** Signed standardised deviation on the model's scale. */
  z: number;
}

export function newPopulationScore(): PopulationScore {
  return { typical: NaN, lower: NaN, upper: NaN, probability: 1, score: 0, z: 0 };
}

interface PopulationStateBody {
  w: number;
  mean: number;
  m2: number;
  values: number;
  buckets: number;
  cal: CalibratorState;
}

export class PopulationModel {
  readonly spec: PopulationSpec;
  private w = 0; // decayed weight of values
  private mean = 0;
  private m2 = 0; // decayed weighted sum of squared deviations
  private values = 0;
  private buckets = 0;
  private readonly decay: number;
  private calibrator: SurpriseCalibrator;

  constructor(spec: Partial<PopulationSpec> = {}) {
    this.spec = { ...POPULATION_DEFAULTS, ...spec };
    if (!(this.spec.halfLifeBuckets > 0)) throw new VigilError('INVALID_ARGUMENT', 'population: halfLifeBuckets must be positive');
    this.decay = Math.exp(-Math.LN2 / this.spec.halfLifeBuckets);
    this.calibrator = new SurpriseCalibrator({ halfLife: 50_000 });
  }

  /** True once the population has been seen long enough to score. */
  get warm(): boolean {
    return this.values >= this.spec.minValues && this.buckets >= this.spec.minBuckets;
  }

  private toScale(x: number): number {
    return this.spec.isCount ? Math.log1p(Math.max(0, x)) : x;
  }

  private fromScale(y: number): number {
    return this.spec.isCount ? Math.expm1(y) : y;
  }

  private sd(): number {
    const variance = this.w > 0 ? this.m2 / this.w : 0;
    // floor: a little on the log scale for counts; relative to the level otherwise
    const floor = this.spec.isCount ? 0.1 : Math.max(1e-9, 0.01 * Math.abs(this.mean));
    return Math.max(Math.sqrt(Math.max(variance, 0)), floor);
  }

  /** Scores one member's bucket value against the population (does not learn). */
  score(x: number, out: PopulationScore): void {
    const sd = this.sd();
    const y = this.toScale(x);
    out.typical = this.w > 0 ? this.fromScale(this.mean) : NaN;
    out.lower = this.w > 0 ? this.fromScale(this.mean - Z95 * sd) : NaN;
    out.upper = this.w > 0 ? this.fromScale(this.mean + Z95 * sd) : NaN;
    if (this.spec.isCount && out.lower < 0) out.lower = 0;
    out.probability = 1;
    out.score = 0;
    out.z = 0;
    if (!this.warm || !Number.isFinite(y)) return;
    const z = (y - this.mean) / sd;
    out.z = z;
    const side = this.spec.side;
    const nats = side === 'both' ? normalTwoSidedSurprise(z) : side === 'high' ? (z > 0 ? normalUpperSurprise(z) : 0) : z < 0 ? normalUpperSurprise(-z) : 0;
    out.probability = Math.exp(-nats);
    out.score = scoreFromSurprise(this.calibrator.calibrate(nats, z < 0));
  }

  /** Learns one bucket's member values (call after scoring them). */
  learn(values: ArrayLike<number>): void {
    const n = values.length;
    this.buckets++;
    this.w *= this.decay;
    this.m2 *= this.decay;
    if (n === 0) return;
    const warm = this.warm;
    const sd = this.sd();
    for (let i = 0; i < n; i++) {
      let y = this.toScale(values[i]);
      if (!Number.isFinite(y)) continue;
      if (warm) {
        const lim = this.spec.clipSigmas * sd;
        if (y > this.mean + lim) y = this.mean + lim;
        else if (y < this.mean - lim) y = this.mean - lim;
      }
      // weighted Welford
      this.w += 1;
      const d = y - this.mean;
      this.mean += d / this.w;
      this.m2 += d * (y - this.mean);
      this.values++;
    }
  }

  memoryBytes(): number {
    return 200 + this.calibrator.hist.byteLength;
  }

  toState(): ModelState<PopulationStateBody, PopulationSpec> {
    return {
      type: TYPE,
      version: VERSION,
      spec: { ...this.spec },
      state: { w: this.w, mean: this.mean, m2: this.m2, values: this.values, buckets: this.buckets, cal: this.calibrator.toState() },
    };
  }

  static fromState(state: ModelState): PopulationModel {
    checkState(state, TYPE, VERSION);
    const s = state as ModelState<PopulationStateBody, PopulationSpec>;
    const m = new PopulationModel(s.spec);
    m.w = s.state.w;
    m.mean = s.state.mean;
    m.m2 = s.state.m2;
    m.values = s.state.values;
    m.buckets = s.state.buckets;
    m.calibrator = SurpriseCalibrator.fromState(s.state.cal, { halfLife: 50_000 });
    return m;
  }
}
