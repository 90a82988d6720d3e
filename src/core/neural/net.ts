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

/**
 * out[0:U] = bias + inp[0:d] · k (k: d × U, row-major), optionally relu. Only the non-zero inputs
 * are visited (relu outputs are about half zeros), four rows at a time so each output is loaded and
 * stored once per four multiply-adds. `nz` is scratch of at least d entries.
 */
function denseInto(inp: Float64Array, d: number, k: Float32Array, bias: Float32Array, U: number, out: Float64Array, relu: boolean, nz: Int32Array): void {
  let m = 0;
  for (let i = 0; i < d; i++) if (inp[i] !== 0) nz[m++] = i;
  for (let u = 0; u < U; u++) out[u] = bias[u];
  let j = 0;
  for (; j + 7 < m; j += 8) {
    const r0 = nz[j] * U;
    const r1 = nz[j + 1] * U;
    const r2 = nz[j + 2] * U;
    const r3 = nz[j + 3] * U;
    const r4 = nz[j + 4] * U;
    const r5 = nz[j + 5] * U;
    const r6 = nz[j + 6] * U;
    const r7 = nz[j + 7] * U;
    const v0 = inp[nz[j]];
    const v1 = inp[nz[j + 1]];
    const v2 = inp[nz[j + 2]];
    const v3 = inp[nz[j + 3]];
    const v4 = inp[nz[j + 4]];
    const v5 = inp[nz[j + 5]];
    const v6 = inp[nz[j + 6]];
    const v7 = inp[nz[j + 7]];
    for (let u = 0; u < U; u++) out[u] += v0 * k[r0 + u] + v1 * k[r1 + u] + v2 * k[r2 + u] + v3 * k[r3 + u] + (v4 * k[r4 + u] + v5 * k[r5 + u] + v6 * k[r6 + u] + v7 * k[r7 + u]);
  }
  for (; j + 3 < m; j += 4) {
    const i0 = nz[j];
    const i1 = nz[j + 1];
    const i2 = nz[j + 2];
    const i3 = nz[j + 3];
    const v0 = inp[i0];
    const v1 = inp[i1];
    const v2 = inp[i2];
    const v3 = inp[i3];
    const r0 = i0 * U;
    const r1 = i1 * U;
    const r2 = i2 * U;
    const r3 = i3 * U;
    for (let u = 0; u < U; u++) out[u] += v0 * k[r0 + u] + v1 * k[r1 + u] + v2 * k[r2 + u] + v3 * k[r3 + u];
  }
  for (; j < m; j++) {
    const i0 = nz[j];
    const v0 = inp[i0];
    const r0 = i0 * U;
    for (let u = 0; u < U; u++) out[u] += v0 * k[r0 + u];
  }
  if (relu) for (let u = 0; u < U; u++) if (out[u] < 0) out[u] = 0;
}

/**
 * acc[aOff + q] += v[vOff : vOff + n] · M[:, col : col + w] (M: n × stride, row-major), four rows at a time.
 * The recurrent products h·R of GRU and LSTM.
 */
function addRows(v: Float64Array, vOff: number, n: number, M: Float32Array, stride: number, col: number, w: number, acc: Float64Array, aOff: number): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const v0 = v[vOff + i];
    const v1 = v[vOff + i + 1];
    const v2 = v[vOff + i + 2];
    const v3 = v[vOff + i + 3];
    const r0 = i * stride + col;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    for (let q = 0; q < w; q++) acc[aOff + q] += v0 * M[r0 + q] + v1 * M[r1 + q] + v2 * M[r2 + q] + v3 * M[r3 + q];
  }
  for (; i < n; i++) {
    const v0 = v[vOff + i];
    const r0 = i * stride + col;
    for (let q = 0; q < w; q++) acc[aOff + q] += v0 * M[r0 + q];
  }
}

/**
 * A network ready to run: `predict` maps n windows (n × window × channels, row-major) to
 * n × horizon outputs. Scratch buffers are preallocated, so the hot loop allocates nothing (the
 * output too when the caller passes one).
 */
export class Net {
  private readonly w: Float32Array[];
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private readonly seqA: Float64Array;
  private readonly seqB: Float64Array;
  /** Recurrent: the input projections x_t·K + b of every step, [window × gates·units]. */
  private readonly zx: Float64Array;
  private readonly z: Float64Array;
  private readonly rh: Float64Array;
  private readonly nz: Int32Array;
  /** Conv: the time channels' part of each patch's pre-activation, and the time channels it was computed from. */
  private readonly convTime: Float64Array;
  private readonly prevTime: Float64Array;
  private prevValid = false;

  /**
   * `timeChannels`: how many trailing channels depend on the step's time only (the calendar): a conv
   * network reuses their part of the convolution from one window to the next when they moved by one
   * step (checked value by value, so the result is the same either way, bit for bit).
   */
  constructor(
    readonly shape: NetShape,
    weights: NetWeights,
    private readonly timeChannels = 0,
  ) {
    if (!(Number.isInteger(timeChannels) && timeChannels >= 0 && timeChannels < shape.channels)) this.timeChannels = 0;
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
    this.nz = new Int32Array(width);
    this.seqA = new Float64Array(L * Math.max(U, C));
    this.seqB = new Float64Array(L * Math.max(U, C));
    const recurrent = shape.kind === 'gru' || shape.kind === 'lstm';
    this.zx = new Float64Array(recurrent ? L * 4 * U : 0);
    this.z = new Float64Array(4 * U);
    this.rh = new Float64Array(U);
    const P = L - CONV_KERNEL + 1;
    this.convTime = new Float64Array(shape.kind === 'conv' && this.timeChannels > 0 ? P * U : 0);
    this.prevTime = new Float64Array(shape.kind === 'conv' ? L * this.timeChannels : 0);
  }

  /** Forward pass of n windows; returns n × horizon. */
  predict(x: Float32Array, n: number, out: Float32Array = new Float32Array(n * this.shape.horizon)): Float32Array {
    const per = this.shape.window * this.shape.channels;
    for (let r = 0; r < n; r++) this.forwardOne(x, r * per, out, r * this.shape.horizon);
    return out;
  }

  private forwardOne(x: Float32Array, off: number, out: Float32Array, oOff: number): void {
    const { kind, window: L, channels: C, units: U, layers, horizon: H } = this.shape;
    const w = this.w;
    const nz = this.nz;
    let cur = this.a;
    let nxt = this.b;
    let d: number;
    let wi = 0;
    if (kind === 'dense' || kind === 'conv') {
      if (kind === 'dense') {
        d = L * C;
        for (let i = 0; i < d; i++) cur[i] = x[off + i];
      } else {
        // causal convolution: patch p (steps p … p + k − 1, contiguous in the window) → row p of cur
        const P = L - CONV_KERNEL + 1;
        const k = w[0];
        const bias = w[1];
        const xin = nxt; // the window as float64 (nxt is free until the first dense layer)
        for (let i = 0; i < L * C; i++) xin[i] = x[off + i];
        const T = this.timeChannels;
        const c0 = C - T;
        const pre = this.convTime;
        if (T > 0) {
          // the time channels' part of every patch (bias + taps × time channels): when this window's
          // time channels are the last one's moved by a step (live scoring), only the newest patch is new
          const prev = this.prevTime;
          let shifted = this.prevValid;
          for (let t = 0; shifted && t < L - 1; t++) for (let c = 0; c < T; c++) if (xin[t * C + c0 + c] !== prev[(t + 1) * T + c]) shifted = false;
          let from = 0;
          if (shifted) {
            pre.copyWithin(0, U);
            from = P - 1;
          }
          for (let p = from; p < P; p++) {
            const o = p * U;
            for (let u = 0; u < U; u++) pre[o + u] = bias[u];
            for (let tap = 0; tap < CONV_KERNEL; tap++) {
              for (let c = c0; c < C; c++) {
                const v = xin[(p + tap) * C + c];
                const r = (tap * C + c) * U;
                for (let u = 0; u < U; u++) pre[o + u] += v * k[r + u];
              }
            }
          }
          for (let t = 0; t < L; t++) for (let c = 0; c < T; c++) prev[t * T + c] = xin[t * C + c0 + c];
          this.prevValid = true;
        }
        for (let p = 0; p < P; p++) {
          const src = p * C;
          const o = p * U;
          if (T > 0) for (let u = 0; u < U; u++) cur[o + u] = pre[o + u];
          else for (let u = 0; u < U; u++) cur[o + u] = bias[u];
          // the other channels, the three taps of one channel at a time
          for (let c = 0; c < c0; c++) {
            const v0 = xin[src + c];
            const v1 = xin[src + C + c];
            const v2 = xin[src + 2 * C + c];
            const r0 = c * U;
            const r1 = r0 + C * U;
            const r2 = r1 + C * U;
            for (let u = 0; u < U; u++) cur[o + u] += v0 * k[r0 + u] + v1 * k[r1 + u] + v2 * k[r2 + u];
          }
          for (let u = 0; u < U; u++) if (cur[o + u] < 0) cur[o + u] = 0;
        }
        wi = 2;
        d = P * U;
      }
      for (let l = kind === 'dense' ? 0 : 1; l < layers; l++) {
        denseInto(cur, d, w[wi], w[wi + 1], U, nxt, true, nz);
        wi += 2;
        d = U;
        const t = cur;
        cur = nxt;
        nxt = t;
      }
    } else {
      // recurrent: sequences in seqA/seqB, [L × width]
      const lstm = kind === 'lstm';
      const G = (lstm ? 4 : 3) * U;
      let seq = this.seqA;
      let seqOut = this.seqB;
      let din = C;
      for (let i = 0; i < L * C; i++) seq[i] = x[off + i];
      const h = cur;
      const c = nxt;
      const z = this.z;
      const zx = this.zx;
      const rh = this.rh;
      for (let l = 0; l < layers; l++) {
        const K = w[wi];
        const R = w[wi + 1];
        const B = w[wi + 2];
        wi += 3;
        // input projections of every step: zx[t] = x_t K + b
        for (let t = 0; t < L; t++) {
          const zo = t * G;
          for (let q = 0; q < G; q++) zx[zo + q] = B[q];
          addRows(seq, t * din, din, K, G, 0, G, zx, zo);
        }
        h.fill(0, 0, U);
        c.fill(0, 0, U);
        for (let t = 0; t < L; t++) {
          const zo = t * G;
          if (lstm) {
            for (let q = 0; q < G; q++) z[q] = zx[zo + q];
            if (t > 0) addRows(h, 0, U, R, G, 0, G, z, 0);
            for (let u = 0; u < U; u++) {
              const ig = 1 / (1 + Math.exp(-z[u]));
              const fg = 1 / (1 + Math.exp(-z[U + u]));
              const cc = Math.tanh(z[2 * U + u]);
              const og = 1 / (1 + Math.exp(-z[3 * U + u]));
              const cu = fg * c[u] + ig * cc;
              c[u] = cu;
              h[u] = og * Math.tanh(cu);
            }
          } else {
            // z and r gates: x_t K + b + h R[:, 0:2U]; candidate: x_t K + b + (r ⊙ h) R[:, 2U:3U]
            for (let q = 0; q < 2 * U; q++) z[q] = 0;
            if (t > 0) addRows(h, 0, U, R, G, 0, 2 * U, z, 0);
            for (let u = 0; u < U; u++) rh[u] = (1 / (1 + Math.exp(-(zx[zo + U + u] + z[U + u])))) * h[u];
            for (let u = 0; u < U; u++) c[u] = zx[zo + 2 * U + u];
            if (t > 0) addRows(rh, 0, U, R, G, 2 * U, U, c, 0);
            for (let u = 0; u < U; u++) {
              const zg = 1 / (1 + Math.exp(-(zx[zo + u] + z[u])));
              const hh = Math.tanh(c[u]);
              c[u] = zg * h[u] + (1 - zg) * hh; // new h, written to c first (h still needed above)
            }
            for (let u = 0; u < U; u++) h[u] = c[u];
          }
          const so = t * U;
          for (let u = 0; u < U; u++) seqOut[so + u] = h[u];
        }
        din = U;
        const tmp = seq;
        seq = seqOut;
        seqOut = tmp;
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

  /** Number of trainable parameters. */
  get parameters(): number {
    return this.w.reduce((s, a) => s + a.length, 0);
  }
}
