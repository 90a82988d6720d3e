/**
 * Test-set accuracy of a trained model next to the statistical default on the same test buckets:
 *
 * - detect: both detectors run causally over the series (the default online from the first bucket,
 *   the trained one primed before validation so its calibrator learns on validation); on the test
 *   buckets: one-step error of the typical value (MAE, RMSE), 95 % bound coverage, alerts (score
 *   ≥ 25) and, with labelled anomaly windows, region precision/recall/F1 at that score.
 * - predict: forecasts from up to `maxOrigins` origins spread over the test set, `horizon` steps
 *   each, the trained model against `auto` (the forecast registry's default, given the same
 *   history up to the origin): sMAPE, MASE (scale: mean absolute one-step difference of the
 *   training set), 80/95 % coverage and MSIS at 95 %.
 */
import { defaultDetectorFactory } from '../detect/default/default-detector.js';
import { newOutput, type Detector } from '../detect/detector.js';
import { countRegions, regionScores, type Region, type RegionScores } from '../eval/region-metrics.js';
import { createForecaster } from '../forecast/registry.js';
import { msis, seasonalScale, smape } from '../forecast/metrics.js';
import type { Forecast } from '../forecast/types.js';
import type { TrainingSeries } from './data.js';
import { NeuralDetector } from './neural-detector.js';
import { NeuralForecaster } from './neural-forecaster.js';
import type { TrainedModel } from './trained-model.js';
import type { StageState } from '../detect/family/stage.js';

export const ALERT_SCORE = 25;

export interface DetectAccuracy {
  mae: number;
  rmse: number;
  /** Share of test buckets inside the 95 % bounds. */
  coverage95: number;
  /** Test buckets scored ≥ ALERT_SCORE. */
  alerts: number;
  /** With labels: region metrics of the alerts. */
  regions?: RegionScores;
}

export interface DetectTestReport {
  kind: 'detect';
  buckets: number;
  scored: number;
  neural: DetectAccuracy;
  default: DetectAccuracy;
}

/** Per-bucket outputs on the test set (for charts and corpus-wide scoring). */
export interface DetectTestOutputs {
  times: Float64Array;
  actual: Float64Array;
  neural: { typical: Float64Array; lower: Float64Array; upper: Float64Array; score: Float64Array };
  default: { typical: Float64Array; lower: Float64Array; upper: Float64Array; score: Float64Array };
}

interface Channel {
  typical: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  score: Float64Array;
}

function channel(n: number): Channel {
  return { typical: new Float64Array(n).fill(NaN), lower: new Float64Array(n).fill(NaN), upper: new Float64Array(n).fill(NaN), score: new Float64Array(n) };
}

function accuracyOf(actual: Float64Array, c: Channel, both: Uint8Array, regions: Region[] | undefined): DetectAccuracy {
  let ae = 0;
  let se = 0;
  let cov = 0;
  let m = 0;
  let alerts = 0;
  const flags = new Uint8Array(actual.length);
  for (let i = 0; i < actual.length; i++) {
    if (c.score[i] >= ALERT_SCORE) {
      alerts++;
      flags[i] = 1;
    }
    if (!both[i]) continue;
    const e = actual[i] - c.typical[i];
    ae += Math.abs(e);
    se += e * e;
    if (actual[i] >= c.lower[i] && actual[i] <= c.upper[i]) cov++;
    m++;
  }
  const acc: DetectAccuracy = { mae: m ? ae / m : NaN, rmse: m ? Math.sqrt(se / m) : NaN, coverage95: m ? cov / m : NaN, alerts };
  if (regions) acc.regions = regionScores(countRegions(flags, regions));
  return acc;
}

/** Labelled windows (epoch ms, inclusive) as row regions of the test set. */
export function regionsOf(windows: ReadonlyArray<readonly [number, number]>, testStart: number, spanMs: number, n: number): Region[] {
  const out: Region[] = [];
  for (const [s, e] of windows) {
    const a = Math.max(0, Math.ceil((s - testStart) / spanMs));
    const b = Math.min(n - 1, Math.floor((e - testStart) / spanMs));
    if (b >= a) out.push({ start: a, end: b });
  }
  return out;
}

/**
 * Runs both detectors and returns the test report, the test outputs and the trained detector's
 * score stage after the whole series (to continue live from the end of the data).
 */
export function evaluateDetection(
  model: TrainedModel,
  series: TrainingSeries,
  split: { validation: [number, number]; test: [number, number] },
  labels?: ReadonlyArray<readonly [number, number]>,
): { report: DetectTestReport; outputs: DetectTestOutputs; stage: StageState } {
  const { start, spanMs, values } = series;
  const n = values.length;
  const [v0] = split.validation;
  const [t0, t1] = split.test;
  const m = t1 - t0;
  const ctx = { bucketSpanMs: spanMs };
  const neural = new NeuralDetector(model, ctx);
  const def: Detector = defaultDetectorFactory.create(ctx);
  const out = newOutput();
  const cn = channel(m);
  const cd = channel(m);
  for (let i = Math.max(0, v0 - model.need); i < v0; i++) neural.prime(start + i * spanMs, values[i]);
  for (let i = 0; i < n; i++) {
    const time = start + i * spanMs;
    def.update(time, values[i], out);
    if (i >= t0 && i < t1) {
      cd.typical[i - t0] = out.typical;
      cd.lower[i - t0] = out.lower;
      cd.upper[i - t0] = out.upper;
      cd.score[i - t0] = out.score;
    }
    if (i < v0) continue;
    neural.update(time, values[i], out);
    if (i >= t0 && i < t1) {
      cn.typical[i - t0] = out.typical;
      cn.lower[i - t0] = out.lower;
      cn.upper[i - t0] = out.upper;
      cn.score[i - t0] = out.score;
    }
  }
  const actual = values.slice(t0, t1);
  // error measures on buckets where both models gave a typical value and the actual is known
  const both = new Uint8Array(m);
  let scored = 0;
  for (let i = 0; i < m; i++) {
    if (Number.isFinite(actual[i]) && Number.isFinite(cn.typical[i]) && Number.isFinite(cd.typical[i])) {
      both[i] = 1;
      scored++;
    }
  }
  const regions = labels ? regionsOf(labels, start + t0 * spanMs, spanMs, m) : undefined;
  const times = new Float64Array(m);
  for (let i = 0; i < m; i++) times[i] = start + (t0 + i) * spanMs;
  const stage = (neural.toState().state as { stage: StageState }).stage;
  return {
    report: { kind: 'detect', buckets: m, scored, neural: accuracyOf(actual, cn, both, regions), default: accuracyOf(actual, cd, both, regions) },
    outputs: { times, actual, neural: cn, default: cd },
    stage,
  };
}

export interface PredictAccuracy {
  smape: number;
  mase: number;
  coverage80: number;
  coverage95: number;
  msis: number;
}

export interface PredictTestReport {
  kind: 'predict';
  horizon: number;
  origins: number;
  neural: PredictAccuracy;
  default: PredictAccuracy;
  /** The statistical model compared with. */
  defaultModel: string;
}

/** Most history given to the default forecaster at each origin (it fits its own recent window). */
const DEFAULT_HISTORY = 5000;

export function evaluatePrediction(
  model: TrainedModel,
  series: TrainingSeries,
  split: { train: [number, number]; test: [number, number] },
  maxOrigins = 100,
): { report: PredictTestReport; last: { origin: number; neural: Forecast; default: Forecast } | null } {
  const { start, spanMs, values } = series;
  const H = model.meta.horizon;
  const [t0, t1] = split.test;
  const first = Math.max(t0, model.need);
  const lastOrigin = t1 - H;
  const candidates = Math.max(0, lastOrigin - first + 1);
  const stride = Math.max(1, Math.ceil(candidates / maxOrigins));
  const train: number[] = [];
  for (let i = split.train[0]; i < split.train[1]; i++) if (Number.isFinite(values[i])) train.push(values[i]);
  const scale = seasonalScale(train, 1) || 1;
  type Acc = { smape: number; mase: number; c80: number; c95: number; msis: number };
  const acc = (): Acc => ({ smape: 0, mase: 0, c80: 0, c95: 0, msis: 0 });
  const an = acc();
  const ad = acc();
  let origins = 0;
  let last: { origin: number; neural: Forecast; default: Forecast } | null = null;
  const add = (a: Acc, actual: Float64Array, f: Forecast): void => {
    const i80 = f.intervals.find((i) => i.level === 80)!;
    const i95 = f.intervals.find((i) => i.level === 95)!;
    a.smape += smape(actual, f.mean);
    let e = 0;
    for (let j = 0; j < H; j++) {
      e += Math.abs(actual[j] - f.mean[j]);
      if (actual[j] >= i80.lower[j] && actual[j] <= i80.upper[j]) a.c80++;
      if (actual[j] >= i95.lower[j] && actual[j] <= i95.upper[j]) a.c95++;
    }
    a.mase += e / H / scale;
    a.msis += msis(train, actual, i95.lower, i95.upper, 1, 0.05, scale);
  };
  for (let t = first; t <= lastOrigin; t += stride) {
    const actual = values.slice(t, t + H);
    if (actual.some((v) => !Number.isFinite(v))) continue;
    const nf = new NeuralForecaster(model, start).fit(values.subarray(0, t)).predict(H, [80, 95]);
    const from = Math.max(0, t - DEFAULT_HISTORY);
    let df: Forecast;
    try {
      df = createForecaster('auto', { stepMs: spanMs }).fit(values.slice(from, t)).predict(H, [80, 95]);
    } catch {
      df = createForecaster('naive').fit(values.slice(from, t)).predict(H, [80, 95]);
    }
    add(an, actual, nf);
    add(ad, actual, df);
    origins++;
    last = { origin: t, neural: nf, default: df };
  }
  const fin = (a: Acc): PredictAccuracy => ({
    smape: origins ? a.smape / origins : NaN,
    mase: origins ? a.mase / origins : NaN,
    coverage80: origins ? a.c80 / (origins * H) : NaN,
    coverage95: origins ? a.c95 / (origins * H) : NaN,
    msis: origins ? a.msis / origins : NaN,
  });
  return { report: { kind: 'predict', horizon: H, origins, neural: fin(an), default: fin(ad), defaultModel: 'auto' }, last };
}
