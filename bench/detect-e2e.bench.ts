/**
 * End to end `vigil detect` on a large `timestamp,value` CSV (default 10 M rows, 1-second data,
 * 1-minute buckets): rows per second through reading, parsing, bucketing, the model and output, in
 * one process on one core (target ≥ 1 M rows/s).
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface E2eBenchResult {
  rows: number;
  fileBytes: number;
  seconds: number[];
  rowsPerSecond: number;
}

async function makeFile(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('timestamp,value\n');
  const t0 = Date.UTC(2024, 0, 1);
  let chunk: string[] = [];
  for (let i = 0; i < rows; i++) {
    const d = new Date(t0 + i * 1000).toISOString();
    const v = 100 + 20 * Math.sin(i / 13750) + ((i * 7919) % 97) / 10;
    chunk.push(`${d.slice(0, 10)} ${d.slice(11, 19)},${v.toFixed(2)}`);
    if (chunk.length === 100_000) {
      if (!out.write(chunk.join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = [];
    }
  }
  out.write(chunk.join('\n') + (chunk.length ? '\n' : ''));
  await new Promise<void>((r) => out.end(() => r()));
}

export async function benchDetectE2e(rows = 10_000_000, runs = 3): Promise<E2eBenchResult> {
  const path = join(tmpdir(), `vigil-e2e-${rows}.csv`);
  if (!existsSync(path)) await makeFile(path, rows);
  const bin = fileURLToPath(new URL('../../bin/vigil.js', import.meta.url));
  const seconds: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    execFileSync(process.execPath, [bin, 'detect', path, '--bucket-span', '1m', '--format', 'json', '--output', '/dev/null', '--no-progress'], { stdio: 'inherit' });
    seconds.push((performance.now() - t0) / 1000);
  }
  const med = [...seconds].sort((a, b) => a - b)[seconds.length >> 1];
  return { rows, fileBytes: statSync(path).size, seconds, rowsPerSecond: rows / med };
}
