/**
 * The one small interface every forecaster implements (statsforecast style): `fit` on a history,
 * then `predict` a horizon with prediction intervals. Models see plain Float64Arrays only.
 */
import type { ModelState } from '../state.js';

/** One prediction interval: `level` in percent (80, 95), bounds per horizon step. */
export interface ForecastInterval {
  level: number;
  lower: Float64Array;
  upper: Float64Array;
}

/** A point forecast and its intervals, each of length h. */
export interface Forecast {
  mean: Float64Array;
  intervals: ForecastInterval[];
}

export interface Forecaster {
  /** Registry name of the model (`ets`, `theta`, …). */
  readonly name: string;
  /** Fits the model to `y` (oldest first; NaN marks a missing value). Returns the fitted model. */
  fit(y: Float64Array): this;
  /** Forecasts `h` steps past the end of the fitted history; levels in percent (default 80, 95). */
  predict(h: number, levels?: number[]): Forecast;
  /**
   * The fitted model as versioned, JSON-safe state (`{ type: 'forecaster', version, spec, state }`);
   * `forecasterFromState` restores a forecaster whose predictions are bit for bit the same.
   */
  toState(): ModelState<ForecasterStateBody, ForecasterStateSpec>;
}

/** The `spec` of a saved forecaster: the model name and the options it was created with. */
export interface ForecasterStateSpec {
  model: string;
  options: ForecasterOptions;
}

/** The `state` of a saved forecaster: what the fit produced (the fitted window and periods). */
export interface ForecasterStateBody {
  /** The cleaned history the model was fitted on (the fit window), oldest first. */
  history: number[];
  /** Points dropped before the fit window. */
  offset: number;
  eventEffect: number;
  periods: number[];
  exactPeriods: number[];
  fellBack: boolean;
}

/** Options every forecaster accepts (each field optional). */
export interface ForecasterOptions {
  /**
   * Seasonal period(s) in steps. A number or list is used as given (1 means "not seasonal");
   * omitted: periods are detected from the data's autocorrelation.
   */
  period?: number | number[];
  /**
   * Milliseconds between points (the bucket span). When given and `period` is not, periods are
   * chosen among the calendar cycles of that step (a weekly series: the year of 52.18 weeks, the
   * quarter, the month; hourly: 24 and 168; daily: 7 and 365.25), each tested for significance,
   * instead of a blind autocorrelation scan.
   */
  stepMs?: number;
  /** Tuning of the calendar period detection (see PeriodDetectionOptions in season.ts). */
  periodDetection?: { z?: number; minR?: number; minCycles?: number; subYear?: boolean; max?: number };
  /**
   * How the seasonal adjustment of the single-period models (ses, holt, damped, theta, auto)
   * handles a fractional period (52.18 weeks): 'round' (default: classical indices on the rounded
   * period) or 'fourier' (a Fourier series on the exact period, `fourierTerms` harmonics). Integer
   * periods always use classical indices.
   */
  seasonalFit?: 'round' | 'fourier';
  fourierTerms?: number;
  /**
   * Time indices of known events (holidays, outages). Indices < n (the history length) are
   * excluded from fitting (treated as missing and interpolated). With `eventEffect: true` their
   * mean additive effect is estimated and added to forecasts at event indices ≥ n.
   */
  events?: number[];
  eventEffect?: boolean;
  /** How intervals are made: 'calibrated' (default: rolling-origin errors) or 'model' (variance). */
  intervals?: 'calibrated' | 'model';
  /**
   * Fit on the most recent `fitWindow` points only (after cleaning). Older history is dropped, so
   * level shifts long ago do not distort the fit. Default: the whole history (auto sets its own).
   */
  fitWindow?: number;
  /**
   * Seasonal indices from the most recent `seasonalCycles` cycles only (default: all), so a
   * pattern that drifts (a 52.18-week year on weekly data) stays aligned.
   */
  seasonalCycles?: number;
  /** Most recent rolling origins used to calibrate intervals (default 400). */
  calibrationWindow?: number;
}

/**
 * What a model core gives after fitting a cleaned (gap-free) series: point forecasts, rolling-origin
 * in-sample forecasts with its fitted parameters (for interval calibration) and a one-step
 * residual scale with a per-step variance multiplier (the fallback for short histories).
 */
export interface ModelFit {
  /** Point forecasts for steps 1..h. */
  forecast(h: number): Float64Array;
  /**
   * Forecasts made at each origin t in `origins` (using y[0..t-1] only, parameters as fitted) for
   * steps 1..h, flattened as out[k * h + j].
   */
  backtest(origins: Int32Array, h: number): Float64Array;
  /** Standard deviation of one-step in-sample errors. */
  sigma: number;
  /** Variance of the j-step error relative to sigma² (j = 1 gives 1). */
  varianceFactor(j: number): number;
}

export const DEFAULT_LEVELS = [80, 95];
