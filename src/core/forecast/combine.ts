/**
 * Forecast combinations: several model cores fitted to the same series, their point forecasts (and
 * rolling-origin backtests, so intervals stay calibrated) combined by mean or median.
 */
import type { CoreContext, ModelCore } from './base.js';
import type { ModelFit } from './types.js';

export type CombineRule = 'mean' | 'median';

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
export function combineCores(members: ModelCore[], rule: CombineRule = 'median'): ModelCore {
  return (y: Float64Array, ctx: CoreContext): ModelFit => {
    const fits = members.map((c) => c(y, ctx));
    return {
      sigma: fits.reduce((s, f) => s + f.sigma, 0) / fits.length,
      forecast: (h) => combineInto(new Float64Array(h), fits.map((f) => f.forecast(h)), rule),
      backtest: (origins, h) => combineInto(new Float64Array(origins.length * h), fits.map((f) => f.backtest(origins, h)), rule),
      varianceFactor: (j) => fits.reduce((s, f) => s + f.varianceFactor(j), 0) / fits.length,
    };
  };
}
