/**
 * Rarity of categorical values (Elastic's `rare` and `freq_rare`): how surprising it is to see a
 * value (a process name, a URL, a status code) given how often each value has appeared.
 *
 * Model: for every value, an exponentially decayed count of the buckets it appeared in (or, in
 * population analysis, of the members that used it in a bucket), and the decayed number of first
 * occurrences after the first `minBuckets` (while the set of values is being learnt, every value
 * is new). A value's probability is its own smoothed frequency q = (n + ½)/(N + 1) times the
 * share of all occurrences that went to values at most as frequent as it (for a never-seen value:
 * the share of first occurrences). So a new value is surprising where novelty itself is rare (a
 * stable set of processes), and unremarkable in a field where new values come all the time (URLs
 * with ids). The surprise −ln p is calibrated to 0–100 like every other model. State is versioned.
 */
import { SurpriseCalibrator, scoreFromSurprise, type CalibratorState } from '../../score/calibrator.js';
import { checkState, type ModelState } from '../../state.js';

const TYPE = 'rare';
const VERSION = 1;

export interface RareSpec {
  /** Half-life of the counts, in buckets. */
  halfLifeBuckets: number;
  /** Buckets seen before any value is scored. */
  minBuckets: number;
}

export const RARE_DEFAULTS: RareSpec = { halfLifeBuckets: 5000, minBuckets: 20 };

export interface RareScore {
  probability: number;
  score: number;
  /** The value had never been seen before. */
  firstOccurrence: boolean;
  /** Its frequency relative to the typical value's (≤ 1 for rare values). */
  relativeRarity: number;
  /** Expected occurrences per bucket of this value. */
  typical: number;
}

export function newRareScore(): RareScore {
  return { probability: 1, score: 0, firstOccurrence: false, relativeRarity: 1, typical: 0 };
}

interface RareStateBody {
  counts: [string, number][];
  buckets: number;
  weight: number;
  total: number;
  firsts: number;
  cal: CalibratorState;
}

export class RareModel {
  readonly spec: RareSpec;
  private readonly counts = new Map<string, number>();
  private buckets = 0; // buckets seen (not decayed)
  private weight = 0; // decayed number of buckets N
  private total = 0; // decayed occurrences
  private firsts = 0; // decayed first occurrences
  private readonly decay: number;
  private calibrator = new SurpriseCalibrator({ halfLife: 50_000 });
  /** Sorted counts and prefix sums, rebuilt once per bucket for rank queries. */
  private sorted: Float64Array | null = null;
  private prefix: Float64Array | null = null;

  constructor(spec: Partial<RareSpec> = {}) {
    this.spec = { ...RARE_DEFAULTS, ...spec };
    this.decay = Math.exp(-Math.LN2 / this.spec.halfLifeBuckets);
  }

  get warm(): boolean {
    return this.buckets >= this.spec.minBuckets;
  }

  /** Number of distinct values known. */
  get size(): number {
    return this.counts.size;
  }

  private ensureIndex(): void {
    if (this.sorted) return;
    const a = Float64Array.from(this.counts.values()).sort();
    const p = new Float64Array(a.length + 1);
    for (let i = 0; i < a.length; i++) p[i + 1] = p[i] + a[i];
    this.sorted = a;
    this.prefix = p;
  }

  /** Occurrences that went to values with a count ≤ n. */
  private massAtMost(n: number): number {
    this.ensureIndex();
    const a = this.sorted!;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] <= n * (1 + 1e-12)) lo = mid + 1;
      else hi = mid;
    }
    return this.prefix![lo];
  }

  /** Scores one value seen in the current bucket (does not learn). */
  score(value: string, out: RareScore): void {
    const n = this.counts.get(value) ?? 0;
    const N = this.weight;
    const q = (n + 0.5) / (N + 1);
    out.firstOccurrence = n === 0;
    out.typical = N > 0 ? n / N : 0;
    // the most common value's frequency, for the relative rarity
    this.ensureIndex();
    const top = this.sorted!.length ? this.sorted![this.sorted!.length - 1] : 0;
    out.relativeRarity = top > 0 ? n / top : 0;
    out.probability = 1;
    out.score = 0;
    if (!this.warm) return;
    const share = n === 0 ? (this.firsts + 1) / (this.total + 2) : (this.massAtMost(n) + 1) / (this.total + 2);
    const p = Math.min(1, q * share);
    const nats = -Math.log(p);
    out.probability = p;
    out.score = scoreFromSurprise(this.calibrator.calibrate(nats));
  }

  /** Learns one bucket: the values that appeared in it (each once per bucket, or per member). */
  learn(values: Iterable<[string, number]>): void {
    this.buckets++;
    this.weight = this.weight * this.decay + 1;
    this.total *= this.decay;
    this.firsts *= this.decay;
    for (const [k, c] of this.counts) {
      const v = c * this.decay;
      if (v < 1e-3) this.counts.delete(k);
      else this.counts.set(k, v);
    }
    // first occurrences while the model is still learning the set of values are not novelty
    const learning = this.buckets <= this.spec.minBuckets;
    for (const [value, times] of values) {
      const prev = this.counts.get(value);
      if (prev === undefined && !learning) this.firsts += 1;
      this.counts.set(value, (prev ?? 0) + times);
      this.total += times;
    }
    this.sorted = null;
    this.prefix = null;
  }

  memoryBytes(): number {
    let b = 300 + this.calibrator.hist.byteLength;
    for (const k of this.counts.keys()) b += 64 + 2 * k.length;
    return b;
  }

  toState(): ModelState<RareStateBody, RareSpec> {
    return {
      type: TYPE,
      version: VERSION,
      spec: { ...this.spec },
      state: {
        counts: [...this.counts],
        buckets: this.buckets,
        weight: this.weight,
        total: this.total,
        firsts: this.firsts,
        cal: this.calibrator.toState(),
      },
    };
  }

  static fromState(state: ModelState): RareModel {
    checkState(state, TYPE, VERSION);
    const s = state as ModelState<RareStateBody, RareSpec>;
    const m = new RareModel(s.spec);
    for (const [k, v] of s.state.counts) m.counts.set(k, v);
    m.buckets = s.state.buckets;
    m.weight = s.state.weight;
    m.total = s.state.total;
    m.firsts = s.state.firsts;
    m.calibrator = SurpriseCalibrator.fromState(s.state.cal, { halfLife: 50_000 });
    return m;
  }
}
