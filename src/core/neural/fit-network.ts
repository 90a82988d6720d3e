/**
 * One training of one network: epochs over a seeded sample of the training windows, the validation
 * loss after each epoch, early stopping (no improvement for `patience` epochs, or improvements
 * smaller than `minDelta` — a plateau), cancellation (an AbortSignal, checked after every batch)
 * and a time budget; the weights of the lowest validation loss are kept and put back at the end.
 *
 * Shuffling is ours (seeded), not tfjs' (which uses Math.random), so a seed reproduces a run.
 * tfjs 4.22 throws when a plain callback object is mixed with tf.callbacks.earlyStopping, so early
 * stopping is done here and training is stopped by setting `model.stopTraining`.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { Random } from '../random.js';
import { buildModel } from './build-model.js';
import type { WindowSet } from './features.js';
import { toModelInput, type NetShape, type NetWeights } from './net.js';
import type { Tf } from './tf-loader.js';

export interface EpochRecord {
  epoch: number;
  /** Mean training loss (MSE on normalised values) over the epoch's batches. */
  loss: number;
  valLoss: number;
  ms: number;
  /** True when this epoch's weights are the best so far (kept). */
  best: boolean;
}

export type StopReason = 'no_improvement' | 'plateau' | 'max_epochs' | 'time_budget' | 'cancelled';

export interface FitOptions {
  seed: number;
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
  minDelta: number;
  /** Training windows per epoch (a seeded sample when there are more). */
  epochSamples: number;
  signal?: AbortSignal;
  /** performance.now() after which training stops (keeping the best weights). */
  deadline?: number;
  onEpoch?: (e: EpochRecord) => void;
}

export interface FitResult {
  epochs: EpochRecord[];
  bestEpoch: number;
  bestValLoss: number;
  stopReason: StopReason;
  weights: NetWeights;
}

/** Copies a window set's rows `rows` into fresh arrays. */
function gather(set: WindowSet, per: number, H: number, rows: ArrayLike<number>, count: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(count * per);
  const y = new Float32Array(count * H);
  for (let i = 0; i < count; i++) {
    const r = rows[i];
    x.set(set.x.subarray(r * per, (r + 1) * per), i * per);
    y.set(set.y.subarray(r * H, (r + 1) * H), i * H);
  }
  return { x, y };
}

/** Validation loss: MSE over every output of every window, computed in doubles (deterministic). */
export function evaluateLoss(tf: Tf, model: LayersModel, shape: NetShape, set: WindowSet): number {
  if (set.n === 0) return NaN;
  const per = shape.window * shape.channels;
  const H = shape.horizon;
  const [p1, p2] = [model.inputs[0].shape[1] as number, model.inputs[0].shape[2] as number];
  const chunk = 2048;
  let se = 0;
  for (let r0 = 0; r0 < set.n; r0 += chunk) {
    const n = Math.min(chunk, set.n - r0);
    const xin = toModelInput(shape, set.x.subarray(r0 * per, (r0 + n) * per), n);
    const pred = tf.tidy(() => (model.predict(tf.tensor3d(xin, [n, p1, p2])) as import('@tensorflow/tfjs').Tensor).dataSync());
    for (let i = 0; i < n * H; i++) {
      const e = pred[i] - set.y[r0 * H + i];
      se += e * e;
    }
  }
  return se / (set.n * H);
}

function readWeights(model: LayersModel): NetWeights {
  const ws = model.getWeights();
  return { shapes: ws.map((w) => [...w.shape]), data: ws.map((w) => Float32Array.from(w.dataSync())) };
}

export function writeWeights(tf: Tf, model: LayersModel, w: NetWeights): void {
  const ts = w.data.map((d, i) => tf.tensor(d, w.shapes[i]));
  model.setWeights(ts);
  for (const t of ts) t.dispose();
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Trains a fresh network on `train`, validating on `val`. Returns the model (holding the best
 * weights) and the record of the run.
 */
export async function fitNetwork(tf: Tf, shape: NetShape, train: WindowSet, val: WindowSet, o: FitOptions): Promise<{ model: LayersModel; result: FitResult }> {
  const model = buildModel(tf, shape, o.seed, o.learningRate);
  const rng = new Random(o.seed ^ 0x5eed);
  const per = shape.window * shape.channels;
  const H = shape.horizon;
  const [p1, p2] = [model.inputs[0].shape[1] as number, model.inputs[0].shape[2] as number];
  const epochs: EpochRecord[] = [];
  let best = Infinity;
  let bestEpoch = 0;
  let bestWeights = readWeights(model);
  let sinceBig = 0;
  let stopReason: StopReason = 'max_epochs';
  const order = new Int32Array(train.n);
  for (let i = 0; i < train.n; i++) order[i] = i;
  const interrupted = (): StopReason | null =>
    o.signal?.aborted ? 'cancelled' : o.deadline !== undefined && performance.now() > o.deadline ? 'time_budget' : null;
  for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
    const stop = interrupted();
    if (stop) {
      stopReason = stop;
      break;
    }
    const t0 = performance.now();
    // seeded Fisher–Yates; the epoch trains on the first `count` rows of the permutation
    for (let i = train.n - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    const count = Math.min(train.n, o.epochSamples);
    const g = gather(train, per, H, order, count);
    const xt = tf.tensor3d(toModelInput(shape, g.x, count), [count, p1, p2]);
    const yt = tf.tensor2d(g.y, [count, H]);
    let hist;
    try {
      hist = await model.fit(xt, yt, {
        epochs: 1,
        batchSize: o.batchSize,
        shuffle: false,
        verbose: 0,
        callbacks: {
          onBatchEnd: async () => {
            if (interrupted()) model.stopTraining = true;
          },
        },
      });
    } finally {
      xt.dispose();
      yt.dispose();
    }
    const stopNow = interrupted();
    if (stopNow === 'cancelled') {
      stopReason = stopNow;
      break;
    }
    const loss = Number(hist.history.loss[0]);
    const valLoss = evaluateLoss(tf, model, shape, val);
    const improved = valLoss < best;
    if (improved) {
      if (valLoss < best * (1 - o.minDelta) || best === Infinity) sinceBig = 0;
      else sinceBig++;
      best = valLoss;
      bestEpoch = epoch;
      bestWeights = readWeights(model);
    } else sinceBig++;
    const rec: EpochRecord = { epoch, loss, valLoss, ms: performance.now() - t0, best: improved };
    epochs.push(rec);
    o.onEpoch?.(rec);
    if (!Number.isFinite(valLoss) || !Number.isFinite(loss)) {
      stopReason = 'no_improvement';
      break;
    }
    if (stopNow) {
      stopReason = stopNow;
      break;
    }
    if (sinceBig >= o.patience) {
      // rising validation loss is over-fitting; flat within minDelta is a plateau
      stopReason = valLoss > best * (1 + o.minDelta) ? 'no_improvement' : 'plateau';
      break;
    }
    await tick();
  }
  writeWeights(tf, model, bestWeights);
  return { model, result: { epochs, bestEpoch, bestValLoss: best, stopReason, weights: bestWeights } };
}
