/**
 * Keeps record scores sparse: one alert per event. An event starts at the first anomalous bucket and
 * ends after `quietBuckets` normal buckets in a row; inside an event a bucket is only scored again
 * when it escalates clearly above what the event has already reported. Users (and NAB's scoring)
 * want one alarm per incident, not a run of hundreds.
 */
export interface AlarmPolicyState {
  inEvent: boolean;
  eventMax: number;
  quiet: number;
  length: number;
}

export class AlarmPolicy {
  inEvent = false;
  eventMax = 0;
  quiet = 0;
  /** Buckets since the event started. */
  length = 0;

  constructor(
    private readonly quietBuckets = 3,
    private readonly escalation = 15,
    /** Also report a bucket that reaches this multiple of the event's best (0: off), for events that start weak. */
    private readonly escalationRatio = 0,
  ) {}

  /** Returns the score to report for a bucket whose calibrated score is `score`. */
  apply(score: number): number {
    if (score > 0) {
      this.quiet = 0;
      if (!this.inEvent) {
        this.inEvent = true;
        this.eventMax = score;
        this.length = 1;
        return score;
      }
      this.length++;
      if (score >= this.eventMax + this.escalation || (this.escalationRatio > 0 && score >= this.eventMax * this.escalationRatio)) {
        this.eventMax = score;
        return score;
      }
      return 0;
    }
    if (this.inEvent) {
      this.length++;
      if (++this.quiet >= this.quietBuckets) {
        this.inEvent = false;
        this.eventMax = 0;
        this.length = 0;
      }
    }
    return 0;
  }

  toState(): AlarmPolicyState {
    return { inEvent: this.inEvent, eventMax: this.eventMax, quiet: this.quiet, length: this.length };
  }

  restore(s: AlarmPolicyState): this {
    this.inEvent = s.inEvent;
    this.eventMax = s.eventMax;
    this.quiet = s.quiet;
    this.length = s.length;
    return this;
  }
}
