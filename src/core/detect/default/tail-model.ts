/**
 * The default detector's heavy-tail model: when |z| > TAIL_Z is far more common than under a normal
 * law, the single-bucket surprise is read from a power law fitted online (exceedance rate and Hill
 * exponent), not from the normal. Its counters decay, so the tail follows the series.
 */

/** Tail model: threshold |z|, P(|Z| > 4) under a normal law, priors, forgetting (half-life 5 000 buckets). */
const TAIL_Z = 4;
const NORMAL_TAIL = 6.334e-5;
const TAIL_PRIOR_N = 1000;
const TAIL_PRIOR_K = 10;
const TAIL_PRIOR_NU = 16;
const TAIL_DECAY = Math.exp(-Math.LN2 / 5000);

/** The tail model's part of the detector's saved state (these keys, in this order). */
export interface TailModelState {
  tailN: number;
  tailExc: number;
  tailLog: number;
}

export class TailModel {
  /** Decayed counts of scored buckets, of |z| > TAIL_Z, and sum of ln(|z| / TAIL_Z) over those. */
  private tailN = 0;
  private tailExc = 0;
  private tailLog = 0;

  /** Surprise of |z| under the learned tail (min with the normal one); learns nothing (see learn). */
  surprise(az: number, normal: number, minExceedances: number): number {
    let result = normal;
    // only with evidence: enough exceedances, far more than a normal law gives (p is read only then)
    if (az > TAIL_Z && this.tailExc >= minExceedances) {
      const p = (this.tailExc + TAIL_PRIOR_N * NORMAL_TAIL) / (this.tailN + TAIL_PRIOR_N);
      if (p > 5 * NORMAL_TAIL) {
        const nu = (this.tailExc + TAIL_PRIOR_K) / (this.tailLog + TAIL_PRIOR_K / TAIL_PRIOR_NU);
        const t = -Math.log(p) + nu * Math.log(az / TAIL_Z);
        if (t < result) result = t;
      }
    }
    return result;
  }

  /** Learns from |z| (after surprise has read the tail learned so far). */
  learn(az: number): void {
    const d = TAIL_DECAY;
    this.tailN = d * this.tailN + 1;
    this.tailExc *= d;
    this.tailLog *= d;
    if (az > TAIL_Z) {
      this.tailExc += 1;
      this.tailLog += Math.log(Math.min(az, 1e6) / TAIL_Z);
    }
  }

  toState(): TailModelState {
    return { tailN: this.tailN, tailExc: this.tailExc, tailLog: this.tailLog };
  }

  restore(s: TailModelState): void {
    this.tailN = s.tailN;
    this.tailExc = s.tailExc;
    this.tailLog = s.tailLog;
  }
}
