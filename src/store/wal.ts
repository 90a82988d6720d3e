/**
 * A per-job write-ahead log: what the job service accepted (data batches, flushes) is appended and
 * fsynced here before the reply, so a crash loses nothing acknowledged. After a model snapshot the
 * log is rotated and the segments the snapshot covers are deleted; on restart the records after the
 * snapshot are replayed.
 *
 * Layout: `<dir>/<first-seq, 16 digits>.wal` segments of frames
 * `[u32 payload length][u32 crc32 of the rest][u64 seq][u8 kind][payload]`. A frame cut short or
 * failing its checksum at the end of the newest segment is a write torn by the crash (never
 * acknowledged) and is truncated away; anywhere else it is corruption and opening fails.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

const HEADER = 17;

export interface WalRecord {
  seq: number;
  kind: number;
  payload: Buffer;
}

export class WalCorruptError extends Error {}

function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(16, '0')}.wal`;
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some file systems do not allow fsync on a directory; the file's own fsync still holds
  }
}

/** Encodes one frame (exported for tests that simulate torn writes). */
export function encodeFrame(seq: number, kind: number, payload: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + payload.length);
  buf.writeUInt32LE(payload.length, 0);
  buf.writeBigUInt64LE(BigInt(seq), 8);
  buf.writeUInt8(kind, 16);
  payload.copy(buf, HEADER);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

/** Decodes frames; returns the records and the offset where valid data ends. */
function decode(buf: Buffer): { records: WalRecord[]; end: number } {
  const records: WalRecord[] = [];
  let off = 0;
  while (off + HEADER <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (off + HEADER + len > buf.length) break;
    const crc = buf.readUInt32LE(off + 4);
    if (crc32(buf.subarray(off + 8, off + HEADER + len)) !== crc) break;
    records.push({ seq: Number(buf.readBigUInt64LE(off + 8)), kind: buf.readUInt8(off + 16), payload: Buffer.from(buf.subarray(off + HEADER, off + HEADER + len)) });
    off += HEADER + len;
  }
  return { records, end: off };
}

export class JobWal {
  private fh: FileHandle | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /** Bytes appended since the last rotation. */
  bytesSinceRotate = 0;

  private constructor(
    readonly dir: string,
    private seq: number,
    private segment: string,
  ) {}

  /** The last sequence number written. */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Opens the log in `dir` (created if missing), repairing a torn tail, and returns the records
   * with a sequence number above `afterSeq` for replay.
   */
  static async open(dir: string, afterSeq = 0): Promise<{ wal: JobWal; records: WalRecord[] }> {
    mkdirSync(dir, { recursive: true });
    const segments = readdirSync(dir)
      .filter((f) => f.endsWith('.wal'))
      .sort();
    const records: WalRecord[] = [];
    let last = afterSeq;
    for (let i = 0; i < segments.length; i++) {
      const path = join(dir, segments[i]);
      const buf = readFileSync(path);
      const { records: recs, end } = decode(buf);
      if (end < buf.length) {
        if (i < segments.length - 1) throw new WalCorruptError(`write-ahead log ${path} is corrupt at byte ${end} (not its end)`);
        truncateSync(path, end);
      }
      for (const r of recs) {
        last = Math.max(last, r.seq);
        if (r.seq > afterSeq) records.push(r);
      }
    }
    const segment = segments.length ? segments[segments.length - 1] : segmentName(last + 1);
    const wal = new JobWal(dir, last, segment);
    wal.bytesSinceRotate = records.reduce((n, r) => n + r.payload.length + HEADER, 0);
    return { wal, records };
  }

  private async handle(): Promise<FileHandle> {
    if (!this.fh) {
      this.fh = await open(join(this.dir, this.segment), 'a');
      syncDir(this.dir);
    }
    return this.fh;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Appends one record and fsyncs it; resolves with its sequence number once durable. */
  append(kind: number, payload: Buffer): Promise<number> {
    return this.serial(async () => {
      const seq = this.seq + 1;
      const fh = await this.handle();
      const frame = encodeFrame(seq, kind, payload);
      await fh.write(frame);
      await fh.datasync();
      this.seq = seq;
      this.bytesSinceRotate += frame.length;
      return seq;
    });
  }

  /**
   * Starts a new segment and deletes the ones holding only records up to `coveredSeq` (what a
   * snapshot now covers). Records after `coveredSeq` stay.
   */
  rotate(coveredSeq: number): Promise<void> {
    return this.serial(async () => {
      if (this.seq > coveredSeq) return; // records after the snapshot live in this segment: keep it
      await this.fh?.close();
      this.fh = undefined;
      const old = readdirSync(this.dir).filter((f) => f.endsWith('.wal'));
      this.segment = segmentName(this.seq + 1);
      await this.handle();
      for (const f of old) if (f !== this.segment) rmSync(join(this.dir, f), { force: true });
      syncDir(this.dir);
      this.bytesSinceRotate = 0;
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      await this.fh?.close();
      this.fh = undefined;
    });
  }

  /** Closes and deletes the log (job deleted). */
  async destroy(): Promise<void> {
    await this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
