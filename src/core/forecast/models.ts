/**
 * Model cores: naive, seasonal naive, Naive2, SES, Holt, damped Holt, Theta and AutoETS. The M4
 * benchmarks (Naive2, SES, Holt, damped, Theta) forecast a seasonally adjusted series (classical
 * multiplicative decomposition when M4's 90 % test says seasonal) and re-seasonalise, exactly as
 * the organisers' R code does.
 */
import { naiveCore, type CoreContext, type ModelCore } from './base.js';
import { autoEts, fitEts, type EtsSpec } from './ets.js';
import { acf, allPositive, classicalSeasonalIndices, fourierFactorAt, fourierSeasonalCoefficients, fourierSumAt, seasonalAdjust } from './season.js';
import type { ModelFit } from './types.js';

export { naiveCore };

/** Seasonal naive: the value one period back (first period given or detected; naive when none). */
export const seasonalNaiveCore: ModelCore = (y, ctx) => {
  const m = ctx.periods[0] ?? 1;
  const n = y.length;
  if (m <= 1 || n < m) return naiveCore(y, ctx);
  let se = 0;
  for (let t = m; t < n; t++) se += (y[t] - y[t - m]) ** 2;
  return {
    sigma: Math.sqrt(se / Math.max(1, n - m)),
    forecast: (h) => {
      const f = new Float64Array(h);
      for (let j = 0; j < h; j++) f[j] = y[n - m + (j % m)];
      return f;
    },
    backtest: (origins, h) => {
      const out = new Float64Array(origins.length * h);
      for (let k = 0; k < origins.length; k++) {
        const t = origins[k];
        for (let j = 0; j < h; j++) out[k * h + j] = t >= m ? y[t - m + (j % m)] : y[Math.max(0, t - 1)];
      }
      return out;
    },
    varianceFactor: (j) => Math.floor((j - 1) / m) + 1,
  };
};

/**
 * Wraps a core with M4's seasonal adjustment for period `ctx.periods[0]`. `strictR` keeps R's acf
 * lag.max limit in the test (as M4's code effectively does); the other models drop it so that
 * long periods (52 on weekly data) can be tested.
 */
export function withSeasonalAdjustment(core: ModelCore, strictR = false): ModelCore {
  return (y, ctx) => {
    // the first period: the strongest detected, or the first given
    const m = ctx.periods[0] ?? 1;
    const n = y.length;
    const cycles = ctx.seasonalCycles;
    const exact = ctx.exactPeriods?.[0] ?? m;
    if (!strictR && ctx.seasonalFit === 'fourier' && m > 1 && exact !== m) return fourierAdjusted(core, y, exact, ctx);
    // indices from the recent cycles only (phase kept absolute)
    const len = cycles !== undefined && cycles > 0 ? Math.min(n, Math.max(3, cycles) * m) : n;
    const o = n - len;
    const seg = y.subarray(o);
    // a series with zeros or negative values (counts, temperatures, net flows) cannot take M4's
    // multiplicative indices: its season is removed additively instead of being dropped
    if (!strictR && !allPositive(seg)) return additiveAdjusted(core, y, seg, o, m);
    const sa = strictR ? seasonalAdjust(seg, m) : seasonalAdjustLoose(seg, m);
    let idx: Float64Array | null = null;
    if (sa.indices) {
      idx = new Float64Array(m);
      for (let p = 0; p < m; p++) idx[(o + p) % m] = sa.indices[p];
    }
    if (!idx) return core(y, { periods: [] });
    const ix = idx;
    const adjusted = new Float64Array(n);
    for (let t = 0; t < n; t++) adjusted[t] = y[t] / ix[t % m];
    const inner = core(adjusted, { periods: [] });
    return {
      sigma: inner.sigma,
      forecast: (h) => {
        const f = inner.forecast(h);
        for (let j = 0; j < h; j++) f[j] *= ix[(n + j) % m];
        return f;
      },
      backtest: (origins, h) => {
        const out = inner.backtest(origins, h);
        for (let k = 0; k < origins.length; k++) for (let j = 0; j < h; j++) out[k * h + j] *= ix[(origins[k] + j) % m];
        return out;
      },
      varianceFactor: inner.varianceFactor,
    };
  };
}

/**
 * Seasonal adjustment by a Fourier series on the exact period (52.18 weeks stays 52.18): the same
 * 90 % test as M4's on the recent cycles, then multiplicative factors from `fourierTerms` harmonics
 * fitted on those cycles; the core forecasts the adjusted series.
 */
function fourierAdjusted(core: ModelCore, y: Float64Array, period: number, ctx: CoreContext): ModelFit {
  const n = y.length;
  const lag = Math.round(period);
  const cycles = ctx.seasonalCycles;
  const len = cycles !== undefined && cycles > 0 ? Math.min(n, Math.ceil(Math.max(3, cycles) * period)) : n;
  const o = n - len;
  const seg = y.subarray(o);
  const additive = !allPositive(seg);
  let coef: Float64Array | null = null;
  if (seasonalAcfTest(seg, lag)) coef = fourierSeasonalCoefficients(seg, period, ctx.fourierTerms ?? 6, o, additive ? 'additive' : 'multiplicative');
  if (!coef) return core(y, { periods: [] });
  const c = coef;
  const factor = new Float64Array(n);
  const adjusted = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    factor[t] = additive ? fourierSumAt(c, t, period) : fourierFactorAt(c, t, period);
    adjusted[t] = additive ? y[t] - factor[t] : y[t] / factor[t];
  }
  const at = (t: number) => (t < n ? factor[t] : additive ? fourierSumAt(c, t, period) : fourierFactorAt(c, t, period));
  return reseasonalised(core(adjusted, { periods: [] }), n, at, additive);
}

/** M4's 90 % autocorrelation test at lag `m` (without R's lag.max limit); needs 3 cycles. */
function seasonalAcfTest(y: Float64Array, m: number): boolean {
  if (m <= 1 || y.length < 3 * m) return false;
  const r = acf(y, m);
  let s = 1;
  for (let k = 1; k < m; k++) s += 2 * r[k] * r[k];
  return Math.abs(r[m]) > (1.645 / Math.sqrt(y.length)) * Math.sqrt(s);
}

/** The inner model's forecasts and backtests with the seasonal term `at(t)` put back (× or +). */
function reseasonalised(inner: ModelFit, n: number, at: (t: number) => number, additive: boolean): ModelFit {
  return {
    sigma: inner.sigma,
    forecast: (h) => {
      const f = inner.forecast(h);
      for (let j = 0; j < h; j++) f[j] = additive ? f[j] + at(n + j) : f[j] * at(n + j);
      return f;
    },
    backtest: (origins, h) => {
      const out = inner.backtest(origins, h);
      for (let k = 0; k < origins.length; k++) for (let j = 0; j < h; j++) out[k * h + j] = additive ? out[k * h + j] + at(origins[k] + j) : out[k * h + j] * at(origins[k] + j);
      return out;
    },
    varianceFactor: inner.varianceFactor,
  };
}

/**
 * Additive seasonal adjustment for series that are not positive throughout: the same 90 % test on
 * the recent cycles `seg` (starting at `o`), then classical additive indices (phase kept absolute);
 * the core forecasts y − index.
 */
function additiveAdjusted(core: ModelCore, y: Float64Array, seg: Float64Array, o: number, m: number): ModelFit {
  if (!seasonalAcfTest(seg, m)) return core(y, { periods: [] });
  const raw = classicalSeasonalIndices(seg, m, 'additive');
  const idx = new Float64Array(m);
  for (let p = 0; p < m; p++) idx[(o + p) % m] = raw[p];
  for (let p = 0; p < m; p++) if (!Number.isFinite(idx[p])) return core(y, { periods: [] });
  const n = y.length;
  const adjusted = new Float64Array(n);
  for (let t = 0; t < n; t++) adjusted[t] = y[t] - idx[t % m];
  return reseasonalised(core(adjusted, { periods: [] }), n, (t) => idx[t % m], true);
}

/** M4's adjustment without R's acf lag.max limit. */
function seasonalAdjustLoose(y: Float64Array, m: number) {
  if (seasonalAcfTest(y, m)) return seasonalAdjust(y, m, true);
  return { adjusted: y, indices: null, period: 1 };
}

/** Naive2: naive forecast of the M4-seasonally-adjusted series. */
export const naive2Core: ModelCore = withSeasonalAdjustment(naiveCore, true);

const etsCore = (spec: Omit<EtsSpec, 'period'>): ModelCore => (y) => fitEts(y, { ...spec, period: 1 });

export const sesCore = withSeasonalAdjustment(etsCore({ error: 'A', trend: 'N', season: 'N' }));
export const holtCore = withSeasonalAdjustment(etsCore({ error: 'A', trend: 'A', season: 'N' }));
export const dampedCore = withSeasonalAdjustment(etsCore({ error: 'A', trend: 'Ad', season: 'N' }));

/**
 * Classic Theta (M4's Theta.classic): linear trend line (θ = 0) and SES on the θ = 2 line, weighted
 * ½ each; negative forecasts become 0 when the series itself is never negative (as M4's code,
 * whose data are positive; a series below zero keeps its sign).
 */
export const thetaInnerCore: ModelCore = (y) => {
  const n = y.length;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    const x = i + 1;
    sx += x; sy += y[i]; sxx += x * x; sxy += x * y[i];
  }
  const den = n * sxx - sx * sx;
  const b = den !== 0 ? (n * sxy - sx * sy) / den : 0;
  const a = (sy - b * sx) / n;
  const line2 = new Float64Array(n);
  for (let i = 0; i < n; i++) line2[i] = 2 * y[i] - (a + b * (i + 1));
  const ses = fitEts(line2, { error: 'A', trend: 'N', season: 'N', period: 1 });
  let nonNegative = true;
  for (let i = 0; i < n && nonNegative; i++) if (y[i] < 0) nonNegative = false;
  const pos = (v: number) => (nonNegative && v < 0 ? 0 : v);
  return {
    sigma: ses.sigma / 2,
    forecast: (h) => {
      const s = ses.forecast(h);
      const f = new Float64Array(h);
      for (let j = 0; j < h; j++) f[j] = pos(0.5 * s[j] + 0.5 * (a + b * (n + j + 1)));
      return f;
    },
    backtest: (origins, h) => {
      const s = ses.backtest(origins, h);
      for (let k = 0; k < origins.length; k++) for (let j = 0; j < h; j++) s[k * h + j] = pos(0.5 * s[k * h + j] + 0.5 * (a + b * (origins[k] + j + 1)));
      return s;
    },
    varianceFactor: ses.varianceFactor,
  };
};

export const thetaCore = withSeasonalAdjustment(thetaInnerCore);

/** AutoETS: all sensible specifications (seasonal for periods ≤ 24), smallest AICc wins. */
export const etsAutoCore: ModelCore = (y: Float64Array, ctx: CoreContext): ModelFit => {
  const m = ctx.periods.find((p) => p <= 24) ?? 1;
  return autoEts(y, m);
};
