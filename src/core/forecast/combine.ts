/**
 * Forecast combinations: several model cores fitted to the same series, their point forecasts (and
 * rolling-origin backtests, so intervals stay calibrated) combined by mean or median.
 */
import type { CoreContext, ModelCore } from './base.js';
import type { ModelFit } from './types.js';

export type CombineRule = 'mean' | 'median' | 'select';

/**
 * Index of the member with the smallest mean absolute error of rolling-origin forecasts made at the
 * last `origins` origins whose h steps all lie inside the history (a validation window).
 */
export function selectByValidation(y: Float64Array, fits: ModelFit[], h: number, origins: number): number {
  const n = y.length;
  const last = n - h;
  const first = Math.max(10, last - origins + 1);
  if (last < first) return 0;
  const o = new Int32Array(last - first + 1);
  for (let k = 0; k < o.length; k++) o[k] = first + k;
  let best = 0;
  let bestErr = Infinity;
  for (let i = 0; i < fits.length; i++) {
    const bt = fits[i].backtest(o, h);
    let e = 0;
    for (let k = 0; k < o.length; k++) for (let j = 0; j < h; j++) e += Math.abs(y[o[k] + j] - bt[k * h + j]);
    if (e < bestErr) {
      bestErr = e;
      best = i;
    }
  }
  return best;
}

function combineInto(out: Float64Array, parts: Float64Array[], rule: CombineRule): Float64Array {
  const k = parts.length;
  const buf = new Float64Array(k);
  for (let i = 0; i < out.length; i++) {
    if (rule === 'mean') {
      let s = 0;
      for (let p = 0; p < k; p++) s += parts[p][i];
      out[i] = s / k;
    } else {
      for (let p = 0; p < k; p++) buf[p] = parts[p][i];
      buf.sort();
      out[i] = k % 2 === 1 ? buf[(k - 1) / 2] : 0.5 * (buf[k / 2 - 1] + buf[k / 2]);
    }
  }
  return out;
}

/** A core that fits every member and combines them. */
export function combineCores(members: ModelCore[], rule: CombineRule = 'median', validationOrigins = 26): ModelCore {
  return (y: Float64Array, ctx: CoreContext): ModelFit => {
    const fits = members.map((c) => c(y, ctx));
    if (rule === 'select') {
      // the choice depends on the horizon asked for: validate on that horizon, once per h
      const chosen = new Map<number, ModelFit>();
      const pick = (h: number): ModelFit => {
        let f = chosen.get(h);
        if (!f) {
          f = fits[selectByValidation(y, fits, h, validationOrigins)];
          chosen.set(h, f);
        }
        return f;
      };
      return {
        sigma: fits.reduce((s, f) => s + f.sigma, 0) / fits.length,
        forecast: (h) => pick(h).forecast(h),
        backtest: (origins, h) => pick(h).backtest(origins, h),
        varianceFactor: (j) => fits.reduce((s, f) => s + f.varianceFactor(j), 0) / fits.length,
      };
    }
    return {
      sigma: fits.reduce((s, f) => s + f.sigma, 0) / fits.length,
      forecast: (h) => combineInto(new Float64Array(h), fits.map((f) => f.forecast(h)), rule),
      backtest: (origins, h) => combineInto(new Float64Array(origins.length * h), fits.map((f) => f.backtest(origins, h)), rule),
      varianceFactor: (j) => fits.reduce((s, f) => s + f.varianceFactor(j), 0) / fits.length,
    };
  };
}
