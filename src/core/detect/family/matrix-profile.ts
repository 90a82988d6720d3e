/**
 * `matrix-profile`: online subsequence discords for pattern anomalies. The series is piecewise-
 * aggregated (factor a) so a subsequence of about half the detected period (48 buckets without a
 * period) spans at most 16 points; each new subsequence is compared with every earlier,
 * non-overlapping one in the trailing window (mean-removed Euclidean distance) — the left matrix
 * profile. Distances come from running dot products (STOMP's diagonal update: each new query's
 * products follow from the previous query's in O(1) per candidate), on values less an offset that is
 * reset, and the products recomputed exactly, every time the buffers are compacted; where rounding
 * could matter the contenders are measured directly. With a fixed period and subsequence (`auto`'s
 * member: `{ subsequence: 48, period: 1 }`) no period is detected and no history ring is kept. Each aggregate point
 * carries its block's mean and range, so a one-bucket spike stays visible after aggregation. The raw score is its
 * nearest-neighbour distance standardised by the running typical distance and its spread: a shape never seen before scores
 * high. Between aggregate points the last score is held.
 */
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { registerDetector } from '../registry.js';
import { packF64, unpackF64, type ModelState } from '../../state.js';
import { familyFactory } from './factory.js';
import { PeriodTracker, trackerFor, type PeriodTrackerState } from './period.js';
import { ScoreStage, coldOutput, num, stageSpec, type StageSpec, type StageState } from './stage.js';

export const MATRIX_PROFILE = 'matrix-profile';
const VERSION = 1;
const MAX_M = 16;
/**
 * Bound on the rounding of a squared distance from the products: the sums' (ROUNDING of the
 * magnitudes sq(q) + sq(c) + m·dm²) and the means' (each off by MEAN_ROUNDING of the level, |c̄| ≤
 * |q̄| + |dm|; `meanErr` = MEAN_ROUNDING·2|q̄|). `adm` = |q̄ − c̄|.
 */
function roundingBound(m: number, sqq: number, sqc: number, adm: number, meanErr: number): number {
  const dmErr = meanErr + MEAN_ROUNDING * adm;
  return ROUNDING * (sqq + sqc + m * adm * adm) + m * (2 * adm + dmErr) * dmErr;
}

/** Points added between compactions of the buffers. */
const COMPACT = 16;
/** Compactions between fresh offsets and exact recomputations of the sums and products. */
const REFRESH_EVERY = 4;
/**
 * Relative rounding bound of a distance from the products: each product takes ≤ REFRESH_EVERY ·
 * COMPACT + 1 updates of a few operations since it was last computed directly, each off by ≤ 2⁻⁵³
 * of the magnitudes involved; 1e-13 leaves a wide margin over (2·64 + 16)·2⁻⁵³ ≈ 1.6e-14.
 */
const ROUNDING = 1e-13;
/** The products' nearest distance is used as it is when its uncertainty is below this fraction of it. */
const TIGHT = 1e-9;
/** Relative rounding bound of a mean of MAX_M values: (16 − 1)·2⁻⁵³ ≈ 1.7e-15, with margin. */
const MEAN_ROUNDING = 1e-14;

export interface MatrixProfileSpec extends StageSpec {
  /** Subsequence length in buckets; 0 = half the detected period (48 without one). */
  subsequence: number;
  /**
   * Seasonal period in buckets; 0 = detect (keeps about three weeks of buckets to detect from). A
   * fixed period never changes, so no history is kept; 1 = none (with a fixed `subsequence`, the
   * lean setting `auto` uses).
   */
  period: number;
  /** Earlier subsequences searched (aggregate points). */
  window: number;
  /**
   * While a point with no data (a gap, filled with the last value) is in the query or in the window
   * it is compared with, nothing is judged: a gap is reported as missing data, its flat fill is no
   * shape of the series, and with it in the window the usual match may be missing.
   */
  skipGaps: boolean;
}

export function matrixProfileSpec(spec?: Partial<MatrixProfileSpec>): MatrixProfileSpec {
  const s = spec as Record<string, unknown> | undefined;
  return {
    ...stageSpec(s),
    subsequence: num(s, 'subsequence', 0, 0, 1e6),
    period: num(s, 'period', 0, 0, 1e6),
    window: num(s, 'window', 400, 8, 1e6),
    skipGaps: s?.skipGaps === true,
  };
}

interface MpState {
  context: DetectorContext;
  tracker: PeriodTrackerState;
  stage: StageState;
  a: number;
  m: number;
  /** Older states: a period in points and the last neighbour, no longer used by the search. */
  lag?: number;
  agg: (number | null)[];
  spread: (number | null)[];
  lo: number;
  hi: number;
  dev: number;
  means: (number | null)[];
  acc: number;
  accN: number;
  norm: number;
  steps: number;
  lastRaw: number;
  lastMean: number;
  prevNN?: number;
  /** The offset the dot products are taken on, and the products for the newest query (absent in older states). */
  off?: number;
  dots?: (number | null)[];
  dotsFor?: number;
  /** Model time of the last bucket (absent in older states). */
  lastTime?: number;
  /** Buffer index of the newest point with no data (absent in older states). */
  lastFill?: number;
  /** Compactions since the offset was last reset (absent in older states). */
  sinceRefresh?: number;
}

class MatrixProfileDetector implements Detector {
  readonly type = MATRIX_PROFILE;
  readonly coldStartBuckets: number;
  private readonly tracker: PeriodTracker;
  private readonly stage: ScoreStage;
  private a = 1;
  private m = 16;
  /** Aggregate points and the mean of the subsequence ending at each (linear buffers, compacted). */
  private agg: Float64Array;
  /** Range (max − min) of each aggregate block: keeps a one-bucket spike visible after aggregation. */
  private spread: Float64Array;
  private means: Float64Array;
  /**
   * Σ (x − off)² + Σ range² of the subsequence ending at each point. Derived from the buffers with
   * the current offset (so recomputed on restore, not stored).
   */
  private sq: Float64Array;
  /**
   * dots[s]: Σ (x_q − off)(x_s − off) + Σ range_q·range_s between the newest query and the candidate
   * starting at s (written out in the loops: the hot path). Valid for the query ending at `dotsFor`
   * (−1: none, recompute). Rounding accumulates along the update, so they are stored, not recomputed,
   * which keeps a restored model identical to the one saved.
   */
  private dots: Float64Array;
  private dotsFor = -1;
  private off = 0;
  private n = 0;
  private acc = 0;
  private accN = 0;
  private lo = 0;
  private hi = 0;
  /** Running typical nearest-neighbour distance and its mean absolute deviation. */
  private norm = 0;
  private dev = 0;
  private steps = 0;
  private lastRaw = 0;
  private lastMean = 0;
  /** Model time of the last bucket taken (undefined before the first). */
  private lastTime: number | undefined;
  /** Buffer index of the newest aggregate point that had no data (−1: none in the buffer). */
  private lastFill = -1;
  /** Compactions since the offset was last reset. */
  private sinceRefresh = 0;

  constructor(
    private readonly context: DetectorContext,
    private readonly spec: MatrixProfileSpec,
    state?: MpState,
  ) {
    const { tracker, firstAt } = trackerFor(context.bucketSpanMs, spec.period, state?.tracker, 0, false);
    this.tracker = tracker;
    this.coldStartBuckets = firstAt;
    this.stage = new ScoreStage(spec, state?.stage);
    // compacted every COMPACT points (older states may hold more: the buffers fit them)
    const cap = Math.max(spec.window + 2 * MAX_M + COMPACT, state ? state.agg.length : 0);
    this.agg = new Float64Array(cap);
    this.spread = new Float64Array(cap);
    this.means = new Float64Array(cap);
    this.sq = new Float64Array(cap);
    this.dots = new Float64Array(cap);
    if (state) {
      this.a = state.a;
      this.m = state.m;
      const g = unpackF64(state.agg);
      this.agg.set(g);
      this.spread.set(unpackF64(state.spread));
      this.means.set(unpackF64(state.means));
      this.lo = state.lo;
      this.hi = state.hi;
      this.dev = state.dev;
      this.n = g.length;
      this.acc = state.acc;
      this.accN = state.accN;
      this.norm = state.norm;
      this.steps = state.steps;
      this.lastRaw = state.lastRaw;
      this.lastMean = state.lastMean;
      this.lastTime = state.lastTime;
      this.lastFill = state.lastFill ?? -1;
      this.sinceRefresh = state.sinceRefresh ?? 0;
      if (state.off !== undefined && state.dots && state.dotsFor !== undefined) {
        this.off = state.off;
        this.dots.set(unpackF64(state.dots));
        this.dotsFor = state.dotsFor;
      } else this.off = this.n > 0 ? this.agg[this.n - 1] : 0;
      for (let e = this.m - 1; e < this.n; e++) this.sq[e] = this.sqAt(e);
    } else {
      this.configure();
    }
  }

  /** Sets aggregation and subsequence length from the spec / detected period; rebuilds the buffer. */
  private configure(): void {
    const P = this.tracker.period;
    const len = this.spec.subsequence > 0 ? this.spec.subsequence : P > 1 ? Math.max(4, Math.round(P / 2)) : 48;
    this.a = Math.max(1, Math.ceil(len / MAX_M));
    this.m = Math.max(3, Math.round(len / this.a));
    this.n = 0;
    this.acc = 0;
    this.accN = 0;
    this.steps = 0;
    this.norm = 0;
    this.dev = 0;
    this.lastRaw = 0;
    this.dotsFor = -1;
    this.off = 0;
    this.sinceRefresh = 0;
    // re-aggregate the history, aligned on absolute multiples of a
    const ring = this.tracker.ring;
    const seen = this.tracker.seen;
    const first = seen - ring.size;
    const start = Math.ceil(first / this.a) * this.a;
    for (let t = start; t < seen; t++) this.addBucket(ring.get(seen - 1 - t), t, false);
  }

  private addBucket(v: number, t: number, live: boolean): boolean {
    if (!Number.isNaN(v)) {
      if (this.accN === 0 || v < this.lo) this.lo = v;
      if (this.accN === 0 || v > this.hi) this.hi = v;
      this.acc += v;
      this.accN++;
    }
    if ((t + 1) % this.a !== 0) return false;
    const filled = this.accN === 0;
    const x = !filled ? this.acc / this.accN : this.n > 0 ? this.agg[this.n - 1] : NaN;
    const r = !filled ? this.hi - this.lo : this.n > 0 ? this.spread[this.n - 1] : 0;
    this.acc = 0;
    this.accN = 0;
    if (Number.isNaN(x)) return false;
    return this.pushAgg(x, r, live, filled);
  }

  private pushAgg(x: number, r: number, live: boolean, filled: boolean): boolean {
    if (this.n === this.agg.length) {
      // compaction; every REFRESH_EVERY-th, a fresh offset (the newest level) with exact sums and
      // products, which keeps the products' cancellation and accumulated rounding small
      const keep = this.spec.window + 2 * this.m;
      const shift = this.n - keep;
      this.agg.copyWithin(0, shift, this.n);
      this.spread.copyWithin(0, shift, this.n);
      this.means.copyWithin(0, shift, this.n);
      this.lastFill = Math.max(-1, this.lastFill - shift);
      this.n = keep;
      if (++this.sinceRefresh >= REFRESH_EVERY) {
        this.sinceRefresh = 0;
        this.off = this.agg[keep - 1];
        for (let e = this.m - 1; e < keep; e++) this.sq[e] = this.sqAt(e);
        this.dotsFor = -1;
      } else {
        this.sq.copyWithin(0, shift, shift + keep);
        this.dots.copyWithin(0, shift, shift + keep);
        this.dotsFor = this.dotsFor >= shift ? this.dotsFor - shift : -1;
      }
    }
    if (this.n === 0) this.off = x; // the first level, until the first compaction
    const n = ++this.n;
    this.agg[n - 1] = x;
    this.spread[n - 1] = r;
    if (filled) this.lastFill = n - 1;
    const m = this.m;
    if (n < m) return false;
    let s = 0;
    for (let i = n - m; i < n; i++) s += this.agg[i];
    const mu = s / m;
    this.means[n - 1] = mu;
    this.sq[n - 1] = this.sqAt(n - 1);
    this.lastMean = mu;
    if (n < 2 * m + 1) return false;
    if (this.spec.skipGaps && this.lastFill >= n - 2 * m - this.spec.window) {
      // while a gap is in the query or anywhere in what it is compared with, the query is not
      // judged (nor learned from): its flat fill is no shape, and a stretch whose only good match
      // was the fill (the same hour yesterday) would look new. The products are recomputed after it
      this.lastRaw = 0;
      this.dotsFor = -1;
      return false;
    }
    const d = this.nearest();
    const floor = 1e-9 * (Math.abs(mu) + 1) + 1e-12;
    // standardised against the running typical distance and its spread
    const raw = this.steps > 0 ? Math.max(0, d - this.norm) / Math.max(1.2533 * this.dev, floor) : 0;
    this.steps++;
    const rate = Math.max(0.01, 1 / this.steps);
    const cap = this.dev > 0 ? this.norm + 5 * this.dev : d;
    const dc = d < cap ? d : cap;
    const e = Math.abs(dc - this.norm);
    this.norm += rate * (dc - this.norm);
    this.dev += rate * (e - this.dev);
    this.lastRaw = raw;
    if (!live) this.stage.learn(raw);
    return true;
  }

  /** Σ (x − off)² + Σ range² over the subsequence ending at point `e`. */
  private sqAt(e: number): number {
    const off = this.off;
    let q = 0;
    for (let i = e - this.m + 1; i <= e; i++) {
      const d = this.agg[i] - off;
      const r = this.spread[i];
      q += d * d + r * r;
    }
    return q;
  }

  /** The dot product of the subsequences starting at `q0` and `s` (offset values and ranges). */
  private dotAt(q0: number, s: number): number {
    const x = this.agg;
    const g = this.spread;
    const off = this.off;
    let acc = 0;
    for (let i = 0; i < this.m; i++) acc += (x[q0 + i] - off) * (x[s + i] - off) + g[q0 + i] * g[s + i];
    return acc;
  }

  /**
   * Squared mean-removed distance (values and ranges) between the subsequences at `q0` and `s`,
   * directly; abandoned (returning a value ≥ `bound`) once it reaches `bound`.
   */
  private distAt(q0: number, s: number, bound: number): number {
    const x = this.agg;
    const g = this.spread;
    const m = this.m;
    const qm = this.means[q0 + m - 1];
    const cm = this.means[s + m - 1];
    let acc = 0;
    for (let i = 0; i < m; i++) {
      const d = x[q0 + i] - qm - (x[s + i] - cm);
      const f = g[q0 + i] - g[s + i];
      acc += d * d + f * f;
      if (acc >= bound) break;
    }
    return acc;
  }

  /**
   * Nearest-neighbour distance (RMS, mean-removed) of the newest subsequence among earlier ones:
   * ‖(q − μq) − (c − μc)‖² + ‖gq − gc‖² = sq(q) + sq(c) − 2·dot(q, c) − m(μq − μc)².
   * The products follow the previous query's (O(1) per candidate instead of O(m); 3× faster than
   * the early-abandoning search it replaced); the few candidates within rounding of the best are
   * then measured directly, so the distance is the direct one even where the sums cancel.
   */
  private nearest(): number {
    const n = this.n;
    const m = this.m;
    const x = this.agg;
    const g = this.spread;
    const means = this.means;
    const sq = this.sq;
    const dots = this.dots;
    const off = this.off;
    const e = n - 1;
    const q0 = n - m;
    const lastStart = n - 2 * m; // candidates end before the query starts
    const firstStart = Math.max(0, lastStart - this.spec.window);
    // the products for this query: from the previous query's (dot(q0, s) = dot(q0 − 1, s − 1) −
    // the old first pair + the new last pair; descending, so dots[s − 1] is still the old one), or
    // directly after a compaction or a skipped stretch. In the same loop, the usual case in one cheap
    // pass: the products' best, and one rounding bound for all candidates (from the largest sq and
    // mean difference, see below); the nearest lies within it
    const incremental = this.dotsFor === e - 1;
    const qOut = q0 - 1;
    const aOut = incremental ? x[qOut] - off : 0;
    const gOut = incremental ? g[qOut] : 0;
    const aIn = x[e] - off;
    const gIn = g[e];
    const sqq = sq[e];
    const qm = means[e];
    const meanErr = MEAN_ROUNDING * 2 * Math.abs(qm); // |c̄| ≤ |q̄| + |dm|
    let fast = Infinity;
    let maxSq = 0;
    let maxAdm = 0;
    for (let s = lastStart; s >= firstStart; s--) {
      const dot =
        incremental && s >= 1
          ? dots[s - 1] - (aOut * (x[s - 1] - off) + gOut * g[s - 1]) + (aIn * (x[s + m - 1] - off) + gIn * g[s + m - 1])
          : this.dotAt(q0, s);
      dots[s] = dot;
      const c = s + m - 1;
      const dm = qm - means[c];
      const d2 = sqq + sq[c] - 2 * dot - m * dm * dm;
      if (d2 < fast) fast = d2;
      if (sq[c] > maxSq) maxSq = sq[c];
      const adm = dm < 0 ? -dm : dm;
      if (adm > maxAdm) maxAdm = adm;
    }
    this.dotsFor = e;
    const errMax = roundingBound(m, sqq, maxSq, maxAdm, meanErr);
    if (2 * errMax <= TIGHT * (fast - errMax)) {
      return Math.sqrt(fast / m);
    }
    // else candidate by candidate (pass 1), then the contenders measured directly (pass 2)
    let U = Infinity;
    let L = Infinity;
    let approx = lastStart;
    let approxD = Infinity;
    for (let s = lastStart; s >= firstStart; s--) {
      const c = s + m - 1;
      const dm = qm - means[c];
      const d2 = sqq + sq[c] - 2 * dots[s] - m * dm * dm;
      const err = roundingBound(m, sqq, sq[c], dm < 0 ? -dm : dm, meanErr);
      if (d2 + err < U) {
        U = d2 + err;
        approx = s;
        approxD = d2;
      }
      if (d2 - err < L) L = d2 - err;
    }
    // tight candidate by candidate: the products' best is the answer
    if (U - L <= TIGHT * U) {
      return Math.sqrt(Math.max(0, approxD) / m);
    }
    // pass 2: the candidates that could be the nearest, measured directly, the likeliest first
    let best = this.distAt(q0, approx, Infinity);
    for (let s = lastStart; s >= firstStart; s--) {
      if (s === approx) continue;
      const c = s + m - 1;
      const dm = qm - means[c];
      const d2 = sqq + sq[c] - 2 * dots[s] - m * dm * dm;
      if (d2 - roundingBound(m, sqq, sq[c], dm < 0 ? -dm : dm, meanErr) > U) continue;
      const exact = this.distAt(q0, s, best);
      if (exact < best) best = exact;
    }
    return Math.sqrt(Math.max(0, best) / m);
  }

  update(time: number, value: number, out: DetectorOutput): void {
    // shapes are read in the model's time, as the point model reads its seasons: when the job's
    // model clock jumps by whole buckets (force_time_shift: daylight saving), skipped buckets are
    // missing ones and a bucket at a model time already read is scored but not learned
    if (this.lastTime !== undefined && Number.isFinite(time)) {
      const span = this.context.bucketSpanMs;
      const steps = span > 0 ? Math.round((time - this.lastTime) / span) : 1;
      if (steps <= 0) {
        this.report(out, value, false, this.tracker.seen);
        return;
      }
      const fill = Math.min(steps - 1, (this.spec.window + 2 * MAX_M + COMPACT) * this.a);
      for (let k = 0; k < fill; k++) {
        this.addBucket(NaN, this.tracker.seen, true);
        this.push(NaN);
      }
    }
    if (Number.isFinite(time)) this.lastTime = time;
    const t = this.tracker.seen;
    const stepped = this.addBucket(value, t, true);
    this.report(out, value, stepped, t);
    this.push(value);
  }

  /** Counts the bucket (and re-configures when a detected period changed). */
  private push(value: number): void {
    if (this.tracker.push(value)) this.configure();
  }

  /** The output for bucket number `t` (its aggregate point completed or not). */
  private report(out: DetectorOutput, value: number, stepped: boolean, t: number): void {
    const missing = Number.isNaN(value);
    if (t >= this.coldStartBuckets && this.steps > 0) {
      out.typical = this.lastMean;
      out.lower = NaN;
      out.upper = NaN;
      if (missing) this.stage.missingBucket(out);
      else {
        this.stage.score(out, this.lastRaw, stepped);
        if (out.score > 0) {
          out.kind = 'pattern';
          out.explanation = `the last ${this.m * this.a} buckets match nothing in the recent past (discord ${this.lastRaw.toFixed(1)}σ above the usual distance)`;
        } else {
          out.kind = 'none';
          out.explanation = '';
        }
      }
    } else {
      if (stepped && this.steps > 0) this.stage.learn(this.lastRaw);
      coldOutput(out, missing);
    }
  }

  toState(): ModelState {
    const state: MpState = {
      context: this.context,
      tracker: this.tracker.toState(),
      stage: this.stage.toState(),
      a: this.a,
      m: this.m,
      agg: packF64(this.agg.subarray(0, this.n)),
      spread: packF64(this.spread.subarray(0, this.n)),
      lo: this.lo,
      hi: this.hi,
      dev: this.dev,
      means: packF64(this.means.subarray(0, this.n)),
      acc: this.acc,
      accN: this.accN,
      norm: this.norm,
      steps: this.steps,
      lastRaw: this.lastRaw,
      lastMean: this.lastMean,
      off: this.off,
      dots: packF64(this.dots.subarray(0, this.n)),
      dotsFor: this.dotsFor,
    };
    if (this.lastTime !== undefined) state.lastTime = this.lastTime;
    if (this.lastFill >= 0) state.lastFill = this.lastFill;
    if (this.sinceRefresh > 0) state.sinceRefresh = this.sinceRefresh;
    return { type: MATRIX_PROFILE, version: VERSION, spec: this.spec, state };
  }

  memoryBytes(): number {
    return this.tracker.memoryBytes() + this.stage.memoryBytes() + this.agg.byteLength + this.spread.byteLength + this.means.byteLength + this.sq.byteLength + this.dots.byteLength + 128;
  }
}

export const matrixProfileFactory = familyFactory<MatrixProfileSpec, MpState>({
  type: MATRIX_PROFILE,
  version: VERSION,
  description: 'Online left matrix profile (subsequence discords) for pattern anomalies.',
  spec: matrixProfileSpec,
  make: (context, spec, state) => new MatrixProfileDetector(context, spec, state),
});

registerDetector(matrixProfileFactory);
