/**
 * The JSON spec of a trained model: what kind (detect | predict), the training options, and the
 * hyperparameter search space. One spec serves as the HTTP body, the CLI options, the stored row
 * and the benchmark config; `trainingSpec()` validates a partial spec and fills the defaults.
 */
import { VigilError } from '../errors.js';

export type ModelKind = 'detect' | 'predict';

/** Network architectures. `conv` is one causal 1-D convolution (see net.ts for why it is built from patches). */
export type ArchKind = 'dense' | 'conv' | 'gru' | 'lstm';
export const ARCH_KINDS: readonly ArchKind[] = ['dense', 'conv', 'gru', 'lstm'];

/** One point of the search space: the architecture and training parameters of one trial. */
export interface HyperParams {
  kind: ArchKind;
  /** Past buckets the network sees. */
  window: number;
  /** Hidden units (dense), filters (conv) or state size (gru/lstm). */
  units: number;
  /** Hidden layers (dense), 1 conv + (layers − 1) dense, or stacked recurrent layers. */
  layers: number;
  learningRate: number;
  batchSize: number;
  /** Inputs and targets relative to the window's last value (robust to level shifts). */
  anchor: boolean;
  /** Extra input channel: the value one seasonal period earlier (0 = none). In buckets. */
  seasonalLag: number;
}

/** Choices per dimension; each trial picks one of each. Windows/units are listed per family. */
export interface SearchSpace {
  kinds: ArchKind[];
  /** Window lengths for dense and conv models. */
  windows: number[];
  /** Window lengths for recurrent models (cost grows with the window). */
  recurrentWindows: number[];
  units: number[];
  recurrentUnits: number[];
  layers: number[];
  /** Stacked recurrent layers (each costs a full pass over the window on CPU). */
  recurrentLayers: number[];
  learningRates: number[];
  batchSizes: number[];
  anchors: boolean[];
  /** Seasonal lags in buckets to try besides 0; default: a day and a week of buckets where they fit. */
  seasonalLags?: number[];
}

export const DEFAULT_SEARCH_SPACE: SearchSpace = {
  kinds: ['dense', 'conv', 'gru', 'lstm'],
  windows: [24, 48, 96],
  recurrentWindows: [12, 24],
  units: [16, 32, 64],
  recurrentUnits: [8, 16],
  layers: [1, 2],
  recurrentLayers: [1],
  learningRates: [3e-4, 1e-3, 3e-3],
  batchSizes: [32, 64, 128],
  anchors: [true, false],
};

export interface TrainingSpec {
  type: ModelKind;
  /** Steps ahead a prediction model forecasts directly (1 for detection). */
  horizon: number;
  /** Interval levels (percent) of prediction bands. */
  levels: number[];
  seed: number;
  /** Hyperparameter trials (1–10). The first trial is `defaults`. */
  trials: number;
  /** 'tpe' (random start, then a Parzen-estimator sampler) or 'random'. */
  search: 'tpe' | 'random';
  /** Shares of the buckets (time order) for validation and test; training gets the rest. */
  validationSplit: number;
  testSplit: number;
  /** Most epochs of one trial (a short training). */
  trialEpochs: number;
  /** Most training windows a trial uses (the most recent ones). */
  trialSamples: number;
  /** Most epochs of the full training. */
  maxEpochs: number;
  /** Training windows drawn per epoch of the full training (a seeded sample when there are more). */
  epochSamples: number;
  /** Early stopping: epochs without an improvement of `minDelta` (relative) before stopping. */
  patience: number;
  minDelta: number;
  /** Wall-clock budget of search + training in seconds (0 = none); stops gracefully, keeping the best. */
  timeBudgetS: number;
  /** The first trial's hyperparameters. */
  defaults: HyperParams;
  space: SearchSpace;
}

export const DEFAULT_HYPERPARAMS: HyperParams = {
  kind: 'dense',
  window: 48,
  units: 32,
  layers: 2,
  learningRate: 1e-3,
  batchSize: 64,
  anchor: true,
  seasonalLag: 0,
};

export const TRAINING_DEFAULTS: Omit<TrainingSpec, 'type'> = {
  horizon: 1,
  levels: [80, 95],
  seed: 42,
  trials: 10,
  search: 'tpe',
  validationSplit: 0.15,
  testSplit: 0.15,
  trialEpochs: 8,
  trialSamples: 3000,
  maxEpochs: 40,
  epochSamples: 8192,
  patience: 5,
  minDelta: 1e-3,
  timeBudgetS: 280,
  defaults: DEFAULT_HYPERPARAMS,
  space: DEFAULT_SEARCH_SPACE,
};

function int(v: unknown, key: string, def: number, min: number, max: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new VigilError('INVALID_ARGUMENT', `${key} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function real(v: unknown, key: string, def: number, min: number, max: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new VigilError('INVALID_ARGUMENT', `${key} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function list<T>(v: unknown, key: string, def: T[], ok: (x: unknown) => boolean): T[] {
  if (v === undefined || v === null) return [...def];
  if (!Array.isArray(v) || v.length === 0 || !v.every(ok)) {
    throw new VigilError('INVALID_ARGUMENT', `${key} must be a non-empty list of valid choices, got ${JSON.stringify(v)}`);
  }
  return [...(v as T[])];
}

const posInt = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 4096;

/** Validates a hyperparameter set. */
export function hyperParams(p: Partial<HyperParams> | undefined, base: HyperParams = DEFAULT_HYPERPARAMS): HyperParams {
  const kind = p?.kind ?? base.kind;
  if (!ARCH_KINDS.includes(kind)) throw new VigilError('INVALID_ARGUMENT', `kind must be one of ${ARCH_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  return {
    kind,
    window: int(p?.window, 'window', base.window, 2, 4096),
    units: int(p?.units, 'units', base.units, 1, 1024),
    layers: int(p?.layers, 'layers', base.layers, 1, 4),
    learningRate: real(p?.learningRate, 'learningRate', base.learningRate, 1e-6, 1),
    batchSize: int(p?.batchSize, 'batchSize', base.batchSize, 1, 4096),
    anchor: typeof p?.anchor === 'boolean' ? p.anchor : base.anchor,
    seasonalLag: int(p?.seasonalLag, 'seasonalLag', base.seasonalLag, 0, 100_000),
  };
}

/**
 * Validates a partial training spec and fills the defaults.
 *
 * @example trainingSpec({ type: 'predict', horizon: 12, trials: 5, seed: 7 })
 */
export function trainingSpec(s: Partial<TrainingSpec> & { type: ModelKind }): TrainingSpec {
  if (s.type !== 'detect' && s.type !== 'predict') throw new VigilError('INVALID_ARGUMENT', `type must be detect or predict, got ${JSON.stringify(s.type)}`);
  const d = TRAINING_DEFAULTS;
  const sp = (s.space ?? {}) as Partial<SearchSpace>;
  const space: SearchSpace = {
    kinds: list<ArchKind>(sp.kinds, 'space.kinds', d.space.kinds, (x) => ARCH_KINDS.includes(x as ArchKind)),
    windows: list<number>(sp.windows, 'space.windows', d.space.windows, posInt),
    recurrentWindows: list<number>(sp.recurrentWindows, 'space.recurrentWindows', d.space.recurrentWindows, posInt),
    units: list<number>(sp.units, 'space.units', d.space.units, posInt),
    recurrentUnits: list<number>(sp.recurrentUnits, 'space.recurrentUnits', d.space.recurrentUnits, posInt),
    layers: list<number>(sp.layers, 'space.layers', d.space.layers, (x) => posInt(x) && (x as number) <= 4),
    recurrentLayers: list<number>(sp.recurrentLayers, 'space.recurrentLayers', d.space.recurrentLayers, (x) => posInt(x) && (x as number) <= 4),
    learningRates: list<number>(sp.learningRates, 'space.learningRates', d.space.learningRates, (x) => typeof x === 'number' && x > 0 && x < 1),
    batchSizes: list<number>(sp.batchSizes, 'space.batchSizes', d.space.batchSizes, posInt),
    anchors: list<boolean>(sp.anchors, 'space.anchors', d.space.anchors, (x) => typeof x === 'boolean'),
    seasonalLags: sp.seasonalLags === undefined ? undefined : list<number>(sp.seasonalLags, 'space.seasonalLags', [], (x) => typeof x === 'number' && Number.isInteger(x) && x >= 0),
  };
  const type = s.type;
  const horizon = type === 'detect' ? 1 : int(s.horizon, 'horizon', 12, 1, 10_000);
  if (type === 'detect' && s.horizon !== undefined && s.horizon !== 1) {
    throw new VigilError('INVALID_ARGUMENT', `horizon applies to predict models only (detect models score the next bucket), got ${s.horizon}`);
  }
  const levels = list<number>(s.levels, 'levels', d.levels, (x) => typeof x === 'number' && x > 0 && x < 100);
  const validationSplit = real(s.validationSplit, 'validationSplit', d.validationSplit, 0.05, 0.5);
  const testSplit = real(s.testSplit, 'testSplit', d.testSplit, 0, 0.5);
  if (validationSplit + testSplit > 0.7) throw new VigilError('INVALID_ARGUMENT', `validationSplit + testSplit must leave at least 30 % for training, got ${validationSplit} + ${testSplit}`);
  const search = s.search ?? d.search;
  if (search !== 'tpe' && search !== 'random') throw new VigilError('INVALID_ARGUMENT', `search must be tpe or random, got ${JSON.stringify(search)}`);
  return {
    type,
    horizon,
    levels,
    seed: int(s.seed, 'seed', d.seed, 0, 2 ** 31 - 1),
    trials: int(s.trials, 'trials', d.trials, 1, 10),
    search,
    validationSplit,
    testSplit,
    trialEpochs: int(s.trialEpochs, 'trialEpochs', d.trialEpochs, 1, 1000),
    trialSamples: int(s.trialSamples, 'trialSamples', d.trialSamples, 16, 10_000_000),
    maxEpochs: int(s.maxEpochs, 'maxEpochs', d.maxEpochs, 1, 10_000),
    epochSamples: int(s.epochSamples, 'epochSamples', d.epochSamples, 16, 10_000_000),
    patience: int(s.patience, 'patience', d.patience, 1, 1000),
    minDelta: real(s.minDelta, 'minDelta', d.minDelta, 0, 1),
    timeBudgetS: real(s.timeBudgetS, 'timeBudgetS', d.timeBudgetS, 0, 1e7),
    defaults: hyperParams(s.defaults),
    space,
  };
}
