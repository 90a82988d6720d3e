/**
 * Forecasting benchmark (not run by tests): a 10 000-point hourly series with periods 24 and 168
 * forecast 168 steps ahead (target ≤ 50 ms), and `auto` over all 359 M4 Weekly series (target
 * ≤ 5 s on one core) when the data is at hand.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Random } from '../src/core/random.js';
import { createForecaster } from '../src/core/forecast/registry.js';
import { parseM4Csv } from '../src/core/forecast/m4.js';
import type { ForecasterOptions } from '../src/core/forecast/types.js';

export interface ForecastBenchResult {
  name: string;
  /** Median milliseconds per run. */
  ms: number;
  runs: number;
  note?: string;
}

function hourly(n: number, seed: number): Float64Array {
  const r = new Random(seed);
  const y = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const day = 20 * Math.sin((2 * Math.PI * (t % 24)) / 24);
    const week = t % 168 >= 120 ? -25 : 0;
    y[t] = 200 + 0.002 * t + day + week + 3 * r.normal();
  }
  return y;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

export function benchForecast(options: { runs?: number; m4Dir?: string } = {}): ForecastBenchResult[] {
  const runs = options.runs ?? 15;
  const y = hourly(10_000, 1);
  const out: ForecastBenchResult[] = [];
  for (const [name, model, opts] of [
    ['mstl 10k hourly, periods 24+168 given, h=168', 'mstl', { period: [24, 168] }],
    ['mstl 10k hourly, periods detected, h=168', 'mstl', {}],
    ['auto 10k hourly, periods detected, h=168', 'auto', {}],
    ['mstl 10k hourly, periods from the 1h step, h=168', 'mstl', { stepMs: 3_600_000 }],
    ['auto 10k hourly, periods from the 1h step, h=168', 'auto', { stepMs: 3_600_000 }],
  ] as [string, string, ForecasterOptions][]) {
    const times: number[] = [];
    for (let i = 0; i < runs + 2; i++) {
      const t0 = performance.now();
      createForecaster(model, { ...opts }).fit(y).predict(168);
      if (i >= 2) times.push(performance.now() - t0);
    }
    out.push({ name, ms: median(times), runs });
  }
  const dir = options.m4Dir ?? process.env.VIGIL_M4_WEEKLY ?? '/work/shared/data/m4-weekly';
  if (existsSync(`${dir}/Weekly-train.csv`)) {
    const series = parseM4Csv(readFileSync(`${dir}/Weekly-train.csv`, 'utf8')).map((s) => s.values);
    for (const [label, opts] of [['auto --bucket-span 7d', { stepMs: 604_800_000 }], ['auto (blind detection)', {}], ['auto --model-period 52', { period: 52 }]] as [string, ForecasterOptions][]) {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        for (const s of series) createForecaster('auto', { ...opts }).fit(s).predict(13);
        times.push(performance.now() - t0);
      }
      out.push({ name: `${label}: all ${series.length} M4 Weekly series, h=13`, ms: median(times), runs: 3 });
    }
  } else {
    out.push({ name: 'M4 Weekly', ms: NaN, runs: 0, note: `skipped: no data in ${dir}` });
  }
  return out;
}

// `node dist/bench/forecast.bench.js` prints the results
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of benchForecast()) console.log(`${r.name.padEnd(60)} ${Number.isFinite(r.ms) ? r.ms.toFixed(1) + ' ms' : r.note}`);
}
