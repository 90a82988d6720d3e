/**
 * `stl-residual`: online seasonal-trend decomposition. The value is split into a local level (the
 * trend), a per-slot seasonal profile at the detected period and a residual; the raw score is the
 * residual over its robust running scale. Updates are Huber-clipped, so an anomaly barely moves the
 * decomposition it is judged against. The period is detected from the trailing history (or fixed by
 * spec `period`), and on a change the decomposition is rebuilt from that history.
 */
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { registerDetector } from '../registry.js';
import { packF64, unpackF64, type ModelState } from '../../state.js';
import { familyFactory } from './factory.js';
import { PeriodTracker, trackerFor, type PeriodTrackerState } from './period.js';
import { ScoreStage, bandOutput, coldOutput, deviationKind, num, sided, stageSpec, type StageSpec, type StageState } from './stage.js';

export const STL_RESIDUAL = 'stl-residual';
const VERSION = 1;

export interface StlResidualSpec extends StageSpec {
  /** Seasonal period in buckets; 0 = detect from the data. */
  period: number;
  /** Level (trend) smoothing rate; 0 = 3 / period, capped at 0.1. */
  levelRate: number;
  /** Per-slot seasonal smoothing rate. */
  seasonalRate: number;
  /** Smoothing rate of the residual scale. */
  scaleRate: number;
}

interface StlState {
  context: DetectorContext;
  tracker: PeriodTrackerState;
  stage: StageState;
  level: number;
  scale: number;
  season: (number | null)[];
  ready: boolean;
}

export function stlResidualSpec(spec?: Partial<StlResidualSpec>): StlResidualSpec {
  const s = spec as Record<string, unknown> | undefined;
  return {
    ...stageSpec(s),
    period: num(s, 'period', 0, 0, 1e6),
    levelRate: num(s, 'levelRate', 0, 0, 1),
    seasonalRate: num(s, 'seasonalRate', 0.1, 0, 1),
    scaleRate: num(s, 'scaleRate', 0.01, 1e-5, 1),
  };
}

/** Centred moving average of width w over x (NaN-aware, NaN where no value falls in the window). */
function centredMean(x: Float64Array, w: number): Float64Array {
  const n = x.length;
  const ps = new Float64Array(n + 1);
  const pc = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const ok = !Number.isNaN(x[i]);
    ps[i + 1] = ps[i] + (ok ? x[i] : 0);
    pc[i + 1] = pc[i] + (ok ? 1 : 0);
  }
  const out = new Float64Array(n);
  const h = Math.floor(w / 2);
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - h);
    const b = Math.min(n, i - h + w);
    const c = pc[b] - pc[a];
    out[i] = c > 0 ? (ps[b] - ps[a]) / c : NaN;
  }
  return out;
}

class StlResidualDetector implements Detector {
  readonly type = STL_RESIDUAL;
  readonly coldStartBuckets: number;
  private readonly tracker: PeriodTracker;
  private readonly stage: ScoreStage;
  private level = 0;
  private scale = 0;
  private season: Float64Array = new Float64Array(1);
  private ready = false;

  constructor(
    private readonly context: DetectorContext,
    private readonly spec: StlResidualSpec,
    state?: StlState,
  ) {
    const { tracker, firstAt } = trackerFor(context.bucketSpanMs, spec.period, state?.tracker);
    this.tracker = tracker;
    this.coldStartBuckets = firstAt;
    this.stage = new ScoreStage(spec, state?.stage);
    if (state) {
      this.level = state.level;
      this.scale = state.scale;
      this.season = unpackF64(state.season);
      this.ready = state.ready;
    }
  }

  private get period(): number {
    return Math.max(1, this.tracker.period);
  }

  private levelRate(): number {
    if (this.spec.levelRate > 0) return this.spec.levelRate;
    return this.period > 1 ? Math.min(0.1, 3 / this.period) : 0.05;
  }

  private sigma(): number {
    const floor = 1e-9 * (Math.abs(this.level) + 1) + 1e-12;
    return Math.max(1.2533 * this.scale, floor);
  }

  /** One decomposition step: returns the standardised residual and learns from y. */
  private step(y: number, slot: number): number {
    const P = this.period;
    const pred = this.level + (P > 1 ? this.season[slot] : 0);
    const e = y - pred;
    const sig = this.sigma();
    const z = e / sig;
    const c = 3 * sig;
    const ec = e > c ? c : e < -c ? -c : e;
    const aL = this.levelRate();
    this.level += aL * ec;
    if (P > 1) this.season[slot] += this.spec.seasonalRate * (1 - aL) * ec;
    const ae = Math.abs(e);
    const cap = this.scale > 0 ? 5 * this.scale : ae;
    this.scale += this.spec.scaleRate * ((ae < cap ? ae : cap) - this.scale);
    return z;
  }

  /** Rebuilds the decomposition from the trailing history (first time: also warms the calibrator). */
  private rebuild(warmCalibrator: boolean): void {
    const x = this.tracker.ring.last(this.tracker.ring.size);
    const n = x.length;
    const P = this.period;
    const start = this.tracker.seen - n; // absolute index of x[0]
    this.season = new Float64Array(P);
    const trend = centredMean(x, P > 1 ? P : Math.min(n, 25));
    if (P > 1) {
      const sum = new Float64Array(P);
      const cnt = new Float64Array(P);
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(x[i]) || Number.isNaN(trend[i])) continue;
        const s = (start + i) % P;
        sum[s] += x[i] - trend[i];
        cnt[s]++;
      }
      let mean = 0;
      for (let s = 0; s < P; s++) {
        this.season[s] = cnt[s] > 0 ? sum[s] / cnt[s] : 0;
        mean += this.season[s] / P;
      }
      for (let s = 0; s < P; s++) this.season[s] -= mean;
    }
    // replay the history through the online update from a level at its start
    let i0 = 0;
    while (i0 < n && Number.isNaN(trend[i0])) i0++;
    this.level = i0 < n ? trend[i0] : 0;
    // initial scale: mean absolute deviation from the batch decomposition
    let ad = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(x[i]) || Number.isNaN(trend[i])) continue;
      ad += Math.abs(x[i] - trend[i] - (P > 1 ? this.season[(start + i) % P] : 0));
      c++;
    }
    this.scale = c > 0 ? ad / c : 0;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(x[i])) continue;
      const z = this.step(x[i], (start + i) % P);
      if (warmCalibrator && i >= n >> 1) this.stage.learn(sided(z, this.context.side));
    }
    this.ready = true;
  }

  update(_time: number, value: number, out: DetectorOutput): void {
    const slot = this.tracker.seen % this.period;
    const missing = Number.isNaN(value);
    if (this.ready) {
      const P = this.period;
      const typical = this.level + (P > 1 ? this.season[slot] : 0);
      bandOutput(out, typical, this.sigma());
      if (missing) this.stage.missingBucket(out);
      else {
        const z = this.step(value, slot);
        this.stage.score(out, sided(z, this.context.side));
        if (out.score > 0) {
          out.kind = deviationKind(z > 0, out.multiBucketImpact > 0);
          out.explanation = `residual ${z.toFixed(1)}σ from trend + season (period ${P})`;
        } else {
          out.kind = 'none';
          out.explanation = '';
        }
      }
    } else coldOutput(out, missing);
    const changed = this.tracker.push(value);
    if (this.tracker.seen === this.coldStartBuckets && !this.ready) this.rebuild(true);
    else if (changed && this.ready) this.rebuild(false);
  }

  toState(): ModelState {
    const state: StlState = {
      context: this.context,
      tracker: this.tracker.toState(),
      stage: this.stage.toState(),
      level: this.level,
      scale: this.scale,
      season: packF64(this.season),
      ready: this.ready,
    };
    return { type: STL_RESIDUAL, version: VERSION, spec: this.spec, state };
  }

  memoryBytes(): number {
    return this.tracker.memoryBytes() + this.stage.memoryBytes() + this.season.byteLength + 96;
  }
}

export const stlResidualFactory = familyFactory<StlResidualSpec, StlState>({
  type: STL_RESIDUAL,
  version: VERSION,
  description: 'Online seasonal-trend decomposition; scores the robustly standardised residual.',
  spec: stlResidualSpec,
  make: (context, spec, state) => new StlResidualDetector(context, spec, state),
});

registerDetector(stlResidualFactory);
