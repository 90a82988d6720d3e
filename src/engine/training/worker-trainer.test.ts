/**
 * Training in a worker thread: the compiled worker (dist/, built by `npm test`'s pretest) trains the
 * same model as in-process training, bit for bit, relays every event, and stops on cancel.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { trainModel, type TrainingEvent } from '../../core/neural/trainer.js';
import { sineSeries, tinySpec } from '../../core/neural/test-kit.js';

const DIST = new URL('../../../dist/src/engine/training/worker-trainer.js', import.meta.url);

async function load(): Promise<typeof import('./worker-trainer.js')> {
  if (!existsSync(fileURLToPath(DIST))) throw new Error(`${fileURLToPath(DIST)} is missing: build first (npm run build; npm test does it)`);
  const path = DIST.href; // a variable: the compiled module, not the source, must be loaded
  return (await import(path)) as typeof import('./worker-trainer.js');
}

describe('workerTrainer', () => {
  const series = sineSeries(900, 4, [850]);

  it('trains the same model as in-process training, bit for bit, and relays the events', async () => {
    const { workerTrainer, workerTrainerAvailable } = await load();
    expect(workerTrainerAvailable()).toBe(true);
    const spec = tinySpec('detect', { trials: 2 });
    const events: TrainingEvent[] = [];
    const inWorker = await workerTrainer(series, spec, { onEvent: (e) => events.push(e) });
    const inProcess = await trainModel(series, spec);
    expect(inWorker.report.hyperParams).toEqual(inProcess.report.hyperParams);
    expect(inWorker.report.training.epochs.map((e) => e.valLoss)).toEqual(inProcess.report.training.epochs.map((e) => e.valLoss));
    expect(inWorker.model.weights.shapes).toEqual(inProcess.model.weights.shapes);
    inWorker.model.weights.data.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(inProcess.model.weights.data[i])));
    expect(inWorker.testOutputs?.neural.score).toEqual(inProcess.testOutputs?.neural.score);
    expect(events.filter((e) => e.type === 'trial').length).toBe(2);
    expect(events.some((e) => e.type === 'epoch')).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'phase', phase: 'done' });
  }, 120_000);

  it('stops when cancelled and rejects with CancelledError; errors keep their codes', async () => {
    const { workerTrainer } = await load();
    const controller = new AbortController();
    const p = workerTrainer(series, tinySpec('predict', { trials: 6, horizon: 4, maxEpochs: 200, patience: 200 }), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'trial_epoch') controller.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ name: 'CancelledError' });
    // a series too short to train on: the trainer's own error, code and message, from the worker
    const short = sineSeries(20, 1);
    const err = (await workerTrainer(short, tinySpec('detect'), {}).then(() => null, (e: unknown) => e)) as { code?: string; message: string } | null;
    expect(err).toMatchObject({ name: 'VigilError' });
    const direct = (await trainModel(short, tinySpec('detect')).then(() => null, (e: unknown) => e)) as { code?: string; message: string };
    expect(err).toMatchObject({ code: direct.code, message: direct.message });
    expect(direct.code).toBeTruthy();
  }, 120_000);
});
