/**
 * Scores one NAB-layout data file with a detector and writes the results file: the unit of work the
 * evaluation hands to each worker thread (or runs in-process).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { scorePoints } from '../../core/detect/score-points.js';
import { formatNabResults, parseNabCsv } from '../../core/eval/nab-csv.js';
import { liveScores } from '../../core/eval/live.js';

export interface LiveSettings {
  trainWindow: number;
  retrainEvery: number;
}

export interface ScoreTask {
  /** Data file to read. */
  path: string;
  detector: string;
  spec?: Record<string, unknown>;
  live?: LiveSettings;
  /** Where to write the results file (NAB layout); none: not written. */
  outPath?: string;
  /** Labelled windows (epoch ms, inclusive): rows inside get `label` 1 in the results file, as NAB writes. */
  windows?: ReadonlyArray<readonly [number, number]>;
}

export interface ScoreResult {
  times: Float64Array;
  scores: Float64Array;
  /** Milliseconds spent in the detector. */
  detectorMs: number;
}

export function scoreFile(task: ScoreTask): ScoreResult {
  const table = parseNabCsv(readFileSync(task.path, 'utf8'), task.path);
  const t0 = performance.now();
  const scores = task.live
    ? liveScores(table.times, table.values, { detector: task.detector, spec: task.spec, ...task.live })
    : scorePoints(table.times, table.values, { detector: task.detector, spec: task.spec }).scores;
  const detectorMs = performance.now() - t0;
  if (task.outPath) {
    mkdirSync(dirname(task.outPath), { recursive: true });
    const labels = new Uint8Array(table.times.length);
    for (const [s, e] of task.windows ?? []) {
      for (let i = 0; i < labels.length; i++) if (table.times[i] >= s && table.times[i] <= e) labels[i] = 1;
    }
    writeFileSync(task.outPath, formatNabResults(table.stamps, table.valueTexts, scores, labels));
  }
  return { times: table.times, scores, detectorMs };
}
