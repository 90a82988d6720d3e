/**
 * Training a model, as seed 000 (Siren ML) describes it: the buckets are split in time order into
 * training, validation and test sets; a hyperparameter search of up to 10 trials (architecture and
 * training parameters), each a short training scored by its best validation loss; a full training
 * of the best trial with early stopping, keeping the weights of the lowest validation loss; then
 * calibration on the validation residuals and test-set accuracy next to the statistical default.
 *
 * Progress is reported as events (phase, trial started/epoch/finished, training epoch) for the
 * training-run record; an AbortSignal cancels (CancelledError); `timeBudgetS` stops gracefully.
 * Deterministic for a seed: initialisers, shuffling and the search are seeded, and the wasm backend
 * runs single-threaded (see docs/trained-models.md for what could still differ across machines).
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { VigilError } from '../errors.js';
import { CancelledError } from './cancelled.js';
import { splitSeries, type Split, type TrainingSeries } from './data.js';
import { evaluateDetection, evaluatePrediction, type DetectTestOutputs, type DetectTestReport, type PredictTestReport } from './evaluate-test.js';
import { buildWindows, featureLayout, fitScaler, historyNeeded, interpolateGaps, type FeatureLayout, type WindowSet } from './features.js';
import { evaluateLoss, fitNetwork, type EpochRecord, type StopReason } from './fit-network.js';
import { CONV_KERNEL, Net, type NetShape, type NetWeights } from './net.js';
import { Sampler, choicesOf, keyOf, type Observation } from './search.js';
import { trainingSpec, type HyperParams, type ModelKind, type SearchSpace, type TrainingSpec } from './spec.js';
import { loadTf, type Tf } from './tf-loader.js';
import { CALIBRATION_PROBS, TRAINED_MODEL_FORMAT, TRAINED_MODEL_VERSION, TrainedModel, weightSpecsOf, type Calibration, type TrainedModelMeta } from './trained-model.js';

const DAY = 86_400_000;

export { CancelledError };

export interface TrialRecord {
  /** 1-based. */
  index: number;
  params: HyperParams;
  seed: number;
  status: 'completed' | 'failed' | 'skipped';
  /** Lowest validation loss of the trial (its score; NaN when it failed or was skipped). */
  valLoss: number;
  bestEpoch: number;
  epochs: EpochRecord[];
  stopReason: StopReason | null;
  ms: number;
  error?: string;
}

export type TrainingPhase = 'preparing' | 'search' | 'training' | 'evaluating' | 'done';

export type TrainingEvent =
  | { type: 'phase'; phase: TrainingPhase }
  | { type: 'trial_started'; index: number; params: HyperParams }
  | { type: 'trial_epoch'; index: number; epoch: EpochRecord }
  | { type: 'trial'; trial: TrialRecord }
  | { type: 'epoch'; epoch: EpochRecord };

export interface TrainingReport {
  type: ModelKind;
  backend: string;
  seconds: number;
  searchSeconds: number;
  trainingSeconds: number;
  buckets: number;
  split: Split;
  trials: TrialRecord[];
  /** 1-based index of the trial whose hyperparameters were trained. */
  bestTrial: number;
  hyperParams: HyperParams;
  parameters: number;
  training: {
    epochs: EpochRecord[];
    bestEpoch: number;
    bestValLoss: number;
    /** Validation loss of the kept model evaluated again after training (equals bestValLoss). */
    restoredValLoss: number;
    stopReason: StopReason;
    /** Largest |tfjs − TypeScript forward pass| over the validation windows (normalised units). */
    inferenceMaxDiff: number;
  };
  test: DetectTestReport | PredictTestReport | null;
}

export interface TrainOptions {
  signal?: AbortSignal;
  onEvent?: (e: TrainingEvent) => void;
  /** Labelled anomaly windows (epoch ms, inclusive) for the detection test report. */
  labels?: ReadonlyArray<readonly [number, number]>;
  /** Most forecast origins in the prediction test report (default 100). */
  maxOrigins?: number;
}

export interface TrainResult {
  model: TrainedModel;
  report: TrainingReport;
  /** Detection: per-bucket outputs of both detectors on the test set. */
  testOutputs?: DetectTestOutputs;
}

function feasibleSpace(space: SearchSpace, trainLen: number, horizon: number): SearchSpace {
  const cap = Math.max(CONV_KERNEL + 1, Math.floor(trainLen / 4));
  const clip = (list: number[]): number[] => {
    const ok = list.filter((w) => w <= cap && w >= CONV_KERNEL + 1);
    return ok.length ? ok : [Math.min(cap, Math.max(CONV_KERNEL + 1, list[0]))];
  };
  void horizon;
  return { ...space, windows: clip(space.windows), recurrentWindows: clip(space.recurrentWindows) };
}

/** Seasonal lags worth trying: a day and a week of buckets, where the training set holds several. */
export function candidateLags(spanMs: number, trainLen: number, maxWindow: number, given?: number[]): number[] {
  const raw = given ?? [DAY / spanMs, (7 * DAY) / spanMs].filter((l) => Number.isInteger(l) && l >= 2);
  return raw.filter((l) => l > 0 && l + maxWindow <= trainLen / 2);
}

function calibrate(model: { net: Net; layout: FeatureLayout; scaler: { center: number; scale: number } }, set: WindowSet, raw: Float64Array): Calibration {
  const H = model.layout.horizon;
  const pred = model.net.predict(set.x, set.n);
  const res: number[][] = Array.from({ length: H }, () => []);
  const { center, scale } = model.scaler;
  for (let r = 0; r < set.n; r++) {
    for (let j = 0; j < H; j++) {
      const actual = raw[set.t[r] + j];
      const p = center + scale * (pred[r * H + j] + set.base[r]);
      if (Number.isFinite(actual)) res[j].push(actual - p);
    }
  }
  const q: number[][] = [];
  const sigma: number[] = [];
  for (let j = 0; j < H; j++) {
    const e = res[j].sort((a, b) => a - b);
    const n = e.length;
    const at = (p: number): number => {
      if (n === 0) return 0;
      // split-conformal finite-sample correction, outward from the median
      const pp = p >= 0.5 ? Math.min(1, (p * (n + 1)) / n) : Math.max(0, (p * (n + 1) - 1) / n);
      const pos = pp * (n - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(n - 1, lo + 1);
      return e[lo] + (e[hi] - e[lo]) * (pos - lo);
    };
    const row = CALIBRATION_PROBS.map(at);
    if (j > 0) {
      // never narrower than the step before
      const prev = q[j - 1];
      for (let k = 0; k < row.length; k++) {
        if (CALIBRATION_PROBS[k] < 0.5) row[k] = Math.min(row[k], prev[k]);
        else if (CALIBRATION_PROBS[k] > 0.5) row[k] = Math.max(row[k], prev[k]);
      }
    }
    q.push(row);
    const med = at(0.5);
    const dev = e.map((v) => Math.abs(v - med)).sort((a, b) => a - b);
    let s = dev.length ? 1.4826 * dev[Math.floor(dev.length / 2)] : 0;
    if (!(s > 0)) s = n ? Math.sqrt(e.reduce((a, v) => a + v * v, 0) / n) : 0;
    if (!(s > 0)) s = 1e-6 * scale;
    sigma.push(Math.max(s, j > 0 ? sigma[j - 1] : 0));
  }
  return { probs: [...CALIBRATION_PROBS], q, sigma, count: set.n };
}

/**
 * Trains a model on a bucketed series.
 *
 * @example
 * const { model, report } = await trainModel(series, { type: 'detect', trials: 4, seed: 1 }, { onEvent: console.log });
 * const det = model.type === 'detect' ? new NeuralDetector(model, { bucketSpanMs: series.spanMs }) : null;
 */
export async function trainModel(series: TrainingSeries, specIn: Partial<TrainingSpec> & { type: ModelKind }, o: TrainOptions = {}): Promise<TrainResult> {
  const spec = trainingSpec(specIn);
  const t0 = performance.now();
  const emit = (e: TrainingEvent): void => o.onEvent?.(e);
  const checkCancel = (): void => {
    if (o.signal?.aborted) throw new CancelledError();
  };
  emit({ type: 'phase', phase: 'preparing' });
  const { start, spanMs, values } = series;
  const n = values.length;
  const split = splitSeries(n, spec.validationSplit, spec.testSplit);
  const [, trainEnd] = split.train;
  const [, valEnd] = split.validation;
  const H = spec.horizon;
  if (trainEnd < 64 || valEnd - trainEnd < Math.max(8, H)) {
    throw new VigilError('NOT_ENOUGH_DATA', `training needs more buckets: ${n} give ${trainEnd} for training and ${valEnd - trainEnd} for validation (at least 64 and ${Math.max(8, H)})`);
  }
  const scaler = fitScaler(values.subarray(0, trainEnd));
  const clean = interpolateGaps(values);
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = (clean[i] - scaler.center) / scaler.scale;
  const timeOf = (i: number): number => start + i * spanMs;

  const space = feasibleSpace(spec.space, trainEnd, H);
  const maxWindow = Math.max(...space.windows, ...space.recurrentWindows);
  const lags = candidateLags(spanMs, trainEnd, maxWindow, spec.space.seasonalLags);
  const choices = choicesOf(space, lags);
  const defaults: HyperParams = {
    ...spec.defaults,
    window: Math.min(spec.defaults.window, Math.max(CONV_KERNEL + 1, Math.floor(trainEnd / 4))),
    seasonalLag: lags.includes(spec.defaults.seasonalLag) ? spec.defaults.seasonalLag : 0,
  };
  const sampler = new Sampler(space, choices, spec.seed, spec.search);
  const deadline = spec.timeBudgetS > 0 ? t0 + spec.timeBudgetS * 1000 : undefined;
  const searchDeadline = deadline !== undefined ? t0 + spec.timeBudgetS * 500 : undefined;

  const tf: Tf = await loadTf();
  const backend = tf.getBackend();
  const shapeOf = (hp: HyperParams, layout: FeatureLayout): NetShape => ({ kind: hp.kind, window: hp.window, channels: layout.channels, units: hp.units, layers: hp.layers, horizon: H });
  const setsOf = (hp: HyperParams, maxTrain: number): { layout: FeatureLayout; train: WindowSet; val: WindowSet } => {
    const layout = featureLayout(hp, spanMs, H);
    const train = buildWindows(z, values, 0, trainEnd, layout, timeOf, maxTrain);
    const val = buildWindows(z, values, trainEnd, valEnd, layout, timeOf);
    return { layout, train, val };
  };

  // 1. hyperparameter search
  emit({ type: 'phase', phase: 'search' });
  const trials: TrialRecord[] = [];
  const observed: Observation[] = [];
  for (let i = 0; i < spec.trials; i++) {
    checkCancel();
    const params = i === 0 ? defaults : sampler.next(observed);
    const seed = spec.seed + 1000 * (i + 1);
    const rec: TrialRecord = { index: i + 1, params, seed, status: 'completed', valLoss: NaN, bestEpoch: 0, epochs: [], stopReason: null, ms: 0 };
    if (searchDeadline !== undefined && performance.now() > searchDeadline && i > 0) {
      rec.status = 'skipped';
      rec.error = 'time budget';
      trials.push(rec);
      emit({ type: 'trial', trial: rec });
      continue;
    }
    emit({ type: 'trial_started', index: rec.index, params });
    const ts = performance.now();
    let model: LayersModel | null = null;
    try {
      if (observed.some((ob) => keyOf(ob.params) === keyOf(params))) throw new Error('configuration already tried');
      const { layout, train, val } = setsOf(params, spec.trialSamples);
      if (train.n < 16 || val.n < 1) throw new Error(`too few windows (${train.n} training, ${val.n} validation) for window ${params.window} and lag ${params.seasonalLag}`);
      const fit = await fitNetwork(tf, shapeOf(params, layout), train, val, {
        seed,
        learningRate: params.learningRate,
        batchSize: params.batchSize,
        maxEpochs: spec.trialEpochs,
        patience: Math.min(spec.patience, 3),
        minDelta: spec.minDelta,
        epochSamples: spec.trialSamples,
        signal: o.signal,
        deadline: searchDeadline,
        onEpoch: (e) => emit({ type: 'trial_epoch', index: rec.index, epoch: e }),
      });
      model = fit.model;
      if (fit.result.stopReason === 'cancelled') throw new CancelledError();
      rec.valLoss = fit.result.bestValLoss;
      rec.bestEpoch = fit.result.bestEpoch;
      rec.epochs = fit.result.epochs;
      rec.stopReason = fit.result.stopReason;
      if (!Number.isFinite(rec.valLoss)) rec.status = 'failed';
    } catch (err) {
      // (the model is disposed once, in finally: disposing it here too made tfjs throw "already
      // disposed" from finally, which replaced the CancelledError of a search cancelled mid-trial)
      if (err instanceof CancelledError) throw err;
      rec.status = 'failed';
      rec.error = (err as Error).message;
    } finally {
      model?.dispose();
    }
    rec.ms = performance.now() - ts;
    trials.push(rec);
    observed.push({ params, score: rec.status === 'completed' ? rec.valLoss : Infinity });
    emit({ type: 'trial', trial: rec });
  }
  const done = trials.filter((t) => t.status === 'completed');
  if (done.length === 0) throw new VigilError('NOT_ENOUGH_DATA', `every trial failed: ${trials.map((t) => t.error).filter(Boolean).join('; ')}`);
  const best = done.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
  const searchSeconds = (performance.now() - t0) / 1000;

  // 2. full training of the best trial
  checkCancel();
  emit({ type: 'phase', phase: 'training' });
  const t1 = performance.now();
  const hp = best.params;
  const { layout, train, val } = setsOf(hp, Infinity);
  const shape = shapeOf(hp, layout);
  const fit = await fitNetwork(tf, shape, train, val, {
    seed: best.seed,
    learningRate: hp.learningRate,
    batchSize: hp.batchSize,
    maxEpochs: spec.maxEpochs,
    patience: spec.patience,
    minDelta: spec.minDelta,
    epochSamples: spec.epochSamples,
    signal: o.signal,
    deadline,
    onEpoch: (e) => emit({ type: 'epoch', epoch: e }),
  });
  let weights: NetWeights;
  let restoredValLoss: number;
  let inferenceMaxDiff = 0;
  try {
    if (fit.result.stopReason === 'cancelled') throw new CancelledError();
    if (!Number.isFinite(fit.result.bestValLoss)) throw new VigilError('INTERNAL', 'full training produced no finite validation loss');
    weights = fit.result.weights;
    restoredValLoss = evaluateLoss(tf, fit.model, shape, val);
    // the TypeScript forward pass against tfjs on the validation windows
    const net = new Net(shape, weights);
    const mine = net.predict(val.x, val.n);
    const { toModelInput, modelInputShape } = await import('./net.js');
    const [p1, p2] = modelInputShape(shape);
    const theirs = tf.tidy(() => (fit.model.predict(tf.tensor3d(toModelInput(shape, val.x, val.n), [val.n, p1, p2])) as import('@tensorflow/tfjs').Tensor).dataSync());
    for (let i = 0; i < mine.length; i++) inferenceMaxDiff = Math.max(inferenceMaxDiff, Math.abs(mine[i] - theirs[i]));
  } finally {
    fit.model.dispose();
  }
  const trainingSeconds = (performance.now() - t1) / 1000;

  // 3. calibration and test accuracy
  checkCancel();
  emit({ type: 'phase', phase: 'evaluating' });
  const net = new Net(shape, weights);
  const calibration = calibrate({ net, layout, scaler }, val, values);
  const need = historyNeeded(layout);
  const tailFrom = Math.max(0, n - need);
  const meta: TrainedModelMeta = {
    format: TRAINED_MODEL_FORMAT,
    version: TRAINED_MODEL_VERSION,
    type: spec.type,
    horizon: H,
    levels: spec.levels,
    bucketSpanMs: spanMs,
    hyperParams: hp,
    layout,
    shape,
    scaler,
    calibration,
    stage: null,
    tail: { start: start + tailFrom * spanMs, values: Array.from(values.subarray(tailFrom), (v) => (Number.isFinite(v) ? v : null)) },
    data: { start, buckets: n, train: split.train, validation: split.validation, test: split.test },
    weightSpecs: weightSpecsOf(shape),
  };
  let model = new TrainedModel(meta, weights);
  let test: DetectTestReport | PredictTestReport | null = null;
  let testOutputs: DetectTestOutputs | undefined;
  if (spec.type === 'detect') {
    // the run through validation and test also warms the score calibrator for live use
    const ev = evaluateDetection(model, series, split, o.labels);
    if (split.test[1] > split.test[0]) test = ev.report;
    testOutputs = ev.outputs;
    model = new TrainedModel({ ...meta, stage: ev.stage }, weights);
  } else if (split.test[1] - split.test[0] >= H) {
    test = evaluatePrediction(model, series, split, o.maxOrigins).report;
  }
  const report: TrainingReport = {
    type: spec.type,
    backend,
    seconds: (performance.now() - t0) / 1000,
    searchSeconds,
    trainingSeconds,
    buckets: n,
    split,
    trials,
    bestTrial: best.index,
    hyperParams: hp,
    parameters: net.parameters,
    training: {
      epochs: fit.result.epochs,
      bestEpoch: fit.result.bestEpoch,
      bestValLoss: fit.result.bestValLoss,
      restoredValLoss,
      stopReason: fit.result.stopReason,
      inferenceMaxDiff,
    },
    test,
  };
  model = new TrainedModel({ ...model.meta, report }, weights);
  emit({ type: 'phase', phase: 'done' });
  return { model, report, testOutputs };
}
