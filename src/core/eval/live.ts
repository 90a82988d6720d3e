/**
 * Live train-predict simulation (the "train-predict-live" loop): every `retrainEvery` rows the
 * model is (re)trained on the trailing `trainWindow` rows, then scores the next `retrainEvery` rows
 * as they arrive, one at a time, seeing nothing later. Rows before the first training are scored 0.
 *
 * Batch-trained detectors opt in by giving their factory an optional `fit`:
 *
 * ```ts
 * const factory: DetectorFactory & BatchTrainable = {
 *   type: 'forest', description: '…', create, fromState,
 *   // Train on a window of history; return a detector ready to score the rows that follow
 *   // (its update() may keep learning online between retrainings, or not).
 *   fit(times, values, context, spec) { … return detector; },
 * };
 * ```
 *
 * A factory without `fit` is retrained by creating a fresh detector and replaying the window
 * through `update` (outputs discarded), which is what a streaming detector restarted on recent
 * history would do.
 */
import { newOutput, type Detector, type DetectorContext, type DetectorFactory } from '../detect/detector.js';
import { getDetectorFactory } from '../detect/registry.js';
import { inferResolution } from '../bucket/span.js';
import { VigilError } from '../errors.js';

/** The optional batch-training capability of a detector factory. */
export interface BatchTrainable {
  /**
   * Trains on `times`/`values` (a trailing window, time order, NaN = missing) and returns a
   * detector that scores the rows that follow via `update`.
   */
  fit(times: Float64Array, values: Float64Array, context: DetectorContext, spec?: Record<string, unknown>): Detector;
}

export function isBatchTrainable(f: DetectorFactory<any>): f is DetectorFactory<any> & BatchTrainable {
  return typeof (f as Partial<BatchTrainable>).fit === 'function';
}

export interface LiveOptions {
  detector: string;
  spec?: Record<string, unknown>;
  /** Rows of history each training sees (≥ 1). */
  trainWindow: number;
  /** Rows scored between retrainings (≥ 1). */
  retrainEvery: number;
  bucketSpanMs?: number;
}

/**
 * Scores every row of a series under the live simulation; returns record score / 100 per row.
 *
 * @example liveScores(times, values, { detector: 'default', trainWindow: 2016, retrainEvery: 288 })
 */
export function liveScores(times: Float64Array, values: Float64Array, options: LiveOptions): Float64Array {
  const { trainWindow, retrainEvery } = options;
  if (!(trainWindow >= 1) || !(retrainEvery >= 1)) {
    throw new VigilError('INVALID_ARGUMENT', `live simulation needs trainWindow ≥ 1 and retrainEvery ≥ 1, got ${trainWindow} and ${retrainEvery}`);
  }
  const factory = getDetectorFactory(options.detector);
  const context: DetectorContext = { bucketSpanMs: options.bucketSpanMs ?? inferResolution(times) };
  const n = times.length;
  const scores = new Float64Array(n);
  const out = newOutput();
  for (let t = retrainEvery; t < n; t += retrainEvery) {
    const from = Math.max(0, t - trainWindow);
    let detector: Detector;
    if (isBatchTrainable(factory)) {
      detector = factory.fit(times.subarray(from, t), values.subarray(from, t), context, options.spec);
    } else {
      detector = factory.create(context, options.spec);
      for (let i = from; i < t; i++) detector.update(times[i], values[i], out);
    }
    const end = Math.min(n, t + retrainEvery);
    for (let i = t; i < end; i++) {
      detector.update(times[i], values[i], out);
      scores[i] = out.score / 100;
    }
  }
  return scores;
}
