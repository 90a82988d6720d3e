/**
 * A bounded history of one modelled entity's bucket values (count, mean, … per final bucket), kept
 * so that `_forecast` can forecast the entity from its own past (src/engine/forecast/).
 *
 * Why keep it in the job (and not rebuild it on demand): Vigil's forecasters work on the series
 * itself, not on the anomaly models' state as ml-cpp's do, and nothing else holds the series —
 * the write-ahead log is cut at every snapshot, and model plot is written only when the job
 * enables it. So every series entity keeps its last `historyCapacity(bucket span)` bucket values
 * as float32 (4 bytes a bucket; NaN for an empty bucket), in the job's state (base64) and in its
 * model bytes (so `model_memory_limit` covers it). The bound is three weeks of buckets, at least
 * 336 and at most 2 016: a weekly cycle is found from 1-hour buckets up (three cycles needed),
 * a daily one from 1-minute ones up to … 2 016 minutes = 1.4 days (none); 8 KiB per entity at most.
 *
 * @example
 *   const h = new BucketHistory(historyCapacity(3_600_000));
 *   h.push(t, 12.5, 3_600_000);
 *   h.series(3_600_000); // { time: Float64Array, value: Float64Array }, oldest first
 */

const THREE_WEEKS_MS = 21 * 86_400_000;
export const HISTORY_MIN_BUCKETS = 336;
export const HISTORY_MAX_BUCKETS = 2016;

/** Buckets kept per entity for a bucket span (ms). */
export function historyCapacity(bucketSpanMs: number): number {
  return Math.min(HISTORY_MAX_BUCKETS, Math.max(HISTORY_MIN_BUCKETS, Math.ceil(THREE_WEEKS_MS / bucketSpanMs)));
}

/** Saved form: the last bucket's start (epoch ms) and the values oldest first, float32 little-endian in base64. */
export interface BucketHistoryState {
  t: number;
  v: string;
}

export class BucketHistory {
  private vals: Float32Array;
  /** Values held (≤ capacity). */
  private len = 0;
  /** Index of the oldest value once the buffer is full (ring). */
  private head = 0;
  /** Start of the newest bucket pushed (epoch ms); NaN before the first. */
  private last = NaN;

  constructor(readonly capacity: number) {
    this.vals = new Float32Array(Math.min(capacity, 32));
  }

  /** Appends a final bucket's value; buckets skipped since the last one become NaN (empty). */
  push(bucket: number, value: number, spanMs: number): void {
    if (!Number.isNaN(this.last)) {
      if (bucket <= this.last) return;
      const gap = Math.min(this.capacity, Math.round((bucket - this.last) / spanMs) - 1);
      for (let i = 0; i < gap; i++) this.append(NaN);
    }
    this.append(value);
    this.last = bucket;
  }

  private append(v: number): void {
    if (this.len < this.capacity) {
      if (this.len === this.vals.length) {
        const next = new Float32Array(Math.min(this.capacity, this.vals.length * 2));
        next.set(this.vals);
        this.vals = next;
      }
      this.vals[this.len++] = v;
    } else {
      this.vals[this.head] = v;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  /** The values oldest first with their bucket start times. */
  series(spanMs: number): { time: Float64Array; value: Float64Array } {
    const time = new Float64Array(this.len);
    const value = new Float64Array(this.len);
    for (let i = 0; i < this.len; i++) {
      value[i] = this.vals[(this.head + i) % this.vals.length];
      time[i] = this.last - (this.len - 1 - i) * spanMs;
    }
    return { time, value };
  }

  /** Bytes held. */
  bytes(): number {
    return 48 + 4 * this.vals.length;
  }

  /** Bytes of a history of `capacity` once full. */
  static fullBytes(capacity: number): number {
    return 48 + 4 * capacity;
  }

  toState(): BucketHistoryState {
    const ordered = new Float32Array(this.len);
    for (let i = 0; i < this.len; i++) ordered[i] = this.vals[(this.head + i) % this.vals.length];
    const bytes = new Uint8Array(ordered.buffer);
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { t: this.last, v: btoa(bin) };
  }

  static fromState(s: BucketHistoryState, capacity: number): BucketHistory {
    const h = new BucketHistory(capacity);
    const bin = atob(s.v);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const all = new Float32Array(bytes.buffer, 0, bytes.length >> 2);
    const kept = all.subarray(Math.max(0, all.length - capacity));
    // the same buffer size growth would have reached (model bytes equal after a restore)
    let size = Math.min(capacity, 32);
    while (size < kept.length) size = Math.min(capacity, size * 2);
    h.vals = new Float32Array(size);
    h.vals.set(kept);
    h.len = kept.length;
    h.last = s.t === null ? NaN : s.t;
    return h;
  }
}
