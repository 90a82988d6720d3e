/**
 * The networks' forward pass in plain TypeScript over the trained weights (tfjs order), so scoring
 * and forecasting need no TensorFlow.js at all: detectors restore synchronously from JSON state,
 * the CLI and server never load tfjs to score, and results do not depend on batch sizes or on
 * which tfjs backend trained the model. A contract test checks it against tfjs' own `predict`.
 *
 * Architectures (input: `window` steps × `channels`):
 *   dense — flatten → `layers` × dense(units, relu) → dense(horizon)
 *   conv  — one causal 1-D convolution of kernel CONV_KERNEL and `units` filters (relu), then
 *           flatten → (layers − 1) × dense(units, relu) → dense(horizon). tfjs' wasm backend has no
 *           gradient kernel for convolutions, so the convolution is trained as a dense layer shared
 *           across the window's patches (mathematically the same operation); `toModelInput` builds
 *           the patches.
 *   gru / lstm — `layers` stacked recurrent layers (sigmoid gates, tanh) → dense(horizon) on the
 *           last state. GRU is tfjs' (Keras' reset-before) variant.
 */
import type { ArchKind } from './spec.js';

export const CONV_KERNEL = 3;

export interface NetShape {
  kind: ArchKind;
  window: number;
  channels: number;
  units: number;
  layers: number;
  horizon: number;
}

/** The weights in tfjs order (per layer: kernel, [recurrent kernel,] bias). */
export interface NetWeights {
  shapes: number[][];
  data: Float32Array[];
}

/** The input shape the tfjs model takes (per sample). */
export function modelInputShape(s: NetShape): [number, number] {
  return s.kind === 'conv' ? [s.window - CONV_KERNEL + 1, CONV_KERNEL * s.channels] : [s.window, s.channels];
}

/** Windows (n × window × channels) in the layout the tfjs model takes (patches for conv). */
export function toModelInput(s: NetShape, x: Float32Array, n: number): Float32Array {
  if (s.kind !== 'conv') return x;
  const L = s.window;
  const C = s.channels;
  const P = L - CONV_KERNEL + 1;
  const D = CONV_KERNEL * C;
  const out = new Float32Array(n * P * D);
  for (let r = 0; r < n; r++) {
    const src = r * L * C;
    const dst = r * P * D;
    // patch p covers steps p … p + k − 1, which are contiguous in the row-major window
    for (let p = 0; p < P; p++) out.set(x.subarray(src + p * C, src + p * C + D), dst + p * D);
  }
  return out;
}

/** Expected weight shapes for a network, in tfjs order. */
export function weightShapes(s: NetShape): number[][] {
  const { kind, window: L, channels: C, units: U, layers, horizon: H } = s;
  const shapes: number[][] = [];
  if (kind === 'dense') {
    let d = L * C;
    for (let l = 0; l < layers; l++) {
      shapes.push([d, U], [U]);
      d = U;
    }
    shapes.push([d, H], [H]);
  } else if (kind === 'conv') {
    const P = L - CONV_KERNEL + 1;
    shapes.push([CONV_KERNEL * C, U], [U]);
    let d = P * U;
    for (let l = 1; l < layers; l++) {
      shapes.push([d, U], [U]);
      d = U;
    }
    shapes.push([d, H], [H]);
  } else {
    const g = kind === 'gru' ? 3 : 4;
    let d = C;
    for (let l = 0; l < layers; l++) {
      shapes.push([d, g * U], [U, g * U], [g * U]);
      d = U;
    }
    shapes.push([U, H], [H]);
  }
  return shapes;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * A network ready to run: `predict` maps n windows (n × window × channels, row-major) to
 * n × horizon outputs. Scratch buffers are reused, so the hot loop allocates per call only the output.
 */
export class Net {
  private readonly w: Float32Array[];
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private readonly seqA: Float64Array;
  private readonly seqB: Float64Array;
  private readonly z: Float64Array;

  constructor(
    readonly shape: NetShape,
    weights: NetWeights,
  ) {
    const want = weightShapes(shape);
    if (weights.data.length !== want.length) throw new Error(`network [${shape.kind}] expects ${want.length} weight tensors, got ${weights.data.length}`);
    for (let i = 0; i < want.length; i++) {
      const size = want[i].reduce((p, q) => p * q, 1);
      if (weights.data[i].length !== size) throw new Error(`weight ${i} of network [${shape.kind}] has ${weights.data[i].length} values, expected ${size} (${want[i].join('×')})`);
    }
    this.w = weights.data;
    const { window: L, channels: C, units: U } = shape;
    const width = Math.max(L * C, (L + 1) * U, 4 * U, shape.horizon, 1);
    this.a = new Float64Array(width);
    this.b = new Float64Array(width);
    this.seqA = new Float64Array(L * Math.max(U, C));
    this.seqB = new Float64Array(L * Math.max(U, C));
    this.z = new Float64Array(4 * U);
  }

  /** Forward pass of n windows; returns n × horizon. */
  predict(x: Float32Array, n: number, out: Float32Array = new Float32Array(n * this.shape.horizon)): Float32Array {
    const per = this.shape.window * this.shape.channels;
    for (let r = 0; r < n; r++) this.forwardOne(x, r * per, out, r * this.shape.horizon);
    return out;
  }

  private dense(inp: Float64Array, d: number, k: Float32Array, bias: Float32Array, units: number, out: Float64Array, relu: boolean): void {
    for (let u = 0; u < units; u++) out[u] = bias[u];
    for (let i = 0; i < d; i++) {
      const v = inp[i];
      if (v === 0) continue;
      const row = i * units;
      for (let u = 0; u < units; u++) out[u] += v * k[row + u];
    }
    if (relu) for (let u = 0; u < units; u++) if (out[u] < 0) out[u] = 0;
  }

  private forwardOne(x: Float32Array, off: number, out: Float32Array, oOff: number): void {
    const { kind, window: L, channels: C, units: U, layers, horizon: H } = this.shape;
    const w = this.w;
    let cur = this.a;
    let nxt = this.b;
    let d: number;
    let wi = 0;
    if (kind === 'dense') {
      d = L * C;
      for (let i = 0; i < d; i++) cur[i] = x[off + i];
      for (let l = 0; l < layers; l++) {
        this.dense(cur, d, w[wi], w[wi + 1], U, nxt, true);
        wi += 2;
        d = U;
        [cur, nxt] = [nxt, cur];
      }
    } else if (kind === 'conv') {
      const P = L - CONV_KERNEL + 1;
      const D = CONV_KERNEL * C;
      const k = w[0];
      const bias = w[1];
      for (let p = 0; p < P; p++) {
        const src = off + p * C;
        for (let u = 0; u < U; u++) {
          let s = bias[u];
          for (let i = 0; i < D; i++) s += x[src + i] * k[i * U + u];
          cur[p * U + u] = s > 0 ? s : 0;
        }
      }
      wi = 2;
      d = P * U;
      for (let l = 1; l < layers; l++) {
        this.dense(cur, d, w[wi], w[wi + 1], U, nxt, true);
        wi += 2;
        d = U;
        [cur, nxt] = [nxt, cur];
      }
    } else {
      // recurrent: sequences in seqA/seqB, [L × width]
      const g = kind === 'gru' ? 3 : 4;
      let seq = this.seqA;
      let seqOut = this.seqB;
      let din = C;
      for (let i = 0; i < L * C; i++) seq[i] = x[off + i];
      const h = cur;
      const c = nxt;
      const z = this.z;
      for (let l = 0; l < layers; l++) {
        const K = w[wi];
        const R = w[wi + 1];
        const B = w[wi + 2];
        wi += 3;
        h.fill(0, 0, U);
        c.fill(0, 0, U);
        for (let t = 0; t < L; t++) {
          // z = x_t K + b (+ h R for LSTM; GRU's candidate uses r ⊙ h separately)
          for (let q = 0; q < g * U; q++) z[q] = B[q];
          const xo = t * din;
          for (let i = 0; i < din; i++) {
            const v = seq[xo + i];
            if (v === 0) continue;
            const row = i * g * U;
            for (let q = 0; q < g * U; q++) z[q] += v * K[row + q];
          }
          if (kind === 'lstm') {
            for (let i = 0; i < U; i++) {
              const v = h[i];
              if (v === 0) continue;
              const row = i * 4 * U;
              for (let q = 0; q < 4 * U; q++) z[q] += v * R[row + q];
            }
            for (let u = 0; u < U; u++) {
              const ig = sigmoid(z[u]);
              const fg = sigmoid(z[U + u]);
              const cc = Math.tanh(z[2 * U + u]);
              const og = sigmoid(z[3 * U + u]);
              c[u] = fg * c[u] + ig * cc;
              h[u] = og * Math.tanh(c[u]);
            }
          } else {
            // recurrent parts of z and r: h · R[:, 0:2U]
            const rz = this.gruTmp(2 * U);
            rz.fill(0);
            for (let i = 0; i < U; i++) {
              const v = h[i];
              if (v === 0) continue;
              const row = i * 3 * U;
              for (let q = 0; q < 2 * U; q++) rz[q] += v * R[row + q];
            }
            const rh = this.gruTmp2(U);
            for (let u = 0; u < U; u++) rh[u] = sigmoid(z[U + u] + rz[U + u]) * h[u];
            for (let u = 0; u < U; u++) {
              let s = z[2 * U + u];
              for (let i = 0; i < U; i++) s += rh[i] * R[i * 3 * U + 2 * U + u];
              const zg = sigmoid(z[u] + rz[u]);
              const hh = Math.tanh(s);
              c[u] = zg * h[u] + (1 - zg) * hh; // new h, written to c first (h still needed above)
            }
            for (let u = 0; u < U; u++) h[u] = c[u];
          }
          for (let u = 0; u < U; u++) seqOut[t * U + u] = h[u];
        }
        din = U;
        [seq, seqOut] = [seqOut, seq];
      }
      d = U;
      // h (== cur) holds the last state
    }
    // output layer
    const k = w[wi];
    const bias = w[wi + 1];
    for (let j = 0; j < H; j++) {
      let s = bias[j];
      for (let i = 0; i < d; i++) s += cur[i] * k[i * H + j];
      out[oOff + j] = s;
    }
  }

  private tmp1: Float64Array | null = null;
  private tmp2: Float64Array | null = null;
  private gruTmp(n: number): Float64Array {
    if (!this.tmp1 || this.tmp1.length < n) this.tmp1 = new Float64Array(n);
    return this.tmp1.subarray(0, n);
  }
  private gruTmp2(n: number): Float64Array {
    if (!this.tmp2 || this.tmp2.length < n) this.tmp2 = new Float64Array(n);
    return this.tmp2.subarray(0, n);
  }

  /** Number of trainable parameters. */
  get parameters(): number {
    return this.w.reduce((s, a) => s + a.length, 0);
  }
}
