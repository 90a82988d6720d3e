/**
 * `vigil detect --points`: one CSV row per input row (`timestamp,value,anomaly_score`), timestamp
 * copied verbatim, score = record score / 100 of the row's bucket, carried by the first row of the
 * bucket only (one detection per event). Streams: a row is written as soon as its bucket's result is
 * known, so memory stays bounded by the latency window.
 */
import type { Writable } from 'node:stream';
import { bucketStartOf } from '../../core/bucket/bucketizer.js';
import type { BucketResult } from '../../engine/series-detection.js';
import type { SeriesBatch } from '../../sources/series-batch.js';
import { outputError } from '../output.js';

interface PendingRow {
  stamp: string;
  value: number;
  partition: string | null;
  bucket: number; // NaN for a rejected row
}

export class PointsWriter {
  private readonly queue: PendingRow[] = [];
  private head = 0;
  private readonly scores = new Map<string | null, Map<number, number>>();
  private readonly consumed = new Map<string | null, number>();
  private buffer: string[] = ['timestamp,value,anomaly_score'];
  /** The first error of a file it writes (a full disk, …): reported, never swallowed. */
  private error: unknown = null;

  /**
   * `file`: the path `out` writes to, when the writer owns it (--output): it listens for the
   * stream's errors and ends it. Without one, `out` (stdout) is only written to.
   */
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly spanMs: number,
    private readonly file: string | null = null,
  ) {
    if (file !== null) out.on('error', (e) => (this.error ??= e));
  }

  onRow(batch: SeriesBatch, i: number, accepted: boolean): void {
    this.queue.push({
      stamp: batch.rawTime ? batch.rawTime[i] : new Date(batch.time[i]).toISOString(),
      value: batch.value[i],
      partition: batch.partition ? batch.partition[i] : null,
      bucket: accepted ? bucketStartOf(batch.time[i], this.spanMs) : NaN,
    });
  }

  onBucket(r: Readonly<BucketResult>): void {
    let m = this.scores.get(r.partition);
    if (!m) this.scores.set(r.partition, (m = new Map()));
    m.set(r.time, r.score / 100);
    this.drain(false);
  }

  private drain(final: boolean): void {
    const q = this.queue;
    while (this.head < q.length) {
      const row = q[this.head];
      let score = 0;
      if (!Number.isNaN(row.bucket)) {
        const last = this.consumed.get(row.partition) ?? -Infinity;
        if (row.bucket > last) {
          const m = this.scores.get(row.partition);
          const s = m?.get(row.bucket);
          if (s === undefined) {
            if (!final) break;
          } else {
            score = s;
            this.consumed.set(row.partition, row.bucket);
            for (const t of m!.keys()) if (t <= row.bucket) m!.delete(t);
          }
        }
      }
      this.buffer.push(`${csv(row.stamp)},${Number.isNaN(row.value) ? '' : String(row.value)},${score}`);
      this.head++;
    }
    if (this.head > 65_536) {
      q.splice(0, this.head);
      this.head = 0;
    }
    if (this.buffer.length >= 8192) this.write();
  }

  private write(): void {
    if (this.error !== null) throw outputError('--output', this.file!, this.error);
    if (this.buffer.length === 0) return;
    this.out.write(this.buffer.join('\n') + '\n');
    this.buffer = [];
  }

  /** Writes what is left; for a file, ends it and throws (naming --output) if it could not be written. */
  async end(): Promise<void> {
    this.drain(true);
    this.write();
    if (this.file === null) return;
    // the callback gets the stream's error, which may come before the 'error' event
    await new Promise<void>((resolve) => {
      (this.out as Writable).end((e?: Error | null) => {
        if (e) this.error ??= e;
        resolve();
      });
    });
    if (this.error !== null) throw outputError('--output', this.file, this.error);
  }
}

function csv(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
