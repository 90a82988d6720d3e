/**
 * Calibrated prediction intervals: empirical quantiles of rolling-origin in-sample errors per
 * horizon step (split-conformal style, with the model's fitted parameters), falling back to the
 * model's variance (σ²·factor(j), normal quantiles) for steps with too few errors. Widths never
 * shrink with the horizon.
 */
import type { ForecastInterval, ModelFit } from './types.js';

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pl) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Quantile of sorted values with the split-conformal finite-sample correction. */
function conformalQuantile(sorted: Float64Array, p: number, count: number): number {
  const upper = p >= 0.5;
  const pp = upper ? Math.min(1, (p * (count + 1)) / count) : Math.max(0, (p * (count + 1) - 1) / count);
  const pos = pp * (count - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(count - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface CalibrationOptions {
  /** Most recent origins to use (default 400). */
  window?: number;
  /** First origin allowed (enough history for the model to settle). */
  burnIn?: number;
  /** Fewest errors a step needs for empirical quantiles (default 25). */
  minErrors?: number;
  /** 'calibrated' or 'model'. */
  mode?: 'calibrated' | 'model';
  /** Errors as log-ratios (multiplicative) when y and forecasts are positive (default true). */
  relative?: boolean;
}

/** Builds intervals around `mean` for `levels` from the fitted model `fit` on the cleaned series `y`. */
export function makeIntervals(y: Float64Array, fit: ModelFit, mean: Float64Array, levels: number[], opts: CalibrationOptions = {}): ForecastInterval[] {
  const n = y.length;
  const h = mean.length;
  const window = opts.window ?? 400;
  const minErrors = opts.minErrors ?? 25;
  const burn = Math.max(3, opts.burnIn ?? 3);
  const t0 = Math.max(burn, n - window);
  const nOrig = n - t0; // origins t0 .. n-1
  let relative = opts.mode !== 'model' && (opts.relative ?? true);
  if (relative) {
    for (let i = 0; i < n && relative; i++) if (!(y[i] > 0)) relative = false;
    for (let j = 0; j < h && relative; j++) if (!(mean[j] > 0)) relative = false;
  }
  // errors per step: e[j] holds the usable errors of step j+1
  const errs: Float64Array[] = [];
  const counts = new Int32Array(h);
  if (opts.mode !== 'model' && nOrig >= minErrors) {
    const origins = new Int32Array(nOrig);
    for (let k = 0; k < nOrig; k++) origins[k] = t0 + k;
    const bt = fit.backtest(origins, h);
    for (let j = 0; j < h; j++) errs.push(new Float64Array(nOrig));
    for (let k = 0; k < nOrig; k++) {
      const t = origins[k];
      for (let j = 0; j < h && t + j < n; j++) {
        const f = bt[k * h + j];
        const yv = y[t + j];
        let e: number;
        if (relative) {
          if (!(f > 0)) continue;
          e = Math.log(yv / f);
        } else e = yv - f;
        if (!Number.isFinite(e)) continue;
        errs[j][counts[j]++] = e;
      }
    }
  }
  const out: ForecastInterval[] = [];
  const sigma = Number.isFinite(fit.sigma) ? fit.sigma : 0;
  for (const level of levels) {
    const alpha = 1 - level / 100;
    const lowOff = new Float64Array(h);
    const upOff = new Float64Array(h);
    let lastEmp = -1;
    for (let j = 0; j < h; j++) {
      if (counts[j] >= minErrors) {
        const s = errs[j].slice(0, counts[j]).sort();
        lowOff[j] = conformalQuantile(s, alpha / 2, counts[j]);
        upOff[j] = conformalQuantile(s, 1 - alpha / 2, counts[j]);
        lastEmp = j;
      } else if (lastEmp >= 0) {
        const r = Math.sqrt(fit.varianceFactor(j + 1) / fit.varianceFactor(lastEmp + 1));
        lowOff[j] = lowOff[lastEmp] * r;
        upOff[j] = upOff[lastEmp] * r;
      } else {
        const z = normalQuantile(1 - alpha / 2);
        const half = z * sigma * Math.sqrt(Math.max(1, fit.varianceFactor(j + 1)));
        if (relative) {
          const rel = half / Math.max(mean[j], 1e-12);
          lowOff[j] = Math.log(Math.max(1e-6, 1 - rel));
          upOff[j] = Math.log(1 + rel);
        } else {
          lowOff[j] = -half;
          upOff[j] = half;
        }
      }
      if (lowOff[j] > 0) lowOff[j] = 0;
      if (upOff[j] < 0) upOff[j] = 0;
      if (j > 0) {
        if (lowOff[j] > lowOff[j - 1]) lowOff[j] = lowOff[j - 1];
        if (upOff[j] < upOff[j - 1]) upOff[j] = upOff[j - 1];
      }
    }
    const lower = new Float64Array(h);
    const upper = new Float64Array(h);
    for (let j = 0; j < h; j++) {
      if (relative) {
        lower[j] = mean[j] * Math.exp(lowOff[j]);
        upper[j] = mean[j] * Math.exp(upOff[j]);
      } else {
        lower[j] = mean[j] + lowOff[j];
        upper[j] = mean[j] + upOff[j];
      }
      // absolute half-widths never shrink with the horizon
      if (j > 0) {
        lower[j] = Math.min(lower[j], mean[j] - (mean[j - 1] - lower[j - 1]));
        upper[j] = Math.max(upper[j], mean[j] + (upper[j - 1] - mean[j - 1]));
      }
    }
    out.push({ level, lower, upper });
  }
  return out;
}
