/**
 * `ensemble-vote`: a parallel ensemble of simple detectors that decides by supermajority (Earthgecko
 * Skyline, the second stage of Splunk's ADESCA ensemble). Members, each giving a z-like deviation:
 * rolling z-score, median/IQR score, seasonal z against the same slot of previous periods, rate of
 * change, and a two-sided CUSUM for level shifts. The raw score is the level a supermajority agrees
 * on: the m-th largest member score, m = ⌈supermajority × members voting⌉.
 */
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { registerDetector } from '../registry.js';
import { packF64, unpackF64, type ModelState } from '../../state.js';
import { familyFactory } from './factory.js';
import { PeriodTracker, trackerFor, type PeriodTrackerState } from './period.js';
import { ScoreStage, bandOutput, coldOutput, deviationKind, num, sided, stageSpec, type StageSpec, type StageState } from './stage.js';

export const ENSEMBLE_VOTE = 'ensemble-vote';
const VERSION = 1;

export interface EnsembleVoteSpec extends StageSpec {
  /** Share of voting members that must agree (Skyline: a supermajority). */
  supermajority: number;
  /** Rolling window of the z-score, IQR and rate members, in buckets. */
  window: number;
  /** Periods looked back by the seasonal member. */
  seasons: number;
  /** CUSUM allowance k and decision level h (in standard deviations). */
  cusumK: number;
  cusumH: number;
  /** Seasonal period in buckets; 0 = detect. */
  period: number;
}

export function ensembleVoteSpec(spec?: Partial<EnsembleVoteSpec>): EnsembleVoteSpec {
  const s = spec as Record<string, unknown> | undefined;
  return {
    ...stageSpec(s),
    supermajority: num(s, 'supermajority', 0.6, 0.01, 1),
    window: num(s, 'window', 288, 4, 1e6),
    seasons: num(s, 'seasons', 6, 2, 100),
    cusumK: num(s, 'cusumK', 0.5, 0, 10),
    cusumH: num(s, 'cusumH', 6, 0.1, 100),
    period: num(s, 'period', 0, 0, 1e6),
  };
}

/** Member statistics, in one typed array so state is one packed list. */
const M = {
  n: 0, mean: 1, vr: 2, q25: 3, q50: 4, q75: 5, prev: 6, dvar: 7, cp: 8, cn: 9,
} as const;
const NSTAT = 10;

interface VoteState {
  context: DetectorContext;
  tracker: PeriodTrackerState;
  stage: StageState;
  stats: (number | null)[];
}

const MEMBERS = 5;

class EnsembleVoteDetector implements Detector {
  readonly type = ENSEMBLE_VOTE;
  readonly coldStartBuckets: number;
  private readonly tracker: PeriodTracker;
  private readonly stage: ScoreStage;
  private readonly s: Float64Array;
  private readonly z = new Float64Array(MEMBERS);
  private readonly zs = new Float64Array(MEMBERS);

  constructor(
    private readonly context: DetectorContext,
    private readonly spec: EnsembleVoteSpec,
    state?: VoteState,
  ) {
    const { tracker, firstAt } = trackerFor(context.bucketSpanMs, spec.period, state?.tracker);
    this.tracker = tracker;
    this.coldStartBuckets = firstAt;
    this.stage = new ScoreStage(spec, state?.stage);
    this.s = state ? unpackF64(state.stats) : new Float64Array(NSTAT);
    if (!state) this.s[M.prev] = NaN;
  }

  /** Fills this.z with each member's signed deviation (NaN = member abstains). Returns typical and σ. */
  private members(y: number): void {
    const s = this.s;
    const floor = 1e-9 * (Math.abs(s[M.mean]) + 1) + 1e-12;
    const sd = Math.max(Math.sqrt(s[M.vr]), floor);
    // 1 rolling z-score
    this.z[0] = (y - s[M.mean]) / sd;
    // 2 median / IQR
    const iqr = Math.max((s[M.q75] - s[M.q25]) / 1.349, floor);
    this.z[1] = (y - s[M.q50]) / iqr;
    // 3 seasonal z against the same slot of previous periods
    const P = this.tracker.period;
    const ring = this.tracker.ring;
    this.z[2] = NaN;
    if (P > 1) {
      let sum = 0, sq = 0, c = 0;
      for (let k = 1; k <= this.spec.seasons; k++) {
        const v = ring.get(k * P - 1);
        if (Number.isNaN(v)) continue;
        sum += v; sq += v * v; c++;
      }
      if (c >= 3) {
        const m = sum / c;
        const v = Math.max(0, sq / c - m * m);
        // the slot's spread, but never tighter than a third of the overall spread
        const ssd = Math.max(Math.sqrt(v * c / (c - 1)), sd / 3, floor);
        this.z[2] = (y - m) / ssd;
      }
    }
    // 4 rate of change
    const prev = s[M.prev];
    this.z[3] = Number.isNaN(prev) ? NaN : (y - prev) / Math.max(Math.sqrt(s[M.dvar]), floor);
    // 5 CUSUM on the rolling z (decision level h maps to 3)
    const k = this.spec.cusumK;
    const zc = Math.max(-8, Math.min(8, this.z[0]));
    const cp = Math.max(0, s[M.cp] + zc - k);
    const cn = Math.max(0, s[M.cn] - zc - k);
    this.z[4] = ((cp >= cn ? cp : -cn) * 3) / this.spec.cusumH;
    s[M.cp] = cp;
    s[M.cn] = cn;
  }

  private learn(y: number): void {
    const s = this.s;
    const a = 1 / Math.min(this.spec.window, s[M.n] + 1);
    s[M.n]++;
    if (s[M.n] === 1) {
      s[M.mean] = y; s[M.q25] = y; s[M.q50] = y; s[M.q75] = y;
    }
    const sd = Math.sqrt(s[M.vr]);
    const d = y - s[M.mean];
    const c = sd > 0 ? 4 * sd : Math.abs(d);
    const dc = d > c ? c : d < -c ? -c : d;
    s[M.mean] += a * dc;
    s[M.vr] += a * (dc * dc - s[M.vr]);
    // quantiles by stochastic approximation, step scaled by the spread
    const eta = 2 * a * Math.max(s[M.q75] - s[M.q25], Math.sqrt(s[M.vr]), 1e-12 * (Math.abs(y) + 1));
    s[M.q25] += eta * ((y < s[M.q25] ? 0 : 0.25) - (y < s[M.q25] ? 0.75 : 0));
    s[M.q50] += eta * (y < s[M.q50] ? -0.5 : 0.5);
    s[M.q75] += eta * ((y < s[M.q75] ? 0 : 0.75) - (y < s[M.q75] ? 0.25 : 0));
    if (s[M.q25] > s[M.q50]) s[M.q25] = s[M.q50];
    if (s[M.q75] < s[M.q50]) s[M.q75] = s[M.q50];
    const prev = s[M.prev];
    if (!Number.isNaN(prev)) {
      const dd = y - prev;
      const dsd = Math.sqrt(s[M.dvar]);
      const ddc = dsd > 0 ? Math.min(Math.abs(dd), 4 * dsd) : Math.abs(dd);
      s[M.dvar] += a * (ddc * ddc - s[M.dvar]);
    }
    s[M.prev] = y;
  }

  update(_time: number, value: number, out: DetectorOutput): void {
    if (Number.isNaN(value)) {
      coldOutput(out, true);
      if (this.tracker.seen >= this.coldStartBuckets) this.stage.missing(out);
      this.tracker.push(value);
      return;
    }
    this.members(value);
    const s = this.s;
    const side = this.context.side;
    let active = 0;
    for (let i = 0; i < MEMBERS; i++) {
      const zi = this.z[i];
      if (Number.isNaN(zi)) continue;
      // insertion into ascending order (five members: cheaper than a sort call)
      const v = sided(zi, side);
      let j = active++;
      while (j > 0 && this.zs[j - 1] > v) {
        this.zs[j] = this.zs[j - 1];
        j--;
      }
      this.zs[j] = v;
    }
    // m-th largest of the active member scores
    const act = this.zs;
    const m = Math.max(1, Math.ceil(this.spec.supermajority * active - 1e-9));
    const raw = act[active - m];
    if (this.tracker.seen >= this.coldStartBuckets) {
      bandOutput(out, s[M.mean], Math.sqrt(s[M.vr]));
      this.stage.score(out, raw);
      if (out.score > 0) {
        out.kind = deviationKind(this.z[0] > 0, Math.abs(this.z[4]) >= 3);
        let votes = 0;
        for (let i = 0; i < active; i++) if (act[i] >= 3) votes++;
        out.explanation = `${votes} of ${active} simple detectors agree (supermajority level ${raw.toFixed(1)}σ)`;
      } else {
        out.kind = 'none';
        out.explanation = '';
      }
    } else {
      coldOutput(out);
      if (this.tracker.seen >= this.coldStartBuckets >> 1) this.stage.learn(raw);
    }
    this.learn(value);
    this.tracker.push(value);
  }

  toState(): ModelState {
    const state: VoteState = {
      context: this.context,
      tracker: this.tracker.toState(),
      stage: this.stage.toState(),
      stats: packF64(this.s),
    };
    return { type: ENSEMBLE_VOTE, version: VERSION, spec: this.spec, state };
  }

  memoryBytes(): number {
    return this.tracker.memoryBytes() + this.stage.memoryBytes() + NSTAT * 8 + 96;
  }
}

export const ensembleVoteFactory = familyFactory<EnsembleVoteSpec, VoteState>({
  type: ENSEMBLE_VOTE,
  version: VERSION,
  description: 'Skyline-style ensemble of simple detectors (z, IQR, seasonal z, rate, CUSUM) with a supermajority vote.',
  spec: ensembleVoteSpec,
  make: (context, spec, state) => new EnsembleVoteDetector(context, spec, state),
});

registerDetector(ensembleVoteFactory);
