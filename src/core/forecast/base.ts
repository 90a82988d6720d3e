/**
 * The shared forecaster shell: cleans the history (known events removed, gaps interpolated),
 * resolves seasonal periods, fits a model core, falls back to the naive model when the core fails,
 * and turns the core's point forecasts into a Forecast with calibrated intervals.
 */
import { VigilError } from '../errors.js';
import { makeIntervals } from './intervals.js';
import { detectCalendarPeriods, detectPeriods, interpolateMissing, testPeriod } from './season.js';
import { packF64, unpackF64, type ModelState } from '../state.js';
import { DEFAULT_LEVELS, type Forecast, type Forecaster, type ForecasterOptions, type ForecasterStateBody, type ForecasterStateSpec, type ModelFit } from './types.js';

export const FORECASTER_STATE_TYPE = 'forecaster';
/** Version of the saved forecaster state; `forecasterFromState` refuses any other. */
export const FORECASTER_STATE_VERSION = 1;

/** What a model core sees: a clean series (no NaN) and the seasonal periods to use (may be []). */
export interface CoreContext {
  periods: number[];
  /** The periods before rounding (fractional for calendar cycles such as 52.18 weeks), same order. */
  exactPeriods?: number[];
  /** See ForecasterOptions.seasonalFit / fourierTerms. */
  seasonalFit?: 'round' | 'fourier';
  fourierTerms?: number;
  /** See ForecasterOptions.seasonalCycles. */
  seasonalCycles?: number;
}

export type ModelCore = (y: Float64Array, ctx: CoreContext) => ModelFit;

/** Naive model core (last value), also the fallback for every other model. */
export const naiveCore: ModelCore = (y) => {
  const n = y.length;
  let se = 0;
  for (let t = 1; t < n; t++) se += (y[t] - y[t - 1]) ** 2;
  const sigma = n > 1 ? Math.sqrt(se / (n - 1)) : 0;
  return {
    sigma,
    forecast: (h) => new Float64Array(h).fill(y[n - 1]),
    backtest: (origins, h) => {
      const out = new Float64Array(origins.length * h);
      for (let k = 0; k < origins.length; k++) out.fill(y[Math.max(0, origins[k] - 1)], k * h, (k + 1) * h);
      return out;
    },
    varianceFactor: (j) => j,
  };
};

/**
 * Resolves the periods option: given (in the caller's order; 1 or [] means none) or detected
 * (strongest first). Single-period models use the first.
 */
export function resolvePeriods(y: Float64Array, period: ForecasterOptions['period'], stepMs?: number, detection?: ForecasterOptions['periodDetection']): number[] {
  return resolveExactPeriods(y, period, stepMs, detection).map((p) => Math.round(p));
}

/**
 * As resolvePeriods, keeping fractional periods: given periods as they are (values ≤ 1 dropped),
 * else the significant calendar cycles of `stepMs` when known, else a blind autocorrelation scan.
 */
export function resolveExactPeriods(y: Float64Array, period: ForecasterOptions['period'], stepMs?: number, detection?: ForecasterOptions['periodDetection']): number[] {
  if (period === undefined) {
    if (stepMs !== undefined && stepMs > 0) return detectCalendarPeriods(y, stepMs, detection).map((t) => t.period);
    // blind: autocorrelation peaks, each confirmed by the detrended significance test
    return detectPeriods(y).filter((p) => testPeriod(y, p, detection).significant);
  }
  const list = Array.isArray(period) ? period : [period];
  return list.filter((p) => Number.isFinite(p) && Math.round(p) > 1);
}

/** Cleans a history: events < n become missing, gaps are interpolated. Returns the effect of events too. */
export function cleanHistory(y: Float64Array, opts: ForecasterOptions): { clean: Float64Array; eventEffect: number } {
  const n = y.length;
  let work = y;
  const past = (opts.events ?? []).filter((e) => Number.isInteger(e) && e >= 0 && e < n);
  if (past.length > 0) {
    work = Float64Array.from(y);
    for (const e of past) work[e] = NaN;
  }
  const clean = interpolateMissing(work);
  let eventEffect = 0;
  if (opts.eventEffect && past.length > 0) {
    let s = 0;
    let c = 0;
    for (const e of past) {
      if (Number.isFinite(y[e])) {
        s += y[e] - clean[e];
        c++;
      }
    }
    eventEffect = c > 0 ? s / c : 0;
  }
  return { clean, eventEffect };
}

/**
 * Fewest valid values a forecaster fits. Every model's interval width comes from the spread of
 * its history (one-step differences, residuals, backtest errors); one value has none, and its
 * band would be zero-width — a claim of certainty the data cannot back — so it is refused.
 */
export const MIN_VALUES = 2;

function notEnoughValues(model: string, got: string): VigilError {
  return new VigilError('NOT_ENOUGH_DATA', `model [${model}] needs at least ${MIN_VALUES} valid values to forecast with prediction intervals (one value says nothing about how far the series may move); ${got}`);
}

function finiteAll(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** A Forecaster built from a model core. `minLength`: shorter histories use the naive core. */
export class CoreForecaster implements Forecaster {
  readonly name: string;
  private readonly core: ModelCore;
  private readonly opts: ForecasterOptions;
  private readonly minLength: number;
  private y: Float64Array | null = null;
  private fitted: ModelFit | null = null;
  private eventEffect = 0;
  /** Points dropped before the fit window. */
  private offset = 0;
  /** Periods used in the last fit. */
  periods: number[] = [];
  /** The periods of the last fit before rounding (fractional calendar cycles), same order. */
  exactPeriods: number[] = [];
  /** True when the last fit fell back to the naive model. */
  fellBack = false;

  constructor(name: string, core: ModelCore, opts: ForecasterOptions = {}, minLength = 4) {
    this.name = name;
    this.core = core;
    this.opts = opts;
    this.minLength = minLength;
  }

  fit(y: Float64Array): this {
    let valid = 0;
    for (let i = 0; i < y.length; i++) if (Number.isFinite(y[i])) valid++;
    if (valid < MIN_VALUES) throw notEnoughValues(this.name, `got ${y.length} point${y.length === 1 ? '' : 's'}, ${valid === 0 ? 'none' : valid} valid`);
    const cleaned = cleanHistory(y, this.opts);
    const eventEffect = cleaned.eventEffect;
    // periods are found on the whole history (more cycles, surer detection), even when the fit
    // itself uses a recent window only; the window always holds `seasonalCycles` (default 4)
    // cycles of the longest period
    const exact = resolveExactPeriods(cleaned.clean, this.opts.period, this.opts.stepMs, this.opts.periodDetection);
    const periods = exact.map((p) => Math.round(p));
    let w = this.opts.fitWindow;
    if (w !== undefined && periods.length > 0) w = Math.max(w, Math.ceil((this.opts.seasonalCycles ?? 4) * Math.max(...exact)));
    const clean = w !== undefined && w > 0 && cleaned.clean.length > w ? cleaned.clean.subarray(cleaned.clean.length - w) : cleaned.clean;
    this.offset = cleaned.clean.length - clean.length;
    this.y = clean;
    this.eventEffect = eventEffect;
    const keep = periods.map((p) => clean.length >= 2 * p);
    this.periods = periods.filter((_, i) => keep[i]);
    this.exactPeriods = exact.filter((_, i) => keep[i]);
    this.fellBack = false;
    let fit: ModelFit | null = null;
    if (clean.length >= this.minLength) {
      try {
        fit = this.core(clean, this.context());
        const probe = fit.forecast(2);
        if (!finiteAll(probe)) fit = null;
      } catch (err) {
        if (err instanceof VigilError && err.code !== 'INTERNAL') throw err;
        fit = null;
      }
    }
    if (!fit) {
      this.fellBack = true;
      fit = naiveCore(clean, { periods: this.periods });
    }
    this.fitted = fit;
    return this;
  }

  private context(): CoreContext {
    return { periods: this.periods, exactPeriods: this.exactPeriods, seasonalCycles: this.opts.seasonalCycles, seasonalFit: this.opts.seasonalFit, fourierTerms: this.opts.fourierTerms };
  }

  toState(): ModelState<ForecasterStateBody, ForecasterStateSpec> {
    const y = this.history;
    return {
      type: FORECASTER_STATE_TYPE,
      version: FORECASTER_STATE_VERSION,
      spec: { model: this.name, options: JSON.parse(JSON.stringify(this.opts)) as ForecasterOptions },
      state: {
        history: packF64(y),
        offset: this.offset,
        eventEffect: this.eventEffect,
        periods: [...this.periods],
        exactPeriods: [...this.exactPeriods],
        fellBack: this.fellBack,
      },
    };
  }

  /**
   * Restores a fit from `toState()`'s body: the model core is fitted again on the saved window with
   * the saved periods (deterministic, so predictions are bit for bit those of the saved model; no
   * period detection runs). Used by `forecasterFromState`.
   */
  restore(body: ForecasterStateBody): this {
    if (!body || !Array.isArray(body.history) || body.history.length === 0) throw new VigilError('STATE_TYPE', `saved forecaster [${this.name}] state has no history`);
    const y = unpackF64(body.history);
    if (y.length < MIN_VALUES) throw notEnoughValues(this.name, `the saved state holds ${y.length} value${y.length === 1 ? '' : 's'}`);
    this.y = y;
    this.offset = body.offset;
    this.eventEffect = body.eventEffect;
    this.periods = [...body.periods];
    this.exactPeriods = [...body.exactPeriods];
    this.fellBack = body.fellBack;
    this.fitted = body.fellBack ? naiveCore(y, { periods: this.periods }) : this.core(y, this.context());
    return this;
  }

  /** The fitted core (for combinations). */
  get model(): ModelFit {
    if (!this.fitted) throw new VigilError('INVALID_ARGUMENT', `model [${this.name}] must be fitted before use`);
    return this.fitted;
  }

  /** The cleaned history the model was fitted on. */
  get history(): Float64Array {
    if (!this.y) throw new VigilError('INVALID_ARGUMENT', `model [${this.name}] must be fitted before use`);
    return this.y;
  }

  predict(h: number, levels: number[] = DEFAULT_LEVELS): Forecast {
    if (!Number.isInteger(h) || h < 1) throw new VigilError('INVALID_ARGUMENT', `horizon must be a positive integer, got ${h}`);
    for (const l of levels) if (!(l > 0 && l < 100)) throw new VigilError('INVALID_ARGUMENT', `interval level must be in (0, 100), got ${l}`);
    const fit = this.model;
    const y = this.history;
    let mean = fit.forecast(h);
    if (!finiteAll(mean)) mean = naiveCore(y, { periods: [] }).forecast(h);
    const burnIn = Math.max(10, 2 * Math.max(1, ...this.periods));
    const intervals = makeIntervals(y, fit, mean, levels, { window: this.opts.calibrationWindow, mode: this.opts.intervals, burnIn });
    if (this.eventEffect !== 0) {
      const n = y.length + this.offset;
      for (const e of this.opts.events ?? []) {
        const j = e - n;
        if (Number.isInteger(j) && j >= 0 && j < h) {
          mean[j] += this.eventEffect;
          for (const iv of intervals) {
            iv.lower[j] += this.eventEffect;
            iv.upper[j] += this.eventEffect;
          }
        }
      }
    }
    return { mean, intervals };
  }
}
