/**
 * Input reader throughput: generates a `timestamp,value` CSV ("YYYY-MM-DD HH:MM:SS" stamps, one
 * per second) in the OS temp folder and reads it with readSeries, median of `runs` runs.
 * Target: ≥ 3 M rows/s on one core (the whole `vigil detect` pipeline budget is 1 M rows/s).
 *
 * Run: `npx vite-node bench/input.bench.ts [rows]`, or after a build `node dist/bench/input.bench.js [rows]`.
 */
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { makeTimestampParser } from '../src/core/time/parse-timestamp.js';
import { readSeries } from '../src/sources/read-series.js';

export interface InputBenchResult {
  rows: number;
  bytes: number;
  /** Median rows per second over the runs, reading the file end to end. */
  rowsPerSecond: number;
  /** Each run's rows per second. */
  runs: number[];
  /** Median rows per second of CPU time used by this process (steadier than wall time on a busy machine). */
  rowsPerCpuSecond: number;
  /** Timestamp parser alone, "YYYY-MM-DD HH:MM:SS" in Europe/Paris, stamps per second. */
  timestampsPerSecond: number;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('timestamp,value\n');
  const t0 = Date.UTC(2024, 0, 1);
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const d = new Date(t0 + i * 1000);
    chunk += `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},${((i * 7919) % 10007) / 100}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

function benchTimestamps(n = 2_000_000): number {
  const parse = makeTimestampParser('yyyy-MM-dd HH:mm:ss', { timeZone: 'Europe/Paris' });
  const buf = Buffer.alloc(1000 * 20);
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < 1000; i++) buf.write(new Date(t0 + i * 3_600_000).toISOString().slice(0, 19).replace('T', ' '), i * 20, 'latin1');
  let sum = 0;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const k = (i % 1000) * 20;
    sum += parse.parseBytes(buf, k, k + 19);
  }
  const s = (performance.now() - start) / 1000;
  if (!Number.isFinite(sum)) throw new Error('bench: a timestamp did not parse');
  return n / s;
}

/** Generates the file, reads it `runs` times, prints and returns the throughput. */
export async function benchInput(rows = 2_000_000, runs = 3): Promise<InputBenchResult> {
  const path = join(tmpdir(), `vigil-input-bench-${process.pid}.csv`);
  try {
    await writeCsv(path, rows);
    const bytes = (await stat(path)).size;
    const rates: number[] = [];
    const cpuRates: number[] = [];
    for (let r = 0; r < runs; r++) {
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      const reader = readSeries(path);
      let n = 0;
      let check = 0;
      for await (const b of reader) {
        n += b.n;
        check += b.value[0];
      }
      const s = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(cpu0);
      cpuRates.push(n / ((cpu.user + cpu.system) / 1e6));
      if (n !== rows || reader.report.badRows !== 0 || Number.isNaN(check)) throw new Error(`bench: read ${n} rows of ${rows}, ${reader.report.badRows} bad`);
      rates.push(n / s);
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const result: InputBenchResult = {
      rows,
      bytes,
      rowsPerSecond: median(rates),
      runs: rates,
      rowsPerCpuSecond: median(cpuRates),
      timestampsPerSecond: benchTimestamps(),
    };
    const m = (x: number): string => `${(x / 1e6).toFixed(2)} M`;
    console.log(
      `input: ${rows} rows (${(bytes / 2 ** 20).toFixed(0)} MiB CSV): ${m(result.rowsPerSecond)} rows/s median [${rates.map(m).join(', ')}], ` +
        `${m(result.rowsPerCpuSecond)} rows per CPU second; ` +
        `timestamps: ${m(result.timestampsPerSecond)}/s`,
    );
    return result;
  } finally {
    await rm(path, { force: true });
  }
}

const at = process.argv.findIndex((a) => /input\.bench\.(ts|m?js)$/.test(a));
if (at >= 1) await benchInput(Number(process.argv[at + 1] ?? 2_000_000));
