import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeFrame, JobWal, WalCorruptError } from './wal.js';

const root = mkdtempSync(join(tmpdir(), 'vigil-wal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `w${n++}`);

describe('JobWal', () => {
  it('returns what was appended after a reopen, in order, with sequence numbers', async () => {
    const dir = fresh();
    const { wal, records } = await JobWal.open(dir);
    expect(records).toEqual([]);
    expect(await wal.append(1, Buffer.from('a'))).toBe(1);
    expect(await wal.append(2, Buffer.from('bb'))).toBe(2);
    await wal.close();
    const again = await JobWal.open(dir);
    expect(again.records.map((r) => [r.seq, r.kind, r.payload.toString()])).toEqual([
      [1, 1, 'a'],
      [2, 2, 'bb'],
    ]);
    expect((await JobWal.open(dir, 1)).records.map((r) => r.seq)).toEqual([2]);
    expect(await again.wal.append(1, Buffer.from('c'))).toBe(3);
    await again.wal.close();
  });

  it('truncates a torn last frame (a write the crash cut short) and continues after it', async () => {
    const dir = fresh();
    const { wal } = await JobWal.open(dir);
    await wal.append(1, Buffer.from('kept'));
    await wal.close();
    const seg = join(dir, readdirSync(dir)[0]);
    const good = statSync(seg).size;
    appendFileSync(seg, encodeFrame(2, 1, Buffer.from('torn write')).subarray(0, 12));
    const { wal: w2, records } = await JobWal.open(dir);
    expect(records.map((r) => r.payload.toString())).toEqual(['kept']);
    expect(statSync(seg).size).toBe(good);
    expect(await w2.append(1, Buffer.from('next'))).toBe(2);
    await w2.close();
    expect((await JobWal.open(dir)).records.map((r) => r.payload.toString())).toEqual(['kept', 'next']);
  });

  it('refuses a damaged frame that is not at the end of the log', async () => {
    const dir = fresh();
    const { wal } = await JobWal.open(dir);
    await wal.append(1, Buffer.from('one'));
    await wal.rotate(1);
    await wal.append(1, Buffer.from('two'));
    await wal.close();
    const first = readdirSync(dir).sort()[0];
    // put a damaged frame in an older segment
    writeFileSync(join(dir, '0000000000000000.wal'), Buffer.concat([encodeFrame(1, 1, Buffer.from('x')), Buffer.from('garbage-garbage-garbage')]));
    expect(first).not.toBe('0000000000000000.wal');
    await expect(JobWal.open(dir)).rejects.toThrow(WalCorruptError);
  });

  it('rotation deletes what a snapshot covers and keeps numbering', async () => {
    const dir = fresh();
    const { wal } = await JobWal.open(dir);
    for (let i = 0; i < 3; i++) await wal.append(1, Buffer.from(String(i)));
    await wal.rotate(3);
    expect(wal.bytesSinceRotate).toBe(0);
    await wal.append(1, Buffer.from('after'));
    await wal.close();
    const { records, wal: w2 } = await JobWal.open(dir, 3);
    expect(records.map((r) => [r.seq, r.payload.toString()])).toEqual([[4, 'after']]);
    expect(readdirSync(dir)).toHaveLength(1);
    // a snapshot older than the newest record keeps the segment
    await w2.rotate(2);
    await w2.close();
    expect((await JobWal.open(dir, 3)).records).toHaveLength(1);
  });

  it('an empty log resumes numbering after the snapshot it was rotated for', async () => {
    const dir = fresh();
    const { wal } = await JobWal.open(dir, 41);
    expect(await wal.append(1, Buffer.from('x'))).toBe(42);
    await wal.close();
  });
});
