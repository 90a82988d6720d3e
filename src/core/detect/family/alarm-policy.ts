/**
 * Sparse alarm policy shared by the family: one alert per event. A bucket whose calibrated score
 * reaches `enter` opens an episode and is reported; the episode stays open (and quiet) until the score
 * has stayed below `exit` for `quietBuckets` buckets in a row. Inside an episode at most one more
 * report is made, when the score escalates to `escalate` or above (a warning that becomes an alert).
 */
export interface AlarmOptions {
  enter?: number;
  exit?: number;
  quietBuckets?: number;
  escalate?: number;
}

export interface AlarmState {
  open: boolean;
  quiet: number;
  reported: number;
  length: number;
}

export class AlarmPolicy {
  readonly enter: number;
  readonly exit: number;
  readonly quietBuckets: number;
  readonly escalate: number;
  private open = false;
  private quiet = 0;
  private reported = 0;
  /** Buckets since the episode opened (for multi-bucket impact). */
  length = 0;

  constructor(o: AlarmOptions = {}, s?: AlarmState) {
    this.enter = o.enter ?? 1;
    this.exit = o.exit ?? this.enter;
    this.quietBuckets = Math.max(1, Math.floor(o.quietBuckets ?? 36));
    this.escalate = o.escalate ?? 75;
    if (s) {
      this.open = s.open;
      this.quiet = s.quiet;
      this.reported = s.reported;
      this.length = s.length;
    }
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Calibrated score in, reported score out (0 unless this bucket starts or escalates an event). */
  apply(score: number): number {
    if (!this.open) {
      if (score >= this.enter) {
        this.open = true;
        this.quiet = 0;
        this.length = 1;
        this.reported = score;
        return score;
      }
      return 0;
    }
    this.length++;
    if (score < this.exit) {
      if (++this.quiet >= this.quietBuckets) {
        this.open = false;
        this.length = 0;
      }
      return 0;
    }
    this.quiet = 0;
    if (this.reported < this.escalate && score >= this.escalate) {
      this.reported = score;
      return score;
    }
    return 0;
  }

  /** A missing bucket counts towards quiet but never opens an episode. */
  skip(): void {
    if (this.open) this.apply(0);
  }

  toState(): AlarmState {
    return { open: this.open, quiet: this.quiet, reported: this.reported, length: this.length };
  }
}
