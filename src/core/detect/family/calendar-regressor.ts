/**
 * `calendar-regressor`: predicts each bucket from calendar features alone (weekday one-hot, hour of
 * day, hour × off-day, a public-holiday flag from `date-holidays` for spec `country`, and a linear
 * trend), refitted by ridge regression on a trailing window every `retrainEvery` buckets (seed 001's
 * regressor; ridge instead of a random forest, which is slow in JS). Errors are judged by K-sigma on
 * the robust spread of the training errors: beyond `warnK` a warning (score 1–49), beyond `alertK`
 * an alert (score 50–100), each ordered by the calibrated score.
 */
import Holidays from 'date-holidays';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { registerDetector } from '../registry.js';
import { VigilError } from '../../errors.js';
import { packF64, unpackF64, type ModelState } from '../../state.js';
import { familyFactory } from './factory.js';
import { DAY_MS } from './period.js';
import { Ring, type RingState } from './ring.js';
import { medianOf } from './select.js';
import { ScoreStage, bandOutput, coldOutput, num, sided, stageSpec, type StageSpec, type StageState } from './stage.js';

export const CALENDAR_REGRESSOR = 'calendar-regressor';
const VERSION = 1;

export interface CalendarRegressorSpec extends StageSpec {
  /** ISO country code for public holidays (e.g. 'US', 'DE'); '' = no holidays. */
  country: string;
  /** Offset of local time from UTC, in minutes (calendar features are local). */
  utcOffsetMinutes: number;
  /** Trailing training window, in buckets (0 = 28 days, at most 8192 buckets). */
  trainBuckets: number;
  /** Refit cadence in buckets (0 = one day, within [24, 1440]). */
  retrainEvery: number;
  /** Ridge penalty (in rows). */
  ridge: number;
  warnK: number;
  alertK: number;
}

export function calendarRegressorSpec(spec?: Partial<CalendarRegressorSpec>): CalendarRegressorSpec {
  const s = spec as Record<string, unknown> | undefined;
  const country = s?.country ?? '';
  if (typeof country !== 'string') throw new VigilError('INVALID_ARGUMENT', 'spec.country must be a country code string');
  const out = {
    ...stageSpec(s),
    country,
    utcOffsetMinutes: num(s, 'utcOffsetMinutes', 0, -1440, 1440),
    trainBuckets: num(s, 'trainBuckets', 0, 0, 1e6),
    retrainEvery: num(s, 'retrainEvery', 0, 0, 1e6),
    ridge: num(s, 'ridge', 5, 0, 1e9),
    warnK: num(s, 'warnK', 3, 0, 1e3),
    alertK: num(s, 'alertK', 5, 0, 1e3),
  };
  if (country !== '' && !new Holidays().getCountries()[country]) {
    throw new VigilError('INVALID_ARGUMENT', `spec.country [${country}] is not a known country code`);
  }
  return out;
}

/** Columns: intercept, weekday ×7, hour ×24, hour × off-day ×24, holiday, trend. */
const P = 58;
const C_WD = 1, C_H = 8, C_HO = 32, C_HOL = 56, C_TR = 57;

/** Public holidays per country and year, as day numbers (shared, derived data; not model state). */
const holidayCache = new Map<string, Set<number>>();
function holidayDays(country: string, year: number): Set<number> {
  const key = `${country}:${year}`;
  let set = holidayCache.get(key);
  if (!set) {
    set = new Set<number>();
    for (const h of new Holidays(country).getHolidays(year)) {
      if (h.type !== 'public' && h.type !== 'bank') continue;
      const d = Date.parse(h.date.slice(0, 10) + 'T00:00:00Z');
      if (!Number.isNaN(d)) set.add(Math.floor(d / DAY_MS));
    }
    holidayCache.set(key, set);
  }
  return set;
}

interface CalendarState {
  context: DetectorContext;
  stage: StageState;
  values: RingState;
  codes: RingState;
  seen: number;
  beta: (number | null)[];
  centre: number;
  offset: number;
  spread: number;
  fitAt: number;
  ready: boolean;
}

class CalendarRegressorDetector implements Detector {
  readonly type = CALENDAR_REGRESSOR;
  readonly coldStartBuckets: number;
  private readonly stage: ScoreStage;
  private readonly values: Ring;
  private readonly codes: Ring;
  private lastDay = NaN;
  private lastDayCode = 0;
  private readonly every: number;
  private seen = 0;
  private beta: Float64Array = new Float64Array(P);
  private centre = 0;
  /** Mean of the training target (the regression runs on deviations from it). */
  private offset = 0;
  private spread = 1;
  /** Bucket index (seen) of the last fit: the trend is measured from it. */
  private fitAt = 0;
  private ready = false;
  private readonly cols = new Int32Array(5);

  constructor(
    private readonly context: DetectorContext,
    private readonly spec: CalendarRegressorSpec,
    state?: CalendarState,
  ) {
    const day = DAY_MS / Math.max(1, context.bucketSpanMs);
    const cap = spec.trainBuckets > 0 ? spec.trainBuckets : Math.round(Math.min(8192, Math.max(256, 28 * day)));
    this.every = spec.retrainEvery > 0 ? Math.round(spec.retrainEvery) : Math.round(Math.min(1440, Math.max(24, day)));
    this.coldStartBuckets = Math.round(Math.min(600, Math.max(150, 2.2 * day)));
    this.stage = new ScoreStage(spec, state?.stage, 50);
    if (state) {
      this.values = Ring.fromState(state.values);
      this.codes = Ring.fromState(state.codes);
      this.seen = state.seen;
      this.beta = unpackF64(state.beta);
      this.centre = state.centre;
      this.offset = state.offset;
      this.spread = state.spread;
      this.fitAt = state.fitAt;
      this.ready = state.ready;
    } else {
      this.values = new Ring(cap);
      this.codes = new Ring(cap);
    }
  }

  /** Calendar code of a time: weekday | hour << 3 | holiday << 8 (cached per day). */
  private codeOf(time: number): number {
    const local = time + this.spec.utcOffsetMinutes * 60_000;
    const dayNo = Math.floor(local / DAY_MS);
    if (dayNo !== this.lastDay) {
      this.lastDay = dayNo;
      const wd = (((dayNo + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
      let holiday = false;
      if (this.spec.country !== '') {
        const year = new Date(dayNo * DAY_MS).getUTCFullYear();
        holiday = holidayDays(this.spec.country, year).has(dayNo);
      }
      this.lastDayCode = wd | (holiday ? 256 : 0);
    }
    const hour = Math.floor((local - dayNo * DAY_MS) / 3_600_000);
    return this.lastDayCode | (hour << 3);
  }

  /** Active feature columns of a calendar code (the trend column is handled apart); returns the count. */
  private features(code: number): number {
    const wd = code & 7;
    const hour = (code >> 3) & 31;
    const holiday = (code & 256) !== 0;
    const off = holiday || wd === 0 || wd === 6;
    const c = this.cols;
    c[0] = 0;
    c[1] = C_WD + wd;
    c[2] = C_H + hour;
    let k = 3;
    if (off) c[k++] = C_HO + hour;
    if (holiday) c[k++] = C_HOL;
    return k;
  }

  private predict(code: number, index: number): number {
    const k = this.features(code);
    let y = this.offset + this.beta[C_TR] * this.trendOf(index);
    for (let j = 0; j < k; j++) y += this.beta[this.cols[j]];
    return y;
  }

  private trendOf(index: number): number {
    return (index - this.fitAt) / this.values.capacity;
  }

  /** Ridge fit on the trailing window; also sets the robust centre and spread of the errors. */
  private fit(): Float64Array | undefined {
    const n = this.values.size;
    const A = new Float64Array(P * P);
    const b = new Float64Array(P);
    this.fitAt = this.seen - 1;
    // the window as plain arrays, oldest first (row i is bucket seen − n + i)
    const ys = this.values.last(n);
    const codes = this.codes.last(n);
    // centre the target, so a constant series fits exactly (β = 0)
    let off = 0;
    let used = 0;
    for (let i = 0; i < n; i++) {
      const y = ys[i];
      if (!Number.isNaN(y)) {
        off += y;
        used++;
      }
    }
    if (used < 8) return undefined;
    this.offset = off / used;
    for (let i = 0; i < n; i++) {
      const y = ys[i] - this.offset;
      if (Number.isNaN(y)) continue;
      const k = this.features(codes[i]);
      const tr = this.trendOf(this.seen - n + i);
      const c = this.cols;
      for (let p = 0; p < k; p++) {
        const cp = c[p];
        b[cp] += y;
        for (let q = 0; q < k; q++) A[cp * P + c[q]] += 1;
        A[cp * P + C_TR] += tr;
        A[C_TR * P + cp] += tr;
      }
      A[C_TR * P + C_TR] += tr * tr;
      b[C_TR] += y * tr;
    }
    for (let p = 1; p < P; p++) A[p * P + p] += this.spec.ridge;
    A[0] += 1e-9 * used;
    // Cholesky solve A β = b
    const L = A;
    for (let j = 0; j < P; j++) {
      let d = L[j * P + j];
      for (let k = 0; k < j; k++) d -= L[j * P + k] * L[j * P + k];
      d = Math.sqrt(Math.max(d, 1e-12));
      L[j * P + j] = d;
      for (let i = j + 1; i < P; i++) {
        let s = L[i * P + j];
        for (let k = 0; k < j; k++) s -= L[i * P + k] * L[j * P + k];
        L[i * P + j] = s / d;
      }
    }
    const beta = this.beta;
    for (let i = 0; i < P; i++) {
      let s = b[i];
      for (let k = 0; k < i; k++) s -= L[i * P + k] * beta[k];
      beta[i] = s / L[i * P + i];
    }
    for (let i = P - 1; i >= 0; i--) {
      let s = beta[i];
      for (let k = i + 1; k < P; k++) s -= L[k * P + i] * beta[k];
      beta[i] = s / L[i * P + i];
    }
    // robust centre and spread of the training errors
    const err = new Float64Array(used);
    let m = 0;
    let scaleRef = 0;
    for (let i = 0; i < n; i++) {
      const y = ys[i];
      if (Number.isNaN(y)) continue;
      err[m++] = y - this.predict(codes[i], this.seen - n + i);
      scaleRef += Math.abs(y) / used;
    }
    const work = Float64Array.from(err);
    this.centre = medianOf(work);
    for (let i = 0; i < m; i++) work[i] = Math.abs(err[i] - this.centre);
    this.spread = Math.max(1.4826 * medianOf(work), 1e-9 * (scaleRef + 1) + 1e-12);
    return err;
  }

  update(time: number, value: number, out: DetectorOutput): void {
    const missing = Number.isNaN(value);
    const code = this.codeOf(time);
    if (this.ready) {
      const typical = this.predict(code, this.seen) + this.centre;
      bandOutput(out, typical, this.spread);
      if (missing) this.stage.missingBucket(out);
      else {
        const z = (value - typical) / this.spread;
        this.stage.scoreLevels(out, sided(z, this.context.side), this.spec.warnK, this.spec.alertK);
        if (out.score > 0) {
          out.kind = z > 0 ? 'spike' : 'dip';
          out.explanation = `${z.toFixed(1)}σ from the calendar model's ${typical.toPrecision(4)} (${out.score >= 50 ? 'alert' : 'warning'})`;
        } else {
          out.kind = 'none';
          out.explanation = '';
        }
      }
    } else coldOutput(out, missing);
    this.values.push(value);
    this.codes.push(code);
    this.seen++;
    const first = !this.ready && this.seen >= this.coldStartBuckets;
    if (first || (this.ready && (this.seen - this.coldStartBuckets) % this.every === 0)) {
      const err = this.fit();
      if (err && first) {
        this.ready = true;
        for (let i = err.length >> 1; i < err.length; i++) this.stage.learn(sided((err[i] - this.centre) / this.spread, this.context.side));
      }
    }
  }

  toState(): ModelState {
    const state: CalendarState = {
      context: this.context,
      stage: this.stage.toState(),
      values: this.values.toState(),
      codes: this.codes.toState(),
      seen: this.seen,
      beta: packF64(this.beta),
      centre: this.centre,
      offset: this.offset,
      spread: this.spread,
      fitAt: this.fitAt,
      ready: this.ready,
    };
    return { type: CALENDAR_REGRESSOR, version: VERSION, spec: this.spec, state };
  }

  memoryBytes(): number {
    return this.values.memoryBytes() + this.codes.memoryBytes() + this.stage.memoryBytes() + P * 8 + 128;
  }
}

export const calendarRegressorFactory = familyFactory<CalendarRegressorSpec, CalendarState>({
  type: CALENDAR_REGRESSOR,
  version: VERSION,
  description: 'Ridge regression on calendar features (weekday, hour, holidays) with K-sigma warnings and alerts.',
  spec: calendarRegressorSpec,
  make: (context, spec, state) => new CalendarRegressorDetector(context, spec, state),
});

registerDetector(calendarRegressorFactory);
