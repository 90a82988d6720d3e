/**
 * Runs one detector over every file of a corpus, in parallel across cores with worker threads
 * (one per core, up to the number of files, largest files first), or in-process when `jobs` is 1
 * or when running from TypeScript sources (tests), where worker threads cannot load `.ts` files.
 */
import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { VigilError } from '../../core/errors.js';
import type { CorpusFile } from './corpus.js';
import { resultsPath } from './corpus.js';
import { scoreFile, type LiveSettings, type ScoreResult, type ScoreTask } from './score-file.js';

export interface RunDetectorOptions {
  detector: string;
  spec?: Record<string, unknown>;
  live?: LiveSettings;
  /** Results folder (NAB layout); none: results are not written. */
  outDir?: string;
  /** Worker threads; default os.availableParallelism(). 1 = in-process. */
  jobs?: number;
  /** Extra modules that register detectors (workers load them too). */
  modules?: readonly string[];
}

export interface CorpusScores {
  /** Per file, in the order of `files`. */
  results: ScoreResult[];
  /** Wall-clock seconds for the whole corpus. */
  seconds: number;
  /** Summed seconds spent inside the detector. */
  detectorSeconds: number;
}

const WORKERS_AVAILABLE = import.meta.url.endsWith('.js');

export async function runDetector(files: readonly CorpusFile[], options: RunDetectorOptions): Promise<CorpusScores> {
  const t0 = performance.now();
  const tasks: ScoreTask[] = files.map((f) => ({
    path: f.path,
    detector: options.detector,
    spec: options.spec,
    live: options.live,
    outPath: options.outDir ? resultsPath(options.outDir, options.detector, f) : undefined,
  }));
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), files.length));
  let results: ScoreResult[];
  if (jobs === 1 || !WORKERS_AVAILABLE) {
    results = tasks.map((t) => scoreFile(t));
  } else {
    results = await runInWorkers(tasks, jobs, options.modules ?? []);
  }
  const detectorMs = results.reduce((a, r) => a + r.detectorMs, 0);
  return { results, seconds: (performance.now() - t0) / 1000, detectorSeconds: detectorMs / 1000 };
}

function runInWorkers(tasks: ScoreTask[], jobs: number, modules: readonly string[]): Promise<ScoreResult[]> {
  // largest first, so the long files do not finish last
  const order = tasks.map((_, i) => i).sort((a, b) => size(tasks[b].path) - size(tasks[a].path));
  const results: ScoreResult[] = new Array(tasks.length);
  return new Promise((resolvePromise, reject) => {
    let next = 0;
    let done = 0;
    let failed = false;
    const workers: Worker[] = [];
    const finish = (err?: Error): void => {
      if (failed) return;
      if (err) failed = true;
      if (err || done === tasks.length) {
        for (const w of workers) void w.terminate();
        if (err) reject(err);
        else resolvePromise(results);
      }
    };
    const feed = (w: Worker): void => {
      if (next < order.length) {
        const id = order[next++];
        w.postMessage({ id, task: tasks[id] });
      }
    };
    for (let k = 0; k < jobs; k++) {
      const w = new Worker(new URL('./score-worker.js', import.meta.url), { workerData: { modules: [...modules] } });
      workers.push(w);
      w.on('message', (msg: { id: number; result?: ScoreResult; error?: { message: string; code?: string } }) => {
        if (msg.error) {
          const code = msg.error.code;
          finish(code === 'UNKNOWN_DETECTOR' || code === 'INVALID_ARGUMENT' || code === 'PARSE_ERROR'
            ? new VigilError(code, `${tasks[msg.id].path}: ${msg.error.message}`)
            : new VigilError('INTERNAL', `${tasks[msg.id].path}: ${msg.error.message}`));
          return;
        }
        results[msg.id] = msg.result!;
        done++;
        feed(w);
        finish();
      });
      w.on('error', (err) => finish(err));
      feed(w);
    }
  });
}

function size(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
