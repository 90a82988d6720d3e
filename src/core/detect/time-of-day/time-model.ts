/**
 * When events happen (Elastic's `time_of_day` and `time_of_week`): a circular histogram of event
 * times within the day (30-minute bins) or week (hourly bins), exponentially decayed, smoothed with
 * a Gaussian kernel of one bin, plus a floor of mass that shrinks as events accumulate. An event's probability is the mass of all times at most as likely as its
 * own (a highest-density tail), so a login at 03:00 from someone who works 9–17 is surprising and
 * one at 10:00 is not, whatever the shape of the day. Each bucket is scored by its most unusual
 * event. State is versioned.
 */
import { SurpriseCalibrator, scoreFromSurprise, type CalibratorState } from '../../score/calibrator.js';
import { checkState, type ModelState } from '../../state.js';

const TYPE = 'time_of_day';
const VERSION = 1;
const DAY = 86_400_000;

export interface TimeModelSpec {
  /** 1 day (time_of_day) or 1 week (time_of_week), ms. */
  periodMs: number;
  /** Histogram bins over the period. */
  bins: number;
  halfLifeBuckets: number;
  /** Events seen before any score is given. */
  minEvents: number;
  /** Time seen before any score is given, ms (default one period). */
  minSpanMs: number;
}

export function timeModelSpec(periodMs: number): TimeModelSpec {
  return { periodMs, bins: periodMs === DAY ? 48 : 168, halfLifeBuckets: 5000, minEvents: 30, minSpanMs: periodMs };
}

export interface TimeScore {
  probability: number;
  score: number;
  /** Offset of the scored event in the period, seconds (Elastic's actual). */
  actualSeconds: number;
  /** Offset of the most likely time in the period, seconds (Elastic's typical). */
  typicalSeconds: number;
}

export function newTimeScore(): TimeScore {
  return { probability: 1, score: 0, actualSeconds: NaN, typicalSeconds: NaN };
}

interface TimeStateBody {
  hist: number[];
  events: number;
  first: number | null;
  last: number | null;
  cal: CalibratorState;
}

export class TimeModel {
  readonly spec: TimeModelSpec;
  private readonly hist: Float64Array;
  private events = 0;
  private first = NaN;
  private last = NaN;
  private readonly decay: number;
  private calibrator = new SurpriseCalibrator({ halfLife: 50_000 });
  /** Smoothed probability per bin, and its HDR tail mass, rebuilt lazily. */
  private prob: Float64Array | null = null;
  private tail: Float64Array | null = null;

  constructor(spec: TimeModelSpec) {
    this.spec = { ...spec };
    this.hist = new Float64Array(spec.bins);
    this.decay = Math.exp(-Math.LN2 / spec.halfLifeBuckets);
  }

  get warm(): boolean {
    return this.events >= this.spec.minEvents && this.last - this.first >= this.spec.minSpanMs;
  }

  /** Offset of an epoch-ms time in the period (weeks start on Monday 00:00 UTC). */
  offsetOf(time: number): number {
    const p = this.spec.periodMs;
    const shifted = p === DAY ? time : time + 3 * DAY; // 1970-01-01 was a Thursday
    return ((shifted % p) + p) % p;
  }

  private binOf(offset: number): number {
    return Math.min(this.spec.bins - 1, Math.floor((offset / this.spec.periodMs) * this.spec.bins));
  }

  private rebuild(): void {
    const B = this.spec.bins;
    // circular Gaussian kernel (σ = one bin) over the decayed histogram
    const kernel = [0.0044, 0.054, 0.242, 0.399, 0.242, 0.054, 0.0044];
    const smooth = new Float64Array(B);
    let total = 0;
    for (let i = 0; i < B; i++) {
      let v = 0;
      for (let k = -3; k <= 3; k++) v += kernel[k + 3] * this.hist[(i + k + B) % B];
      smooth[i] = v;
      total += v;
    }
    // a little mass everywhere, shrinking as evidence grows: nothing is impossible, and a time
    // never seen in many events is rarer than one never seen in few
    const eps = 1 / (100 * (this.events + 10));
    const prob = new Float64Array(B);
    for (let i = 0; i < B; i++) prob[i] = (total > 0 ? (1 - eps) * (smooth[i] / total) : 0) + eps / B;
    const order = Array.from(prob.keys()).sort((a, b) => prob[a] - prob[b]);
    const tail = new Float64Array(B);
    let acc = 0;
    for (let k = 0; k < B; k++) {
      const i = order[k];
      acc += prob[i];
      tail[i] = acc; // mass of bins at most as likely as bin i
    }
    this.prob = prob;
    this.tail = tail;
  }

  /** Scores a bucket's event times (epoch ms); the most unusual one decides. Does not learn. */
  score(times: ArrayLike<number>, out: TimeScore): void {
    if (!this.prob) this.rebuild();
    const prob = this.prob!;
    let mode = 0;
    for (let i = 1; i < prob.length; i++) if (prob[i] > prob[mode]) mode = i;
    out.typicalSeconds = Math.round(((mode + 0.5) / this.spec.bins) * (this.spec.periodMs / 1000));
    out.probability = 1;
    out.score = 0;
    out.actualSeconds = NaN;
    let worst = Infinity;
    for (let k = 0; k < times.length; k++) {
      const off = this.offsetOf(times[k]);
      const b = this.binOf(off);
      const p = this.tail![b];
      if (p < worst) {
        worst = p;
        out.actualSeconds = Math.floor(off / 1000);
      }
    }
    if (!this.warm || !(worst < 1)) return;
    // one event per bucket is scored: the tail mass is the probability of an event this unusual
    const p = Math.max(worst, 1e-300);
    out.probability = p;
    out.score = scoreFromSurprise(this.calibrator.calibrate(-Math.log(p)));
  }

  /** Learns a bucket's event times (epoch ms). */
  learn(times: ArrayLike<number>): void {
    for (let i = 0; i < this.hist.length; i++) this.hist[i] *= this.decay;
    for (let k = 0; k < times.length; k++) {
      const t = times[k];
      this.hist[this.binOf(this.offsetOf(t))] += 1;
      this.events++;
      if (!(t >= this.first)) this.first = t;
      if (!(t <= this.last)) this.last = t;
    }
    this.prob = null;
    this.tail = null;
  }

  memoryBytes(): number {
    return 200 + this.hist.byteLength * 3 + this.calibrator.hist.byteLength;
  }

  toState(): ModelState<TimeStateBody, TimeModelSpec> {
    return {
      type: TYPE,
      version: VERSION,
      spec: { ...this.spec },
      state: {
        hist: Array.from(this.hist),
        events: this.events,
        first: Number.isNaN(this.first) ? null : this.first,
        last: Number.isNaN(this.last) ? null : this.last,
        cal: this.calibrator.toState(),
      },
    };
  }

  static fromState(state: ModelState): TimeModel {
    checkState(state, TYPE, VERSION);
    const s = state as ModelState<TimeStateBody, TimeModelSpec>;
    const m = new TimeModel(s.spec);
    m.hist.set(s.state.hist);
    m.events = s.state.events;
    m.first = s.state.first ?? NaN;
    m.last = s.state.last ?? NaN;
    m.calibrator = SurpriseCalibrator.fromState(s.state.cal, { halfLife: 50_000 });
    return m;
  }
}
