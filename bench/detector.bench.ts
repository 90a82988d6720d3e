/**
 * One series model alone: bucket updates per second for one series (the foundation's target for
 * the point model: ≥ 1 M/s on one core), and model memory per series measured with 100 000
 * partitioned series (target ≤ 16 KB). `type`: `auto` (what jobs and `vigil detect` use) or
 * `default` (the point model alone).
 */
import '../src/core/detect/all.js';
import { newOutput, type Detector } from '../src/core/detect/detector.js';
import { createDetector } from '../src/core/detect/registry.js';
import { Random } from '../src/core/random.js';

export interface DetectorBenchResult {
  updatesPerSecond: number;
  bytesPerSeries: number;
  heapBytesPerSeries: number;
  series: number;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1];
}

export function benchDetector(options: { type?: string; updates?: number; series?: number; runs?: number } = {}): DetectorBenchResult {
  const type = options.type ?? 'auto';
  const updates = options.updates ?? 2_000_000;
  const seriesCount = options.series ?? 100_000;
  const runs = options.runs ?? 3;
  const span = 300_000;
  const make = (): Detector => createDetector(type, { bucketSpanMs: span });
  const rng = new Random(1);
  const values = new Float64Array(updates);
  for (let i = 0; i < updates; i++) values[i] = 100 + 30 * Math.sin((2 * Math.PI * i) / 288) + 5 * rng.normal();
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const det = make();
    const out = newOutput();
    const t0 = performance.now();
    for (let i = 0; i < updates; i++) det.update(i * span, values[i], out);
    rates.push(updates / ((performance.now() - t0) / 1000));
  }
  // memory: many series, each fed a day of data so every structure is allocated and warm
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const detectors: Detector[] = [];
  const out = newOutput();
  let bytes = 0;
  for (let s = 0; s < seriesCount; s++) {
    const d = make();
    for (let i = 0; i < 30; i++) d.update(i * span, values[(s + i) % updates], out);
    bytes += d.memoryBytes();
    detectors.push(d);
  }
  gc?.();
  const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const result = {
    updatesPerSecond: median(rates),
    bytesPerSeries: bytes / seriesCount,
    heapBytesPerSeries: (after - before) / seriesCount,
    series: detectors.length,
  };
  return result;
}
