/**
 * The default detector's settings: what each knob does, the defaults measured best, and the check
 * that rejects a spec the model cannot run with.
 */
import { VigilError } from '../../errors.js';

export interface DefaultDetectorSpec {
  /** Learning rate of seasonal profiles once the first cycles are averaged. */
  seasonalGamma: number;
  /** Slots kept per seasonal period (memory bound). */
  maxSlots: number;
  /**
   * Residuals beyond this many noise scales are clipped before the slow level learns from them.
   * Off by default (1000): on NAB, clipping the level at 3–20σ made it lag real changes and cost
   * 7–10 points; outliers are instead kept out of the level by anomaly-aware learning.
   */
  clipSigmas: number;
  /** The same for seasonal profiles (after their first cycles). */
  seasonClipSigmas: number;
  /** Consecutive same-signed residuals beyond `shiftSigmas` that make a level shift. */
  shiftRun: number;
  shiftSigmas: number;
  /** Normal buckets that end an event (alarm policy). */
  quietBuckets: number;
  /** Inside an event, a bucket is scored again only when it beats the event's best by this much. */
  escalation: number;
  /** How many nats above its empirical rarity in the series' history a surprise may be scored. */
  calibrationMargin: number;
  /**
   * Novelty of the value itself: a value beyond every value the series has shown (a new maximum or
   * minimum) adds this many nats to the calibrated surprise, plus `recordSlope` × how far beyond,
   * as a share of the historical range (capped at 1). 0 turns it off. Measured: most labelled NAB
   * anomalies take the series somewhere it has never been, and repeated bursts inside the known
   * range (heavy-tailed series) are then outranked by them.
   */
  recordNats: number;
  recordSlope: number;
  /** A record counts only when beyond the previous one by this many noise scales. */
  recordMargin: number;
  /** Multiplies every surprise: > 1 scores more readily, < 1 less (without retraining). */
  sensitivity: number;
  /** Buckets before any score is given. */
  coldStart: number;
  /** Half-life, in buckets, of the error measures that pick hypothesis and tracker. */
  selectionHalfLife: number;
  /** The slow level holds (learns at a tenth of its rate) while the multi-bucket statistic is beyond this (0: off). */
  holdSigmas: number;
  holdSpread: boolean;
  /** The calibration history records an event once (its first bucket and its peak), not every bucket of it. */
  historyPerEvent: boolean;
  /** Single-bucket surprise from a power-law tail learned online when large |z| are common (heavy-tailed noise). */
  tailModel: boolean;
  /** Exceedances (|z| > 4, decayed) needed before the tail model is used. */
  tailMinExceedances: number;
  /** Weekly profile as day-of-week effects over the daily one, both learned jointly (backfitting). */
  jointWeekly: boolean;
  /**
   * Data returning after a gap: the gap itself is judged by how rare a run of missing buckets at
   * least that long is in this series (rate of gaps per bucket seen × share of past gaps at least
   * that long, with a prior P(length ≥ L) = L^−gapPrior), (0: gaps are never scored). One score per gap, on
   * the first bucket with data again.
   */
  gapPrior: number;
  /** Alarm policy: inside an event, also report a bucket at this multiple of the event's best so far (0: off). */
  escalationRatio: number;
  /** On adopting a richer seasonal hypothesis, past surprises above the first score anchor weigh this much (1: off). */
  switchDiscount: number;
}

export const DEFAULT_SPEC: DefaultDetectorSpec = {
  seasonalGamma: 0.1,
  maxSlots: 288,
  clipSigmas: 1000,
  seasonClipSigmas: 6,
  shiftRun: 6,
  shiftSigmas: 3.5,
  quietBuckets: 3,
  escalation: 15,
  calibrationMargin: 6,
  recordNats: 6,
  recordSlope: 10,
  recordMargin: 0.5,
  sensitivity: 1,
  coldStart: 24,
  selectionHalfLife: 288,
  jointWeekly: true,
  holdSigmas: 1.5,
  holdSpread: false,
  historyPerEvent: false,
  tailModel: true,
  tailMinExceedances: 4,
  gapPrior: 0,
  escalationRatio: 0,
  switchDiscount: 0.1,
};

export function validateSpec(s: DefaultDetectorSpec): void {
  const positive: (keyof DefaultDetectorSpec)[] = ['clipSigmas', 'seasonClipSigmas', 'shiftSigmas', 'sensitivity', 'maxSlots', 'shiftRun', 'quietBuckets'];
  for (const k of positive) {
    if (!(typeof s[k] === 'number' && (s[k] as number) > 0)) {
      throw new VigilError('INVALID_ARGUMENT', `default detector: [${k}] must be a positive number, got [${String(s[k])}]`);
    }
  }
  if (!(s.seasonalGamma > 0 && s.seasonalGamma <= 1)) throw new VigilError('INVALID_ARGUMENT', 'default detector: [seasonalGamma] must be in (0, 1]');
}
