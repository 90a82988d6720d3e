/**
 * Worker thread of `vigil eval`: registers the detectors, then scores the files it is sent, one
 * message per file, replying with the times and scores (transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { registerDetectorModules } from './register.js';
import { scoreFile, type ScoreTask } from './score-file.js';

interface Request {
  id: number;
  task: ScoreTask;
}

const ready = registerDetectorModules((workerData as { modules: string[] }).modules);

parentPort!.on('message', (msg: Request) => {
  void ready.then(
    () => {
      try {
        const r = scoreFile(msg.task);
        parentPort!.postMessage({ id: msg.id, result: r }, [r.times.buffer as ArrayBuffer, r.scores.buffer as ArrayBuffer]);
      } catch (err) {
        parentPort!.postMessage({ id: msg.id, error: serialiseError(err) });
      }
    },
    (err: unknown) => parentPort!.postMessage({ id: msg.id, error: serialiseError(err) }),
  );
});

function serialiseError(err: unknown): { message: string; code?: string } {
  const e = err as { message?: string; code?: string };
  return { message: e?.message ?? String(err), code: typeof e?.code === 'string' ? e.code : undefined };
}
