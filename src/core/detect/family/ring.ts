/**
 * A fixed-capacity ring of doubles (newest overwrites oldest), the trailing history every family
 * detector keeps. Serialises in chronological order so a restored ring is identical.
 */
import { packF64, unpackF64 } from '../../state.js';

export interface RingState {
  capacity: number;
  values: (number | null)[];
}

export class Ring {
  readonly capacity: number;
  readonly data: Float64Array;
  /** Index the next value is written to. */
  head = 0;
  size = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.data = new Float64Array(this.capacity);
  }

  push(v: number): void {
    this.data[this.head] = v;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    if (this.size < this.capacity) this.size++;
  }

  /** Value `age` buckets ago (0 = newest); NaN when older than the ring holds. */
  get(age: number): number {
    if (age < 0 || age >= this.size) return NaN;
    let i = this.head - 1 - age;
    if (i < 0) i += this.capacity;
    return this.data[i];
  }

  /** Copies the newest `n` values (oldest first) into a new array. */
  last(n: number): Float64Array {
    const m = Math.min(n, this.size);
    const out = new Float64Array(m);
    for (let k = 0; k < m; k++) out[k] = this.get(m - 1 - k);
    return out;
  }

  toState(): RingState {
    return { capacity: this.capacity, values: packF64(this.last(this.size)) };
  }

  static fromState(s: RingState): Ring {
    const r = new Ring(s.capacity);
    const v = unpackF64(s.values);
    for (let i = 0; i < v.length; i++) r.push(v[i]);
    return r;
  }

  memoryBytes(): number {
    return this.data.byteLength + 32;
  }
}
