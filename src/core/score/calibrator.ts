/**
 * Maps a detector's raw surprise (−ln probability, in nats) to Vigil's 0–100 record score, on one
 * scale for every series. Two views are combined:
 *   - the model's own surprise, read through fixed anchors (p = 1e-3 → 0, 1e-5 → 25, 1e-7 → 50,
 *     1e-11 → 75, 1e-20 → 100), so a well-calibrated model's probabilities mean what they say;
 *   - the empirical rarity of that surprise in the series' own (exponentially decayed) history, so a
 *     model that is over-confident on a heavy-tailed series cannot flood the user with alerts: a
 *     surprise is capped at a few nats above how rare it actually is here.
 * This is the role of ml-cpp's normaliser and Merlion's calibrator. State is a small histogram.
 */
const BIN_WIDTH = 0.5; // nats per histogram bin below LINEAR_MAX
const LINEAR_BINS = 80; // 0 … 40 nats in steps of BIN_WIDTH
const LINEAR_MAX = LINEAR_BINS * BIN_WIDTH;
/** Above 40 nats bins are log-spaced (×1.5 each), so the largest surprises seen stay distinguishable. */
const LOG_STEP = Math.log(1.5);
const BINS = 112; // covers 0 … 40·1.5^32 ≈ 17 M nats; larger surprises fall into the last bin

function binOf(nats: number): number {
  if (nats < LINEAR_MAX) return nats > 0 ? Math.floor(nats / BIN_WIDTH) : 0;
  return Math.min(BINS - 1, LINEAR_BINS + Math.floor(Math.log(nats / LINEAR_MAX) / LOG_STEP));
}

function upperEdgeOf(bin: number): number {
  return bin < LINEAR_BINS ? (bin + 1) * BIN_WIDTH : LINEAR_MAX * Math.exp((bin - LINEAR_BINS + 1) * LOG_STEP);
}

/** (surprise in nats, score) anchors; linear in between. */
const ANCHORS: ReadonlyArray<readonly [number, number]> = [
  [6.908, 0],
  [11.51, 25],
  [16.12, 50],
  [25.33, 75],
  [46.05, 100],
];

export function scoreFromSurprise(nats: number): number {
  if (!(nats > ANCHORS[0][0])) return 0;
  for (let i = 1; i < ANCHORS.length; i++) {
    const [x1, y1] = ANCHORS[i];
    if (nats <= x1) {
      const [x0, y0] = ANCHORS[i - 1];
      return y0 + ((nats - x0) / (x1 - x0)) * (y1 - y0);
    }
  }
  return 100;
}

/** Surprise (nats) whose score is `score`: the inverse of scoreFromSurprise. */
export function surpriseForScore(score: number): number {
  if (score <= 0) return ANCHORS[0][0];
  for (let i = 1; i < ANCHORS.length; i++) {
    const [x1, y1] = ANCHORS[i];
    if (score <= y1) {
      const [x0, y0] = ANCHORS[i - 1];
      return x0 + ((score - y0) / (y1 - y0)) * (x1 - x0);
    }
  }
  return ANCHORS[ANCHORS.length - 1][0];
}

export interface CalibratorState {
  hist: number[];
  total: number;
  weight: number;
}

export class SurpriseCalibrator {
  readonly hist: Float64Array;
  total = 0;
  private weight = 1;
  /** Per-observation decay of the history (half-life ≈ ln2 / (1 − decay) observations). */
  private readonly decay: number;
  /** How many nats above its empirical rarity a surprise may be scored. */
  private readonly margin: number;

  constructor(options: { halfLife?: number; margin?: number } = {}) {
    this.hist = new Float64Array(2 * BINS);
    this.decay = Math.exp(-Math.LN2 / (options.halfLife ?? 20_000));
    this.margin = options.margin ?? 6;
  }

  /**
   * Calibrated surprise for `nats`; then records it in the history. Deviations above and below
   * the model (`low`) keep separate histories: a series whose bursts are always upwards has not
   * thereby seen a drop of that size.
   */
  calibrate(nats: number, low = false, record = true): number {
    const bin = binOf(nats) + (low ? BINS : 0);
    let result = nats;
    // below the first anchor the score is 0 whatever the history says: skip the tail sum
    if (nats > ANCHORS[0][0]) {
      // decayed weight of past surprises at least this large, relative to the newest weight
      let tail = 0;
      const end = low ? 2 * BINS : BINS;
      for (let i = bin; i < end; i++) tail += this.hist[i];
      const w = this.weight;
      const n = this.total / w;
      const frac = Math.max(tail / w, 0.5) / (n + 1);
      const cap = -Math.log(frac) + this.margin;
      if (nats > cap) {
        // beyond the cap, what is far outside anything seen here still counts, at a reduced rate:
        // an outage 25σ deep must outrank the usual heavy-tail blips, whatever the history length
        const seen = this.largestSeen(low ? BINS : 0);
        result = cap + 0.3 * Math.max(0, nats - Math.max(seen, cap));
      }
    }
    if (record) this.observe(bin);
    return result;
  }

  /** Records a surprise in the history without calibrating it (an event's peak, once it is over). */
  record(nats: number, low = false): void {
    this.observe(binOf(nats) + (low ? BINS : 0));
  }

  /**
   * Shrinks the weight of past surprises above `nats` by `factor` (total unchanged): when the model
   * changes structure (a seasonal component is adopted), the misfits recorded under the old one —
   * every weekend a "quiet day" before the weekly profile — no longer say what is common here.
   */
  discountAbove(nats: number, factor: number): void {
    const from = binOf(nats);
    for (const off of [0, BINS]) for (let i = from; i < BINS; i++) this.hist[off + i] *= factor;
  }

  /** Upper edge of the highest bin (of one side) holding at least half an observation's weight. */
  private largestSeen(offset: number): number {
    const w = this.weight;
    for (let i = BINS - 1; i >= 0; i--) if (this.hist[offset + i] >= 0.5 * w) return upperEdgeOf(i);
    return 0;
  }

  /**
   * Exponential forgetting without touching every bin: each new observation weighs 1/decay times
   * the previous one; all weights are rescaled before they overflow. Ratios — all the calibration
   * reads — are exactly those of a decayed histogram.
   */
  private observe(bin: number): void {
    this.weight /= this.decay;
    this.hist[bin] += this.weight;
    this.total += this.weight;
    if (this.weight > 1e200) {
      const k = 1 / this.weight;
      for (let i = 0; i < this.hist.length; i++) this.hist[i] *= k;
      this.total *= k;
      this.weight = 1;
    }
  }

  toState(): CalibratorState {
    return { hist: Array.from(this.hist), total: this.total, weight: this.weight };
  }

  static fromState(s: CalibratorState, options?: { halfLife?: number; margin?: number }): SurpriseCalibrator {
    const c = new SurpriseCalibrator(options);
    c.hist.set(s.hist);
    c.total = s.total;
    c.weight = s.weight;
    return c;
  }
}
