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
  private readonly ring: Float64Array;
  private readonly lin: Float64Array;
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
    this.ring = new Float64Array(need);
    this.lin = new Float64Array(need);
    const l = model.meta.layout;
    this.scratch = { x: new Float32Array(l.window * l.channels), y: new Float32Array(l.horizon) };
    this.pred = new Float64Array(l.horizon);
    if (state) {
      // the state holds the window oldest first
      const n = Math.min(need, state.ring.length);
      for (let i = 0; i < n; i++) this.ring[i] = state.ring[state.ring.length - n + i] ?? NaN;
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
    this.head = (this.head + 1) % this.ring.length;
    this.count++;
    this.lastTime = time;
  }

  /** The last value pushed (normalised), or NaN. */
  last(): number {
    if (this.count === 0) return NaN;
    return this.ring[(this.head - 1 + this.ring.length) % this.ring.length];
  }

  /** The window oldest first (a view reused between calls). */
  linear(): Float64Array {
    const need = this.ring.length;
    for (let i = 0; i < need; i++) this.lin[i] = this.ring[(this.head + i) % need];
    return this.lin;
  }

  /** Forecast (original units) of the `horizon` buckets from `time` on; the array is reused. */
  predict(time: number): Float64Array {
    return this.model.predictFrom(this.linear(), time, this.pred, this.scratch);
  }

  toState(): OnlineWindowState {
    return { ring: Array.from(this.linear(), (v) => (Number.isNaN(v) ? null : v)), count: this.count, lastTime: this.lastTime };
  }
}
