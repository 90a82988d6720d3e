/**
 * Chart rendering: wall time and output size of `renderChart` for SVG, PNG and HTML at 10 k, 100 k
 * and 1 M points (one panel, 300 anomalies, a missing run). Target: 1 M points to PNG in ≤ 2 s and
 * SVG of a few hundred kB. Prints the median of 3 runs. Not run by tests; run it with
 * `VIGIL_BENCH=chart npx vite-node bench/chart.bench.ts` (vite-node hides the script path from
 * process.argv) or `node dist/bench/chart.bench.js`.
 */
import { renderChart } from '../src/cli/chart/render.js';
import { syntheticSeries } from '../src/cli/chart/sample-series.js';
import type { ChartFormat } from '../src/cli/chart/types.js';

export interface ChartBenchRow {
  format: ChartFormat;
  points: number;
  /** Median wall time of one render, ms. */
  ms: number;
  bytes: number;
}

export interface ChartBenchOptions {
  sizes?: number[];
  formats?: ChartFormat[];
  /** Runs per case; the median is reported (default 3). */
  runs?: number;
  print?: boolean;
}

export async function benchChart(options: ChartBenchOptions = {}): Promise<ChartBenchRow[]> {
  const sizes = options.sizes ?? [10_000, 100_000, 1_000_000];
  const formats = options.formats ?? ['svg', 'png', 'html'];
  const runs = options.runs ?? 3;
  const rows: ChartBenchRow[] = [];
  await renderChart(syntheticSeries({ points: 1000 }), 'png'); // warm up ECharts, resvg and fonts
  for (const points of sizes) {
    const series = syntheticSeries({ points, stepMs: 60_000, anomalies: 300 });
    for (const format of formats) {
      const times: number[] = [];
      let bytes = 0;
      for (let r = 0; r < runs; r++) {
        const t = performance.now();
        const out = await renderChart(series, format);
        times.push(performance.now() - t);
        bytes = typeof out === 'string' ? Buffer.byteLength(out) : out.length;
      }
      times.sort((a, b) => a - b);
      rows.push({ format, points, ms: Math.round(times[Math.floor(times.length / 2)]), bytes });
    }
  }
  if (options.print ?? true) {
    console.log('format  points      ms      bytes');
    for (const r of rows) {
      console.log(`${r.format.padEnd(6)}  ${String(r.points).padStart(9)}  ${String(r.ms).padStart(6)}  ${String(r.bytes).padStart(9)}`);
    }
  }
  return rows;
}

if (process.env.VIGIL_BENCH === 'chart' || process.argv.slice(1).some((a) => /chart\.bench\.[jt]s$/.test(a))) {
  await benchChart();
}
