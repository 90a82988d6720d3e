/**
 * Scores every input row of one series with a detector, for benchmark layouts such as NAB's
 * (`timestamp,value,anomaly_score` per input row). Rows are bucketed at the data's own resolution
 * (Elastic-style aligned buckets, `mean` of the rows in a bucket); buckets with no row are fed to the
 * detector as missing. Only the first row of a bucket carries its score, so one event yields one
 * detection.
 */
import { bucketIndices, bucketSeries } from '../bucket/bucketizer.js';
import { inferResolution } from '../bucket/span.js';
import { newOutput } from './detector.js';
import { createDetector } from './registry.js';

export interface ScorePointsOptions {
  /** Detector type from the registry. */
  detector: string;
  spec?: Record<string, unknown>;
  /** Bucket span; default: the data's resolution. */
  bucketSpanMs?: number;
}

export interface PointScores {
  /** Record score / 100 per input row, in [0, 1]. */
  scores: Float64Array;
  bucketSpanMs: number;
}

export function scorePoints(times: Float64Array, values: Float64Array, options: ScorePointsOptions): PointScores {
  const n = times.length;
  const scores = new Float64Array(n);
  if (n === 0) return { scores, bucketSpanMs: options.bucketSpanMs ?? 60_000 };
  const span = options.bucketSpanMs ?? inferResolution(times);
  const series = bucketSeries(times, values, span, 'mean');
  const detector = createDetector(options.detector, { bucketSpanMs: span }, options.spec);
  const out = newOutput();
  const bucketScore = new Float64Array(series.values.length);
  for (let b = 0; b < series.values.length; b++) {
    detector.update(series.start + b * span, series.values[b], out);
    bucketScore[b] = out.score / 100;
  }
  const index = bucketIndices(times, series.start, span);
  const taken = new Uint8Array(series.values.length);
  for (let i = 0; i < n; i++) {
    const b = index[i];
    if (b < 0 || taken[b]) continue;
    taken[b] = 1;
    scores[i] = bucketScore[b];
  }
  return { scores, bucketSpanMs: span };
}
