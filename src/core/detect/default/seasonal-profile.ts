/**
 * `((t % p) + p) % p` — where `t` falls in a period `p` > 0 — bit for bit, with one floating-point
 * modulo instead of two (a modulo of a double is a slow library call): for x in [p, 2p),
 * x % p is x − p, and that subtraction is exact (Sterbenz).
 */
export function phaseIn(t: number, p: number): number {
  // whole milliseconds (the usual case): a floor division is exact here and needs no library call
  if (t === Math.floor(t) && t < 4.5e15 && t > -4.5e15 && p === Math.floor(p)) {
    const r = t - Math.floor(t / p) * p;
    return r < 0 ? r + p : r >= p ? r - p : r;
  }
  return phaseByModulo(t, p);
}

/** phaseIn for any t (kept apart so that phaseIn stays small enough to be inlined). */
function phaseByModulo(t: number, p: number): number {
  const x = (t % p) + p;
  return x < p ? x : x < 2 * p ? x - p : x % p;
}

/**
 * One seasonal component: a profile over a period (a day, a week) kept at a bounded number of
 * slots, read and learned with linear interpolation between slot centres, so a 1-minute series
 * with a weekly period costs 336 numbers, not 10 080. Each component learns against its own slow
 * baseline (an exponential mean whose memory is about one period), so that the profile captures the
 * shape within the period and not the level.
 */
export class SeasonalProfile {
  readonly periodMs: number;
  readonly slots: number;
  readonly values: Float64Array;
  /** Buckets of the period: how many updates make one full cycle. */
  readonly periodBuckets: number;
  /** Deseasonalised slow baseline this component learns against. */
  baseline = NaN;
  /** Updates seen (drives the learning-rate schedule). */
  updates = 0;
  private readonly baseAlpha: number;

  constructor(
    periodMs: number,
    bucketSpanMs: number,
    maxSlots: number,
    private readonly gamma: number,
  ) {
    this.periodMs = periodMs;
    this.periodBuckets = Math.round(periodMs / bucketSpanMs);
    this.slots = Math.min(this.periodBuckets, maxSlots);
    // NaN marks a slot not yet observed in the first cycle (gappy or irregular data): it reads as 0
    // and is filled from its neighbours when the first cycle ends, so it cannot become a hole
    this.values = new Float64Array(this.slots).fill(NaN);
    this.baseAlpha = 2 / (this.periodBuckets + 1);
  }

  /** Completed cycles so far. */
  get cycles(): number {
    return this.updates / this.periodBuckets;
  }

  /** `cycles >= k` for a whole k, without a division (exact: the counts are whole numbers far below 2^50). */
  hasCycles(k: number): boolean {
    return this.updates >= k * this.periodBuckets;
  }

  // the learning rate of the current cycle and the updates it holds for: saves two divisions per update
  private rateFrom = 0;
  private rateUntil = 0;
  private rateValue = 0;

  /** Learning rate: the first cycles are averaged, then the profile forgets at rate gamma. */
  private rate(): number {
    const u = this.updates;
    if (u < this.rateFrom || u >= this.rateUntil) {
      const cyc = Math.floor(u / this.periodBuckets);
      this.rateValue = Math.max(this.gamma, 1 / (cyc + 1));
      this.rateFrom = cyc * this.periodBuckets;
      this.rateUntil = this.rateFrom + this.periodBuckets;
    }
    return this.rateValue;
  }

  // the slots and weight of the last bucket centre looked up: a bucket is read several times
  private lastCentre = NaN;
  private i0 = 0;
  private i1 = 0;
  private w = 0;
  /** Where the last bucket centre looked up falls in the period, as a fraction of it ([0, 1)). */
  frac = 0;
  /** Its phase (ms into the period) when the centre is a whole number of ms, else NaN. */
  private lastPhase = NaN;

  /** Finds the two slots around a bucket centre and the interpolation weight (cached). */
  private locate(centre: number): void {
    if (centre === this.lastCentre) return;
    const p = this.periodMs;
    const whole = centre === Math.floor(centre) && centre < 4.5e15 && centre > -4.5e15;
    const step = centre - this.lastCentre;
    let phase: number;
    if (whole && step > 0 && step < p && this.lastPhase === this.lastPhase) {
      // the next bucket, in whole ms (the usual case): the last phase moved on by the step is
      // exactly phaseIn(centre, p), without a division
      phase = this.lastPhase + step;
      if (phase >= p) phase -= p;
    } else {
      phase = phaseIn(centre, p);
    }
    this.lastPhase = whole && p === Math.floor(p) ? phase : NaN;
    this.frac = phase / p;
    const pos = this.frac * this.slots - 0.5;
    const f = Math.floor(pos);
    const n = this.slots;
    this.w = pos - f;
    this.i0 = f < 0 ? f + n : f;
    this.i1 = this.i0 + 1 === n ? 0 : this.i0 + 1;
    this.lastCentre = centre;
  }

  /** The profile's value at a bucket centre. */
  at(centre: number): number {
    this.locate(centre);
    const a = this.values[this.i0];
    const b = this.values[this.i1];
    if (this.updates >= this.periodBuckets) return (1 - this.w) * a + this.w * b;
    return (1 - this.w) * (a === a ? a : 0) + this.w * (b === b ? b : 0);
  }

  /** Fills slots never observed in the first cycle by linear interpolation between observed ones (circular). */
  private fillUnseen(): void {
    const v = this.values;
    const n = this.slots;
    let first = -1;
    for (let i = 0; i < n; i++) if (v[i] === v[i]) { first = i; break; }
    if (first < 0) { v.fill(0); return; }
    let prev = first;
    for (let k = 1; k <= n; k++) {
      const i = (first + k) % n;
      if (v[i] !== v[i]) continue;
      const gap = (i - prev + n) % n || n;
      for (let j = 1; j < gap; j++) v[(prev + j) % n] = v[prev] + ((v[i] - v[prev]) * j) / gap;
      prev = i;
    }
  }

  /** Marks this profile as centred every `m` slots (day-of-week effects): 0 is then the neutral value. */
  setCentred(m: number): void {
    this.centredEvery = m;
    this.centredPeriods = this.slots / m;
    for (let i = 0; i < this.slots; i++) if (this.values[i] !== this.values[i]) this.values[i] = 0;
  }

  /**
   * Learns from one observation. `x` is the value with the other components removed; `clip` bounds
   * how far one observation may pull the profile (outliers must not rewrite the season). Returns
   * the amount moved from the profile into its baseline when the profile was re-centred (else 0).
   */
  learn(centre: number, x: number, clip: number): number {
    const current = this.at(centre);
    // first cycle: the profile collects the raw values (baseline 0); re-centring at its end moves
    // their mean into the baseline, so no warm-up bias is baked into the shape
    const first = this.updates < this.periodBuckets;
    if (first) this.baseline = 0;
    let target = x - this.baseline - current;
    if (target > clip) target = clip;
    else if (target < -clip) target = -clip;
    // average the first cycles, then forget at rate gamma
    const g = this.rate();
    const { i0, i1, w } = this; // located by at() above
    const n = this.slots;
    const v = this.values;
    if (w < 1) v[i0] = (v[i0] === v[i0] ? v[i0] : 0) + g * (1 - w) * target;
    if (w > 0) v[i1] = (v[i1] === v[i1] ? v[i1] : 0) + g * w * target;
    if (!first) {
      let b = x - current - this.baseline;
      if (b > clip) b = clip;
      else if (b < -clip) b = -clip;
      this.baseline += this.baseAlpha * b;
    }
    this.updates++;
    // keep the profile centred so the level stays in the level trackers; the caller moves what
    // learns on top of this profile by the returned amount, so no prediction jumps
    if (this.updates === this.rateUntil) { // a whole cycle done (rate() set rateUntil to its end: no integer modulo)
      if (this.updates === this.periodBuckets) this.fillUnseen();
      let mean = 0;
      for (let i = 0; i < n; i++) mean += this.values[i];
      mean /= n;
      for (let i = 0; i < n; i++) this.values[i] -= mean;
      this.baseline += mean;
      return mean;
    }
    return 0;
  }

  /**
   * Slots per sub-period (a day, in a weekly profile over a daily one) when the profile is kept
   * centred per phase of that sub-period: for every time of day the values of the seven days sum to
   * zero, so the profile holds only how each day differs from the average day and the daily profile
   * under it holds the average day (a joint estimate of day-of-week effects). 0: not centred.
   */
  centredEvery = 0;
  /** slots / centredEvery: how many sub-periods share a correction (precomputed for addCentred). */
  private centredPeriods = 1;

  /**
   * Learns `r`, what this (centred) profile should explain — the value less every other component
   * and the shared level — without a baseline of its own. Every step keeps the profile centred.
   */
  learnCentred(centre: number, r: number, clip: number): void {
    let target = r - this.at(centre);
    if (target > clip) target = clip;
    else if (target < -clip) target = -clip;
    const g = this.rate();
    const { i0, i1, w } = this;
    this.addCentred(i0, g * (1 - w) * target);
    this.addCentred(i1, g * w * target);
    this.updates++;
  }

  private addCentred(i: number, d: number): void {
    const m = this.centredEvery;
    const v = this.values;
    const share = d / this.centredPeriods;
    let j = i;
    while (j >= m) j -= m; // i % m: at most slots / m steps, cheaper than an integer division
    for (const n = this.slots; j < n; j += m) v[j] -= share;
    v[i] += d;
  }

  /** Moves the baseline after a detected level shift. */
  shift(delta: number): void {
    if (!Number.isNaN(this.baseline)) this.baseline += delta;
  }

  toState(): { values: (number | null)[]; baseline: number | null; updates: number } {
    return {
      values: Array.from(this.values, (x) => (x === x ? x : null)),
      baseline: Number.isNaN(this.baseline) ? null : this.baseline,
      updates: this.updates,
    };
  }

  restore(s: { values: (number | null)[]; baseline: number | null; updates: number }): this {
    // JSON keeps an unseen slot (NaN) as null
    for (let i = 0; i < this.slots; i++) {
      const x = s.values[i];
      this.values[i] = x === null ? NaN : x;
    }
    this.baseline = s.baseline === null ? NaN : s.baseline;
    this.updates = s.updates;
    this.rateFrom = 0;
    this.rateUntil = 0; // recomputed on the next learn
    return this;
  }
}
