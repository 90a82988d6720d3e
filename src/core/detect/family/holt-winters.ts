/**
 * A small online additive Holt-Winters filter (level, damped trend, seasonal profile) with Huber-
 * clipped updates, and a grid fit of its smoothing rates on a trailing window by one-step absolute
 * error. The forecast-residual detector's fast path: one-step forecasts without refitting per bucket.
 */
import { packF64, unpackF64 } from '../../state.js';

export interface HwParams {
  alpha: number;
  beta: number;
  gamma: number;
}

export interface HwState {
  params: HwParams;
  level: number;
  trend: number;
  season: (number | null)[];
  scale: number;
  started: boolean;
}

const PHI = 0.98;
const SCALE_RATE = 0.01;

export class HoltWinters {
  params: HwParams;
  level = 0;
  trend = 0;
  season: Float64Array;
  /** Mean absolute one-step error (running). */
  scale = 0;
  started = false;

  constructor(readonly period: number, params: HwParams, state?: HwState) {
    this.params = params;
    this.season = new Float64Array(Math.max(1, period));
    if (state) {
      this.params = state.params;
      this.level = state.level;
      this.trend = state.trend;
      this.season = unpackF64(state.season);
      this.scale = state.scale;
      this.started = state.started;
    }
  }

  forecast(slot: number): number {
    return this.level + PHI * this.trend + (this.period > 1 ? this.season[slot] : 0);
  }

  sigma(): number {
    return Math.max(1.2533 * this.scale, 1e-9 * (Math.abs(this.level) + 1) + 1e-12);
  }

  /** Learns y at `slot`; returns the one-step error made before learning it. */
  step(y: number, slot: number): number {
    if (!this.started) {
      this.level = y - (this.period > 1 ? this.season[slot] : 0);
      this.started = true;
      return 0;
    }
    const { alpha, beta, gamma } = this.params;
    const f = this.forecast(slot);
    const e = y - f;
    const sig = this.sigma();
    const c = 3 * sig;
    const ec = this.scale > 0 ? (e > c ? c : e < -c ? -c : e) : e;
    const prevLevel = this.level;
    this.level = prevLevel + PHI * this.trend + alpha * ec;
    this.trend = PHI * this.trend + beta * alpha * ec;
    if (this.period > 1) this.season[slot] += gamma * (1 - alpha) * ec;
    const ae = Math.abs(e);
    const cap = this.scale > 0 ? 5 * this.scale : ae;
    this.scale += SCALE_RATE * ((ae < cap ? ae : cap) - this.scale);
    return e;
  }

  toState(): HwState {
    return {
      params: this.params, level: this.level, trend: this.trend, season: packF64(this.season),
      scale: this.scale, started: this.started,
    };
  }
}

const ALPHAS = [0.02, 0.1, 0.3, 0.7];
const BETAS = [0, 0.05];
const GAMMAS = [0.05, 0.2, 0.5];

/**
 * Fits rates on `x` (oldest first, NaN = missing; x[i] sits at slot (start + i) mod period) and
 * returns the filter that has run over all of `x` with the best rates.
 */
export function fitHoltWinters(x: Float64Array, period: number, start: number): HoltWinters {
  const P = Math.max(1, period);
  const n = x.length;
  // initial seasonal profile: per-slot mean deviation from a centred moving average
  const init = new Float64Array(P);
  if (P > 1) {
    const ps = new Float64Array(n + 1);
    const pc = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const ok = !Number.isNaN(x[i]);
      ps[i + 1] = ps[i] + (ok ? x[i] : 0);
      pc[i + 1] = pc[i] + (ok ? 1 : 0);
    }
    const sum = new Float64Array(P);
    const cnt = new Float64Array(P);
    const h = P >> 1;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(x[i])) continue;
      const a = Math.max(0, i - h);
      const b = Math.min(n, a + P);
      const c = pc[b] - pc[a];
      if (c === 0) continue;
      const s = (start + i) % P;
      sum[s] += x[i] - (ps[b] - ps[a]) / c;
      cnt[s]++;
    }
    let mean = 0;
    for (let s = 0; s < P; s++) {
      init[s] = cnt[s] > 0 ? sum[s] / cnt[s] : 0;
      mean += init[s] / P;
    }
    for (let s = 0; s < P; s++) init[s] -= mean;
  }
  let best: HoltWinters | undefined;
  let bestLoss = Infinity;
  const gammas = P > 1 ? GAMMAS : [0];
  const skip = Math.min(n >> 2, P > 1 ? P : 10);
  for (const alpha of ALPHAS) {
    for (const beta of BETAS) {
      for (const gamma of gammas) {
        const hw = new HoltWinters(P, { alpha, beta, gamma });
        hw.season.set(init);
        let loss = 0;
        for (let i = 0; i < n; i++) {
          if (Number.isNaN(x[i])) continue;
          const e = hw.step(x[i], (start + i) % P);
          if (i >= skip) loss += Math.abs(e);
        }
        if (loss < bestLoss) {
          bestLoss = loss;
          best = hw;
        }
      }
    }
  }
  return best!;
}
