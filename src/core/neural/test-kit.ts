/**
 * Small seeded series and tiny training specs for the trained-model tests (fast: a few seconds).
 */
import { Random } from '../random.js';
import type { TrainingSeries } from './data.js';
import type { ModelKind, TrainingSpec } from './spec.js';

export const HOUR = 3_600_000;
export const T0 = Date.UTC(2024, 0, 1);

/** Hourly series with a daily cycle, noise, and optional spikes at the given indices. */
export function sineSeries(n: number, seed = 1, spikes: number[] = [], missing: number[] = []): TrainingSeries {
  const rng = new Random(seed);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = 100 + 20 * Math.sin((2 * Math.PI * i) / 24) + 5 * Math.sin((2 * Math.PI * i) / 7.3) + rng.normal() * 1.5;
  for (const s of spikes) values[s] += 40;
  for (const m of missing) values[m] = NaN;
  return { start: T0, spanMs: HOUR, values };
}

/** A tiny dense-only search space and short trainings. */
export function tinySpec(type: ModelKind, over: Partial<TrainingSpec> = {}): Partial<TrainingSpec> & { type: ModelKind } {
  return {
    type,
    seed: 7,
    trials: 3,
    trialEpochs: 4,
    trialSamples: 400,
    maxEpochs: 30,
    epochSamples: 512,
    patience: 3,
    timeBudgetS: 0,
    defaults: { kind: 'dense', window: 12, units: 8, layers: 1, learningRate: 3e-3, batchSize: 32, anchor: true, seasonalLag: 0 },
    space: { kinds: ['dense'], windows: [8, 12, 24], recurrentWindows: [8], units: [4, 8, 16], recurrentUnits: [4], layers: [1], recurrentLayers: [1], learningRates: [1e-3, 3e-3, 1e-2], batchSizes: [32, 64], anchors: [true, false], seasonalLags: [24] },
    ...over,
  };
}
