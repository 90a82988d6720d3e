/**
 * The forecasting models Vigil knows, by name, and the `forecast(y, h)` convenience.
 *
 * @example
 *   const f = forecast(Float64Array.from(values), 13, { model: 'auto' });
 *   f.mean; f.intervals.find((i) => i.level === 95)?.upper;
 */
import { VigilError } from '../errors.js';
import { checkState, type ModelState } from '../state.js';
import { CoreForecaster, FORECASTER_STATE_TYPE, FORECASTER_STATE_VERSION, type ModelCore } from './base.js';
import { combineCores } from './combine.js';
import { dampedCore, etsAutoCore, holtCore, naive2Core, naiveCore, seasonalNaiveCore, sesCore, thetaCore } from './models.js';
import { mstlCore } from './mstl.js';
import { DEFAULT_LEVELS, type Forecast, type Forecaster, type ForecasterOptions, type ForecasterStateBody, type ForecasterStateSpec } from './types.js';

export interface ModelInfo {
  name: string;
  summary: string;
  core: () => ModelCore;
  /** Options this model sets unless the caller does. */
  defaults?: ForecasterOptions;
  /** Shorter histories fall back to the naive model. */
  minLength: number;
}

/**
 * `auto`: one configuration for every series (see docs/forecasting.md for how it was chosen):
 * SES, damped Holt and Theta on the M4-seasonally-adjusted series (seasonal indices from the
 * last 4 cycles), fitted on the last 200 points (at least 4 cycles), the member with the
 * smallest rolling-origin error over the last 26 origins at the requested horizon is used.
 */
export const autoCore = (): ModelCore => combineCores([sesCore, dampedCore, thetaCore], 'select', 26);
export const AUTO_DEFAULTS: ForecasterOptions = { fitWindow: 200, seasonalCycles: 5, seasonalFit: 'fourier', fourierTerms: 10 };

const MODELS: ModelInfo[] = [
  { name: 'naive', summary: 'last value', core: () => naiveCore, minLength: 1, defaults: { period: 1 } },
  { name: 'snaive', summary: 'value one season back (period given or detected)', core: () => seasonalNaiveCore, minLength: 1 },
  { name: 'naive2', summary: "M4's Naive2: naive on the seasonally adjusted series (90 % ACF test)", core: () => naive2Core, minLength: 1, defaults: { intervals: 'model' } },
  { name: 'ses', summary: 'simple exponential smoothing, ETS(A,N,N), M4 seasonal adjustment', core: () => sesCore, minLength: 4 },
  { name: 'holt', summary: "Holt's linear trend, ETS(A,A,N), M4 seasonal adjustment", core: () => holtCore, minLength: 6 },
  { name: 'damped', summary: 'damped Holt, ETS(A,Ad,N), M4 seasonal adjustment', core: () => dampedCore, minLength: 6 },
  { name: 'theta', summary: "M4's classic Theta (θ = 0 line + SES on θ = 2 line), seasonal adjustment", core: () => thetaCore, minLength: 4 },
  { name: 'ets', summary: 'AutoETS: error A/M, trend N/A/Ad, season N/A/M (period ≤ 24), by AICc', core: () => etsAutoCore, minLength: 6 },
  { name: 'mstl', summary: 'multi-seasonal decomposition (all periods) + AutoETS on the rest', core: () => mstlCore(), minLength: 6 },
  { name: 'auto', summary: 'SES, damped Holt or Theta chosen on a validation window; recent 200 points, 4 seasonal cycles', core: autoCore, minLength: 4, defaults: AUTO_DEFAULTS },
];

export function listModels(): ModelInfo[] {
  return [...MODELS];
}

export function modelNames(): string[] {
  return MODELS.map((m) => m.name);
}

/** Creates an unfitted forecaster by name. */
export function createForecaster(name: string, options: ForecasterOptions = {}): Forecaster {
  const info = MODELS.find((m) => m.name === name);
  if (!info) throw new VigilError('UNKNOWN_MODEL', `unknown forecasting model [${name}]; known: ${modelNames().join(', ')}`);
  return new CoreForecaster(info.name, info.core(), { ...info.defaults, ...options }, info.minLength);
}

/**
 * Restores a fitted forecaster from `toState()` (refuses other types and versions with
 * STATE_TYPE / STATE_VERSION).
 *
 * @example
 *   const saved = JSON.stringify(createForecaster('auto').fit(y).toState());
 *   forecasterFromState(JSON.parse(saved)).predict(13); // same numbers as before saving
 */
export function forecasterFromState(state: ModelState<ForecasterStateBody, ForecasterStateSpec>): Forecaster {
  checkState(state, FORECASTER_STATE_TYPE, FORECASTER_STATE_VERSION);
  const spec = state.spec;
  if (!spec || typeof spec.model !== 'string') throw new VigilError('STATE_TYPE', 'saved forecaster state names no model');
  const info = MODELS.find((m) => m.name === spec.model);
  if (!info) throw new VigilError('UNKNOWN_MODEL', `unknown forecasting model [${spec.model}] in saved state; known: ${modelNames().join(', ')}`);
  return new CoreForecaster(info.name, info.core(), spec.options ?? {}, info.minLength).restore(state.state);
}

/** Fits `model` (default `auto`) to `y` and forecasts `h` steps with intervals at `levels`. */
export function forecast(y: Float64Array, h: number, options: ForecasterOptions & { model?: string; levels?: number[] } = {}): Forecast {
  return createForecaster(options.model ?? 'auto', options).fit(y).predict(h, options.levels ?? DEFAULT_LEVELS);
}
