/** Synthetic chart inputs (seeded, deterministic) for tests, the benchmark and sample renders. */
import type { ChartSeries } from './types.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticOptions {
  points?: number;
  stepMs?: number;
  start?: number;
  seed?: number;
  anomalies?: number;
  /** Add a missing run in the middle and a few single missing buckets. */
  gaps?: boolean;
  forecastPoints?: number;
  title?: string;
  timeZone?: string;
}

/** A daily-seasonal series with model bounds, labelled anomalies, gaps and an optional forecast. */
export function syntheticSeries(o: SyntheticOptions = {}): ChartSeries {
  const n = o.points ?? 24 * 30;
  const step = o.stepMs ?? 3_600_000;
  const start = o.start ?? Date.UTC(2024, 2, 1);
  const rand = rng(o.seed ?? 1);
  const times = new Float64Array(n);
  const actual = new Float64Array(n);
  const typical = new Float64Array(n);
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  const period = 24 * 3_600_000;
  for (let i = 0; i < n; i++) {
    const t = start + i * step;
    times[i] = t;
    const phase = ((t % period) / period) * 2 * Math.PI;
    const base = 100 + 40 * Math.sin(phase - Math.PI / 2) + 0.002 * i;
    typical[i] = base;
    const warm = Math.max(0, 1 - i / Math.max(1, n * 0.08));
    const width = 14 + 40 * warm;
    lower[i] = base - width;
    upper[i] = base + width;
    actual[i] = base + (rand() - 0.5) * 16;
  }
  if (o.gaps ?? true) {
    const g = Math.floor(n * 0.55);
    for (let i = g; i < g + Math.max(3, Math.floor(n * 0.03)) && i < n; i++) actual[i] = NaN;
    for (const f of [0.3, 0.72, 0.721]) {
      const i = Math.floor(n * f);
      actual[i] = NaN;
    }
  }
  const anomalies: ChartSeries['anomalies'] = [];
  const k = o.anomalies ?? 8;
  const scores = [95, 82, 64, 55, 41, 30, 18, 8];
  for (let j = 0; j < k; j++) {
    let i = Math.floor(n * (0.15 + (0.8 * (j + rand() * 0.5)) / Math.max(1, k)));
    while (i < n - 1 && Number.isNaN(actual[i])) i++;
    const score = scores[j % scores.length] - rand() * 4;
    const dir = j % 3 === 2 ? -1 : 1;
    actual[i] = typical[i] + dir * (30 + score * 0.9);
    anomalies.push({ time: times[i], value: actual[i], score, label: dir > 0 ? 'unusually high' : 'unusually low' });
  }
  const series: ChartSeries = {
    title: o.title ?? 'web-logs · count',
    subtitle: 'bucket 1h · high_count',
    times,
    actual,
    typical,
    lower,
    upper,
    anomalies,
    valueLabel: 'count',
    ...(o.timeZone ? { timeZone: o.timeZone } : {}),
  };
  const h = o.forecastPoints ?? 0;
  if (h > 0) {
    const ft = new Float64Array(h);
    const mean = new Float64Array(h);
    const l80 = new Float64Array(h);
    const u80 = new Float64Array(h);
    const l95 = new Float64Array(h);
    const u95 = new Float64Array(h);
    for (let i = 0; i < h; i++) {
      const t = start + (n + i) * step;
      ft[i] = t;
      const phase = ((t % period) / period) * 2 * Math.PI;
      mean[i] = 100 + 40 * Math.sin(phase - Math.PI / 2) + 0.002 * (n + i);
      const w = 10 + 0.25 * i;
      l80[i] = mean[i] - w;
      u80[i] = mean[i] + w;
      l95[i] = mean[i] - 1.53 * w;
      u95[i] = mean[i] + 1.53 * w;
    }
    series.forecast = { times: ft, mean, lower80: l80, upper80: u80, lower95: l95, upper95: u95 };
  }
  return series;
}
