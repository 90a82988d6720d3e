/**
 * Online tail calibration: maps a detector's raw anomaly score (≥ 0, larger = stranger) to a tail
 * probability and Vigil's 0–100 score, so every family detector lands on one scale and ensembles can
 * combine them (Merlion's calibrator, ml-cpp's normaliser).
 *
 * The raw scores seen so far live in an exponentially decayed histogram on log-spaced bins. Above the
 * `tailQuantile` u of that history the tail is modelled as exponential (peaks over threshold, as in
 * SPOT with shape 0): P(R > r) = P(R > u) · exp(−(r − u) / β), β the mean excess over u. That
 * extrapolates beyond anything seen, so a value far outside history still gets a tiny probability.
 * A half-normal prior of `priorWeight` pseudo-samples keeps early scores sane while history is short.
 */
import { packF64, unpackF64 } from '../../state.js';

const NB = 128;
const R0 = 1e-3;
const LOG_G = (7 * Math.LN10) / (NB - 1); // bins cover R0 … R0·10^7
const G = Math.exp(LOG_G);
/** Recompute the tail fit every this many additions. */
const REFIT_EVERY = 16;

export interface CalibratorOptions {
  /** Effective memory in samples (decay 1 − 1/memory). */
  memory?: number;
  tailQuantile?: number;
  priorWeight?: number;
}

export interface CalibratorState {
  counts: (number | null)[];
  total: number;
  inc: number;
  adds: number;
  u: number;
  pu: number;
  beta: number;
}

function binOf(r: number): number {
  if (!(r >= R0)) return 0;
  const k = 1 + Math.floor(Math.log(r / R0) / LOG_G);
  return k >= NB ? NB - 1 : k;
}
function lowerEdge(k: number): number {
  return k === 0 ? 0 : R0 * Math.exp((k - 1) * LOG_G);
}
function upperEdge(k: number): number {
  return R0 * Math.exp(k * LOG_G);
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const e = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + e) : 0.5 * (1 - e);
}

/** Probability → 0–100: p ≥ 1 % scores 0, each further decade adds 25 (1e-6 and below: 100). */
export function scoreOfProbability(p: number): number {
  if (!(p < 0.01)) return 0;
  const s = -Math.log10(Math.max(p, 1e-300));
  return Math.min(100, 25 * (s - 2));
}

/** The inverse of scoreOfProbability on (0, 100): the probability a score stands for (1 at 0). */
export function probabilityOfScore(score: number): number {
  return score > 0 ? Math.pow(10, -(2 + Math.min(100, score) / 25)) : 1;
}

export class TailCalibrator {
  private readonly counts = new Float64Array(NB);
  private readonly decay: number;
  private readonly q: number;
  private total = 0;
  private inc = 1;
  private adds = 0;
  private u = 0;
  private pu = 1;
  private beta = 1;

  constructor(options: CalibratorOptions = {}, state?: CalibratorState) {
    this.decay = 1 - 1 / Math.max(10, options.memory ?? 10_000);
    this.q = options.tailQuantile ?? 0.98;
    if (state) {
      this.counts.set(unpackF64(state.counts));
      this.total = state.total;
      this.inc = state.inc;
      this.adds = state.adds;
      this.u = state.u;
      this.pu = state.pu;
      this.beta = state.beta;
      return;
    }
    const w = options.priorWeight ?? 200;
    for (let k = 0; k < NB; k++) {
      const lo = lowerEdge(k);
      const hi = k === NB - 1 ? Infinity : upperEdge(k);
      // half-normal mass of the bin
      const m = 2 * (phi(hi) - phi(lo));
      this.counts[k] = w * m;
      this.total += w * m;
    }
    this.refit();
  }

  /** The raw score `k` tail scales above the tail threshold u (where scores are modelled as exponential). */
  tailPoint(k: number): number {
    return this.u + k * this.beta;
  }

  /** Tail probability of raw score r under the history so far (≤ 1; exact shape only above u). */
  probability(r: number): number {
    if (!(r > this.u)) return 1;
    return Math.min(1, this.pu * Math.exp(-(r - this.u) / this.beta));
  }

  /** Adds a raw score to the history (call after scoring it, so scoring stays causal). */
  add(r: number): void {
    if (Number.isNaN(r)) return;
    this.inc /= this.decay;
    if (this.inc > 1e150) {
      const s = 1 / this.inc;
      for (let k = 0; k < NB; k++) this.counts[k] *= s;
      this.total *= s;
      this.inc = 1;
    }
    this.counts[binOf(r)] += this.inc;
    this.total += this.inc;
    if (++this.adds % REFIT_EVERY === 0) this.refit();
  }

  private refit(): void {
    const target = (1 - this.q) * this.total;
    let above = 0;
    let k = NB - 1;
    // walk down from the top until the mass above reaches the target
    for (; k > 0; k--) {
      if (above + this.counts[k] >= target) break;
      above += this.counts[k];
    }
    // interpolate u inside bin k (geometric for k ≥ 1)
    const ck = this.counts[k];
    const frac = ck > 0 ? (target - above) / ck : 0; // share of bin k above u
    const lo = lowerEdge(k);
    const hi = upperEdge(k);
    const u = k === 0 ? hi * (1 - frac) : lo * Math.pow(hi / lo, 1 - frac);
    let excess = 0;
    let mass = 0;
    for (let j = k + 1; j < NB; j++) {
      const c = this.counts[j];
      if (c <= 0) continue;
      const mid = Math.sqrt(lowerEdge(j) * upperEdge(j));
      excess += c * (mid - u);
      mass += c;
    }
    if (ck > 0 && frac > 0) {
      excess += ck * frac * 0.5 * (hi - u);
      mass += ck * frac;
    }
    this.u = u;
    this.pu = this.total > 0 ? Math.max(mass, 1e-12) / this.total : 1;
    const minBeta = Math.max(1e-3, 0.05 * u);
    this.beta = mass > 0 ? Math.max(minBeta, excess / mass) : minBeta;
  }

  toState(): CalibratorState {
    return { counts: packF64(this.counts), total: this.total, inc: this.inc, adds: this.adds, u: this.u, pu: this.pu, beta: this.beta };
  }

  memoryBytes(): number {
    return NB * 8 + 64;
  }
}

export { G as CALIBRATOR_BIN_RATIO };
