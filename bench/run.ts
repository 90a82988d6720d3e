/**
 * `npm run bench`: every benchmark, medians of several runs, printed as a table with the machine it
 * ran on. Not part of the tests. BENCH_QUICK=1 uses smaller inputs.
 */
import { cpus, totalmem } from 'node:os';
import { benchBucket } from './bucket.bench.js';
import { benchChart } from './chart.bench.js';
import { benchDetectE2e } from './detect-e2e.bench.js';
import { benchDetector } from './detector.bench.js';
import { benchInput } from './input.bench.js';
import { benchServer } from './server.bench.js';
import { benchUi } from './ui.bench.js';

const quick = process.env.BENCH_QUICK === '1';
const only = process.argv[2];
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);

if (!only || only === 'detector') {
  for (const [type, name] of [['default', 'point model alone'], ['auto', 'auto (jobs\' default)']]) {
    const d = benchDetector({ type, updates: quick ? 300_000 : 2_000_000, series: quick ? 10_000 : 100_000 });
    console.log(`${name}: ${fmt(d.updatesPerSecond)} bucket updates/s (one series); ${fmt(d.bytesPerSeries)} B of model state per series (${fmt(d.heapBytesPerSeries)} B of heap measured over ${fmt(d.series)} series)`);
  }
}
if (!only || only === 'input') {
  const r = await benchInput(quick ? 500_000 : 2_000_000, 3);
  console.log(`input reader: ${JSON.stringify(r)}`);
}
if (!only || only === 'bucket') {
  benchBucket({ records: quick ? 500_000 : 2_000_000, runs: 3, print: true });
}
if (!only || only === 'detect') {
  const e = await benchDetectE2e(quick ? 1_000_000 : 10_000_000, 3);
  console.log(`vigil detect end to end: ${fmt(e.rows)} rows (${(e.fileBytes / 2 ** 20).toFixed(0)} MiB) in ${e.seconds.map((s) => s.toFixed(2)).join(' / ')} s → ${fmt(e.rowsPerSecond)} rows/s (median)`);
}
if (!only || only === 'chart') {
  await benchChart({});
}
if (!only || only === 'server') {
  await benchServer({ records: quick ? 400_000 : 2_000_000, storedRecords: 100_000, queries: quick ? 100 : 300 });
}
if (!only || only === 'ui') {
  await benchUi({ runs: 3, points: quick ? [100_000] : [100_000, 1_000_000] });
}
