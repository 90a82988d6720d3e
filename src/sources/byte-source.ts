/**
 * Opens an input — a file path, "-" for stdin, a Readable or any async iterable of bytes — as an
 * async iterable of Buffers, decompressing gzip when the first two bytes are the gzip magic
 * (0x1f 0x8b), whatever the file is called.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { VigilError } from '../core/errors.js';

/** Where records come from: a path, "-" (stdin), bytes in memory, a Readable, or an async iterable of byte chunks. */
export type SeriesInput = string | Uint8Array | NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>;

export interface ByteSourceInfo {
  compressed: boolean;
  /** Bytes read from the input so far, before decompression. */
  rawBytes?: number;
}

const READ_CHUNK = 1 << 20;

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new VigilError('INVALID_ARGUMENT', `input stream yielded a ${typeof chunk}, expected bytes or text`);
}

async function openRaw(input: SeriesInput): Promise<AsyncIterable<unknown>> {
  if (typeof input === 'string') {
    if (input === '-') return process.stdin;
    try {
      const s = await stat(input);
      if (s.isDirectory()) throw new VigilError('FILE_NOT_FOUND', `${input} is a directory, not a file`, { path: input });
    } catch (e) {
      if (e instanceof VigilError) throw e;
      throw new VigilError('FILE_NOT_FOUND', `cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path: input });
    }
    return createReadStream(input, { highWaterMark: READ_CHUNK });
  }
  if (input instanceof Uint8Array) {
    const bytes = input;
    return (async function* () {
      yield bytes;
    })();
  }
  if (typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') return input as AsyncIterable<unknown>;
  throw new VigilError('INVALID_ARGUMENT', 'input must be a path, "-", bytes, a Readable or an async iterable of bytes');
}

/**
 * Yields the input's bytes, gunzipped when it starts with the gzip magic. Sets `info.compressed`
 * before the first chunk is yielded. Throws FILE_NOT_FOUND for a missing path and PARSE_ERROR for
 * corrupt gzip data.
 */
export async function* readBytes(input: SeriesInput, info: ByteSourceInfo = { compressed: false }): AsyncGenerator<Buffer> {
  const raw = await openRaw(input);
  const source = raw[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  info.rawBytes = 0;
  const it = {
    async next(): Promise<IteratorResult<unknown>> {
      const r = await source.next();
      if (!r.done) info.rawBytes! += typeof r.value === 'string' ? Buffer.byteLength(r.value) : ((r.value as { length?: number } | null)?.length ?? 0);
      return r;
    },
  };
  const head: Buffer[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes < 2) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = toBuffer(r.value);
    if (b.length === 0) continue;
    head.push(b);
    headBytes += b.length;
  }
  const first = head.length === 1 ? head[0] : Buffer.concat(head);
  const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  info.compressed = gzip;
  if (!gzip) {
    if (first.length) yield first;
    while (!done) {
      const r = await it.next();
      if (r.done) break;
      const b = toBuffer(r.value);
      if (b.length) yield b;
    }
    return;
  }
  async function* compressed(): AsyncGenerator<Buffer> {
    yield first;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield toBuffer(r.value);
    }
  }
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  const src = Readable.from(compressed(), { objectMode: false });
  src.on('error', (e) => gunzip.destroy(e));
  src.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (e) {
    if (e instanceof VigilError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code && err.code.startsWith('Z_')) throw new VigilError('PARSE_ERROR', `corrupt gzip input: ${err.message}`);
    throw e;
  } finally {
    src.destroy();
    gunzip.destroy();
  }
}
