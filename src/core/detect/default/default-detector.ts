/**
 * Vigil's default online detector.
 *
 * Model: value = level (+ damped trend) + seasonal components + noise, learned online, one bucket
 * at a time. It keeps several hypotheses side by side — no seasonality, the first seasonal period
 * (daily for sub-daily buckets, weekly for daily buckets), and the first plus a second (weekly) —
 * each with three level trackers of different speeds, and predicts with the hypothesis and tracker
 * whose recent one-step errors are lowest (a small online model selection, in the spirit of
 * ml-cpp's competing decompositions). A seasonal component is only used once it has seen two full
 * periods and clearly lowers the error, so it is *learned*, not assumed.
 *
 * Scoring: the residual, divided by a robust noise scale (per time-of-day slot when daily
 * seasonality is on, with a Poisson floor for counts), gives a single-bucket surprise; exponential
 * means of recent standardised residuals and of their squares give multi-bucket surprises for
 * sustained shifts and variance changes (Elastic's multi-bucket anomalies). The largest surprise is
 * calibrated to the 0–100 scale (SurpriseCalibrator) and an alarm policy keeps alerts sparse.
 *
 * Robustness: what the model learns from one bucket is clipped at a few noise scales, so anomalies
 * do not rewrite the model; a run of same-signed large residuals is a level shift, after which the
 * level jumps to the new value at once (one alert, then quiet), except a count that drops to zero
 * (an outage), which stays anomalous until data returns.
 *
 * Causal by construction: update() uses only the state built from earlier buckets. State is a
 * plain, versioned object; toState → fromState continues bit for bit.
 *
 * Parts, in this folder: default-spec.ts (the settings and their defaults), seasonal-profile.ts
 * (one seasonal component), tail-model.ts (heavy-tailed noise), gap-history.ts (how rare a gap is),
 * explain.ts (kind, explanation and multi-bucket impact of a scored bucket).
 */
import { VigilError } from '../../errors.js';
import { checkState, type ModelState } from '../../state.js';
import { SurpriseCalibrator, scoreFromSurprise, type CalibratorState } from '../../score/calibrator.js';
import { AlarmPolicy, type AlarmPolicyState } from '../../score/alarm-policy.js';
import { normalTwoSidedSurprise, normalUpperSurprise } from '../../score/probability.js';
import type { Detector, DetectorContext, DetectorFactory, DetectorOutput, Side } from '../detector.js';
import { registerDetector } from '../registry.js';
import { DEFAULT_SPEC, validateSpec, type DefaultDetectorSpec } from './default-spec.js';
import { explain, impact, kindOf } from './explain.js';
import { GapHistory, type GapHistoryState } from './gap-history.js';
import { SeasonalProfile } from './seasonal-profile.js';
import { TailModel, type TailModelState } from './tail-model.js';

export { DEFAULT_SPEC, type DefaultDetectorSpec } from './default-spec.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const TYPE = 'default';
const VERSION = 5; // 2: sided, log-binned calibration history; record novelty; event base. 3: day-of-week effects (336 weekly slots), event peaks. 4: gap history. 5: trend direction
/** Level tracker speeds: the slowest is set per series (about half a day with daily seasonality). */
const FAST_ALPHAS = [0.12, 0.4] as const;
const NT = FAST_ALPHAS.length + 1;
/** Mean absolute deviation of a standard normal: σ ≈ MAD / 0.7979. */
const MAD_TO_SIGMA = 1 / 0.7978845608;
const Z95 = 1.959963985;
interface Hypothesis {
  /** Seasonal components this hypothesis adds (indices into seasons). */
  components: number;
  level: Float64Array; // per tracker
  trend: Float64Array;
  err: Float64Array; // EW mean |residual| per tracker (tracker choice)
  longErr: number; // EW mean |residual| of its slowest tracker (hypothesis choice)
  scale: number; // EW mean |residual| of its best tracker, clipped (noise scale)
}

export class DefaultDetector implements Detector {
  readonly type = TYPE;
  readonly coldStartBuckets: number;
  readonly spec: DefaultDetectorSpec;
  readonly context: Required<DetectorContext>;

  private readonly seasons: SeasonalProfile[] = [];
  private readonly hyps: Hypothesis[] = [];
  /** Per daily-slot noise multipliers (heteroscedastic noise), when a seasonal component exists. */
  private readonly slotScale: Float64Array | null;
  private readonly calibrator: SurpriseCalibrator;
  private readonly alarm: AlarmPolicy;

  private n = 0; // buckets with a value
  private buckets = 0; // all buckets
  private active = 0; // active hypothesis
  private quantum = Infinity; // smallest non-zero change seen (data resolution)
  private last = NaN;
  private mean = NaN; // slow mean of the data
  private slopeSum = 0; // the slow level summed over the current period
  private slopeCount = 0;
  private slopePrev = NaN; // the slow level's mean over the previous whole period
  private trendDir = 0; // −1 falling, 0 flat, +1 rising (with hysteresis), for model-change annotations
  private spread = 0; // slow mean absolute deviation from it (the series' own scale)
  private mShort = 0; // EW mean of z (sustained shift)
  private m2 = 0.2; // EW mean of mShort² (its own variance, learned)
  private vShort = 1; // EW mean of z² (variance change)
  private vMean = 1;
  private vVar = 0.5;
  /** Deseasonalised slow level when the current event began (NaN outside events): what normal was. */
  private eventBase = NaN;
  /** Largest and smallest values seen (record novelty). */
  private recMax = NaN;
  private recMin = NaN;
  /** This bucket: the multi-bucket statistic is beyond holdSigmas (transient, not state). */
  private building = false;
  /** Largest surprise inside the current event after its first bucket, and its side (recorded when it ends). */
  private peakNats = 0;
  /** Heavy-tailed noise: a power law learned online (see TailModel). */
  private readonly tail = new TailModel();
  private peakLow = false;
  /** Missing buckets in the current run, and past runs counted by length class. */
  private readonly gaps = new GapHistory();
  private run = 0; // signed length of the current run of large residuals
  private readonly recent: Float64Array; // last residuals, for the size of a level shift
  private recentPos = 0;
  private readonly decaySel: number;
  private readonly decayLong: number;
  private readonly alphas: Float64Array;
  /** An event longer than this is taken as the new normal: the levels move to the data. */
  private readonly maxEventBuckets: number;
  /** Buckets over which the trend direction compares the slow level (see observeTrend). */
  private readonly trendPeriod: number;
  /** Each seasonal component's value at the current bucket's centre (see update). */
  private readonly seasVal: Float64Array;
  /** The current bucket's heteroscedastic slot (see update). */
  private slot = 0;

  constructor(context: DetectorContext, spec: Partial<DefaultDetectorSpec> = {}) {
    this.spec = { ...DEFAULT_SPEC, ...spec };
    validateSpec(this.spec);
    if (!(context.bucketSpanMs > 0)) throw new VigilError('INVALID_ARGUMENT', 'bucket span must be positive');
    this.context = { bucketSpanMs: context.bucketSpanMs, side: context.side ?? 'both', isCount: context.isCount ?? false };
    // cold start: the stated minimum, or one day of buckets when a daily season is a candidate,
    // so the first morning's ramp is not reported before the model has seen a day
    const span0 = context.bucketSpanMs;
    this.coldStartBuckets = Math.max(this.spec.coldStart, DAY % span0 === 0 && DAY / span0 >= 4 ? Math.min(DAY / span0, 1000) : 0);
    const span = context.bucketSpanMs;
    // candidate seasonal periods: daily for sub-daily buckets, weekly when it spans enough buckets
    if (DAY % span === 0 && DAY / span >= 4) this.seasons.push(new SeasonalProfile(DAY, span, this.spec.maxSlots, this.spec.seasonalGamma));
    if (WEEK % span === 0 && WEEK / span >= 7) {
      // a whole number of slots per day (24 … 48), so the day-of-week effects can be centred per time of day
      this.seasons.push(new SeasonalProfile(WEEK, span, 7 * Math.min(48, Math.max(24, Math.floor(this.spec.maxSlots / 6))), this.spec.seasonalGamma));
    }
    // weekly over daily: the weekly profile holds only the day-of-week effects (centred per time of
    // day) and each learns on what the other leaves (backfitting), so the daily profile is the
    // average day instead of a mix of the last few days, and the weekly one converges in weeks
    if (this.spec.jointWeekly && this.seasons.length === 2 && this.seasons[1].slots % 7 === 0) this.seasons[1].setCentred(this.seasons[1].slots / 7);
    for (let c = 0; c <= this.seasons.length; c++) {
      this.hyps.push({
        components: c,
        level: new Float64Array(NT).fill(NaN),
        trend: new Float64Array(NT),
        err: new Float64Array(NT),
        longErr: 0,
        scale: NaN,
      });
    }
    this.seasVal = new Float64Array(this.seasons.length);
    this.slotScale = this.seasons.length > 0 ? new Float64Array(Math.min(this.seasons[0].slots, 96)).fill(1) : null;
    this.calibrator = new SurpriseCalibrator({ margin: this.spec.calibrationMargin });
    this.alarm = new AlarmPolicy(this.spec.quietBuckets, this.spec.escalation, this.spec.escalationRatio);
    this.recent = new Float64Array(this.spec.shiftRun);
    this.decaySel = Math.exp(-Math.LN2 / Math.max(20, Math.min(this.spec.selectionHalfLife, 4 * (this.seasons[0]?.periodBuckets ?? 288))));
    const firstPeriod = this.seasons[0]?.periodBuckets ?? 0;
    this.alphas = Float64Array.of(firstPeriod > 0 ? Math.min(0.03, 2 / (firstPeriod + 1)) : 0.03, ...FAST_ALPHAS);
    this.trendPeriod = Math.max(this.seasons[this.seasons.length - 1]?.periodBuckets ?? 0, 48);
    this.maxEventBuckets = firstPeriod > 0 ? Math.max(12, firstPeriod >> 1) : 48;
    this.decayLong = Math.exp(-Math.LN2 / Math.max(50, this.seasons.length > 1 ? this.seasons[1].periodBuckets : (this.seasons[0]?.periodBuckets ?? 288)));
  }

  memoryBytes(): number {
    let bytes = 400 + this.gaps.counts.byteLength + this.calibrator.hist.byteLength + this.recent.byteLength + (this.slotScale?.byteLength ?? 0);
    for (const s of this.seasons) bytes += s.values.byteLength + 64;
    bytes += this.hyps.length * (NT * 3 * 8 + 64);
    return bytes;
  }

  /**
   * The direction of the trend the model currently sees: +1 rising, −1 falling, 0 flat. It moves
   * with hysteresis (a rise of 3 noise scales from one period to the next to become a trend, under 1
   * to end it),
   * so each change is a real change of trend, worth an annotation.
   */
  trendDirection(): number {
    return this.trendDir;
  }

  /** How many seasonal components the model currently uses (cheap; see activePeriods for which). */
  activeComponentCount(): number {
    return this.hyps[this.active].components;
  }

  /** The seasonal periods (ms) the model currently uses. */
  activePeriods(): number[] {
    return this.seasons.slice(0, this.hyps[this.active].components).map((s) => s.periodMs);
  }

  /** The first `components` seasonal components at this bucket's centre (read once per update into seasVal). */
  private seasonal(components: number): number {
    let s = 0;
    for (let c = 0; c < components; c++) s += this.seasVal[c];
    return s;
  }

  private bestTracker(h: Hypothesis): number {
    let best = 0;
    for (let k = 1; k < NT; k++) if (h.err[k] < h.err[best]) best = k;
    return best;
  }

  /** The heteroscedastic slot of a phase (a fraction) of the first seasonal period. */
  private slotOf(frac: number): number {
    const ss = this.slotScale!;
    return Math.min(ss.length - 1, Math.floor(frac * ss.length));
  }

  update(time: number, value: number, out: DetectorOutput): void {
    const centre = time + this.context.bucketSpanMs / 2;
    this.buckets++;
    // every component at this centre, read once: the hypotheses all use them before anything learns
    for (let c = 0; c < this.seasons.length; c++) this.seasVal[c] = this.seasons[c].at(centre);
    // the first period's phase was just found by at(): the noise slot of this bucket, for scoring and learning
    if (this.slotScale) this.slot = this.slotOf(this.seasons[0].frac);
    const hA = this.hyps[this.active];
    const kA = this.bestTracker(hA);
    const seasA = this.seasonal(hA.components);
    const levelA = hA.level[kA];
    const typical = Number.isNaN(levelA) ? NaN : levelA + hA.trend[kA] + seasA;
    const sigma = this.sigma(hA, typical);

    out.typical = typical;
    out.lower = typical - Z95 * sigma;
    out.upper = typical + Z95 * sigma;
    if (this.context.isCount && out.lower < 0) out.lower = 0;
    out.probability = 1;
    out.score = 0;
    out.multiBucketImpact = 0;
    out.kind = 'none';
    out.explanation = '';

    if (Number.isNaN(value)) {
      out.kind = 'missing';
      this.gaps.run++;
      this.alarm.apply(0);
      return;
    }
    const gap = this.gaps.run > 0 ? this.gaps.end(this.spec.gapPrior, this.context.side === 'both' && this.n >= this.coldStartBuckets, this.buckets) : 0;

    // ---- score (before learning: causal) ----
    let single = 0;
    let multi = 0;
    let varSurprise = 0;
    let z = 0;
    this.building = false;
    const warm = this.n >= this.coldStartBuckets && !Number.isNaN(typical) && sigma > 0;
    if (warm) {
      z = (value - typical) / sigma;
      // inside an event, a value back at the level from before the event is a return to normal,
      // not a new anomaly (the fast trackers, or a level shift, followed the event)
      const zBase = this.alarm.inEvent ? (value - (this.eventBase + seasA)) / sigma : z;
      const zs = Math.abs(zBase) < Math.abs(z) ? zBase : z;
      single = this.sideSurprise(zs);
      // heavy tails: when |z| > TAIL_Z is far more common than under a normal law, the tail is read
      // from a power law fitted online (exceedance rate and Hill exponent), not from the normal
      if (this.spec.tailModel) {
        const az = Math.abs(zs);
        single = this.tail.surprise(az, single, this.spec.tailMinExceedances);
        // the noise's tail is learned outside events (an anomaly is not noise), its first bucket aside
        if (!this.alarm.inEvent) this.tail.learn(az);
      }
      // sustained deviation: the EW mean of the *slow* tracker's residual against its own learned
      // spread. The fast trackers follow a day that looks like a Sunday within a few buckets; the
      // slow one keeps expecting a weekday, so the whole day stands out as one event.
      const slowTypical = hA.level[0] + hA.trend[0] + seasA;
      const a = 0.1;
      const slowScale = Math.max(hA.err[0] * MAD_TO_SIGMA, sigma);
      const m = (1 - a) * this.mShort + a * clampAbs((value - slowTypical) / slowScale, 10);
      const sdM = Math.sqrt(Math.max(this.m2, a / (2 - a)));
      multi = this.sideSurprise(m / sdM) - Math.LN2;
      this.building = this.spec.holdSigmas > 0 && Math.abs(m / sdM) >= this.spec.holdSigmas;
      // variance increase: EW mean of z² against its learned mean and spread
      const av = 0.1;
      const v = (1 - av) * this.vShort + av * Math.min(z * z, 9);
      const zv = (v - this.vMean) / Math.sqrt(Math.max(this.vVar, (2 * av) / (2 - av)));
      varSurprise = zv > 0 ? normalUpperSurprise(zv) - Math.LN2 : 0;
      this.mShort = m;
      this.vShort = v;
      const lr = 1 - this.decayLong;
      // the spread learns from bounded values so an anomaly cannot widen it much
      this.m2 += lr * (Math.min(m * m, 16 * Math.max(this.m2, a / (2 - a))) - this.m2);
      this.vMean += lr * (v - this.vMean);
      this.vVar += lr * ((v - this.vMean) * (v - this.vMean) - this.vVar);
    }

    // novelty of the value: beyond anything the series has shown
    let recordNats = 0;
    if (this.spec.recordNats > 0 && this.recMax > this.recMin) {
      const r = this.recMax - this.recMin;
      const side = this.context.side;
      // beyond the record by more than recordMargin noise scales (a trending or heavy-tailed series
      // sets new records by small amounts all the time)
      const mg = warm ? this.spec.recordMargin * sigma : 0;
      const e = value > this.recMax + mg && side !== 'low' ? (value - this.recMax) / r : value < this.recMin - mg && side !== 'high' ? (this.recMin - value) / r : 0;
      if (e > 0) recordNats = this.spec.recordNats + this.spec.recordSlope * Math.min(e, 1);
    }
    if (!(value <= this.recMax)) this.recMax = value;
    if (!(value >= this.recMin)) this.recMin = value;
    const preSlow = hA.level[0];
    // ---- learn ----
    const shifted = this.learn(value, centre, z, warm, sigma);

    if (!warm) {
      this.alarm.apply(0);
      return;
    }
    const surprise = Math.max(single, multi, varSurprise) * this.spec.sensitivity;
    // the side of the history: a variance increase has none and goes with the high side, so the
    // scatter after a burst does not make a later drop look common
    const low = multi > single && multi > varSurprise ? this.mShort < 0 : varSurprise > single ? false : z < 0;
    const wasInEvent = this.alarm.inEvent;
    // the history counts events, not buckets: inside an event only its peak is recorded (when it
    // ends), so a long early-learning deviation or an outage does not make its size look common
    const once = this.spec.historyPerEvent && wasInEvent;
    let calibrated = this.calibrator.calibrate(surprise, low, !once) + recordNats;
    // the gap is its own statistic (already a rarity in this series): not read through the history
    const gapWins = gap * this.spec.sensitivity > calibrated;
    if (gapWins) calibrated = gap * this.spec.sensitivity;
    if (once && surprise > this.peakNats) {
      this.peakNats = surprise;
      this.peakLow = low;
    }
    const raw = scoreFromSurprise(calibrated);
    out.probability = Math.exp(-surprise);
    const reported = this.alarm.apply(raw);
    if (!this.alarm.inEvent && this.peakNats > 0) {
      this.calibrator.record(this.peakNats, this.peakLow);
      this.peakNats = 0;
    }
    if (!wasInEvent && this.alarm.inEvent) this.eventBase = preSlow;
    else if (!this.alarm.inEvent) this.eventBase = NaN;
    out.score = reported;
    out.multiBucketImpact = impact(single, Math.max(multi, varSurprise));
    if (raw > 0) out.kind = gapWins ? 'missing' : kindOf(z, single, multi, varSurprise, shifted, this.hyps[this.active].components > 0);
    if (reported > 0) out.explanation = explain(out.kind, value, typical, z, this.activePeriods());
  }

  private sideSurprise(z: number): number {
    const side: Side = this.context.side;
    if (side === 'both') return normalTwoSidedSurprise(z);
    return side === 'high' ? (z > 0 ? normalUpperSurprise(z) : 0) : z < 0 ? normalUpperSurprise(-z) : 0;
  }

  /** Noise scale (σ) for a prediction at `centre`. */
  private sigma(h: Hypothesis, typical: number): number {
    let s = h.scale * MAD_TO_SIGMA;
    if (Number.isNaN(s)) return NaN;
    if (this.slotScale && h.components > 0 && this.seasons[0].hasCycles(2)) s *= this.slotScale[this.slot];
    // floors: data resolution, a tiny relative noise, and Poisson noise for counts
    const floor = Math.max(
      this.quantum === Infinity ? 0 : this.quantum * 0.5,
      Math.abs(typical) * 1e-4,
      // a deviation of a fraction of a percent of the series' own spread is never an anomaly,
      // however noise-free the series (synthetic and heavily smoothed metrics)
      this.spread * 0.005,
      this.context.isCount ? 0.5 * Math.sqrt(Math.max(typical, 1)) : 0,
      1e-9,
    );
    return s > floor ? s : floor;
  }

  /** Updates every hypothesis and tracker with one value. Returns true when a level shift was applied. */
  private learn(x: number, centre: number, z: number, warm: boolean, sigmaA: number): boolean {
    if (!Number.isNaN(this.last)) {
      const d = Math.abs(x - this.last);
      if (d > 0 && d < this.quantum) this.quantum = d;
    }
    this.last = x;
    this.n++;
    if (Number.isNaN(this.mean)) this.mean = x;
    const sa = this.n > 500 ? 0.002 : Math.max(1 / this.n, 0.002); // (1/n ≤ 0.002 from n = 500 on: no division)
    this.spread += sa * (Math.abs(x - this.mean) - this.spread);
    this.mean += sa * (x - this.mean);
    const hA = this.hyps[this.active];
    const clip = warm && sigmaA > 0 ? this.spec.clipSigmas * sigmaA : Infinity;
    const ds = this.decaySel;
    const dl = this.decayLong;
    // loop invariants, hoisted out of the 3 × NT tracker updates below (same values as written inline)
    const ds1 = 1 - ds;
    const dl1 = 1 - dl;
    const holding = this.alarm.inEvent || this.building;
    // the slow tracker's spread (the multi-bucket statistic's unit) does not learn a deviation as it builds
    const slowErrLearns = !holding || !this.spec.holdSpread;
    // during an anomalous event the slow tracker holds on to what normal looked like
    // (and while a sustained deviation builds, so a quiet day is not absorbed before its peak)
    const aSlow = holding ? this.alphas[0] * 0.1 : this.alphas[0];
    const early = this.n < 10;
    const hyps = this.hyps;

    for (let hi = 0; hi < hyps.length; hi++) {
      const h = hyps[hi];
      const { level, trend, err } = h;
      const seas = this.seasonal(h.components); // no component has learned from this bucket yet
      const y = x - seas;
      const best = this.bestTracker(h);
      for (let k = 0; k < NT; k++) {
        const L = level[k];
        if (L !== L) {
          level[k] = y; // NaN: a tracker's first value
          continue;
        }
        const pred = L + trend[k];
        const r = y - pred;
        const ar = Math.abs(r);
        const arClipped = ar < clip ? ar : clip;
        if (k > 0 || slowErrLearns) err[k] = ds * err[k] + ds1 * arClipped;
        // the slowest tracker measures how much of the data the seasonal components explain
        if (k === 0) h.longErr = dl * h.longErr + dl1 * arClipped;
        if (k === best) {
          const sc = Number.isNaN(h.scale) ? ar : h.scale;
          const target = ar < 4 * sc + 1e-300 || early ? ar : 4 * sc;
          h.scale = Number.isNaN(h.scale) ? ar : h.scale + 0.02 * (target - h.scale);
        }
        // only the slow tracker (what normal looks like) is robust to outliers; the fast ones
        // must follow real changes at once (measured on NAB: clipping them costs ~8 points)
        const rc = k > 0 ? r : r > clip ? clip : r < -clip ? -clip : r;
        const a = k === 0 ? aSlow : this.alphas[k];
        level[k] = pred + a * rc;
        trend[k] = 0.98 * trend[k] + a * 0.05 * rc;
      }
    }

    // heteroscedastic noise per slot of the first seasonal period
    if (this.slotScale && hA.components > 0 && warm) {
      const i = this.slot;
      const ratio = Math.min(Math.abs(z), 6) * MAD_TO_SIGMA;
      this.slotScale[i] += 0.05 * (Math.max(0.25, this.slotScale[i] * ratio) - this.slotScale[i]);
    }

    // seasonal components learn against their own baselines
    for (let c = 0; c < this.seasons.length; c++) {
      const season = this.seasons[c];
      if (season.centredEvery > 0) {
        // day-of-week effects: what the daily profile and its level leave
        const base = this.seasons[0];
        season.learnCentred(centre, x - base.at(centre) - base.baseline, !base.hasCycles(1) ? 0 : !season.hasCycles(2) ? Infinity : this.spec.seasonClipSigmas * sigmaA);
        continue;
      }
      let other = 0;
      for (let o = 0; o < c; o++) other += this.seasons[o].at(centre);
      // the daily profile learns on what the centred weekly one leaves
      for (let o = c + 1; o < this.seasons.length; o++) if (this.seasons[o].centredEvery > 0) other += this.seasons[o].at(centre);
      // the first cycles are averaged unclipped: the profile must find its shape before
      // anything can be called an outlier against it
      const moved = season.learn(centre, x - other, !season.hasCycles(3) ? Infinity : this.spec.seasonClipSigmas * sigmaA);
      if (moved !== 0) {
        // the profile gave `moved` to the level: whatever sits on top of it takes it over
        for (const h of this.hyps) if (h.components > c) for (let k = 0; k < NT; k++) h.level[k] += moved;
        for (let o = c + 1; o < this.seasons.length; o++) this.seasons[o].shift(moved);
      }
    }

    // level shift: a run of same-signed large residuals moves every level to the new value
    this.recent[this.recentPos] = z * (Number.isNaN(sigmaA) ? 0 : sigmaA);
    this.recentPos = this.recentPos + 1 === this.recent.length ? 0 : this.recentPos + 1; // (no integer modulo)
    let shifted = false;
    if (warm && Math.abs(z) > this.spec.shiftSigmas) {
      this.run = Math.sign(z) === Math.sign(this.run) ? this.run + Math.sign(z) : Math.sign(z);
      const outage = this.context.isCount && x === 0;
      if (Math.abs(this.run) >= this.spec.shiftRun && !outage) {
        const delta = median(this.recent);
        for (const h of this.hyps) {
          for (let k = 0; k < NT; k++) {
            h.level[k] += delta;
            h.trend[k] = 0;
          }
        }
        for (const s of this.seasons) s.shift(delta);
        this.run = 0;
        this.mShort = 0;
        shifted = true;
      }
    } else {
      this.run = 0;
    }

    // an event that lasts this long is the new normal (a level shift): adopt the fast level
    if (!shifted && this.alarm.inEvent && this.alarm.length >= this.maxEventBuckets) {
      for (const h of this.hyps) {
        const fast = h.level[NT - 1];
        for (let k = 0; k < NT - 1; k++) {
          h.level[k] = fast;
          h.trend[k] = 0;
        }
      }
      this.mShort = 0;
      this.alarm.restore({ inEvent: false, eventMax: 0, quiet: 0, length: 0 });
      shifted = true;
    }
    const before = this.active;
    this.selectHypothesis();
    this.observeTrend(shifted, this.active !== before);
    return shifted;
  }

  /**
   * Follows the slow level and updates the trend direction (see trendDirection). The trend is the
   * change of the level's mean from one whole period to the next (a week when weekly seasonality is
   * possible), so neither the daily cycle nor a weekend — learned yet or not — reads as a trend.
   */
  private observeTrend(shifted: boolean, switched: boolean): void {
    const h = this.hyps[this.active];
    const level = h.level[0];
    if (Number.isNaN(level) || shifted || switched) {
      // a level shift or a new seasonal hypothesis moves the level at once: not a trend; start over
      this.slopeSum = 0;
      this.slopeCount = 0;
      this.slopePrev = NaN;
      return;
    }
    const per = this.trendPeriod;
    this.slopeSum += level;
    if (++this.slopeCount < per) return;
    const mean = this.slopeSum / this.slopeCount;
    const prev = this.slopePrev;
    this.slopePrev = mean;
    this.slopeSum = 0;
    this.slopeCount = 0;
    const sigma = h.scale * MAD_TO_SIGMA;
    if (Number.isNaN(prev) || this.n < this.coldStartBuckets + per || !(sigma > 0)) return;
    const change = (mean - prev) / sigma;
    if (change > 3) this.trendDir = 1;
    else if (change < -3) this.trendDir = -1;
    else if (Math.abs(change) < 1) this.trendDir = 0;
  }

  /** Moves to a richer seasonal hypothesis when it has proven itself, back when it stops helping. */
  private selectHypothesis(): void {
    let next = this.active;
    for (let c = 1; c < this.hyps.length; c++) {
      const season = this.seasons[c - 1];
      if (!season.hasCycles(2)) break;
      const simpler = this.hyps[c - 1];
      const richer = this.hyps[c];
      if (c > this.active && richer.longErr < 0.85 * this.hyps[next].longErr && next === c - 1) next = c;
      else if (c <= this.active && richer.longErr > simpler.longErr) next = Math.min(next, c - 1);
    }
    if (next !== this.active) {
      const h = this.hyps[next];
      // the new hypothesis' scale was learned on its own residuals all along
      if (Number.isNaN(h.scale)) h.scale = this.hyps[this.active].scale;
      if (next > this.active && this.spec.switchDiscount < 1) this.calibrator.discountAbove(6.908, this.spec.switchDiscount);
      this.active = next;
    }
  }

  toState(): ModelState {
    return {
      type: TYPE,
      version: VERSION,
      spec: { context: this.context, spec: this.spec },
      state: {
        seasons: this.seasons.map((s) => s.toState()),
        hyps: this.hyps.map((h) => ({
          level: nums(h.level),
          trend: Array.from(h.trend),
          err: Array.from(h.err),
          longErr: h.longErr,
          scale: Number.isNaN(h.scale) ? null : h.scale,
        })),
        slotScale: this.slotScale ? Array.from(this.slotScale) : null,
        calibrator: this.calibrator.toState(),
        alarm: this.alarm.toState(),
        n: this.n,
        buckets: this.buckets,
        active: this.active,
        quantum: this.quantum === Infinity ? null : this.quantum,
        last: Number.isNaN(this.last) ? null : this.last,
        mean: Number.isNaN(this.mean) ? null : this.mean,
        spread: this.spread,
        slopeSum: this.slopeSum,
        slopeCount: this.slopeCount,
        slopePrev: Number.isNaN(this.slopePrev) ? null : this.slopePrev,
        trendDir: this.trendDir,
        mShort: this.mShort,
        m2: this.m2,
        vShort: this.vShort,
        vMean: this.vMean,
        vVar: this.vVar,
        run: this.run,
        recMax: Number.isNaN(this.recMax) ? null : this.recMax,
        recMin: Number.isNaN(this.recMin) ? null : this.recMin,
        eventBase: Number.isNaN(this.eventBase) ? null : this.eventBase,
        peakNats: this.peakNats,
        ...this.tail.toState(),
        peakLow: this.peakLow,
        ...this.gaps.toState(),
        recent: Array.from(this.recent),
        recentPos: this.recentPos,
      },
    };
  }

  static fromState(saved: ModelState): DefaultDetector {
    checkState(saved, TYPE, VERSION);
    const { context, spec } = saved.spec as { context: DetectorContext; spec: DefaultDetectorSpec };
    const d = new DefaultDetector(context, spec);
    const s = saved.state as ReturnType<DefaultDetector['toState']>['state'] & Record<string, any>;
    const st = s as any;
    st.seasons.forEach((ss: any, i: number) => d.seasons[i].restore(ss));
    st.hyps.forEach((hs: any, i: number) => {
      const h = d.hyps[i];
      h.level.set(hs.level.map((v: number | null) => (v === null ? NaN : v)));
      h.trend.set(hs.trend);
      h.err.set(hs.err);
      h.longErr = hs.longErr;
      h.scale = hs.scale === null ? NaN : hs.scale;
    });
    if (d.slotScale && st.slotScale) d.slotScale.set(st.slotScale);
    (d as any).calibrator = SurpriseCalibrator.fromState(st.calibrator as CalibratorState, { margin: d.spec.calibrationMargin });
    d.alarm.restore(st.alarm as AlarmPolicyState);
    d.n = st.n;
    d.buckets = st.buckets;
    d.active = st.active;
    d.quantum = st.quantum === null ? Infinity : st.quantum;
    d.last = st.last === null ? NaN : st.last;
    d.mean = st.mean === null ? NaN : st.mean;
    d.spread = st.spread;
    d.slopeSum = st.slopeSum;
    d.slopeCount = st.slopeCount;
    d.slopePrev = st.slopePrev === null ? NaN : st.slopePrev;
    d.trendDir = st.trendDir;
    d.mShort = st.mShort;
    d.m2 = st.m2;
    d.vShort = st.vShort;
    d.vMean = st.vMean;
    d.vVar = st.vVar;
    d.run = st.run;
    d.recMax = st.recMax === null || st.recMax === undefined ? NaN : st.recMax;
    d.recMin = st.recMin === null || st.recMin === undefined ? NaN : st.recMin;
    d.eventBase = st.eventBase === null || st.eventBase === undefined ? NaN : st.eventBase;
    d.peakNats = st.peakNats;
    d.tail.restore(st as TailModelState);
    d.peakLow = st.peakLow;
    d.gaps.restore(st as GapHistoryState);
    d.recent.set(st.recent);
    d.recentPos = st.recentPos;
    return d;
  }
}

function nums(a: Float64Array): (number | null)[] {
  return Array.from(a, (v) => (Number.isNaN(v) ? null : v));
}

function clampAbs(x: number, m: number): number {
  return x > m ? m : x < -m ? -m : x;
}

const ascending = (x: number, y: number): number => x - y;
/** Scratch for median (one per process: median neither nests nor yields). */
let medianScratch: number[] = [];

function median(a: Float64Array): number {
  if (medianScratch.length !== a.length) medianScratch = Array.from(a);
  else for (let i = 0; i < a.length; i++) medianScratch[i] = a[i];
  const s = medianScratch.sort(ascending); // the same sort as before, without a new array and closure per call
  const n = s.length;
  return n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export const defaultDetectorFactory: DetectorFactory<DefaultDetectorSpec> = {
  type: TYPE,
  description: 'Online decomposition (level, trend, learned daily/weekly seasonality) with calibrated single- and multi-bucket probabilities',
  create: (context, spec) => new DefaultDetector(context, spec),
  fromState: (state) => DefaultDetector.fromState(state),
};

registerDetector(defaultDetectorFactory);
