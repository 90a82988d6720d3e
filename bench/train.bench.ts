/**
 * Trained models: a default model (the default spec: 10 trials, the whole search space, a 280 s
 * budget) trained on 20 000 buckets of a 5-minute series with daily and weekly patterns; reports
 * trials, epochs and wall time (goal: search + training ≤ 5 minutes on one core), then live
 * scoring throughput, bucket by bucket through the Detector interface (goal ≥ 10 000 buckets/s),
 * for the trained model and for each architecture at its largest default size.
 *
 *   node dist/bench/train.bench.js [buckets] [detect|predict]
 *   node dist/bench/train.bench.js [buckets] detect score [kind]   — scoring throughput only (no training):
 *     each architecture (and the GRU shape the default search chose) with random weights, median of 3
 */
import { availableParallelism, cpus } from 'node:os';
import { newOutput } from '../src/core/detect/detector.js';
import { Random } from '../src/core/random.js';
import type { TrainingSeries } from '../src/core/neural/data.js';
import { featureLayout } from '../src/core/neural/features.js';
import { NeuralDetector } from '../src/core/neural/neural-detector.js';
import { OnlinePredictor } from '../src/core/neural/neural-forecaster.js';
import { Net, weightShapes, type NetShape } from '../src/core/neural/net.js';
import { DEFAULT_HYPERPARAMS, type HyperParams, type ModelKind } from '../src/core/neural/spec.js';
import { trainModel } from '../src/core/neural/trainer.js';
import { TrainedModel, weightSpecsOf } from '../src/core/neural/trained-model.js';

const MIN5 = 300_000;

export function benchSeries(n: number, seed = 1): TrainingSeries {
  const rng = new Random(seed);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const day = (i % 288) / 288;
    const weekday = Math.floor(i / 288) % 7 < 5 ? 1 : 0.6;
    values[i] = 200 + 120 * weekday * Math.max(0, Math.sin(Math.PI * (day - 0.25) * 2)) + 8 * rng.normal() + (i % 5000 === 4000 ? 150 : 0);
  }
  return { start: Date.UTC(2024, 0, 1), spanMs: MIN5, values };
}

/** Buckets/s of a detector over `values` (after the window fills). */
function throughput(model: TrainedModel, s: TrainingSeries): number {
  const out = newOutput();
  const n = s.values.length;
  if (model.type === 'detect') {
    const d = new NeuralDetector(model, { bucketSpanMs: s.spanMs });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) d.update(s.start + i * s.spanMs, s.values[i], out);
    return n / ((performance.now() - t0) / 1000);
  }
  const p = new OnlinePredictor(model, model.meta.horizon, [95]);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) p.update(s.start + i * s.spanMs, s.values[i]);
  return n / ((performance.now() - t0) / 1000);
}

/** A model with random weights of a given architecture (throughput does not depend on training). */
function randomModel(hp: HyperParams, spanMs: number): TrainedModel {
  const layout = featureLayout(hp, spanMs, 1);
  const shape: NetShape = { kind: hp.kind, window: hp.window, channels: layout.channels, units: hp.units, layers: hp.layers, horizon: 1 };
  const rng = new Random(3);
  const data = weightShapes(shape).map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.1));
  return new TrainedModel(
    {
      format: 'vigil-trained-model',
      version: 1,
      type: 'detect',
      horizon: 1,
      levels: [95],
      bucketSpanMs: spanMs,
      hyperParams: hp,
      layout,
      shape,
      scaler: { center: 200, scale: 50 },
      calibration: { probs: [0.025, 0.5, 0.975], q: [[-10, 0, 10]], sigma: [5], count: 100 },
      stage: null,
      tail: { start: 0, values: [] },
      data: { start: 0, buckets: 0, train: [0, 0], validation: [0, 0], test: [0, 0] },
      weightSpecs: weightSpecsOf(shape),
    },
    { shapes: weightShapes(shape), data },
  );
}

export interface TrainBench {
  buckets: number;
  type: ModelKind;
  backend: string;
  trials: number;
  trialEpochs: number;
  epochs: number;
  stopReason: string;
  searchSeconds: number;
  trainingSeconds: number;
  seconds: number;
  chosen: HyperParams;
  bucketsPerSecond: number;
  perArchitecture: Array<{ arch: string; parameters: number; bucketsPerSecond: number }>;
  test: unknown;
}

/** The architectures the throughput figures cover (the largest default sizes, and the trained GRU's shape). */
export const SCORING_ARCHITECTURES = [
  { ...DEFAULT_HYPERPARAMS },
  { ...DEFAULT_HYPERPARAMS, kind: 'dense', window: 96, units: 64, layers: 2, seasonalLag: 288 },
  { ...DEFAULT_HYPERPARAMS, kind: 'conv', window: 96, units: 64, layers: 2, seasonalLag: 288 },
  { ...DEFAULT_HYPERPARAMS, kind: 'gru', window: 24, units: 16, layers: 1, seasonalLag: 288 },
  { ...DEFAULT_HYPERPARAMS, kind: 'lstm', window: 24, units: 16, layers: 1, seasonalLag: 288 },
] as HyperParams[];

const archName = (hp: HyperParams): string => `${hp.kind} w${hp.window} u${hp.units}×${hp.layers}${hp.seasonalLag ? ` lag${hp.seasonalLag}` : ''}`;

/** Scoring throughput only: median buckets/s of `runs` passes per architecture (random weights). */
export function benchScoring(n = 20_000, runs = 3, only?: string): Array<{ arch: string; parameters: number; bucketsPerSecond: number; runs: number[] }> {
  const s = benchSeries(n);
  const archs = [...SCORING_ARCHITECTURES, { ...DEFAULT_HYPERPARAMS, kind: 'gru', window: 24, units: 8, layers: 1, seasonalLag: 2016 } as HyperParams].filter((hp) => !only || hp.kind === only);
  return archs.map((hp) => {
    const m = randomModel(hp, s.spanMs);
    const all: number[] = [];
    for (let r = 0; r < runs; r++) all.push(Math.round(throughput(m, s)));
    const sorted = [...all].sort((a, b) => a - b);
    return { arch: archName(hp), parameters: m.net.parameters, bucketsPerSecond: sorted[Math.floor(runs / 2)], runs: all };
  });
}

export async function benchTrain(o: { buckets?: number; type?: ModelKind } = {}): Promise<TrainBench> {
  const n = o.buckets ?? 20_000;
  const type = o.type ?? 'detect';
  const s = benchSeries(n);
  const r = await trainModel(s, { type, ...(type === 'predict' ? { horizon: 12 } : {}) });
  const perArchitecture = SCORING_ARCHITECTURES.map((hp) => {
    const m = randomModel(hp, s.spanMs);
    return { arch: archName(hp), parameters: m.net.parameters, bucketsPerSecond: throughput(m, s) };
  });
  return {
    buckets: n,
    type,
    backend: r.report.backend,
    trials: r.report.trials.filter((t) => t.status === 'completed').length,
    trialEpochs: r.report.trials.reduce((a, t) => a + t.epochs.length, 0),
    epochs: r.report.training.epochs.length,
    stopReason: r.report.training.stopReason,
    searchSeconds: r.report.searchSeconds,
    trainingSeconds: r.report.trainingSeconds,
    seconds: r.report.seconds,
    chosen: r.report.hyperParams,
    bucketsPerSecond: throughput(r.model, s),
    perArchitecture,
    test: r.report.test,
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').slice(-2).join('/'))) {
  if (process.argv[4] === 'score' || process.argv[3] === 'score') {
    console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${availableParallelism()}, Node ${process.version}`);
    for (const r of benchScoring(Number(process.argv[2] ?? 20_000), 3, process.argv[5])) console.log(`${r.arch.padEnd(26)} ${String(r.parameters).padStart(7)} params  ${String(r.bucketsPerSecond).padStart(7)} buckets/s  (runs ${r.runs.join(', ')})`);
    process.exit(0);
  }
  const b = await benchTrain({ buckets: Number(process.argv[2] ?? 20_000), type: (process.argv[3] as ModelKind) ?? 'detect' });
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${availableParallelism()}, Node ${process.version}`);
  console.log(JSON.stringify(b, null, 2));
}
