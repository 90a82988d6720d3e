/**
 * Worker-thread entry of `workerTrainer` (worker-trainer.ts): trains one model with the in-process
 * trainer, posting every training event, then the model (as its storage artifacts), report and test
 * outputs; a `cancel` message aborts the training. TensorFlow.js loads in this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CancelledError } from '../../core/neural/cancelled.js';
import { trainModel } from '../../core/neural/trainer.js';
import type { TrainJob, WorkerReply } from './worker-trainer.js';

const port = parentPort;
if (!port) throw new Error('train-worker runs in a worker thread');
const controller = new AbortController();
port.on('message', (m: { type?: string }) => {
  if (m?.type === 'cancel') controller.abort();
});
const job = workerData as TrainJob;
const post = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
try {
  const r = await trainModel(job.series, job.spec, {
    signal: controller.signal,
    labels: job.labels,
    maxOrigins: job.maxOrigins,
    onEvent: (event) => post({ type: 'event', event }),
  });
  const a = r.model.toArtifacts();
  post({ type: 'done', json: a.json, weights: a.weights, report: r.report, testOutputs: r.testOutputs });
} catch (err) {
  const e = err as Error & { code?: string };
  post({ type: 'error', cancelled: err instanceof CancelledError, message: e.message, code: e.code });
}
port.close();
