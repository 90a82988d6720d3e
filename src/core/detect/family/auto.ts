/**
 * `auto`: a calibrated combination of the default detector and family members. Every member sees
 * every bucket.
 *   - `combine: 'score'` (the default): every member keeps its own calibration and alarm policy; the
 *     reported score is the largest of the members' 0–100 scores, each times its weight.
 *   - `combine: 'mean'` / `'max'`: family members' probabilities are already calibrated tail
 *     probabilities, any other member's (the default's) is turned into a surprise (−ln p) and
 *     calibrated by its own tail calibrator inside `auto`; the combined raw score is the mean (or
 *     largest) of the members' calibrated surprises (−log10 of the calibrated tail probabilities),
 *     mapped to 0–100 and passed through auto's own sparse alarm policy.
 * One configuration for every series; no labels.
 */
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { newOutput } from '../detector.js';
import { createDetector, registerDetector, restoreDetector } from '../registry.js';
import { VigilError } from '../../errors.js';
import type { ModelState } from '../../state.js';
import { TailCalibrator, probabilityOfScore, type CalibratorState } from './calibrator.js';
import { familyFactory } from './factory.js';
import { ScoreStage, coldOutput, stageSpec, type StageSpec, type StageState } from './stage.js';

export const AUTO = 'auto';
/** Family detectors: their probability comes from the shared tail calibrator already. */
const CALIBRATED_TYPES = new Set(['stl-residual', 'ensemble-vote', 'calendar-regressor', 'seasonal-cluster', 'forecast-residual', 'matrix-profile']);
const VERSION = 1;
const HIGH_KINDS = new Set<string>(['spike', 'level_shift_up']);
const LOW_KINDS = new Set<string>(['dip', 'level_shift_down']);

export interface AutoMember {
  type: string;
  spec?: Record<string, unknown>;
  /** combine 'score': this member's score counts at this weight (default 1). */
  weight?: number;
}

export interface AutoSpec extends StageSpec {
  members: AutoMember[];
  /**
   * mean / max: of the members' calibrated surprises, re-scored by auto's own stage. score: the
   * largest of the members' own reported scores, each times its weight; every member keeps its own
   * calibration and alarm policy, and the first member gives typical and bounds.
   */
  combine: 'mean' | 'max' | 'score';
}

/**
 * The members `auto` uses unless told otherwise: the point model (`default`), and the matrix
 * profile's shape channel at weight 0.4 (a new shape alone stays below "major"), combined on the
 * score scale. The shape member reads fixed 48-bucket subsequences (16 points of 3 buckets) against
 * the last 100 points, with no period detection (so no history ring: 16 KB of state per series with
 * the point model's 8.7 KB, instead of 68 KB), and judges nothing while a gap is in what it compares
 * (a gap is reported as missing data; its fill is no shape, and it may hide the usual match).
 * Measured (experiments/detection/README.md, round 6), NAB standard on nab-dev / synthetic seeds
 * 1, 2, 3: this 72.8 / 68.5, 69.0, 74.0 (with the family calibrators learning an anomalous raw score
 * as at most 4 tail scales above their threshold); the point model alone 68.1 / 69.1, 69.7, 74.5.
 * Before those two changes 71.5 / 68.6, 70.6, 74.0; judging stretches with gaps too: 71.4 / 69.8,
 * 70.8, 74.0 (its synthetic gain is outages caught by their flat fill,
 * not kept). The earlier member with a detected period (half a period per subsequence): 71.2 /
 * 69.0, 69.3, 74.3; weights 0.3 / 0.5: 71.5 / 68.7, 71.3 / 68.6; subsequence 96 71.6 / 68.9;
 * window 50 71.4 / 68.4, window 200 71.5 / 69.8; 8 points per subsequence 69.7 / 69.9 (gaps judged).
 * The earlier combination (point model + stl-residual + calendar-regressor, mean of re-calibrated
 * surprises) scored 57.6 / 64.5: re-calibrating the point model's raw probability lost its
 * calibration and record novelty. The matrix profile catches what a point model cannot (the
 * spike-density change of art_increase_spike_density scores 0 with the point model alone).
 * Every job and `vigil detect` use it unless told otherwise (DEFAULT_DETECTOR).
 */
export const AUTO_MEMBERS: AutoMember[] = [{ type: 'default' }, { type: 'matrix-profile', weight: 0.4, spec: { window: 100, subsequence: 48, period: 1, skipGaps: true } }];

export function autoSpec(spec?: Partial<AutoSpec>): AutoSpec {
  const s = spec as Record<string, unknown> | undefined;
  const members = (s?.members ?? AUTO_MEMBERS) as AutoMember[];
  if (!Array.isArray(members) || members.length === 0 || members.some((m) => !m || typeof m.type !== 'string' || m.type === AUTO)) {
    throw new VigilError('INVALID_ARGUMENT', 'spec.members must be a non-empty list of { type, spec } naming other detectors');
  }
  const combine = (s?.combine ?? 'score') as AutoSpec['combine'];
  if (combine !== 'mean' && combine !== 'max' && combine !== 'score') throw new VigilError('INVALID_ARGUMENT', `spec.combine must be mean, max or score, got [${String(combine)}]`);
  for (const m of members) {
    if (m.weight !== undefined && !(typeof m.weight === 'number' && m.weight >= 0 && m.weight <= 1)) {
      throw new VigilError('INVALID_ARGUMENT', `spec.members[].weight must be a number in [0, 1], got [${String(m.weight)}]`);
    }
  }
  return { ...stageSpec(s), members, combine };
}

/** Members whose every anomaly is a shape (kind pattern, no direction). */
const SHAPE_ONLY = new Set(['matrix-profile']);

/**
 * A one-sided detector (high_… / low_…) never hears a shape-only member (see updateByScore), so
 * such members are not built at all: the same scores at the point model's cost. Only when a model is
 * created: a saved model keeps the members it was saved with.
 */
function heardMembers(context: DetectorContext, spec: AutoSpec): AutoSpec {
  if ((context.side ?? 'both') === 'both' || spec.combine !== 'score') return spec;
  const members = spec.members.filter((m, i) => i === 0 || !SHAPE_ONLY.has(m.type));
  return members.length === spec.members.length ? spec : { ...spec, members };
}

interface AutoState {
  context: DetectorContext;
  members: ModelState[];
  cals: CalibratorState[];
  /** null when combined by score (older states may hold one; it is not used). */
  stage: StageState | null;
  seen: number;
}

class AutoDetector implements Detector {
  readonly type = AUTO;
  readonly coldStartBuckets: number;
  private readonly members: Detector[];
  private readonly cals: TailCalibrator[];
  /** auto's own calibrators and alarm policy (combine mean / max only). */
  private readonly stage: ScoreStage | null;
  private readonly outs: DetectorOutput[];
  /** Each member's weight (combine 'score'). */
  private readonly weights: Float64Array;
  /** Members whose probability is already a calibrated tail probability (the family's). */
  private readonly calibrated: boolean[];
  private seen = 0;

  constructor(
    private readonly context: DetectorContext,
    private readonly spec: AutoSpec,
    state?: AutoState,
  ) {
    this.members = state
      ? state.members.map((m) => restoreDetector(m))
      : spec.members.map((m) => createDetector(m.type, context, m.spec));
    // combined by score, the members' own calibrations and alarm policies are used: auto keeps none
    const own = spec.combine !== 'score';
    this.cals = own ? spec.members.map((_, i) => new TailCalibrator({ memory: spec.calibrationMemory, tailQuantile: spec.tailQuantile }, state?.cals[i])) : [];
    this.stage = own ? new ScoreStage(spec, state?.stage ?? undefined) : null;
    this.outs = this.members.map(() => newOutput());
    this.weights = Float64Array.from(spec.members, (m) => m.weight ?? 1);
    this.calibrated = spec.members.map((m) => CALIBRATED_TYPES.has(m.type));
    // combined by score, each member scores from its own cold start on: auto's is the earliest of them
    const colds = this.members.map((m) => m.coldStartBuckets);
    this.coldStartBuckets = spec.combine === 'score' ? Math.min(...colds) : Math.max(...colds);
    if (state) this.seen = state.seen;
  }

  update(time: number, value: number, out: DetectorOutput): void {
    if (this.spec.combine === 'score') {
      this.updateByScore(time, value, out);
      return;
    }
    const stage = this.stage as ScoreStage; // combine mean / max always has one
    let sum = 0;
    let max = 0;
    const k = this.members.length;
    for (let i = 0; i < k; i++) {
      const o = this.outs[i];
      this.members[i].update(time, value, o);
      let q = o.probability;
      if (!this.calibrated[i]) {
        const x = -Math.log(Math.max(o.probability, 1e-300));
        q = this.cals[i].probability(x);
        if (!Number.isNaN(value) && this.seen >= this.members[i].coldStartBuckets) this.cals[i].add(x);
      }
      const s = -Math.log10(Math.max(q, 1e-300));
      sum += s;
      if (s > max) max = s;
    }
    const raw = this.spec.combine === 'max' ? max : sum / k;
    const first = this.outs[0];
    if (this.seen >= this.coldStartBuckets) {
      out.typical = first.typical;
      out.lower = first.lower;
      out.upper = first.upper;
      if (Number.isNaN(value)) stage.missingBucket(out);
      else {
        stage.scoreProbability(out, Math.pow(10, -raw));
        if (out.score > 0) {
          // the kind and words of the most surprised member
          let best = 0;
          for (let i = 1; i < k; i++) if (this.outs[i].probability < this.outs[best].probability) best = i;
          const o = this.outs[best];
          out.kind = o.kind !== 'none' && o.kind !== 'missing' ? o.kind : value > first.typical ? 'spike' : 'dip';
          out.explanation = `combined surprise ${raw.toFixed(1)} (most: ${this.spec.members[best].type}${o.explanation ? ': ' + o.explanation : ''})`;
        } else {
          out.kind = 'none';
          out.explanation = '';
        }
      }
    } else coldOutput(out, Number.isNaN(value));
    this.seen++;
  }

  /** combine 'score': the members' own reported scores, weighted; the largest wins (kind and words too). */
  private updateByScore(time: number, value: number, out: DetectorOutput): void {
    const k = this.members.length;
    let best = 0;
    let bestScore = -1;
    for (let i = 0; i < k; i++) this.members[i].update(time, value, this.outs[i]);
    const side = this.context.side ?? 'both';
    const weights = this.weights;
    for (let i = 0; i < k; i++) {
      const o = this.outs[i];
      // a one-sided detector (high_… / low_…) hears the other members only for anomalies with its
      // direction: a new shape (kind pattern) has none, so it is the two-sided detectors' alone
      const heard = i === 0 || side === 'both' || (side === 'high' ? HIGH_KINDS.has(o.kind) : LOW_KINDS.has(o.kind));
      const s = heard && o.score > 0 ? o.score * weights[i] : 0;
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    const first = this.outs[0];
    const win = this.outs[best];
    out.typical = first.typical;
    out.lower = first.lower;
    out.upper = first.upper;
    out.score = bestScore > 0 ? bestScore : 0;
    // a weighted member's probability is the one its weighted score stands for (a shape scored 40
    // reads as p = 1e-3.6, not as the member's own 1e-8 beside a record_score of 40)
    out.probability = best === 0 || weights[best] === 1 ? win.probability : probabilityOfScore(out.score);
    out.multiBucketImpact = win.multiBucketImpact;
    out.kind = out.score > 0 || Number.isNaN(value) ? win.kind : first.kind;
    out.explanation = out.score > 0 ? (best === 0 ? win.explanation : `${this.spec.members[best].type}: ${win.explanation}`) : '';
    this.seen++;
  }

  // what the job's model-change annotations read (runners/model-changes.ts): the first member's
  // seasons and trend, when it has them (the point model does)
  activeComponentCount(): number {
    const m = this.members[0] as Detector & { activeComponentCount?: () => number };
    return typeof m.activeComponentCount === 'function' ? m.activeComponentCount() : 0;
  }

  activePeriods(): number[] {
    const m = this.members[0] as Detector & { activePeriods?: () => number[] };
    return typeof m.activePeriods === 'function' ? m.activePeriods() : [];
  }

  trendDirection(): number {
    const m = this.members[0] as Detector & { trendDirection?: () => number };
    return typeof m.trendDirection === 'function' ? m.trendDirection() : 0;
  }

  toState(): ModelState {
    const state: AutoState = {
      context: this.context,
      members: this.members.map((m) => m.toState()),
      cals: this.cals.map((c) => c.toState()),
      stage: this.stage ? this.stage.toState() : null,
      seen: this.seen,
    };
    return { type: AUTO, version: VERSION, spec: this.spec, state };
  }

  memoryBytes(): number {
    let m = (this.stage ? this.stage.memoryBytes() : 0) + 128;
    for (const d of this.members) m += d.memoryBytes();
    for (const c of this.cals) m += c.memoryBytes();
    return m;
  }
}

export const autoFactory = familyFactory<AutoSpec, AutoState>({
  type: AUTO,
  version: VERSION,
  description: 'The point model (default) and the matrix-profile shape detector (weight 0.4), the larger score wins: best measured, what jobs use.',
  spec: autoSpec,
  make: (context, spec, state) => new AutoDetector(context, state ? spec : heardMembers(context, spec), state),
});

registerDetector(autoFactory);
