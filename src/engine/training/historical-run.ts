/**
 * A historical run of a trained model: once it holds a slot of the historical queue, the buckets
 * of a series in [from, to) are scored (detect) or forecast (predict) in chunks, yielding between
 * chunks, until done, failed or cancelled (the activation's `abort`).
 */
import { CancelledError } from '../../core/neural/cancelled.js';
import type { TrainingSeries } from '../../core/neural/data.js';
import { processBuckets, type Activation, type ActivationInfo } from './activation.js';
import type { SlotQueue } from './slot-queue.js';

/** Runs `a` over `series` in [from, to) once `entered` (its slot of `queue`) resolves; resolves with its final info. */
export async function runHistorical(a: Activation, series: TrainingSeries, range: { from: number; to: number }, queue: SlotQueue, entered: Promise<void>, refreshPositions: () => void): Promise<ActivationInfo> {
  const { from, to } = range;
  const id = a.info.activation_id;
  let holding = false;
  try {
    await entered;
    holding = true;
    a.info.state = 'running';
    a.info.started = Date.now();
    a.info.queue_position = null;
    refreshPositions();
    const span = series.spanMs;
    const i0 = Math.max(0, Math.ceil((from - series.start) / span));
    const i1 = Math.min(series.values.length, Math.ceil((to - series.start) / span));
    const times = new Float64Array(series.values.length);
    for (let i = 0; i < times.length; i++) times[i] = series.start + i * span;
    const chunk = 4096;
    for (let i = i0; i < i1; i += chunk) {
      if (a.abort.signal.aborted) throw new CancelledError('historical run was cancelled');
      processBuckets(a, times, series.values, i, Math.min(i1, i + chunk));
      await new Promise<void>((r) => setImmediate(r));
    }
    a.info.state = 'completed';
  } catch (err) {
    a.info.state = err instanceof CancelledError || a.abort.signal.aborted ? 'cancelled' : 'failed';
    a.info.error = (err as Error).message;
  } finally {
    a.info.finished = Date.now();
    a.info.queue_position = null;
    if (holding) queue.leave(id);
    refreshPositions();
  }
  return a.info;
}
