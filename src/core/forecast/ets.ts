/**
 * Exponential smoothing in state-space form (ETS, Hyndman et al. 2008): additive or multiplicative
 * error, none/additive/damped trend, none/additive/multiplicative season. Parameters are fitted by
 * maximum likelihood with Nelder–Mead (smoothing parameters and initial level/trend; the initial
 * season comes from a classical decomposition of the first cycles), and `autoEts` picks the
 * specification with the smallest AICc, as R's forecast::ets does.
 */
import { nelderMead } from './nelder-mead.js';
import { allPositive, classicalSeasonalIndices } from './season.js';
import type { ModelFit } from './types.js';

export type ErrorType = 'A' | 'M';
export type TrendType = 'N' | 'A' | 'Ad';
export type SeasonType = 'N' | 'A' | 'M';

export interface EtsSpec {
  error: ErrorType;
  trend: TrendType;
  season: SeasonType;
  /** Seasonal period (ignored when season is N). */
  period: number;
}

export interface EtsParams {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
  l0: number;
  b0: number;
  /** Initial seasonal states; s0[p] applies to times t with t % m === p in the first cycle. */
  s0: Float64Array;
}

export interface EtsModel extends ModelFit {
  spec: EtsSpec;
  params: EtsParams;
  /** -2 log-likelihood (up to a constant), AIC and AICc. */
  lik: number;
  aicc: number;
  /** Number of estimated parameters (smoothing + initial states + variance). */
  npar: number;
  /** One-step fitted values. */
  fitted: Float64Array;
}

export function specName(s: EtsSpec): string {
  return `ETS(${s.error},${s.trend},${s.season === 'N' ? 'N' : s.season})`;
}

interface FilterOut {
  lik: number;
  sse: number;
  l: number;
  b: number;
  s: Float64Array;
}

/**
 * Runs the ETS recursions over y. Returns the likelihood criterion and the final state. When
 * `origins` is given (ascending), writes h-step forecasts made at each origin into `bt`.
 */
function filter(y: Float64Array, spec: EtsSpec, p: EtsParams, fitted?: Float64Array, origins?: Int32Array, h = 0, bt?: Float64Array): FilterOut {
  const n = y.length;
  const m = spec.season === 'N' ? 1 : spec.period;
  const trend = spec.trend !== 'N';
  const phi = spec.trend === 'Ad' ? p.phi : 1;
  const seasonA = spec.season === 'A';
  const seasonM = spec.season === 'M';
  const multErr = spec.error === 'M';
  const alpha = p.alpha;
  const betaA = trend ? p.beta / alpha : 0;
  const gamma = p.gamma;
  const s = new Float64Array(m);
  if (spec.season !== 'N') s.set(p.s0);
  let l = p.l0;
  let b = trend ? p.b0 : 0;
  let sse = 0;
  let sumLog = 0;
  let oi = 0;
  const no = origins ? origins.length : 0;
  for (let t = 0; t < n; t++) {
    while (oi < no && origins![oi] === t) {
      writeForecast(bt!, oi * h, h, l, b, phi, s, m, t, seasonA, seasonM);
      oi++;
    }
    const yt = y[t];
    const pb = phi * b;
    const q = l + pb;
    const si = t % m;
    const sea = seasonA || seasonM ? s[si] : 0;
    const yhat = seasonA ? q + sea : seasonM ? q * sea : q;
    if (fitted) fitted[t] = yhat;
    let e: number;
    if (multErr) {
      if (!(yhat > 0)) return { lik: Infinity, sse: Infinity, l, b, s };
      e = (yt - yhat) / yhat;
      sumLog += Math.log(yhat);
    } else {
      e = yt - yhat;
    }
    sse += e * e;
    const pv = seasonA ? yt - sea : seasonM ? yt / sea : yt;
    const lnew = q + alpha * (pv - q);
    if (trend) b = pb + betaA * (lnew - l - pb);
    if (seasonA) s[si] = sea + gamma * (yt - q - sea);
    else if (seasonM) s[si] = sea + gamma * (yt / q - sea);
    l = lnew;
    if (!Number.isFinite(l)) return { lik: Infinity, sse: Infinity, l, b, s };
  }
  while (oi < no && origins![oi] === n) {
    writeForecast(bt!, oi * h, h, l, b, phi, s, m, n, seasonA, seasonM);
    oi++;
  }
  const lik = n * Math.log(sse > 0 ? sse : 1e-300) + 2 * sumLog;
  return { lik, sse, l, b, s };
}

function writeForecast(out: Float64Array, at: number, h: number, l: number, b: number, phi: number, s: Float64Array, m: number, t: number, seasonA: boolean, seasonM: boolean): void {
  let damp = 0;
  let pw = 1;
  for (let j = 0; j < h; j++) {
    pw *= phi;
    damp += pw;
    const q = l + damp * b;
    const sea = s[(t + j) % m];
    out[at + j] = seasonA ? q + sea : seasonM ? q * sea : q;
  }
}

/** Heuristic initial states (after R's initstate): seasonal indices, then a line on the first points. */
function initialStates(y: Float64Array, spec: EtsSpec): { l0: number; b0: number; s0: Float64Array } {
  const n = y.length;
  const m = spec.season === 'N' ? 1 : spec.period;
  let s0: Float64Array = new Float64Array(m);
  let adj: Float64Array = y;
  if (spec.season !== 'N') {
    const k = Math.min(n, Math.max(3 * m, 4 * m));
    s0 = classicalSeasonalIndices(y.subarray(0, k), m, spec.season === 'M' ? 'multiplicative' : 'additive');
    adj = new Float64Array(n);
    for (let t = 0; t < n; t++) adj[t] = spec.season === 'M' ? y[t] / s0[t % m] : y[t] - s0[t % m];
  }
  const k = Math.min(n, 10);
  let l0 = adj[0];
  let b0 = 0;
  if (spec.trend !== 'N' && k >= 2) {
    let sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (let i = 0; i < k; i++) {
      sx += i; sy += adj[i]; sxx += i * i; sxy += i * adj[i];
    }
    b0 = (k * sxy - sx * sy) / (k * sxx - sx * sx);
    l0 = (sy - b0 * sx) / k - b0; // level one step before the first observation
  } else if (spec.trend === 'N') {
    let sy = 0;
    for (let i = 0; i < k; i++) sy += adj[i];
    l0 = sy / k;
  }
  return { l0, b0, s0 };
}

export interface EtsFitOptions {
  maxEvals?: number;
}

/** Fits one ETS specification by maximum likelihood. */
export function fitEts(y: Float64Array, spec: EtsSpec, opts: EtsFitOptions = {}): EtsModel {
  const n = y.length;
  const hasTrend = spec.trend !== 'N';
  const damped = spec.trend === 'Ad';
  const seasonal = spec.season !== 'N';
  const m = seasonal ? spec.period : 1;
  const init = initialStates(y, spec);
  let scale = 0;
  for (let i = 0; i < n; i++) scale += Math.abs(y[i]);
  scale = scale / n || 1;
  const p: EtsParams = { alpha: 0.1, beta: 0.01, gamma: 0.01, phi: 0.98, l0: init.l0, b0: init.b0, s0: init.s0 };
  // parameter vector: alpha, [beta], [gamma], [phi], l0 (scaled offset), [b0 (scaled offset)]
  const x0: number[] = [hasTrend ? 0.2 : 0.3];
  if (hasTrend) x0.push(0.02);
  if (seasonal) x0.push(0.01);
  if (damped) x0.push(0.95);
  x0.push(0);
  if (hasTrend) x0.push(0);
  const steps = x0.map((_, i) => (i === 0 ? 0.1 : 0.05));
  const unpack = (x: Float64Array): boolean => {
    let i = 0;
    p.alpha = x[i++];
    if (hasTrend) p.beta = x[i++];
    if (seasonal) p.gamma = x[i++];
    if (damped) p.phi = x[i++];
    p.l0 = init.l0 + x[i++] * scale;
    if (hasTrend) p.b0 = init.b0 + x[i++] * scale * 0.1;
    if (!(p.alpha >= 1e-4 && p.alpha <= 0.9999)) return false;
    if (hasTrend && !(p.beta >= 1e-4 && p.beta <= p.alpha)) return false;
    if (seasonal && !(p.gamma >= 1e-4 && p.gamma <= 1 - p.alpha)) return false;
    if (damped && !(p.phi >= 0.8 && p.phi <= 0.98)) return false;
    return true;
  };
  const objective = (x: Float64Array): number => (unpack(x) ? filter(y, spec, p).lik : Infinity);
  const dim = x0.length;
  const res = nelderMead(objective, x0, { step: steps, maxEvals: opts.maxEvals ?? 60 * dim + 60, tol: 1e-7 });
  unpack(res.x);
  const params: EtsParams = { ...p, s0: Float64Array.from(p.s0) };
  const fitted = new Float64Array(n);
  const out = filter(y, spec, params, fitted);
  const npar = dim - (hasTrend ? 1 : 0) - 1 + 1 + (hasTrend ? 1 : 0) + (seasonal ? m - 1 : 0) + 1;
  const aic = out.lik + 2 * npar;
  const aicc = n - npar - 1 > 0 ? aic + (2 * npar * (npar + 1)) / (n - npar - 1) : Infinity;
  let se = 0;
  for (let t = 0; t < n; t++) se += (y[t] - fitted[t]) ** 2;
  const sigma = Math.sqrt(se / Math.max(1, n - npar));
  const phi = damped ? params.phi : 1;
  const final = { l: out.l, b: out.b, s: Float64Array.from(out.s) };
  /** varianceFactor's running sum: values[j − 1] is the factor of step j (j ≥ 1). */
  const varianceCache = { j: 1, v: 1, damp: 0, pw: 1, values: [1] };
  return {
    spec,
    params,
    lik: out.lik,
    aicc,
    npar,
    fitted,
    sigma,
    forecast(h: number): Float64Array {
      const f = new Float64Array(h);
      writeForecast(f, 0, h, final.l, hasTrend ? final.b : 0, phi, final.s, m, n, spec.season === 'A', spec.season === 'M');
      return f;
    },
    backtest(origins: Int32Array, h: number): Float64Array {
      const bt = new Float64Array(origins.length * h);
      filter(y, spec, params, undefined, origins, h, bt);
      return bt;
    },
    varianceFactor(j: number): number {
      // the running sum is kept: intervals ask for every step of the horizon in turn, and summing
      // from 1 each time made a long horizon quadratic (a 10-year hourly forecast took minutes)
      const vf = varianceCache;
      while (vf.j < j) {
        const i = vf.j;
        vf.pw *= phi;
        vf.damp += vf.pw;
        const c = params.alpha + (hasTrend ? params.beta * vf.damp : 0) + (seasonal && i % m === 0 ? params.gamma : 0);
        vf.v += c * c;
        vf.values.push(vf.v);
        vf.j++;
      }
      return j <= 1 ? 1 : vf.values[j - 1];
    },
  };
}

/** The specifications autoEts considers for a series (R's defaults: no multiplicative trend, no A-error with M-season). */
export function candidateSpecs(y: Float64Array, period: number, opts: { seasonal?: boolean; multiplicative?: boolean; damped?: boolean | 'only' } = {}): EtsSpec[] {
  const positive = allPositive(y);
  const mult = (opts.multiplicative ?? true) && positive;
  const seasonal = (opts.seasonal ?? true) && period > 1 && period <= 24 && y.length >= 2 * period + 2;
  const errors: ErrorType[] = mult ? ['A', 'M'] : ['A'];
  const trends: TrendType[] = opts.damped === 'only' ? ['N', 'Ad'] : opts.damped === false ? ['N', 'A'] : ['N', 'A', 'Ad'];
  const seasons: SeasonType[] = seasonal ? (mult ? ['N', 'A', 'M'] : ['N', 'A']) : ['N'];
  const out: EtsSpec[] = [];
  for (const error of errors) for (const trend of trends) for (const season of seasons) {
    if (error === 'A' && season === 'M') continue;
    // too few points for the parameters
    const npar = 2 + (trend !== 'N' ? 2 : 0) + (trend === 'Ad' ? 1 : 0) + (season !== 'N' ? period : 0) + 1;
    if (y.length <= npar + 1) continue;
    out.push({ error, trend, season, period });
  }
  if (out.length === 0) out.push({ error: 'A', trend: 'N', season: 'N', period: 1 });
  return out;
}

/** Fits every candidate specification and keeps the one with the smallest AICc. */
export function autoEts(y: Float64Array, period: number, opts: EtsFitOptions & { seasonal?: boolean; multiplicative?: boolean; damped?: boolean | 'only' } = {}): EtsModel {
  let best: EtsModel | null = null;
  for (const spec of candidateSpecs(y, period, opts)) {
    const m = fitEts(y, spec, opts);
    if (!Number.isFinite(m.lik)) continue;
    if (!best || m.aicc < best.aicc) best = m;
  }
  return best ?? fitEts(y, { error: 'A', trend: 'N', season: 'N', period: 1 }, opts);
}
