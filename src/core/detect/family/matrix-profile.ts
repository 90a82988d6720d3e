/**
 * `matrix-profile`: online subsequence discords for pattern anomalies. The series is piecewise-
 * aggregated (factor a) so a subsequence of about half the detected period (48 buckets without a
 * period) spans at most 16 points; each new subsequence is compared with every earlier,
 * non-overlapping one in the trailing window (mean-removed Euclidean distance, early abandoning,
 * starting from the subsequence one period back) — the left matrix profile. Each aggregate point
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

export interface MatrixProfileSpec extends StageSpec {
  /** Subsequence length in buckets; 0 = half the detected period (48 without one). */
  subsequence: number;
  /** Seasonal period in buckets; 0 = detect. */
  period: number;
  /** Earlier subsequences searched (aggregate points). */
  window: number;
}

export function matrixProfileSpec(spec?: Partial<MatrixProfileSpec>): MatrixProfileSpec {
  const s = spec as Record<string, unknown> | undefined;
  return {
    ...stageSpec(s),
    subsequence: num(s, 'subsequence', 0, 0, 1e6),
    period: num(s, 'period', 0, 0, 1e6),
    window: num(s, 'window', 400, 8, 1e6),
  };
}

interface MpState {
  context: DetectorContext;
  tracker: PeriodTrackerState;
  stage: StageState;
  a: number;
  m: number;
  lag: number;
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
  prevNN: number;
}

class MatrixProfileDetector implements Detector {
  readonly type = MATRIX_PROFILE;
  readonly coldStartBuckets: number;
  private readonly tracker: PeriodTracker;
  private readonly stage: ScoreStage;
  private a = 1;
  private m = 16;
  /** One period in aggregate points (0 = none). */
  private lag = 0;
  /** Aggregate points and the mean of the subsequence ending at each (linear buffers, compacted). */
  private agg: Float64Array;
  /** Range (max − min) of each aggregate block: keeps a one-bucket spike visible after aggregation. */
  private spread: Float64Array;
  private means: Float64Array;
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
  /** Start of the last nearest neighbour (its successor is tried first next time). */
  private prevNN = -1;
  /** Scratch: the query subsequence, mean removed, and its block ranges. */
  private readonly dq = new Float64Array(MAX_M);
  private readonly gq = new Float64Array(MAX_M);

  constructor(
    private readonly context: DetectorContext,
    private readonly spec: MatrixProfileSpec,
    state?: MpState,
  ) {
    const { tracker, firstAt } = trackerFor(context.bucketSpanMs, spec.period, state?.tracker);
    this.tracker = tracker;
    this.coldStartBuckets = firstAt;
    this.stage = new ScoreStage(spec, state?.stage);
    const cap = 2 * (spec.window + 2 * MAX_M);
    this.agg = new Float64Array(cap);
    this.spread = new Float64Array(cap);
    this.means = new Float64Array(cap);
    if (state) {
      this.a = state.a;
      this.m = state.m;
      this.lag = state.lag;
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
      this.prevNN = state.prevNN;
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
    this.lag = P > 1 ? Math.round(P / this.a) : 0;
    this.n = 0;
    this.acc = 0;
    this.accN = 0;
    this.steps = 0;
    this.norm = 0;
    this.dev = 0;
    this.lastRaw = 0;
    this.prevNN = -1;
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
    const x = this.accN > 0 ? this.acc / this.accN : this.n > 0 ? this.agg[this.n - 1] : NaN;
    const r = this.accN > 0 ? this.hi - this.lo : this.n > 0 ? this.spread[this.n - 1] : 0;
    this.acc = 0;
    this.accN = 0;
    if (Number.isNaN(x)) return false;
    this.pushAgg(x, r, live);
    return true;
  }

  private pushAgg(x: number, r: number, live: boolean): void {
    if (this.n === this.agg.length) {
      const keep = this.spec.window + 2 * this.m;
      this.agg.copyWithin(0, this.n - keep, this.n);
      this.spread.copyWithin(0, this.n - keep, this.n);
      this.means.copyWithin(0, this.n - keep, this.n);
      this.prevNN -= this.n - keep;
      this.n = keep;
    }
    const n = ++this.n;
    this.agg[n - 1] = x;
    this.spread[n - 1] = r;
    const m = this.m;
    if (n < m) return;
    let s = 0;
    for (let i = n - m; i < n; i++) s += this.agg[i];
    const mu = s / m;
    this.means[n - 1] = mu;
    this.lastMean = mu;
    if (n < 2 * m + 1) return;
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
  }

  /** Nearest-neighbour distance (RMS, mean-removed) of the newest subsequence among earlier ones. */
  private nearest(): number {
    const n = this.n;
    const m = this.m;
    const x = this.agg;
    const g = this.spread;
    const means = this.means;
    const q0 = n - m;
    const qm = means[n - 1];
    // the query, mean removed, once; the distance written out in the loop rather than as a closure
    // (the hot path: 1.4× faster, same results)
    const dq = this.dq;
    const gq = this.gq;
    for (let i = 0; i < m; i++) {
      dq[i] = x[q0 + i] - qm;
      gq[i] = g[q0 + i];
    }
    const lastStart = n - 2 * m; // candidates end before the query starts
    const firstStart = Math.max(0, lastStart - this.spec.window);
    let best = Infinity;
    let arg = -1;
    // good first bounds: the successor of the previous match, then one period back
    const next = this.prevNN + 1;
    const back = this.lag > 0 ? q0 - this.lag : -1;
    const first = next >= firstStart && next <= lastStart ? next : -1;
    const second = back >= firstStart && back <= lastStart ? back : -1;
    for (let k = -2; k <= lastStart - firstStart; k++) {
      const s = k === -2 ? first : k === -1 ? second : lastStart - k;
      if (s < 0) continue;
      const cm = means[s + m - 1];
      let acc = 0;
      let i = 0;
      for (; i < m; i++) {
        const e = dq[i] - (x[s + i] - cm);
        const f = gq[i] - g[s + i];
        acc += e * e + f * f;
        if (acc >= best) break; // early abandoning
      }
      if (i === m && acc < best) {
        best = acc;
        arg = s;
      }
    }
    this.prevNN = arg;
    return Math.sqrt(best / m);
  }

  update(_time: number, value: number, out: DetectorOutput): void {
    const t = this.tracker.seen;
    const missing = Number.isNaN(value);
    const stepped = this.addBucket(value, t, true);
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
    if (this.tracker.push(value)) this.configure();
  }

  toState(): ModelState {
    const state: MpState = {
      context: this.context,
      tracker: this.tracker.toState(),
      stage: this.stage.toState(),
      a: this.a,
      m: this.m,
      lag: this.lag,
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
      prevNN: this.prevNN,
    };
    return { type: MATRIX_PROFILE, version: VERSION, spec: this.spec, state };
  }

  memoryBytes(): number {
    return this.tracker.memoryBytes() + this.stage.memoryBytes() + this.agg.byteLength + this.spread.byteLength + this.means.byteLength + this.dq.byteLength + this.gq.byteLength + 128;
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
