/**
 * Job-level score normalisation and renormalisation (Elastic's normaliser, simplified).
 *
 * Models already give calibrated 0–100 "raw" scores per entity. What the job adds is a budget per
 * severity: across the job, over the renormalisation window, high scores must stay rare. The
 * window holds the highest raw record score of every bucket (an exponentially decayed histogram
 * whose memory is the window). A raw score r is allowed in B(r) = max(2, W · 10^(−r/30)) buckets,
 * W being the window in buckets (the configured window, even while the job is younger) times the
 * square root of the number of series modelled (≈ W/300 at 75, W/50 at 50, W/7 at 25); when N(r)
 * buckets reached it, scores at that level are scaled by √(B(r)/N(r)). The map raw → normalised is made monotone
 * (a cumulative maximum over a grid), never raises a score, and is recomputed as the window moves:
 * `record_score` follows it (renormalisation) while `initial_record_score` keeps the value given
 * when the bucket was first final. A job whose anomalies are rare keeps its raw scores.
 */

const BINS = 201; // raw scores 0 … 100 in steps of 0.5
const STEP = 0.5;

export interface NormaliserState {
  hist: number[];
  total: number;
  version: number;
  series: number;
}

export class ScoreNormaliser {
  private readonly hist = new Float64Array(BINS);
  private total = 0;
  private readonly decay: number;
  /** Normalised value at each grid point, rebuilt lazily. */
  private readonly table = new Float64Array(BINS);
  private dirty = true;
  /** Bumps whenever the window changes (callers cache on it). */
  version = 0;
  /** Series the job models: more series, more room for anomalies (the budget grows with √series). */
  private series = 1;

  /** @param windowBuckets the renormalisation window in buckets (memory of the histogram). */
  constructor(readonly windowBuckets: number) {
    this.decay = Math.exp(-1 / Math.max(1, windowBuckets));
  }

  /** Adds one final bucket's highest raw record score (0 for a quiet bucket). */
  observeBucket(maxRawScore: number, series = this.series): void {
    this.series = Math.max(1, series);
    for (let i = 0; i < BINS; i++) this.hist[i] *= this.decay;
    this.total = this.total * this.decay + 1;
    const bin = Math.min(BINS - 1, Math.max(0, Math.floor(maxRawScore / STEP)));
    this.hist[bin] += 1;
    this.dirty = true;
    this.version++;
  }

  private rebuild(): void {
    // the window is taken as full: a young job is not penalised for the history it has not seen
    // yet, so scores only come down as anomalies accumulate (and recover as they age out)
    const w = Math.max(this.total, this.windowBuckets) * Math.sqrt(this.series);
    let tail = 0;
    const g = new Float64Array(BINS);
    for (let i = BINS - 1; i >= 0; i--) {
      tail += this.hist[i];
      const r = i * STEP;
      const budget = Math.max(2, w * Math.pow(10, -r / 30));
      g[i] = tail <= budget ? r : r * Math.sqrt(budget / tail);
    }
    let best = 0;
    for (let i = 0; i < BINS; i++) {
      if (g[i] > best) best = g[i];
      this.table[i] = best;
    }
    this.dirty = false;
  }

  /** The normalised score for a raw score, given the window as it is now. */
  normalise(raw: number): number {
    if (!(raw > 0)) return 0;
    if (this.dirty) this.rebuild();
    const x = Math.min(raw, 100) / STEP;
    const i = Math.min(BINS - 2, Math.floor(x));
    const f = x - i;
    // between grid points: interpolate, and never above the raw score
    const v = this.table[i] + f * (this.table[i + 1] - this.table[i]);
    const scaled = this.table[i] >= i * STEP - 1e-9 && this.table[i + 1] >= (i + 1) * STEP - 1e-9 ? raw : v;
    return Math.min(raw, Math.max(0, scaled));
  }

  toState(): NormaliserState {
    return { hist: Array.from(this.hist), total: this.total, version: this.version, series: this.series };
  }

  static fromState(s: NormaliserState, windowBuckets: number): ScoreNormaliser {
    const n = new ScoreNormaliser(windowBuckets);
    n.hist.set(s.hist);
    n.total = s.total;
    n.version = s.version;
    n.series = s.series;
    return n;
  }
}

/** Scores are reported with Elastic's precision habits: up to 6 decimals. */
export function roundScore(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
