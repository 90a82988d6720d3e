/**
 * A trained prediction model as a Forecaster (fit / predict(h, levels)) and as an online predictor
 * for live activation. The network forecasts `horizon` buckets at once (direct multi-output);
 * longer horizons continue recursively from its own forecasts. Intervals are split-conformal: the
 * validation residuals' quantiles per horizon step, made never to narrow with the step (and
 * widened as √(step / horizon) beyond the trained horizon).
 *
 * `fit(y)` does not retrain the network (training is `trainModel`'s job): it sets the history the
 * forecast continues, y[0] being the bucket at `start`.
 */
import { VigilError } from '../errors.js';
import type { ModelState } from '../state.js';
import { DEFAULT_LEVELS, type Forecast, type ForecastInterval, type Forecaster, type ForecasterStateBody, type ForecasterStateSpec } from '../forecast/types.js';
import { interpolateGaps } from './features.js';
import { OnlineWindow, type OnlineWindowState } from './online-window.js';
import type { TrainedModel } from './trained-model.js';

/** Forecasts `h` buckets after the window `z` (normalised, oldest first) whose next bucket is at `time`. */
export function forecastFrom(model: TrainedModel, z: Float64Array, time: number, h: number, levels: number[]): Forecast {
  const H = model.meta.horizon;
  const span = model.meta.bucketSpanMs;
  const need = model.need;
  const mean = new Float64Array(h);
  const ctx = Float64Array.from(z);
  const block = new Float64Array(H);
  for (let done = 0; done < h; done += H) {
    model.predictFrom(ctx, time + done * span, block);
    const take = Math.min(H, h - done);
    for (let j = 0; j < take; j++) mean[done + j] = block[j];
    if (done + H < h) {
      // slide the context over the block just forecast
      const zs = Array.from(block, (v) => model.normalise(v));
      if (H >= need) ctx.set(zs.slice(H - need));
      else {
        ctx.copyWithin(0, H);
        ctx.set(zs, need - H);
      }
    }
  }
  return { mean, intervals: intervalsOf(model, mean, levels) };
}

export function intervalsOf(model: TrainedModel, mean: Float64Array, levels: number[]): ForecastInterval[] {
  const h = mean.length;
  return levels.map((level) => {
    const a = (1 - level / 100) / 2;
    const lower = new Float64Array(h);
    const upper = new Float64Array(h);
    let lo = 0;
    let hi = 0;
    for (let j = 0; j < h; j++) {
      lo = Math.min(lo, model.residualQuantile(j, a));
      hi = Math.max(hi, model.residualQuantile(j, 1 - a));
      lower[j] = mean[j] + lo;
      upper[j] = mean[j] + hi;
    }
    return { level, lower, upper };
  });
}

export class NeuralForecaster implements Forecaster {
  readonly name = 'neural';
  private y: Float64Array | null = null;

  constructor(
    readonly model: TrainedModel,
    /** Time of y[0] (epoch ms, a bucket start). */
    readonly start: number,
  ) {
    if (model.type !== 'predict') throw new VigilError('INVALID_ARGUMENT', `model of type [${model.type}] cannot predict; train a predict model`);
  }

  fit(y: Float64Array): this {
    if (y.length < this.model.need) throw new VigilError('NOT_ENOUGH_DATA', `the trained model needs ${this.model.need} buckets of history, got ${y.length}`);
    this.y = y;
    return this;
  }

  predict(h: number, levels: number[] = DEFAULT_LEVELS): Forecast {
    if (!this.y) throw new VigilError('INVALID_ARGUMENT', 'call fit(history) before predict');
    if (!Number.isInteger(h) || h < 1) throw new VigilError('INVALID_ARGUMENT', `horizon must be a positive integer, got ${h}`);
    for (const l of levels) if (!(l > 0 && l < 100)) throw new VigilError('INVALID_ARGUMENT', `interval level must be in (0, 100), got ${l}`);
    const need = this.model.need;
    const y = this.y;
    const clean = interpolateGaps(y.subarray(Math.max(0, y.length - 4 * need)));
    const z = new Float64Array(need);
    for (let i = 0; i < need; i++) z[i] = this.model.normalise(clean[clean.length - need + i]);
    return forecastFrom(this.model, z, this.start + y.length * this.model.meta.bucketSpanMs, h, levels);
  }

  /** The history only (the network's weights are the trained model's: keep the model with it). */
  toState(): ModelState<ForecasterStateBody, ForecasterStateSpec> {
    const y = this.y ?? new Float64Array(0);
    return {
      type: 'neural-forecaster',
      version: 1,
      spec: { model: 'neural', options: { stepMs: this.model.meta.bucketSpanMs } },
      state: { history: Array.from(y, (v) => (Number.isNaN(v) ? null : v)) as number[], offset: this.start, eventEffect: 0, periods: [], exactPeriods: [], fellBack: false },
    };
  }
}

/** One live prediction: the forecast made after the bucket at `time`, for the buckets that follow. */
export interface LivePrediction {
  /** The bucket just seen. */
  time: number;
  /** Time of the first forecast bucket (time + span). */
  from: number;
  forecast: Forecast;
}

export interface OnlinePredictorState {
  window: OnlineWindowState;
  /** The previous one-step forecast (normalised), used to fill a missing bucket. */
  next: number | null;
}

/** Live activation of a predict model: each new bucket gives a new forecast of the next buckets. */
export class OnlinePredictor {
  private readonly win: OnlineWindow;
  private next = NaN;

  constructor(
    readonly model: TrainedModel,
    readonly horizon: number,
    readonly levels: number[],
    state?: OnlinePredictorState,
  ) {
    this.win = new OnlineWindow(model, state?.window);
    if (state && state.next !== null) this.next = state.next;
  }

  get ready(): boolean {
    return this.win.ready;
  }

  /** Adds the bucket at `time` (NaN = missing); returns the forecast from the next bucket, once ready. */
  update(time: number, value: number): LivePrediction | null {
    const span = this.model.meta.bucketSpanMs;
    const last = this.win.lastTime;
    if (last !== null) {
      const gap = Math.min(Math.round((time - last) / span) - 1, 100_000);
      for (let k = 1; k <= gap; k++) this.push(last + k * span, NaN);
    }
    this.push(time, value);
    if (!this.win.ready) return null;
    const from = time + span;
    const f = forecastFrom(this.model, this.win.linear(), from, this.horizon, this.levels); // forecastFrom copies the window
    this.next = this.model.normalise(f.mean[0]);
    return { time, from, forecast: f };
  }

  private push(time: number, value: number): void {
    let z: number;
    if (Number.isFinite(value)) z = this.model.normalise(value);
    else if (this.win.ready) z = this.model.normalise(this.win.predict(time)[0]);
    else z = Number.isFinite(this.next) ? this.next : Number.isFinite(this.win.last()) ? this.win.last() : 0;
    this.win.push(time, z);
  }

  toState(): OnlinePredictorState {
    return { window: this.win.toState(), next: Number.isFinite(this.next) ? this.next : null };
  }
}
