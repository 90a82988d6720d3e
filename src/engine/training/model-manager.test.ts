import { beforeAll, describe, expect, test } from 'vitest';
import { trainModel, type TrainResult } from '../../core/neural/trainer.js';
import { HOUR, sineSeries, tinySpec } from '../../core/neural/test-kit.js';
import type { TrainingSeries } from '../../core/neural/data.js';
import { MemoryModelRepository, ModelManager, type Trainer } from './model-manager.js';
import { SlotQueue } from './slot-queue.js';

const series = sineSeries(900, 4, [850]);
let detect: TrainResult;
let predict: TrainResult;
beforeAll(async () => {
  detect = await trainModel(series, tinySpec('detect', { trials: 2 }));
  predict = await trainModel(series, tinySpec('predict', { trials: 2, horizon: 4 }));
}, 120_000);

/** A trainer that waits until released, so tests control when runs end. */
function gatedTrainer(): { trainer: Trainer; release: (n?: number) => void; started: () => number } {
  const gates: Array<() => void> = [];
  let started = 0;
  const trainer: Trainer = async (_s, spec, o) => {
    started++;
    await new Promise<void>((resolve, reject) => {
      gates.push(resolve);
      o.signal?.addEventListener('abort', () => reject(new Error('aborted')));
    });
    return spec.type === 'detect' ? detect : predict;
  };
  return { trainer, release: (n = 1) => { for (let i = 0; i < n; i++) gates.shift()?.(); }, started: () => started };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SlotQueue', () => {
  test('runs at most `limit` and reports queue positions', async () => {
    const q = new SlotQueue('x', 2);
    const order: string[] = [];
    for (const id of ['a', 'b', 'c', 'd']) void q.enter(id).then(() => order.push(id), () => order.push(`${id}:left`));
    await tick();
    expect(order).toEqual(['a', 'b']);
    expect([q.position('a'), q.position('c'), q.position('d')]).toEqual([0, 1, 2]);
    q.leave('d');
    q.leave('a');
    await tick();
    expect(order).toEqual(['a', 'b', 'd:left', 'c']);
    expect(q.stats()).toMatchObject({ running: 2, queued: 0 });
  });
});

describe('ModelManager', () => {
  test('training runs beyond maxTrainings wait in the queue and say so', async () => {
    const g = gatedTrainer();
    const mm = new ModelManager({ limits: { maxTrainings: 1 }, trainer: g.trainer });
    for (const id of ['m1', 'm2', 'm3']) await mm.createModel({ model_id: id, type: 'detect' });
    const r1 = await mm.train('m1', series);
    const r2 = await mm.train('m2', series);
    const r3 = await mm.train('m3', series);
    await tick();
    expect(g.started()).toBe(1);
    expect(r1.state).toBe('running');
    expect([r2.state, r2.queue_position]).toEqual(['queued', 1]);
    expect([r3.state, r3.queue_position]).toEqual(['queued', 2]);
    g.release();
    await mm.waitForRun(r1.run_id);
    await tick();
    expect(r1.state).toBe('completed');
    expect(r2.state).toBe('running');
    expect([r3.state, r3.queue_position]).toEqual(['queued', 1]);
    expect(g.started()).toBe(2);
    // cancelling a queued run takes it out of the queue
    mm.cancelRun(r3.run_id);
    await mm.waitForRun(r3.run_id);
    expect(r3.state).toBe('cancelled');
    g.release();
    await mm.waitForRun(r2.run_id);
    expect(mm.getModel('m2').state).toBe('trained');
    expect(mm.getModel('m3').state).toBe('created');
  });

  test('a model is not trained again under live activations, nor activated live while it trains', async () => {
    const g = gatedTrainer();
    const mm = new ModelManager({ trainer: g.trainer });
    await mm.createModel({ model_id: 'busy', type: 'detect' });
    const first = await mm.train('busy', series);
    g.release();
    await mm.waitForRun(first.run_id);
    const live = await mm.activateLive('busy');
    await expect(mm.train('busy', series)).rejects.toThrow(/has 1 live activation\(s\) \[.*\]; deactivate them before training it again/);
    await mm.deactivate(live.activation_id);
    const again = await mm.train('busy', series);
    await expect(mm.activateLive('busy')).rejects.toThrow(/is being trained again .* once the run has ended/);
    g.release();
    await mm.waitForRun(again.run_id);
    expect((await mm.activateLive('busy')).state).toBe('active');
  });

  test('while a forced delete waits for its run and activations to stop, nothing new starts on the model', async () => {
    const g = gatedTrainer();
    const mm = new ModelManager({ trainer: g.trainer });
    await mm.createModel({ model_id: 'gone', type: 'detect' });
    const first = await mm.train('gone', series);
    g.release();
    await mm.waitForRun(first.run_id);
    await mm.train('gone', series); // a second training, running (the gate holds it)
    await tick();
    // the forced delete cancels it and waits for it to stop; asked meanwhile (same tick):
    const deleting = mm.deleteModel('gone', true);
    const asked = [mm.train('gone', series), mm.activateLive('gone'), mm.deleteModel('gone', true)].map((p) => p.then(() => 'accepted', (e: Error) => e.message));
    expect(await Promise.all(asked)).toEqual(['model [gone] is being deleted', 'model [gone] is being deleted', 'model [gone] is being deleted']);
    await deleting;
    expect(() => mm.getModel('gone')).toThrow(/no model \[gone\]/);
  });

  test('a real training is recorded (trials, epochs) and can be cancelled while running', async () => {
    const mm = new ModelManager();
    await mm.createModel({ model_id: 'real', type: 'predict', training: tinySpec('predict', { trials: 2, horizon: 4 }) });
    const run = await mm.train('real', series);
    const seen: string[] = [];
    mm.getRun(run.run_id).subscribe((e) => seen.push(e.event.type));
    const done = await mm.waitForRun(run.run_id);
    expect(done.state).toBe('completed');
    expect(done.trials.map((t) => t.status)).toEqual(['completed', 'completed']);
    expect(done.trials.every((t) => t.valLoss !== null && t.epochs.length > 0)).toBe(true);
    expect(done.epochs.length).toBeGreaterThan(0);
    expect(done.best?.val_loss).toBe(done.report?.training.bestValLoss);
    expect(seen).toContain('epoch');
    // cancel during the search
    const again = await mm.train('real', series, { training: { trials: 10 } });
    const r = mm.getRun(again.run_id);
    r.subscribe((e) => { if (e.event.type === 'trial') mm.cancelRun(again.run_id); });
    const c = await mm.waitForRun(again.run_id);
    expect(c.state).toBe('cancelled');
    expect(c.trials.filter((t) => t.status === 'completed').length).toBeLessThan(10);
    expect(mm.getModel('real').state).toBe('trained'); // keeps the previous network
  }, 60_000);

  test('live and historical activation give identical scores for the same data', async () => {
    const g = gatedTrainer();
    const mm = new ModelManager({ trainer: g.trainer });
    await mm.createModel({ model_id: 'det', type: 'detect' });
    const run = await mm.train('det', series);
    g.release();
    await mm.waitForRun(run.run_id);
    const data = sineSeries(1300, 9, [1100, 1200], [1150, 1151]);
    const from = data.start + 1000 * HOUR;
    const hist = await mm.runHistorical('det', data, { from });
    await mm.waitForActivation(hist.activation_id);
    expect(hist.state).toBe('completed');
    expect(hist.buckets).toBe(300);
    // live: same history before `from`, then buckets pushed in uneven chunks
    const before: TrainingSeries = { start: data.start, spanMs: data.spanMs, values: data.values.slice(0, 1000) };
    const live = await mm.activateLive('det', { history: before });
    await mm.waitForActivation(live.activation_id);
    expect(live.state).toBe('active');
    for (let i = 1000; i < 1300; ) {
      const k = Math.min(1300, i + 1 + (i % 7));
      const times = Array.from({ length: k - i }, (_, j) => data.start + (i + j) * HOUR);
      mm.push(live.activation_id, times, data.values.subarray(i, k));
      i = k;
    }
    const h = mm.results(hist.activation_id);
    const l = mm.results(live.activation_id);
    expect(l.plots).toHaveLength(300);
    expect(l.plots).toEqual(h.plots);
    expect(l.records).toEqual(h.records);
    expect(h.records.length).toBeGreaterThan(0);
    expect(h.records[0]).toMatchObject({ job_id: 'det', result_type: 'record', bucket_span: 3600 });
  });

  test('live activations beyond maxActivations are queued and refuse data until active', async () => {
    const g = gatedTrainer();
    const mm = new ModelManager({ limits: { maxActivations: 1, maxHistorical: 1 }, trainer: g.trainer });
    await mm.createModel({ model_id: 'p', type: 'predict' });
    const run = await mm.train('p', series);
    g.release();
    await mm.waitForRun(run.run_id);
    const a = await mm.activateLive('p', { horizon: 3 });
    const b = await mm.activateLive('p');
    await tick();
    expect(a.state).toBe('active');
    expect([b.state, b.queue_position]).toEqual(['queued', 1]);
    expect(() => mm.push(b.activation_id, [series.start + 900 * HOUR], [1])).toThrow(/queued/);
    // predictions per day: forecasts made 3 buckets ahead, indexed by the day they forecast
    const t0 = series.start + 900 * HOUR;
    const out = mm.push(a.activation_id, Array.from({ length: 48 }, (_, i) => t0 + i * HOUR), Array.from({ length: 48 }, (_, i) => 100 + 20 * Math.sin((2 * Math.PI * (900 + i)) / 24)));
    expect(out.forecasts).toHaveLength(48);
    expect(out.forecasts[0].timestamp).toBe(t0 + 3 * HOUR);
    const day = new Date(t0 + 30 * HOUR).toISOString().slice(0, 10);
    const preds = mm.predictionsForDay(a.activation_id, day);
    expect(preds.length).toBeGreaterThan(0);
    expect(preds.every((p) => new Date(p.timestamp).toISOString().startsWith(day) && p.forecast_lower <= p.forecast_prediction && p.forecast_prediction <= p.forecast_upper)).toBe(true);
    mm.deactivate(a.activation_id);
    await mm.waitForActivation(b.activation_id);
    expect(b.state).toBe('active');
    // historical runs queue too
    const h1 = await mm.runHistorical('p', series);
    const h2 = await mm.runHistorical('p', series);
    expect(h2.state).toBe('queued');
    await mm.waitForActivation(h1.activation_id);
    await mm.waitForActivation(h2.activation_id);
    expect([h1.state, h2.state]).toEqual(['completed', 'completed']);
  });

  test('live activations come back after a restart with their window, score state and results, through the activation queue; stopped ones do not', async () => {
    const g = gatedTrainer();
    const repo = new MemoryModelRepository();
    const mm = new ModelManager({ repository: repo, trainer: g.trainer });
    await mm.createModel({ model_id: 'det', type: 'detect' });
    const run = await mm.train('det', series);
    g.release();
    await mm.waitForRun(run.run_id);
    const data = sineSeries(1300, 9, [1100, 1200], [1150, 1151]);
    const times = Array.from({ length: 1300 }, (_, i) => data.start + i * HOUR);
    const before: TrainingSeries = { start: data.start, spanMs: data.spanMs, values: data.values.slice(0, 1000) };
    const ref = await mm.runHistorical('det', data, { from: data.start + 1000 * HOUR });
    await mm.waitForActivation(ref.activation_id);
    const [a, b, c] = [await mm.activateLive('det', { history: before }), await mm.activateLive('det', { history: before }), await mm.activateLive('det', { history: before })];
    for (const x of [a, b]) {
      mm.push(x.activation_id, times.slice(1000, 1120), data.values.subarray(1000, 1120));
      await mm.saved(x.activation_id);
    }
    await mm.deactivate(c.activation_id);

    const mm2 = new ModelManager({ repository: repo, limits: { maxActivations: 1 } });
    await mm2.open();
    expect(() => mm2.getActivation(c.activation_id)).toThrow(/no activation/);
    const a2 = await mm2.waitForActivation(a.activation_id);
    const b2 = mm2.getActivation(b.activation_id);
    expect(a2).toMatchObject({ state: 'active', buckets: 120, last_time: times[1119] });
    expect([b2.state, b2.queue_position]).toEqual(['queued', 1]);
    expect(() => mm2.push(b.activation_id, [times[1120]], [1])).toThrow(/queued/);
    mm2.push(a.activation_id, times.slice(1120), data.values.subarray(1120));
    const want = mm.results(ref.activation_id);
    expect(mm2.results(a.activation_id).plots).toEqual(want.plots);
    expect(mm2.results(a.activation_id).records).toEqual(want.records);
    expect(want.records.length).toBeGreaterThan(0);
    // stopping the first frees the slot for the second, which continues where it was too
    await mm2.deactivate(a.activation_id);
    await mm2.waitForActivation(b.activation_id);
    expect(b2.state).toBe('active');
    mm2.push(b.activation_id, times.slice(1120), data.values.subarray(1120));
    expect(mm2.results(b.activation_id).plots).toEqual(want.plots);
    await mm2.saved(b.activation_id);

    const mm3 = new ModelManager({ repository: repo });
    await mm3.open();
    expect(() => mm3.getActivation(a.activation_id)).toThrow(/no activation/);
    expect(await mm3.waitForActivation(b.activation_id)).toMatchObject({ state: 'active', buckets: 300 });
    await mm3.deleteModel('det', true);
    expect(await repo.loadActivations()).toEqual([]);
  });

  test('buckets from a source: those already taken are skipped (a replay), a queued activation takes none', async () => {
    const g = gatedTrainer();
    const mm = new ModelManager({ limits: { maxActivations: 1 }, trainer: g.trainer });
    await mm.createModel({ model_id: 'det', type: 'detect' });
    const run = await mm.train('det', series);
    g.release();
    await mm.waitForRun(run.run_id);
    const data = sineSeries(1100, 5, [1050]);
    const times = Array.from({ length: 1100 }, (_, i) => data.start + i * HOUR);
    const before: TrainingSeries = { start: data.start, spanMs: data.spanMs, values: data.values.slice(0, 1000) };
    const a = await mm.activateLive('det', { history: before });
    const q = await mm.activateLive('det', { history: before });
    expect(q.state).toBe('queued');
    expect(await mm.pushFromSource(q.activation_id, times.slice(1000, 1010), data.values.subarray(1000, 1010))).toBe(0);
    // buckets the window was primed with are not taken either
    expect(await mm.pushFromSource(a.activation_id, times.slice(990, 1060), data.values.subarray(990, 1060))).toBe(60);
    expect(await mm.pushFromSource(a.activation_id, times.slice(1030, 1100), data.values.subarray(1030, 1100))).toBe(40);
    await mm.deactivate(a.activation_id);
    await mm.waitForActivation(q.activation_id);
    const direct = mm.push(q.activation_id, times.slice(1000), data.values.subarray(1000));
    expect(mm.results(a.activation_id).plots).toEqual(direct.plots);
    expect(direct.records.length).toBeGreaterThan(0);
  });

  test('a run in progress when the process stops comes back as failed (interrupted), queued or running', async () => {
    const repo = new MemoryModelRepository();
    const never: Trainer = () => new Promise(() => undefined);
    const mm = new ModelManager({ repository: repo, trainer: never, limits: { maxTrainings: 1 } });
    await mm.createModel({ model_id: 'a', type: 'detect' });
    await mm.createModel({ model_id: 'b', type: 'detect' });
    const ra = await mm.train('a', series);
    const rb = await mm.train('b', series);
    await tick();
    expect([ra.state, rb.state]).toEqual(['running', 'queued']);
    // the process stops here; a new one reads the repository
    const mm2 = new ModelManager({ repository: repo });
    await mm2.open();
    for (const [id, r] of [['a', ra], ['b', rb]] as const) {
      expect(mm2.getModel(id)).toMatchObject({ state: 'failed', last_run_id: r.run_id });
      const runs = mm2.runsOf(id);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ run_id: r.run_id, state: 'failed', queue_position: null, error: expect.stringMatching(/interrupted/) });
      expect(mm2.getRun(r.run_id).finished).toBe(true);
    }
  });

  test('models and runs survive a restart through the repository', async () => {
    const g = gatedTrainer();
    const repo = new MemoryModelRepository();
    const mm = new ModelManager({ repository: repo, trainer: g.trainer });
    await mm.createModel({ model_id: 'keep', type: 'detect' });
    const run = await mm.train('keep', series);
    g.release();
    await mm.waitForRun(run.run_id);
    const mm2 = new ModelManager({ repository: repo });
    await mm2.open();
    expect(mm2.getModel('keep').state).toBe('trained');
    expect(mm2.runsOf('keep')[0].state).toBe('completed');
    const act = await mm2.activateLive('keep');
    await mm2.waitForActivation(act.activation_id);
    expect(act.state).toBe('active');
    await expect(mm2.deleteModel('keep')).rejects.toThrow(/in progress/);
    await mm2.deleteModel('keep', true);
    expect(() => mm2.getModel('keep')).toThrow(/no model/);
  });
});
