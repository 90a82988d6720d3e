/**
 * Scores every input row of one series with a detector, for benchmark layouts such as NAB's
 * (`timestamp,value,anomaly_score` per input row). Rows are placed on a regular grid at the data's
 * own resolution; rows that fall into the same grid cell share one bucket update, grid cells with
 * no row are fed to the detector as missing. Only the first row of a bucket carries its score, so
 * one event yields one detection.
 */
import { createDetector } from './registry.js';
import { newOutput } from './detector.js';

export interface ScorePointsOptions {
  /** Detector type from the registry. */
  detector: string;
  spec?: Record<string, unknown>;
  /** Grid spacing; default: the median spacing of the rows. */
  bucketSpanMs?: number;
}

export interface PointScores {
  /** Record score / 100 per input row, in [0, 1]. */
  scores: Float64Array;
  bucketSpanMs: number;
}

/** Median of the positive differences between consecutive times (the data's resolution). */
export function medianSpacing(times: Float64Array): number {
  const diffs: number[] = [];
  const step = Math.max(1, Math.floor(times.length / 20000));
  for (let i = step; i < times.length; i += step) {
    const d = times[i] - times[i - 1];
    if (d > 0) diffs.push(d);
  }
  if (diffs.length === 0) return 60_000;
  diffs.sort((a, b) => a - b);
  return diffs[diffs.length >> 1];
}

export function scorePoints(times: Float64Array, values: Float64Array, options: ScorePointsOptions): PointScores {
  const n = times.length;
  const scores = new Float64Array(n);
  if (n === 0) return { scores, bucketSpanMs: options.bucketSpanMs ?? 60_000 };
  const span = options.bucketSpanMs ?? medianSpacing(times);
  const detector = createDetector(options.detector, { bucketSpanMs: span }, options.spec);
  const out = newOutput();
  const origin = times[0];
  let i = 0;
  let cell = 0;
  while (i < n) {
    const rowCell = Math.round((times[i] - origin) / span);
    // cells with no row: tell the detector data is missing (bounded, so a huge jump cannot stall)
    const missing = Math.min(rowCell - cell, 10_000);
    for (let k = 0; k < missing; k++) detector.update(origin + (cell + k) * span, NaN, out);
    if (rowCell > cell) cell = rowCell;
    // rows in this cell: their mean is the bucket's value
    const first = i;
    let sum = 0;
    let cnt = 0;
    while (i < n && Math.round((times[i] - origin) / span) <= cell) {
      if (!Number.isNaN(values[i])) {
        sum += values[i];
        cnt++;
      }
      i++;
    }
    detector.update(origin + cell * span, cnt > 0 ? sum / cnt : NaN, out);
    scores[first] = out.score / 100;
    cell++;
  }
  return { scores, bucketSpanMs: span };
}
