/**
 * A trained detection model as a Detector (the interface every detector implements): each bucket is
 * predicted from the window before it; the residual over the validation residuals' robust scale is
 * the raw score, which the family's ScoreStage (tail calibrator → 0–100 → sparse alarm policy)
 * turns into the record score, so results look like every other detector's. Bounds are the
 * conformal 2.5–97.5 % residual quantiles of the validation set around the prediction.
 *
 * Causal and online: `update` scores a bucket from buckets before it only; a gap in time is walked
 * bucket by bucket (each missing bucket filled with the model's prediction). Historical and live
 * activation run this same code, so they give the same scores for the same data.
 */
import { coldOutput, ScoreStage, sided, stageSpec, type StageState } from '../detect/family/stage.js';
import { newOutput, type Detector, type DetectorContext, type DetectorFactory, type DetectorOutput } from '../detect/detector.js';
import { VigilError } from '../errors.js';
import { checkState, type ModelState } from '../state.js';
import { OnlineWindow, type OnlineWindowState } from './online-window.js';
import { TrainedModel, type TrainedModelMeta } from './trained-model.js';

export const NEURAL_DETECTOR = 'neural';
const VERSION = 1;
/** Most missing buckets walked for one gap in time (longer gaps restart the window). */
const MAX_GAP_BUCKETS = 100_000;

export interface NeuralDetectorSpec {
  /** The trained model (as `TrainedModel.toJSON()`), or the model itself. */
  model: { meta: TrainedModelMeta; weights: string } | TrainedModel;
}

interface NeuralState {
  context: DetectorContext;
  window: OnlineWindowState;
  stage: StageState;
}

export class NeuralDetector implements Detector {
  readonly type = NEURAL_DETECTOR;
  readonly coldStartBuckets: number;
  private readonly win: OnlineWindow;
  private readonly stage: ScoreStage;
  private readonly sigma: number;
  private readonly lo: number;
  private readonly hi: number;
  private readonly span: number;
  private readonly scratch = newOutput();

  constructor(
    readonly model: TrainedModel,
    private readonly context: DetectorContext,
    state?: { window?: OnlineWindowState; stage?: StageState | null },
  ) {
    if (model.type !== 'detect') throw new VigilError('INVALID_ARGUMENT', `model of type [${model.type}] cannot detect; train a detect model`);
    this.coldStartBuckets = model.need;
    this.win = new OnlineWindow(model, state?.window);
    this.stage = new ScoreStage(stageSpec(undefined), state?.stage ?? model.meta.stage ?? undefined);
    const sc = model.meta.scaler.scale;
    this.sigma = Math.max(model.meta.calibration.sigma[0], 1e-6 * sc, 1e-12);
    this.lo = model.residualQuantile(0, 0.025);
    this.hi = model.residualQuantile(0, 0.975);
    this.span = model.meta.bucketSpanMs;
  }

  /** Feeds a bucket as context only (no score, the calibrator learns nothing): to start from history. */
  prime(time: number, value: number): void {
    this.walkGap(time);
    if (Number.isFinite(value)) this.win.push(time, this.model.normalise(value));
    else this.win.push(time, this.win.ready ? this.model.normalise(this.win.predict(time)[0]) : this.fallbackZ());
  }

  private fallbackZ(): number {
    const last = this.win.last();
    return Number.isFinite(last) ? last : 0;
  }

  private walkGap(time: number): void {
    const last = this.win.lastTime;
    if (last === null) return;
    const gap = Math.round((time - last) / this.span) - 1;
    if (gap <= 0) return;
    if (gap > MAX_GAP_BUCKETS) {
      // too long to walk: fill only the last window's worth
      for (let k = this.model.need; k >= 1; k--) this.step(time - k * this.span, NaN, this.scratch);
      return;
    }
    for (let k = 1; k <= gap; k++) this.step(last + k * this.span, NaN, this.scratch);
  }

  update(time: number, value: number, out: DetectorOutput): void {
    this.walkGap(time);
    this.step(time, value, out);
  }

  private step(time: number, value: number, out: DetectorOutput): void {
    const missing = !Number.isFinite(value);
    if (!this.win.ready) {
      coldOutput(out);
      if (missing) out.kind = 'missing';
      this.win.push(time, missing ? this.fallbackZ() : this.model.normalise(value));
      return;
    }
    const typical = this.win.predict(time)[0];
    out.typical = typical;
    out.lower = typical + this.lo;
    out.upper = typical + this.hi;
    if (missing) {
      this.stage.missing(out);
      out.kind = 'missing';
      out.explanation = '';
      this.win.push(time, this.model.normalise(typical));
      return;
    }
    const z = (value - typical) / this.sigma;
    this.stage.score(out, sided(z, this.context.side));
    if (out.score > 0) {
      const up = z > 0;
      out.kind = out.multiBucketImpact > 0 ? (up ? 'level_shift_up' : 'level_shift_down') : up ? 'spike' : 'dip';
      out.explanation = `${up ? 'unusually high' : 'unusually low'}: ${fmt(value)} vs predicted ${fmt(typical)} (${z.toFixed(1)} residual σ, trained ${this.model.meta.hyperParams.kind} model)`;
    } else {
      out.kind = 'none';
      out.explanation = '';
    }
    this.win.push(time, this.model.normalise(value));
  }

  /** The window and the score stage without the model (what continues a detector whose model is kept elsewhere: the constructor's `state`). */
  runtimeState(): { window: OnlineWindowState; stage: StageState } {
    return { window: this.win.toState(), stage: this.stage.toState() };
  }

  toState(): ModelState {
    const state: NeuralState = { context: this.context, window: this.win.toState(), stage: this.stage.toState() };
    return { type: NEURAL_DETECTOR, version: VERSION, spec: { model: this.model.toJSON() }, state };
  }

  memoryBytes(): number {
    return this.model.net.parameters * 4 + this.model.need * 16 + this.stage.memoryBytes() + 256;
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toPrecision(4) : String(Math.round(v * 1000) / 1000);
}

function modelOf(spec: Partial<NeuralDetectorSpec> | undefined): TrainedModel {
  const m = spec?.model;
  if (!m) throw new VigilError('INVALID_ARGUMENT', 'the neural detector needs spec.model: a trained detect model (vigil train --type detect)');
  return m instanceof TrainedModel ? m : TrainedModel.fromJSON(m);
}

/**
 * The factory (not registered by name: a neural detector needs a trained model, given as
 * `spec.model`; the model service creates them). `fromState` is self-contained: the state carries
 * the model.
 */
export const neuralDetectorFactory: DetectorFactory<NeuralDetectorSpec> = {
  type: NEURAL_DETECTOR,
  description: 'A trained neural network (vigil train): residual of its one-step prediction, calibrated to 0–100.',
  create(context, spec) {
    return new NeuralDetector(modelOf(spec), context);
  },
  fromState(saved) {
    checkState(saved, NEURAL_DETECTOR, VERSION);
    const st = saved.state as NeuralState;
    return new NeuralDetector(modelOf(saved.spec as NeuralDetectorSpec), st.context, { window: st.window, stage: st.stage });
  },
};
