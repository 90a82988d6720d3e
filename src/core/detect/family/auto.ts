/**
 * `auto`: a calibrated combination of family members and the default detector. Every member sees
 * every bucket; family members' probabilities are already calibrated tail probabilities, any other
 * member's (the default's) is turned into a surprise (−ln p) and calibrated by its own tail
 * calibrator inside `auto`, so members land on one scale whatever their own probability means. The combined raw score is the mean of the members' calibrated surprises (−log10 of the
 * calibrated tail probabilities) — `combine: 'max'` takes the largest instead; 10^−mean is the
 * combined probability, mapped to 0–100 like every family score and passed through the sparse alarm
 * policy (no second calibration: the members' scales are already comparable). One configuration for every series; no labels.
 */
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { newOutput } from '../detector.js';
import { createDetector, registerDetector, restoreDetector } from '../registry.js';
import { VigilError } from '../../errors.js';
import type { ModelState } from '../../state.js';
import { TailCalibrator, type CalibratorState } from './calibrator.js';
import { familyFactory } from './factory.js';
import { ScoreStage, coldOutput, stageSpec, type StageSpec, type StageState } from './stage.js';

export const AUTO = 'auto';
/** Family detectors: their probability comes from the shared tail calibrator already. */
const CALIBRATED_TYPES = new Set(['stl-residual', 'ensemble-vote', 'calendar-regressor', 'seasonal-cluster', 'forecast-residual', 'matrix-profile']);
const VERSION = 1;

export interface AutoMember {
  type: string;
  spec?: Record<string, unknown>;
}

export interface AutoSpec extends StageSpec {
  members: AutoMember[];
  combine: 'mean' | 'max';
}

/**
 * The members `auto` uses unless told otherwise. Chosen on nab-dev and the synthetic suite (seed 1),
 * NAB standard score (nab-dev / synthetic): default + stl-residual + calendar-regressor 60.0 / 67.7;
 * stl-residual + calendar-regressor 57.4 / 68.2; default + stl-residual 60.2 / 61.4; default +
 * stl-residual + ensemble-vote 60.2 / 46.6; stl-residual alone 56.7 / 65.7; default alone 51.3 / 58.1.
 * Since the default's calibration and record-novelty changes the default alone scores 66.5 / 59.6 and
 * this combination 59.2 / 66.3 (docs/evaluation.md): the mean of surprises dilutes the default's
 * record-novelty bonus on NAB, while the members still help on the synthetic suite.
 */
export const AUTO_MEMBERS: AutoMember[] = [{ type: 'default' }, { type: 'stl-residual' }, { type: 'calendar-regressor' }];

export function autoSpec(spec?: Partial<AutoSpec>): AutoSpec {
  const s = spec as Record<string, unknown> | undefined;
  const members = (s?.members ?? AUTO_MEMBERS) as AutoMember[];
  if (!Array.isArray(members) || members.length === 0 || members.some((m) => !m || typeof m.type !== 'string' || m.type === AUTO)) {
    throw new VigilError('INVALID_ARGUMENT', 'spec.members must be a non-empty list of { type, spec } naming other detectors');
  }
  const combine = (s?.combine ?? 'mean') as AutoSpec['combine'];
  if (combine !== 'mean' && combine !== 'max') throw new VigilError('INVALID_ARGUMENT', `spec.combine must be mean or max, got [${String(combine)}]`);
  return { ...stageSpec(s), members, combine };
}

interface AutoState {
  context: DetectorContext;
  members: ModelState[];
  cals: CalibratorState[];
  stage: StageState;
  seen: number;
}

class AutoDetector implements Detector {
  readonly type = AUTO;
  readonly coldStartBuckets: number;
  private readonly members: Detector[];
  private readonly cals: TailCalibrator[];
  private readonly stage: ScoreStage;
  private readonly outs: DetectorOutput[];
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
    this.cals = spec.members.map((_, i) => new TailCalibrator({ memory: spec.calibrationMemory, tailQuantile: spec.tailQuantile }, state?.cals[i]));
    this.stage = new ScoreStage(spec, state?.stage);
    this.outs = this.members.map(() => newOutput());
    this.calibrated = spec.members.map((m) => CALIBRATED_TYPES.has(m.type));
    this.coldStartBuckets = Math.max(...this.members.map((m) => m.coldStartBuckets));
    if (state) this.seen = state.seen;
  }

  update(time: number, value: number, out: DetectorOutput): void {
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
      if (Number.isNaN(value)) this.stage.missingBucket(out);
      else {
        this.stage.scoreProbability(out, Math.pow(10, -raw));
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

  toState(): ModelState {
    const state: AutoState = {
      context: this.context,
      members: this.members.map((m) => m.toState()),
      cals: this.cals.map((c) => c.toState()),
      stage: this.stage.toState(),
      seen: this.seen,
    };
    return { type: AUTO, version: VERSION, spec: this.spec, state };
  }

  memoryBytes(): number {
    let m = this.stage.memoryBytes() + 128;
    for (const d of this.members) m += d.memoryBytes();
    for (const c of this.cals) m += c.memoryBytes();
    return m;
  }
}

export const autoFactory = familyFactory<AutoSpec, AutoState>({
  type: AUTO,
  version: VERSION,
  description: 'Calibrated combination of the default detector and the best family members (one configuration for all series).',
  spec: autoSpec,
  make: (context, spec, state) => new AutoDetector(context, spec, state),
});

registerDetector(autoFactory);
