/**
 * `seasonal-cluster`: explicit-seasonality detection with clustering of period-long subsequences
 * (ADESCA, seed 004). The history is cut into windows one base cycle long (a day, also when the
 * detected period is a week); at every window boundary the recent windows are clustered (k-means,
 * k ≤ 3 chosen by the drop in error, on piecewise-aggregated windows) into profiles such as
 * "workday" and "off-day". The current window is judged against the profile it should follow (the
 * cluster its weekday had in previous weeks, or the nearest profile so far): raw score = max of the
 * pointwise deviation from the profile and the standardised distance of the window-so-far to it.
 * Without a detected period it falls back to a robust running z-score.
 */
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { registerDetector } from '../registry.js';
import { packF64, unpackF64, type ModelState } from '../../state.js';
import { familyFactory } from './factory.js';
import { PeriodTracker, trackerFor, type PeriodTrackerState } from './period.js';
import { medianOf } from './select.js';
import { ScoreStage, bandOutput, coldOutput, num, sided, stageSpec, type StageSpec, type StageState } from './stage.js';

export const SEASONAL_CLUSTER = 'seasonal-cluster';
const VERSION = 1;
const SEGMENTS = 48;

export interface SeasonalClusterSpec extends StageSpec {
  /** Seasonal period in buckets; 0 = detect. */
  period: number;
  /** Most clusters tried. */
  maxClusters: number;
  /** Complete windows clustered (the most recent). */
  windows: number;
}

export function seasonalClusterSpec(spec?: Partial<SeasonalClusterSpec>): SeasonalClusterSpec {
  const s = spec as Record<string, unknown> | undefined;
  return {
    ...stageSpec(s),
    period: num(s, 'period', 0, 0, 1e6),
    maxClusters: num(s, 'maxClusters', 3, 1, 8),
    windows: num(s, 'windows', 28, 3, 1000),
  };
}

interface ClusterState {
  context: DetectorContext;
  tracker: PeriodTrackerState;
  stage: StageState;
  k: number;
  len: number;
  cycle: number;
  profiles: (number | null)[];
  spreads: (number | null)[];
  labels: number[];
  labelsEnd: number;
  prefix: (number | null)[];
  prefixN: number;
  level: number;
  scale: number;
  started: boolean;
}

class SeasonalClusterDetector implements Detector {
  readonly type = SEASONAL_CLUSTER;
  readonly coldStartBuckets: number;
  private readonly tracker: PeriodTracker;
  private readonly stage: ScoreStage;
  /** Clusters, window length (buckets) and windows per full period. */
  private k = 0;
  private len = 0;
  private cycle = 1;
  /** k × len profiles and spreads (original units). */
  private profiles: Float64Array = new Float64Array(0);
  private spreads: Float64Array = new Float64Array(0);
  /** Cluster label of each recent complete window, oldest first; the last ends at window `labelsEnd`. */
  private labels: number[] = [];
  private labelsEnd = 0;
  /** Per-cluster Σ clipped z² of the current window so far, and how many buckets it holds. */
  private prefix: Float64Array = new Float64Array(0);
  private prefixN = 0;
  /** Fallback robust z-score. */
  private level = 0;
  private scale = 0;
  private started = false;

  constructor(
    private readonly context: DetectorContext,
    private readonly spec: SeasonalClusterSpec,
    state?: ClusterState,
  ) {
    const { tracker, firstAt } = trackerFor(context.bucketSpanMs, spec.period, state?.tracker);
    this.tracker = tracker;
    this.coldStartBuckets = firstAt;
    this.stage = new ScoreStage(spec, state?.stage);
    if (state) {
      this.k = state.k;
      this.len = state.len;
      this.cycle = state.cycle;
      this.profiles = unpackF64(state.profiles);
      this.spreads = unpackF64(state.spreads);
      this.labels = state.labels;
      this.labelsEnd = state.labelsEnd;
      this.prefix = unpackF64(state.prefix);
      this.prefixN = state.prefixN;
      this.level = state.level;
      this.scale = state.scale;
      this.started = state.started;
    }
  }

  /** Clusters the recent complete windows; sets k, profiles, spreads and labels. */
  private recluster(): void {
    const L = this.tracker.base;
    const P = this.tracker.period;
    this.k = 0;
    if (!(L > 1 && P >= L)) return;
    const seen = this.tracker.seen;
    const ring = this.tracker.ring;
    const endWin = Math.floor(seen / L); // windows [.., endWin) are complete
    const avail = Math.floor(Math.min(ring.size, seen - (endWin - Math.floor(ring.size / L)) * L) / L);
    const W = Math.min(this.spec.windows, avail, endWin);
    if (W < 3) return;
    this.len = L;
    this.cycle = Math.max(1, Math.round(P / L));
    // windows, oldest first: value at (w, j) = bucket (endWin - W + w) * L + j
    const data = new Float64Array(W * L);
    const ageOf = (abs: number): number => seen - 1 - abs;
    for (let w = 0; w < W; w++) {
      const base = (endWin - W + w) * L;
      for (let j = 0; j < L; j++) data[w * L + j] = ring.get(ageOf(base + j));
    }
    // fill gaps with the slot mean over windows (or the overall mean)
    let tot = 0;
    let cnt = 0;
    for (let i = 0; i < data.length; i++) if (!Number.isNaN(data[i])) { tot += data[i]; cnt++; }
    if (cnt === 0) return;
    const overall = tot / cnt;
    for (let j = 0; j < L; j++) {
      let s = 0, c = 0;
      for (let w = 0; w < W; w++) { const v = data[w * L + j]; if (!Number.isNaN(v)) { s += v; c++; } }
      const fill = c > 0 ? s / c : overall;
      for (let w = 0; w < W; w++) if (Number.isNaN(data[w * L + j])) data[w * L + j] = fill;
    }
    // piecewise aggregate to at most SEGMENTS points per window
    const S = Math.min(SEGMENTS, L);
    const paa = new Float64Array(W * S);
    for (let w = 0; w < W; w++) {
      for (let s = 0; s < S; s++) {
        const a = Math.floor((s * L) / S);
        const b = Math.floor(((s + 1) * L) / S);
        let m = 0;
        for (let j = a; j < b; j++) m += data[w * L + j];
        paa[w * S + s] = m / (b - a);
      }
    }
    // k-means for k = 1..maxClusters; keep k while the error drops by at least 35 %
    let labels = new Int32Array(W);
    let sse = kmeans(paa, W, S, 1, labels);
    const maxK = Math.min(this.spec.maxClusters, Math.floor(W / 2));
    for (let k = 2; k <= maxK; k++) {
      const lab = new Int32Array(W);
      const e = kmeans(paa, W, S, k, lab);
      const sizes = new Int32Array(k);
      for (let w = 0; w < W; w++) sizes[lab[w]]++;
      let minSize = W;
      for (let c = 0; c < k; c++) minSize = Math.min(minSize, sizes[c]);
      if (minSize < 2 || e > 0.65 * sse) break;
      labels = lab;
      sse = e;
    }
    let k = 0;
    for (let w = 0; w < W; w++) k = Math.max(k, labels[w] + 1);
    // full-resolution profiles (slot median would be sturdier; the mean of a cluster is what k-means fits)
    const prof = new Float64Array(k * L);
    const spr = new Float64Array(k * L);
    const sizes = new Float64Array(k);
    for (let w = 0; w < W; w++) sizes[labels[w]]++;
    for (let w = 0; w < W; w++) {
      const c = labels[w];
      for (let j = 0; j < L; j++) prof[c * L + j] += data[w * L + j] / sizes[c];
    }
    for (let w = 0; w < W; w++) {
      const c = labels[w];
      for (let j = 0; j < L; j++) {
        const d = data[w * L + j] - prof[c * L + j];
        spr[c * L + j] += (d * d) / Math.max(1, sizes[c] - 1);
      }
    }
    // spread: half the slot's own variance, half the cluster's median variance, floored
    const floor = 1e-9 * (Math.abs(overall) + 1) + 1e-12;
    for (let c = 0; c < k; c++) {
      const med = medianOf(Float64Array.from(spr.subarray(c * L, (c + 1) * L)));
      for (let j = 0; j < L; j++) spr[c * L + j] = Math.max(Math.sqrt(0.5 * spr[c * L + j] + 0.5 * med), floor);
    }
    this.k = k;
    this.profiles = prof;
    this.spreads = spr;
    this.labels = Array.from(labels);
    this.labelsEnd = endWin;
    this.prefix = new Float64Array(k);
    this.prefixN = 0;
  }

  /** The cluster the current window should follow. */
  private expected(win: number): number {
    if (this.cycle > 1) {
      const votes = new Int32Array(this.k);
      let any = false;
      for (let back = this.cycle; back <= this.labels.length; back += this.cycle) {
        // window (win - back) sits at this position of labels (the last label is window labelsEnd - 1)
        const pos = this.labels.length - (this.labelsEnd - (win - back));
        if (pos >= 0 && pos < this.labels.length) {
          votes[this.labels[pos]]++;
          any = true;
        }
      }
      if (any) {
        let best = 0;
        for (let c = 1; c < this.k; c++) if (votes[c] > votes[best]) best = c;
        return best;
      }
    }
    let best = 0;
    for (let c = 1; c < this.k; c++) if (this.prefix[c] < this.prefix[best]) best = c;
    return best;
  }

  private fallback(value: number, out: DetectorOutput, learnOnly: boolean): void {
    if (!this.started) {
      this.level = value;
      this.started = true;
      if (!learnOnly) coldOutput(out);
      return;
    }
    const sig = Math.max(1.2533 * this.scale, 1e-9 * (Math.abs(this.level) + 1) + 1e-12);
    const e = value - this.level;
    if (!learnOnly) {
      const z = e / sig;
      bandOutput(out, this.level, sig);
      this.stage.score(out, sided(z, this.context.side));
      this.describe(out, z, 'running level (no seasonality found)');
    }
    const c = 3 * sig;
    this.level += 0.02 * (e > c ? c : e < -c ? -c : e);
    const ae = Math.abs(e);
    const cap = this.scale > 0 ? 5 * this.scale : ae;
    this.scale += 0.01 * ((ae < cap ? ae : cap) - this.scale);
  }

  private describe(out: DetectorOutput, z: number, what: string): void {
    if (out.score > 0) {
      out.kind = z > 0 ? 'spike' : 'dip';
      out.explanation = `${z.toFixed(1)}σ from the ${what}`;
    } else {
      out.kind = 'none';
      out.explanation = '';
    }
  }

  update(_time: number, value: number, out: DetectorOutput): void {
    const missing = Number.isNaN(value);
    const t = this.tracker.seen;
    const scoring = t >= this.coldStartBuckets;
    if (this.k > 0) {
      const L = this.len;
      const win = Math.floor(t / L);
      const j = t - win * L;
      const c = this.expected(win);
      const typ = this.profiles[c * L + j];
      const sd = this.spreads[c * L + j];
      bandOutput(out, typ, sd);
      if (missing) this.stage.missingBucket(out);
      else {
        const z = (value - typ) / sd;
        for (let q = 0; q < this.k; q++) {
          const zq = (value - this.profiles[q * L + j]) / this.spreads[q * L + j];
          const zc = zq > 5 ? 5 : zq < -5 ? -5 : zq;
          this.prefix[q] += zc * zc;
        }
        this.prefixN++;
        const m = this.prefixN;
        const windowZ = (this.prefix[c] - m) / Math.sqrt(2 * m);
        const raw = Math.max(sided(z, this.context.side), this.context.side ? 0 : windowZ);
        this.stage.score(out, raw);
        if (out.score > 0 && windowZ > Math.abs(z)) {
          out.kind = 'pattern';
          out.explanation = `window so far is ${windowZ.toFixed(1)}σ from its usual profile (${this.k} profiles of ${L} buckets)`;
        } else {
          this.describe(out, z, `profile of cluster ${c + 1}/${this.k}`);
        }
      }
      if (!missing) this.fallback(value, out, true);
    } else if (scoring && !missing) {
      this.fallback(value, out, false);
    } else {
      if (!missing) this.fallback(value, out, true);
      coldOutput(out, missing);
      if (missing && scoring) this.stage.missing(out);
    }
    const changed = this.tracker.push(value);
    const L = this.tracker.base;
    if (changed || (L > 1 && this.tracker.seen % L === 0 && this.tracker.seen >= this.coldStartBuckets)) this.recluster();
    else if (this.k > 0 && this.tracker.seen % this.len === 0) {
      this.prefix.fill(0);
      this.prefixN = 0;
    }
  }

  toState(): ModelState {
    const state: ClusterState = {
      context: this.context,
      tracker: this.tracker.toState(),
      stage: this.stage.toState(),
      k: this.k,
      len: this.len,
      cycle: this.cycle,
      profiles: packF64(this.profiles),
      spreads: packF64(this.spreads),
      labels: this.labels,
      labelsEnd: this.labelsEnd,
      prefix: packF64(this.prefix),
      prefixN: this.prefixN,
      level: this.level,
      scale: this.scale,
      started: this.started,
    };
    return { type: SEASONAL_CLUSTER, version: VERSION, spec: this.spec, state };
  }

  memoryBytes(): number {
    return this.tracker.memoryBytes() + this.stage.memoryBytes() + this.profiles.byteLength + this.spreads.byteLength +
      this.labels.length * 8 + this.prefix.byteLength + 128;
  }
}

/**
 * Lloyd's k-means on n rows of d columns; deterministic farthest-point start (first centre: the row
 * nearest the mean). Writes labels (relabelled in order of first appearance) and returns the error.
 */
export function kmeans(x: Float64Array, n: number, d: number, k: number, labels: Int32Array): number {
  const cent = new Float64Array(k * d);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const dist = (i: number, c: Float64Array, ci: number): number => {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const e = x[i * d + j] - c[ci * d + j];
      s += e * e;
    }
    return s;
  };
  let first = 0;
  let bd = Infinity;
  for (let i = 0; i < n; i++) {
    const v = dist(i, mean, 0);
    if (v < bd) { bd = v; first = i; }
  }
  cent.set(x.subarray(first * d, first * d + d), 0);
  const near = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let far = 0;
    let fd = -1;
    for (let i = 0; i < n; i++) {
      near[i] = Math.min(near[i], dist(i, cent, c - 1));
      if (near[i] > fd) { fd = near[i]; far = i; }
    }
    cent.set(x.subarray(far * d, far * d + d), c * d);
  }
  let sse = 0;
  for (let it = 0; it < 20; it++) {
    let moved = false;
    sse = 0;
    for (let i = 0; i < n; i++) {
      let b = 0;
      let bv = Infinity;
      for (let c = 0; c < k; c++) {
        const v = dist(i, cent, c);
        if (v < bv) { bv = v; b = c; }
      }
      if (labels[i] !== b || it === 0) moved = moved || labels[i] !== b;
      labels[i] = b;
      sse += bv;
    }
    if (!moved && it > 0) break;
    const cnt = new Float64Array(k);
    cent.fill(0);
    for (let i = 0; i < n; i++) {
      cnt[labels[i]]++;
      for (let j = 0; j < d; j++) cent[labels[i] * d + j] += x[i * d + j];
    }
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) cent[c * d + j] = cnt[c] > 0 ? cent[c * d + j] / cnt[c] : mean[j];
  }
  // relabel by first appearance, dropping empty clusters
  const map = new Int32Array(k).fill(-1);
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (map[labels[i]] < 0) map[labels[i]] = next++;
    labels[i] = map[labels[i]];
  }
  return sse;
}

export const seasonalClusterFactory = familyFactory<SeasonalClusterSpec, ClusterState>({
  type: SEASONAL_CLUSTER,
  version: VERSION,
  description: 'ADESCA: clusters period-long windows into profiles and scores deviation from the expected profile.',
  spec: seasonalClusterSpec,
  make: (context, spec, state) => new SeasonalClusterDetector(context, spec, state),
});

registerDetector(seasonalClusterFactory);
