/**
 * M4-style evaluation of forecasting models on many series: sMAPE, MASE, OWA (against Naive2),
 * MSIS and coverage of the 95 % interval, and fit-plus-predict time per model.
 */
import { VigilError } from '../errors.js';
import { coverage, mase, msis, owa, seasonalScale, smape } from './metrics.js';
import { createForecaster } from './registry.js';
import type { ForecasterOptions } from './types.js';

export interface EvalRow {
  model: string;
  smape: number;
  mase: number;
  owa: number;
  msis: number;
  coverage: number;
  seconds: number;
}

export interface EvalOptions {
  /** M4 frequency for MASE/MSIS scaling and Naive2 (1 for Weekly). */
  period: number;
  horizon: number;
  models: string[];
  /** Options passed to every model except naive2 (default: period given when > 1, else detected). */
  modelOptions?: ForecasterOptions;
  /** Clock in ms (default performance.now). */
  now?: () => number;
}

interface Sums {
  smape: number;
  mase: number;
  msis: number;
  covered: number;
  points: number;
  ms: number;
}

/** Evaluates each model on every series; returns one row per model (Naive2 is always scored for OWA). */
export function evaluateForecasts(train: Float64Array[], test: Float64Array[], opts: EvalOptions): EvalRow[] {
  if (train.length !== test.length) throw new VigilError('INVALID_ARGUMENT', `train has ${train.length} series but test has ${test.length}`);
  const now = opts.now ?? (() => performance.now());
  const h = opts.horizon;
  const m = opts.period;
  const names = opts.models.includes('naive2') ? opts.models : [...opts.models, 'naive2'];
  const sums = new Map<string, Sums>(names.map((n) => [n, { smape: 0, mase: 0, msis: 0, covered: 0, points: 0, ms: 0 }]));
  const modelOptions: ForecasterOptions = opts.modelOptions ?? (m > 1 ? { period: m } : {});
  for (let s = 0; s < train.length; s++) {
    const y = train[s];
    const actual = test[s].subarray(0, h);
    if (actual.length < h) throw new VigilError('INVALID_ARGUMENT', `series ${s + 1}: test has ${actual.length} values, horizon is ${h}`);
    const scale = seasonalScale(y, m);
    for (const name of names) {
      const t0 = now();
      const model = createForecaster(name, name === 'naive2' ? { period: m } : modelOptions);
      const f = model.fit(y).predict(h, [95]);
      const acc = sums.get(name)!;
      acc.ms += now() - t0;
      const iv = f.intervals[0];
      acc.smape += smape(actual, f.mean);
      acc.mase += mase(y, actual, f.mean, m, scale);
      acc.msis += msis(y, actual, iv.lower, iv.upper, m, 0.05, scale);
      acc.covered += coverage(actual, iv.lower, iv.upper) * h;
      acc.points += h;
    }
  }
  const k = train.length;
  const n2 = sums.get('naive2')!;
  const rows: EvalRow[] = [];
  for (const name of opts.models) {
    const a = sums.get(name)!;
    rows.push({
      model: name,
      smape: a.smape / k,
      mase: a.mase / k,
      owa: owa(a.smape / k, a.mase / k, n2.smape / k, n2.mase / k),
      msis: a.msis / k,
      coverage: a.covered / a.points,
      seconds: a.ms / 1000,
    });
  }
  return rows;
}
