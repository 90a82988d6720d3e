/**
 * `forecast-residual`: a forecaster used as a detector (Merlion's wrapper): the residual of the
 * observed value from the forecast, divided by the forecaster's standard error, is the raw score.
 *
 * - `model: 'holt-winters'` (default, fast): an online additive Holt-Winters whose smoothing rates
 *   are refitted on the trailing window every `retrainEvery` buckets; one-step residuals.
 * - any model of the forecast registry (`ets`, `theta`, `auto`, …): refitted on the trailing
 *   `trainWindow` every `retrainEvery` buckets; the j-th bucket after a refit is judged against the
 *   j-step forecast and the standard error read from its 95 % interval (slower: a refit costs ms).
 */
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { registerDetector } from '../registry.js';
import { VigilError } from '../../errors.js';
import { createForecaster, MIN_FORECAST_VALUES, modelNames } from '../../forecast/index.js';
import { packF64, unpackF64, type ModelState } from '../../state.js';
import { familyFactory } from './factory.js';
import { HoltWinters, fitHoltWinters, type HwState } from './holt-winters.js';
import { PeriodTracker, trackerFor, type PeriodTrackerState } from './period.js';
import { ScoreStage, bandOutput, coldOutput, deviationKind, num, sided, stageSpec, type StageSpec, type StageState } from './stage.js';

export const FORECAST_RESIDUAL = 'forecast-residual';
const VERSION = 1;
const Z95 = 1.959963984540054;

export interface ForecastResidualSpec extends StageSpec {
  /** 'holt-winters' or a forecast registry model name. */
  model: string;
  /** Seasonal period in buckets; 0 = detect. */
  period: number;
  /** Refit cadence in buckets (0 = 1000 for holt-winters, 576 for registry models). */
  retrainEvery: number;
  /** Trailing window the model is fitted on, in buckets (0 = 2000 for holt-winters, 600 otherwise). */
  trainWindow: number;
}

export function forecastResidualSpec(spec?: Partial<ForecastResidualSpec>): ForecastResidualSpec {
  const s = spec as Record<string, unknown> | undefined;
  const model = s?.model ?? 'holt-winters';
  if (typeof model !== 'string' || (model !== 'holt-winters' && !modelNames().includes(model))) {
    throw new VigilError('UNKNOWN_MODEL', `spec.model [${String(model)}] is not a forecasting model; known: holt-winters, ${modelNames().join(', ')}`);
  }
  return {
    ...stageSpec(s),
    model,
    period: num(s, 'period', 0, 0, 1e6),
    retrainEvery: num(s, 'retrainEvery', 0, 0, 1e6),
    trainWindow: num(s, 'trainWindow', 0, 0, 1e6),
  };
}

interface FrState {
  context: DetectorContext;
  tracker: PeriodTrackerState;
  stage: StageState;
  hw: HwState | null;
  mean: (number | null)[];
  stderr: (number | null)[];
  step: number;
  sinceFit: number;
}

class ForecastResidualDetector implements Detector {
  readonly type = FORECAST_RESIDUAL;
  readonly coldStartBuckets: number;
  private readonly tracker: PeriodTracker;
  private readonly stage: ScoreStage;
  private readonly every: number;
  private readonly window: number;
  private hw: HoltWinters | undefined;
  /** Registry models: the current forecast path and its standard errors. */
  private mean: Float64Array = new Float64Array(0);
  private stderr: Float64Array = new Float64Array(0);
  private step = 0;
  private sinceFit = 0;

  constructor(
    private readonly context: DetectorContext,
    private readonly spec: ForecastResidualSpec,
    state?: FrState,
  ) {
    const hwPath = spec.model === 'holt-winters';
    this.window = spec.trainWindow > 0 ? spec.trainWindow : hwPath ? 2000 : 600;
    this.every = spec.retrainEvery > 0 ? Math.round(spec.retrainEvery) : hwPath ? 1000 : 576;
    const { tracker, firstAt } = trackerFor(context.bucketSpanMs, spec.period, state?.tracker, this.window);
    this.tracker = tracker;
    this.coldStartBuckets = firstAt;
    this.stage = new ScoreStage(spec, state?.stage);
    if (state) {
      if (state.hw) this.hw = new HoltWinters(state.hw.season.length, state.hw.params, state.hw);
      this.mean = unpackF64(state.mean);
      this.stderr = unpackF64(state.stderr);
      this.step = state.step;
      this.sinceFit = state.sinceFit;
    }
  }

  private get ready(): boolean {
    return this.hw !== undefined || this.mean.length > 0;
  }

  private refit(warm: boolean): void {
    const x = this.tracker.ring.last(this.window);
    const P = this.tracker.period > 1 ? this.tracker.period : 1;
    if (this.spec.model === 'holt-winters') {
      const start = this.tracker.seen - x.length;
      this.hw = fitHoltWinters(x, P, start);
      if (warm) {
        // warm the calibrator with one-step errors of a replay of the latter half
        const hw = fitHoltWinters(x.subarray(0, x.length >> 1), P, start);
        for (let i = x.length >> 1; i < x.length; i++) {
          if (Number.isNaN(x[i])) continue;
          const sig = hw.sigma();
          const e = hw.step(x[i], (start + i) % P);
          this.stage.learn(sided(e / sig, this.context.side));
        }
      }
    } else {
      // a window with fewer valid values than a forecaster fits (a long gap) keeps the last model
      let valid = 0;
      for (let i = 0; i < x.length && valid < MIN_FORECAST_VALUES; i++) if (Number.isFinite(x[i])) valid++;
      if (valid < MIN_FORECAST_VALUES) return;
      const f = createForecaster(this.spec.model, { period: P, fitWindow: this.window }).fit(x).predict(this.every, [95]);
      const iv = f.intervals[0];
      this.mean = f.mean;
      this.stderr = new Float64Array(this.every);
      let scaleRef = 0;
      for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) scaleRef = Math.max(scaleRef, Math.abs(x[i]));
      const floor = 1e-9 * (scaleRef + 1) + 1e-12;
      for (let j = 0; j < this.every; j++) {
        const se = (iv.upper[j] - iv.lower[j]) / (2 * Z95);
        this.stderr[j] = Number.isFinite(se) && se > floor ? se : floor;
        if (!Number.isFinite(this.mean[j])) this.mean[j] = x[x.length - 1];
      }
      this.step = 0;
    }
    this.sinceFit = 0;
  }

  update(_time: number, value: number, out: DetectorOutput): void {
    const missing = Number.isNaN(value);
    if (this.ready) {
      let typical: number;
      let sig: number;
      const hw = this.hw;
      const P = hw ? hw.period : 1;
      const slot = this.tracker.seen % P;
      if (hw) {
        typical = hw.forecast(slot);
        sig = hw.sigma();
      } else {
        const j = Math.min(this.step, this.mean.length - 1);
        typical = this.mean[j];
        sig = this.stderr[j];
        this.step++;
      }
      bandOutput(out, typical, sig, Z95);
      if (missing) this.stage.missingBucket(out);
      else {
        if (hw) hw.step(value, slot);
        const z = (value - typical) / sig;
        this.stage.score(out, sided(z, this.context.side));
        if (out.score > 0) {
          out.kind = deviationKind(z > 0, out.multiBucketImpact > 0);
          out.explanation = `${z.toFixed(1)} standard errors from the ${this.spec.model} forecast ${typical.toPrecision(4)}`;
        } else {
          out.kind = 'none';
          out.explanation = '';
        }
      }
    } else coldOutput(out, missing);
    const changed = this.tracker.push(value);
    this.sinceFit++;
    if (!this.ready) {
      if (this.tracker.seen >= this.coldStartBuckets) this.refit(true);
    } else if (changed || this.sinceFit >= this.every) {
      this.refit(false);
    }
  }

  toState(): ModelState {
    const state: FrState = {
      context: this.context,
      tracker: this.tracker.toState(),
      stage: this.stage.toState(),
      hw: this.hw ? this.hw.toState() : null,
      mean: packF64(this.mean),
      stderr: packF64(this.stderr),
      step: this.step,
      sinceFit: this.sinceFit,
    };
    return { type: FORECAST_RESIDUAL, version: VERSION, spec: this.spec, state };
  }

  memoryBytes(): number {
    return this.tracker.memoryBytes() + this.stage.memoryBytes() + (this.hw ? this.hw.season.byteLength + 64 : 0) +
      this.mean.byteLength + this.stderr.byteLength + 96;
  }
}

export const forecastResidualFactory = familyFactory<ForecastResidualSpec, FrState>({
  type: FORECAST_RESIDUAL,
  version: VERSION,
  description: 'A forecaster as detector: residual over the forecast standard error (Holt-Winters online, or any forecast model refitted periodically).',
  spec: forecastResidualSpec,
  make: (context, spec, state) => new ForecastResidualDetector(context, spec, state),
});

registerDetector(forecastResidualFactory);
