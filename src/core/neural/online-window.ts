/**
 * The recent history a trained model needs to score or forecast the next bucket, kept as
 * normalised values in a ring. Missing buckets are filled with the model's own one-step prediction
 * (never a zero), gaps in time are walked bucket by bucket by the caller.
 */
import type { TrainedModel } from './trained-model.js';

export interface OnlineWindowState {
  ring: (number | null)[];
  count: number;
  lastTime: number | null;
}

export class OnlineWindow {
  /** The ring twice over (each value at `i` and `i + need`), so the window oldest first is one contiguous view. */
  private readonly ring: Float64Array;
  private readonly need: number;
  private head = 0;
  count = 0;
  lastTime: number | null = null;
  private readonly scratch: { x: Float32Array; y: Float32Array };
  private readonly pred: Float64Array;

  constructor(
    private readonly model: TrainedModel,
    state?: OnlineWindowState,
  ) {
    const need = model.need;
    this.need = need;
    this.ring = new Float64Array(2 * need);
    const l = model.meta.layout;
    this.scratch = { x: new Float32Array(l.window * l.channels), y: new Float32Array(l.horizon) };
    this.pred = new Float64Array(l.horizon);
    if (state) {
      // the state holds the window oldest first
      const n = Math.min(need, state.ring.length);
      for (let i = 0; i < n; i++) this.ring[i] = this.ring[i + need] = state.ring[state.ring.length - n + i] ?? NaN;
      this.head = n % need;
      this.count = state.count;
      this.lastTime = state.lastTime;
    }
  }

  get ready(): boolean {
    return this.count >= this.model.need;
  }

  /** Appends a normalised value for the bucket at `time`. */
  push(time: number, z: number): void {
    this.ring[this.head] = z;
    this.ring[this.head + this.need] = z;
    this.head = (this.head + 1) % this.need;
    this.count++;
    this.lastTime = time;
  }

  /** The last value pushed (normalised), or NaN. */
  last(): number {
    if (this.count === 0) return NaN;
    return this.ring[this.head - 1 + this.need];
  }

  /** The window oldest first (a view of the ring: valid until the next push). */
  linear(): Float64Array {
    return this.ring.subarray(this.head, this.head + this.need);
  }

  /** Forecast (original units) of the `horizon` buckets from `time` on; the array is reused. */
  predict(time: number): Float64Array {
    return this.model.predictFrom(this.linear(), time, this.pred, this.scratch);
  }

  toState(): OnlineWindowState {
    return { ring: Array.from(this.linear(), (v) => (Number.isNaN(v) ? null : v)), count: this.count, lastTime: this.lastTime };
  }
}
