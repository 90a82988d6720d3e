/**
 * Evaluates detectors over a folder in NAB's layout: runs them (or reads an existing results
 * folder), then scores with core/eval. Shared by `vigil eval` and `scripts/evaluate.mjs`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../../core/errors.js';
import { parseNabTime } from '../../core/eval/nab-csv.js';
import { evaluateCorpus, type EvalFileInput } from '../../core/eval/evaluate.js';
import { listDataFiles, listResultDetectors, loadLabels, readTable, resultsPath, type CorpusFile, type CorpusLabels } from './corpus.js';
import type { DetectorRun } from './report.js';
import { runDetector } from './run-detector.js';
import type { LiveSettings } from './score-file.js';

export interface EvaluateFolderOptions {
  dir: string;
  detectors: readonly string[];
  /** Results folder; each detector writes `<outDir>/<detector>/...`. None: not written. */
  outDir?: string;
  jobs?: number;
  spec?: Record<string, unknown>;
  live?: LiveSettings;
  modules?: readonly string[];
  /** Called after each detector (progress). */
  onDetector?: (run: DetectorRun) => void;
}

/** Labels of one file, as the evaluator takes them (windows, onsets, kinds aligned to sorted windows). */
function labelsFor(labels: CorpusLabels, file: CorpusFile): Pick<EvalFileInput, 'windows' | 'onsets' | 'kinds'> {
  const windows = [...(labels.windows.get(file.key) ?? [])].sort((a, b) => a[0] - b[0]);
  const kindList = labels.kinds?.get(file.key);
  const kinds = kindList
    ? windows.map(([s]) => kindList.find((k) => parseNabTime(k.window[0]) === s)?.kind ?? 'unknown')
    : undefined;
  return { windows, onsets: labels.onsets.get(file.key), kinds };
}

export function readCorpus(dir: string): { files: CorpusFile[]; labels: CorpusLabels } {
  const labels = loadLabels(dir);
  const files = listDataFiles(dir);
  if (files.length === 0) throw new VigilError('NO_USABLE_DATA', `no .csv files under ${join(dir, 'data')}`);
  return { files, labels };
}

/** Runs each detector over the corpus and evaluates it. */
export async function evaluateFolder(options: EvaluateFolderOptions): Promise<DetectorRun[]> {
  const { files, labels } = readCorpus(options.dir);
  const runs: DetectorRun[] = [];
  for (const detector of options.detectors) {
    const scored = await runDetector(files, {
      detector,
      spec: options.spec,
      live: options.live,
      outDir: options.outDir,
      jobs: options.jobs,
      modules: options.modules,
      windows: files.map((f) => labels.windows.get(f.key) ?? []),
    });
    const inputs: EvalFileInput[] = files.map((f, i) => ({
      key: f.key,
      category: f.category,
      times: scored.results[i].times,
      scores: scored.results[i].scores,
      ...labelsFor(labels, f),
    }));
    const run: DetectorRun = {
      detector,
      evaluation: evaluateCorpus(inputs),
      seconds: scored.seconds,
      resultsDir: options.outDir ? join(options.outDir, detector) : undefined,
    };
    runs.push(run);
    options.onDetector?.(run);
  }
  return runs;
}

/** Scores an existing results folder (`<resultsDir>/<detector>/<category>/<detector>_<file>.csv`). */
export function scoreResultsFolder(dir: string, resultsDir: string, detectors?: readonly string[]): DetectorRun[] {
  const { files, labels } = readCorpus(dir);
  const names = detectors && detectors.length > 0 ? detectors : listResultDetectors(resultsDir);
  if (names.length === 0) throw new VigilError('FILE_NOT_FOUND', `no detector folders in ${resultsDir}`);
  return names.map((detector) => {
    const t0 = performance.now();
    const inputs: EvalFileInput[] = files.map((f) => {
      const path = resultsPath(resultsDir, detector, f);
      if (!existsSync(path)) throw new VigilError('FILE_NOT_FOUND', `no results file ${path} for ${f.key}`);
      const t = readTable(path);
      if (!t.scores) throw new VigilError('PARSE_ERROR', `${path}: no anomaly_score column`);
      return { key: f.key, category: f.category, times: t.times, scores: t.scores, ...labelsFor(labels, f) };
    });
    const evaluation = evaluateCorpus(inputs);
    return { detector, evaluation, seconds: (performance.now() - t0) / 1000 };
  });
}
