/**
 * MSTL-like multi-seasonal model: the series is split into one additive seasonal component per
 * period (e.g. 24 and 168 on hourly data) by alternating moving-average detrending and smoothed
 * per-phase means over recent cycles, then the seasonally adjusted rest is forecast by non-seasonal
 * AutoETS (fitted on a recent window) and the last seasonal cycles are added back.
 */
import type { ModelCore } from './base.js';
import { autoEts } from './ets.js';
import { centeredMovingAverage } from './season.js';

export interface MstlOptions {
  /** Passes over all periods (default 2). */
  iterations?: number;
  /** Most recent cycles used for each period's seasonal pattern (default 12). */
  cycles?: number;
  /** Most recent points the remainder model is fitted on (default 1500). */
  fitWindow?: number;
}

/** Seasonal components, one per period; comp[i][t] for t < n. */
export function decomposeSeasonal(y: Float64Array, periods: number[], opts: MstlOptions = {}): Float64Array[] {
  const n = y.length;
  const iterations = opts.iterations ?? 2;
  const cycles = opts.cycles ?? 12;
  const comps = periods.map(() => new Float64Array(n));
  const deseason = Float64Array.from(y);
  for (let it = 0; it < iterations; it++) {
    for (let k = 0; k < periods.length; k++) {
      const m = periods[k];
      const comp = comps[k];
      // add this period's component back, re-estimate it
      for (let t = 0; t < n; t++) deseason[t] += comp[t];
      const trend = centeredMovingAverage(deseason, m);
      const start = Math.max(0, n - cycles * m);
      const sum = new Float64Array(m);
      const cnt = new Float64Array(m);
      for (let t = start; t < n; t++) {
        if (Number.isNaN(trend[t])) continue;
        sum[t % m] += deseason[t] - trend[t];
        cnt[t % m] += 1;
      }
      const pattern = new Float64Array(m);
      let mean = 0;
      for (let p = 0; p < m; p++) {
        pattern[p] = cnt[p] > 0 ? sum[p] / cnt[p] : 0;
        mean += pattern[p];
      }
      mean /= m;
      // light circular smoothing (1-2-1) for long periods to damp noise
      const smooth = new Float64Array(m);
      for (let p = 0; p < m; p++) {
        const v = pattern[p] - mean;
        smooth[p] = m >= 12 ? 0.25 * (pattern[(p - 1 + m) % m] - mean) + 0.5 * v + 0.25 * (pattern[(p + 1) % m] - mean) : v;
      }
      for (let t = 0; t < n; t++) {
        comp[t] = smooth[t % m];
        deseason[t] -= comp[t];
      }
    }
  }
  return comps;
}

export function mstlCore(opts: MstlOptions = {}): ModelCore {
  return (y, ctx) => {
    const n = y.length;
    const periods = ctx.periods.filter((m) => n >= 2 * m);
    const comps = decomposeSeasonal(y, periods, opts);
    const rest = Float64Array.from(y);
    for (const c of comps) for (let t = 0; t < n; t++) rest[t] -= c[t];
    const w = Math.min(n, opts.fitWindow ?? 1500);
    const offset = n - w;
    const tail = rest.subarray(offset);
    const ets = autoEts(tail, 1, { multiplicative: false });
    const seasonAt = (t: number): number => {
      let s = 0;
      for (let k = 0; k < periods.length; k++) s += comps[k][n - periods[k] + (((t - n) % periods[k]) + periods[k]) % periods[k]];
      return s;
    };
    return {
      sigma: ets.sigma,
      forecast: (h) => {
        const f = ets.forecast(h);
        for (let j = 0; j < h; j++) f[j] += seasonAt(n + j);
        return f;
      },
      backtest: (origins, h) => {
        // origins in the remainder model's window (earlier ones get its first state)
        const shifted = new Int32Array(origins.length);
        for (let k = 0; k < origins.length; k++) shifted[k] = Math.max(0, origins[k] - offset);
        const out = ets.backtest(shifted, h);
        for (let k = 0; k < origins.length; k++) {
          for (let j = 0; j < h; j++) {
            const t = origins[k] + j;
            let s = 0;
            for (let c = 0; c < periods.length; c++) s += comps[c][t < n ? t : n - periods[c] + ((t - n) % periods[c])];
            out[k * h + j] += s;
          }
        }
        return out;
      },
      varianceFactor: ets.varianceFactor,
    };
  };
}
