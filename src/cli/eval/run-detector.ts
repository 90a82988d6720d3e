/**
 * Runs one detector over every file of a corpus, in parallel across cores with worker threads
 * (up to one per core and per file, largest files first) when the work is worth it, or in-process
 * when `jobs` is 1 or when running from TypeScript sources (tests), where worker threads cannot
 * load `.ts` files.
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
  /** Labelled windows per file (same order as `files`), for the results files' `label` column. */
  windows?: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
  /** Start workers only when the work left is estimated above this many seconds (default 1; 0: always). */
  spawnAfterSeconds?: number;
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
  const tasks: ScoreTask[] = files.map((f, i) => ({
    path: f.path,
    detector: options.detector,
    spec: options.spec,
    live: options.live,
    outPath: options.outDir ? resultsPath(options.outDir, options.detector, f) : undefined,
    windows: options.windows?.[i],
  }));
  const jobs = WORKERS_AVAILABLE ? Math.max(1, Math.min(options.jobs ?? availableParallelism(), files.length)) : 1;
  const results = await runTasks(tasks, jobs, options.modules ?? [], options.spawnAfterSeconds ?? 1);
  const detectorMs = results.reduce((a, r) => a + r.detectorMs, 0);
  return { results, seconds: (performance.now() - t0) / 1000, detectorSeconds: detectorMs / 1000 };
}

/**
 * Scores the tasks, largest file first, on this thread; once the work left is estimated above
 * `spawnAfterSeconds`, starts `jobs − 1` worker threads that take files from the same queue (a
 * worker costs a cold start and a cold JIT, which small corpora and fast detectors never repay).
 */
function runTasks(tasks: ScoreTask[], jobs: number, modules: readonly string[], spawnAfterSeconds: number): Promise<ScoreResult[]> {
  const sizes = tasks.map((t) => size(t.path));
  const order = tasks.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a]);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const results: ScoreResult[] = new Array(tasks.length);
  return new Promise((resolvePromise, reject) => {
    let next = 0;
    let done = 0;
    let settled = false;
    let doneBytes = 0;
    const workers: Worker[] = [];
    const t0 = performance.now();
    const finish = (err?: Error): void => {
      if (settled) return;
      if (err || done === tasks.length) {
        settled = true;
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
    const spawn = (): void => {
      for (let k = 1; k < jobs && next < order.length; k++) {
        const w = new Worker(new URL('./score-worker.js', import.meta.url), { workerData: { modules: [...modules] } });
        workers.push(w);
        w.on('message', (msg: { id: number; result?: ScoreResult; error?: { message: string; code?: string } }) => {
          if (msg.error) {
            const code = msg.error.code;
            const known = code === 'UNKNOWN_DETECTOR' || code === 'INVALID_ARGUMENT' || code === 'PARSE_ERROR';
            finish(new VigilError(known ? code : 'INTERNAL', `${tasks[msg.id].path}: ${msg.error.message}`));
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
    };
    // this thread works the queue too, one file per turn of the event loop
    const step = (): void => {
      if (settled) return;
      if (next < order.length) {
        const id = order[next++];
        try {
          results[id] = scoreFile(tasks[id]);
        } catch (err) {
          finish(err as Error);
          return;
        }
        done++;
        doneBytes += sizes[id];
        if (workers.length === 0 && jobs > 1 && next < order.length) {
          const elapsed = (performance.now() - t0) / 1000;
          const left = (elapsed / Math.max(1, doneBytes)) * (totalBytes - doneBytes);
          if (left > spawnAfterSeconds) spawn();
        }
        finish();
        setImmediate(step);
      }
    };
    if (tasks.length === 0) finish();
    else step();
  });
}

function size(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
