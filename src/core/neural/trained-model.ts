/**
 * A trained model as it is kept and used: its metadata (kind, bucket span, hyperparameters, feature
 * layout, normalisation, calibration of residuals, the tail of the training data, the training
 * report) and its weights. Scoring and forecasting run on the TypeScript forward pass (net.ts), so a
 * TrainedModel needs no tfjs.
 *
 * Storage: `toArtifacts()` gives `model.json` (metadata + tfjs-style weight specs) and `weights.bin`
 * (float32, little-endian, tensors back to back in tfjs order); `fromArtifacts` refuses other
 * formats and versions. `toJSON()`/`fromJSON()` inline the weights as base64 for self-contained
 * detector state.
 */
import { VigilError } from '../errors.js';
import type { StageState } from '../detect/family/stage.js';
import { calendarChannels, historyNeeded, writeCalendar, writeWindow, type FeatureLayout, type Scaler } from './features.js';
import { Net, weightShapes, type NetShape, type NetWeights } from './net.js';
import type { HyperParams, ModelKind } from './spec.js';

export const TRAINED_MODEL_FORMAT = 'vigil-trained-model';
export const TRAINED_MODEL_VERSION = 1;

/** Empirical residual quantiles (original units) per horizon step, conformal-corrected. */
export interface Calibration {
  /** Probabilities of the grid (ascending). */
  probs: number[];
  /** q[step][k]: residual quantile at probs[k] for horizon step `step` (widening with the step). */
  q: number[][];
  /** Robust scale (MAD × 1.4826) of the residuals per step. */
  sigma: number[];
  /** Residuals per step the quantiles come from. */
  count: number;
}

export interface SplitInfo {
  start: number;
  buckets: number;
  train: [number, number];
  validation: [number, number];
  test: [number, number];
}

export interface TrainedModelMeta {
  format: typeof TRAINED_MODEL_FORMAT;
  version: number;
  type: ModelKind;
  horizon: number;
  levels: number[];
  bucketSpanMs: number;
  hyperParams: HyperParams;
  layout: FeatureLayout;
  shape: NetShape;
  scaler: Scaler;
  calibration: Calibration;
  /** Detection: the score stage (calibrator + alarm policy) after replaying validation and test. */
  stage: StageState | null;
  /** The last buckets of the training data (raw, null = missing), so scoring can continue from there. */
  tail: { start: number; values: (number | null)[] };
  data: SplitInfo;
  /** Free-form training report (trials, epochs, accuracy); see trainer.ts. */
  report?: unknown;
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' }[];
}

/** Conformal grid: symmetric levels 50 … 99.8 %. */
export const CALIBRATION_PROBS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999];

export class TrainedModel {
  readonly net: Net;
  readonly need: number;
  /** Calendar channels of the last window predicted ([window × calendarChannels]) and its first target's time. */
  private readonly calendar: Float32Array;
  private calendarTime = NaN;

  constructor(
    readonly meta: TrainedModelMeta,
    readonly weights: NetWeights,
  ) {
    if (meta.format !== TRAINED_MODEL_FORMAT) throw new VigilError('STATE_TYPE', `not a Vigil trained model (format ${JSON.stringify(meta.format)})`);
    if (meta.version !== TRAINED_MODEL_VERSION) throw new VigilError('STATE_VERSION', `trained model has version ${meta.version}; this Vigil reads version ${TRAINED_MODEL_VERSION}`);
    try {
      this.net = new Net(meta.shape, weights, meta.layout ? calendarChannels(meta.layout) : 0);
    } catch (err) {
      throw new VigilError('STATE_TYPE', `trained model weights do not fit its network: ${(err as Error).message}`);
    }
    this.need = historyNeeded(meta.layout);
    this.calendar = new Float32Array(meta.layout.window * calendarChannels(meta.layout));
  }

  /**
   * The calendar channels of the window whose first target is at `time`: shifted by one step when
   * `time` follows the last window's (live scoring, bucket after bucket), so only the newest step's
   * trigonometry is computed; the same values `writeWindow` computes itself.
   */
  private calendarFor(time: number): Float32Array {
    const l = this.meta.layout;
    const K = calendarChannels(l);
    const cal = this.calendar;
    if (K === 0 || time === this.calendarTime) return cal;
    const L = l.window;
    const span = this.meta.bucketSpanMs;
    if (time === this.calendarTime + span) {
      cal.copyWithin(0, K);
      writeCalendar(time, l, cal, (L - 1) * K);
    } else for (let k = 0; k < L; k++) writeCalendar(time - (L - 1 - k) * span, l, cal, k * K);
    this.calendarTime = time;
    return cal;
  }

  get type(): ModelKind {
    return this.meta.type;
  }

  normalise(v: number): number {
    return (v - this.meta.scaler.center) / this.meta.scaler.scale;
  }

  denormalise(z: number): number {
    return this.meta.scaler.center + this.meta.scaler.scale * z;
  }

  /**
   * Predicts the next `horizon` buckets from `z` (the last `need` normalised, gap-free values,
   * oldest first) for a first target at `time`; writes original units into `out`.
   */
  predictFrom(z: ArrayLike<number>, time: number, out: Float64Array, scratch?: { x: Float32Array; y: Float32Array }): Float64Array {
    const l = this.meta.layout;
    const span = this.meta.bucketSpanMs;
    const need = this.need;
    const x = scratch?.x ?? new Float32Array(l.window * l.channels);
    const y = scratch?.y ?? new Float32Array(l.horizon);
    const base = writeWindow(z, need, l, (i) => time - (need - i) * span, x, 0, this.calendarFor(time));
    this.net.predict(x, 1, y);
    for (let j = 0; j < l.horizon; j++) out[j] = this.denormalise(y[j] + base);
    return out;
  }

  /** Residual quantile of step `step` (0-based) at probability p, interpolated on the grid; beyond the trained horizon it widens as √(step/horizon). */
  residualQuantile(step: number, p: number): number {
    const c = this.meta.calibration;
    const H = c.q.length;
    const s = Math.min(step, H - 1);
    const grid = c.probs;
    const q = c.q[s];
    let v: number;
    if (p <= grid[0]) v = q[0];
    else if (p >= grid[grid.length - 1]) v = q[q.length - 1];
    else {
      let k = 1;
      while (grid[k] < p) k++;
      const f = (p - grid[k - 1]) / (grid[k] - grid[k - 1]);
      v = q[k - 1] + f * (q[k] - q[k - 1]);
    }
    if (step >= H) {
      const med = q[grid.indexOf(0.5)] ?? 0;
      v = med + (v - med) * Math.sqrt((step + 1) / H);
    }
    return v;
  }

  /** Model JSON with the weights inline (base64): self-contained, e.g. inside detector state. */
  toJSON(): { meta: TrainedModelMeta; weights: string } {
    return { meta: this.meta, weights: Buffer.from(packWeights(this.weights)).toString('base64') };
  }

  static fromJSON(j: { meta: TrainedModelMeta; weights: string }): TrainedModel {
    if (!j || typeof j !== 'object' || !j.meta) throw new VigilError('STATE_TYPE', 'saved trained model has no metadata');
    const buf = Buffer.from(j.weights ?? '', 'base64');
    return new TrainedModel(j.meta, unpackWeights(j.meta, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)));
  }

  /** `model.json` text and `weights.bin` bytes. */
  toArtifacts(): { json: string; weights: Uint8Array } {
    return { json: JSON.stringify(this.meta), weights: packWeights(this.weights) };
  }

  static fromArtifacts(json: string, weights: Uint8Array): TrainedModel {
    let meta: TrainedModelMeta;
    try {
      meta = JSON.parse(json) as TrainedModelMeta;
    } catch (err) {
      throw new VigilError('STATE_TYPE', `model.json is not JSON: ${(err as Error).message}`);
    }
    return new TrainedModel(meta, unpackWeights(meta, weights));
  }
}

/** Weight specs in tfjs' style for a network shape. */
export function weightSpecsOf(shape: NetShape): TrainedModelMeta['weightSpecs'] {
  return weightShapes(shape).map((s, i) => ({ name: `w${i}`, shape: s, dtype: 'float32' as const }));
}

function packWeights(w: NetWeights): Uint8Array {
  const total = w.data.reduce((s, a) => s + a.length, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const a of w.data) {
    out.set(a, at);
    at += a.length;
  }
  const bytes = new Uint8Array(out.buffer);
  // little-endian on every platform Node runs on; checked on read
  return bytes;
}

function unpackWeights(meta: TrainedModelMeta, bytes: Uint8Array): NetWeights {
  const specs = meta.weightSpecs;
  if (!Array.isArray(specs)) throw new VigilError('STATE_TYPE', 'model.json has no weightSpecs');
  const total = specs.reduce((s, w) => s + w.shape.reduce((p, q) => p * q, 1), 0);
  if (bytes.byteLength !== total * 4) throw new VigilError('STATE_TYPE', `weights hold ${bytes.byteLength} bytes; the model needs ${total * 4}`);
  const all = new Float32Array(total);
  new Uint8Array(all.buffer).set(bytes);
  const data: Float32Array[] = [];
  let at = 0;
  for (const s of specs) {
    const size = s.shape.reduce((p, q) => p * q, 1);
    data.push(all.slice(at, at + size));
    at += size;
  }
  return { shapes: specs.map((s) => [...s.shape]), data };
}
