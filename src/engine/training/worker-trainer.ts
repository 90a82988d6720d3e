/**
 * Trains a model in a worker thread (train-worker.ts), so a training never blocks the server's event
 * loop (HTTP requests, jobs' `_data`) and `max_trainings` > 1 trains in parallel on several cores.
 * The worker runs the same trainer as in-process training (src/core/neural/trainer.ts): same seed,
 * same model, bit for bit (tested). Events arrive as they happen; cancelling the signal asks the
 * worker to stop after its current batch and rejects with CancelledError, as in-process training does.
 *
 * The worker script is the compiled `train-worker.js` next to this module; where it is not there
 * (running from TypeScript sources), `workerTrainerAvailable()` is false and callers train in-process.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../../core/neural/cancelled.js';
import type { TrainingSeries } from '../../core/neural/data.js';
import type { DetectTestOutputs } from '../../core/neural/evaluate-test.js';
import type { ModelKind, TrainingSpec } from '../../core/neural/spec.js';
import { TrainedModel } from '../../core/neural/trained-model.js';
import type { TrainingEvent, TrainingReport } from '../../core/neural/trainer.js';
import { ERRORS, VigilError, type ErrorCode } from '../../core/errors.js';
import type { Trainer } from './model-manager.js';

const WORKER_URL = new URL('./train-worker.js', import.meta.url);

/** What the worker is given. */
export interface TrainJob {
  series: TrainingSeries;
  spec: Partial<TrainingSpec> & { type: ModelKind };
  labels?: ReadonlyArray<readonly [number, number]>;
  maxOrigins?: number;
}

/** What the worker posts back. */
export type WorkerReply =
  | { type: 'event'; event: TrainingEvent }
  | { type: 'done'; json: string; weights: Uint8Array; report: TrainingReport; testOutputs?: DetectTestOutputs }
  | { type: 'error'; cancelled: boolean; message: string; code?: string };

/** True when the compiled worker script is present (a built install); false when running from sources. */
export function workerTrainerAvailable(): boolean {
  return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));
}

export const workerTrainer: Trainer = (series, spec, o) =>
  new Promise((resolve, reject) => {
    const job: TrainJob = { series, spec, labels: o.labels, maxOrigins: o.maxOrigins };
    const worker = new Worker(WORKER_URL, { workerData: job });
    let settled = false;
    const cancel = (): void => worker.postMessage({ type: 'cancel' });
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener('abort', cancel);
      // the worker has posted its last message: do not rely on it exiting by itself (tfjs may hold handles)
      void worker.terminate();
      f();
    };
    if (o.signal?.aborted) cancel();
    else o.signal?.addEventListener('abort', cancel, { once: true });
    worker.on('message', (m: WorkerReply) => {
      if (m.type === 'event') {
        if (!settled) o.onEvent?.(m.event);
        return;
      }
      if (m.type === 'done') {
        settle(() => {
          try {
            resolve({ model: TrainedModel.fromArtifacts(m.json, m.weights), report: m.report, testOutputs: m.testOutputs });
          } catch (err) {
            reject(err);
          }
        });
      } else {
        const code: ErrorCode = m.code !== undefined && m.code in ERRORS ? (m.code as ErrorCode) : 'INTERNAL';
        settle(() => reject(m.cancelled ? new CancelledError(m.message) : new VigilError(code, m.message)));
      }
    });
    worker.on('error', (err) => settle(() => reject(new VigilError('INTERNAL', `training worker failed: ${err.message}`))));
    worker.on('exit', (code) => settle(() => reject(new VigilError('INTERNAL', `training worker exited (code ${code}) before it finished`))));
  });
