import { beforeAll, describe, expect, test } from 'vitest';
import { Random } from '../random.js';
import { newOutput } from '../detect/detector.js';
import { CancelledError } from './cancelled.js';
import { evaluateLoss, fitNetwork } from './fit-network.js';
import { NeuralDetector, neuralDetectorFactory } from './neural-detector.js';
import { NeuralForecaster } from './neural-forecaster.js';
import { loadTf } from './tf-loader.js';
import { sineSeries, tinySpec } from './test-kit.js';
import { TrainedModel } from './trained-model.js';
import { trainModel, type TrainResult } from './trainer.js';
import type { WindowSet } from './features.js';

function randomSet(n: number, L: number, C: number, rng: Random): WindowSet {
  return {
    x: Float32Array.from({ length: n * L * C }, () => rng.normal()),
    y: Float32Array.from({ length: n }, () => rng.normal()),
    base: new Float32Array(n),
    t: new Int32Array(n),
    n,
  };
}

describe('fitNetwork', () => {
  test('stops early when validation loss stops improving and keeps the best weights', async () => {
    const tf = await loadTf();
    const rng = new Random(5);
    const shape = { kind: 'dense' as const, window: 6, channels: 2, units: 16, layers: 1, horizon: 1 };
    // unlearnable targets: the validation loss cannot keep improving
    const train = randomSet(256, 6, 2, rng);
    const val = randomSet(64, 6, 2, rng);
    const { model, result } = await fitNetwork(tf, shape, train, val, { seed: 1, learningRate: 0.01, batchSize: 32, maxEpochs: 60, patience: 3, minDelta: 1e-3, epochSamples: 256 });
    expect(result.epochs.length).toBeLessThan(60);
    expect(['no_improvement', 'plateau']).toContain(result.stopReason);
    const min = Math.min(...result.epochs.map((e) => e.valLoss));
    expect(result.bestValLoss).toBe(min);
    expect(result.epochs[result.bestEpoch - 1].valLoss).toBe(min);
    // the model holds the best epoch's weights: its validation loss is the best recorded
    expect(evaluateLoss(tf, model, shape, val)).toBe(result.bestValLoss);
    model.dispose();
  });

  test('a cancelled signal stops training', async () => {
    const tf = await loadTf();
    const rng = new Random(6);
    const shape = { kind: 'dense' as const, window: 6, channels: 2, units: 8, layers: 1, horizon: 1 };
    const ac = new AbortController();
    const { model, result } = await fitNetwork(tf, shape, randomSet(512, 6, 2, rng), randomSet(32, 6, 2, rng), {
      seed: 1, learningRate: 1e-3, batchSize: 16, maxEpochs: 1000, patience: 1000, minDelta: 0, epochSamples: 512,
      signal: ac.signal, onEpoch: (e) => { if (e.epoch === 2) ac.abort(); },
    });
    expect(result.stopReason).toBe('cancelled');
    expect(result.epochs.length).toBe(2);
    model.dispose();
  });
});

describe('trainModel', () => {
  const series = sineSeries(1200, 3, [1100, 1140], [700, 701, 1120]);
  let detect: TrainResult;
  let predict: TrainResult;
  const events: string[] = [];
  beforeAll(async () => {
    detect = await trainModel(series, tinySpec('detect', { trials: 4 }), { onEvent: (e) => events.push(e.type), labels: [[series.start + 1095 * 3_600_000, series.start + 1105 * 3_600_000]] });
    predict = await trainModel(series, tinySpec('predict', { horizon: 6 }));
  }, 120_000);

  test('runs the requested trials and trains the one with the lowest validation loss', () => {
    const r = detect.report;
    expect(r.trials).toHaveLength(4);
    expect(r.trials.every((t) => t.status === 'completed')).toBe(true);
    const best = r.trials.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
    expect(r.bestTrial).toBe(best.index);
    expect(r.hyperParams).toEqual(best.params);
    // the trials differ (a search, not one configuration four times)
    expect(new Set(r.trials.map((t) => JSON.stringify(t.params))).size).toBe(4);
    expect(events.filter((e) => e === 'trial')).toHaveLength(4);
    expect(events).toContain('epoch');
  });

  test('stops early and keeps the weights of the lowest validation loss', () => {
    for (const r of [detect.report, predict.report]) {
      const t = r.training;
      expect(t.epochs.length).toBeLessThan(30);
      expect(['no_improvement', 'plateau']).toContain(t.stopReason);
      expect(t.bestValLoss).toBe(Math.min(...t.epochs.map((e) => e.valLoss)));
      expect(t.restoredValLoss).toBe(t.bestValLoss);
      expect(t.inferenceMaxDiff).toBeLessThan(1e-4);
    }
  });

  test('reports test accuracy next to the statistical default', () => {
    const d = detect.report.test!;
    expect(d.kind).toBe('detect');
    if (d.kind !== 'detect') return;
    expect(d.buckets).toBe(180);
    expect(d.neural.mae).toBeGreaterThan(0);
    expect(d.default.mae).toBeGreaterThan(0);
    expect(d.neural.regions?.ta).toBe(1);
    expect(d.neural.coverage95).toBeGreaterThan(0.7);
    const p = predict.report.test!;
    expect(p.kind).toBe('predict');
    if (p.kind !== 'predict') return;
    expect(p.origins).toBeGreaterThan(10);
    expect(p.neural.smape).toBeLessThan(20);
    expect(p.default.smape).toBeGreaterThan(0);
  });

  test('the detector scores on the 0–100 scale and flags an injected spike', () => {
    const m = detect.model;
    const det = new NeuralDetector(m, { bucketSpanMs: series.spanMs });
    const out = newOutput();
    const base = sineSeries(1400, 3);
    const scores: number[] = [];
    for (let i = 1000; i < 1400; i++) {
      det.update(base.start + i * 3_600_000, i === 1300 ? base.values[i] + 60 : base.values[i], out);
      scores.push(out.score);
      expect(out.score).toBeGreaterThanOrEqual(0);
      expect(out.score).toBeLessThanOrEqual(100);
    }
    expect(scores[300]).toBeGreaterThan(50);
    expect(Math.max(...scores.slice(100, 299))).toBeLessThan(50);
  });

  test('prediction intervals widen with the horizon', () => {
    const f = new NeuralForecaster(predict.model, series.start).fit(series.values).predict(12, [80, 95]);
    expect(f.mean).toHaveLength(12);
    const [i80, i95] = f.intervals;
    for (let j = 0; j < 12; j++) {
      expect(i95.upper[j] - i95.lower[j]).toBeGreaterThanOrEqual(i80.upper[j] - i80.lower[j]);
      if (j > 0) expect(i95.upper[j] - i95.lower[j]).toBeGreaterThanOrEqual(i95.upper[j - 1] - i95.lower[j - 1] - 1e-9);
    }
  });

  test('save → load gives identical predictions and scores', () => {
    for (const r of [detect, predict]) {
      const art = r.model.toArtifacts();
      const back = TrainedModel.fromArtifacts(art.json, art.weights.slice());
      const viaJson = TrainedModel.fromJSON(JSON.parse(JSON.stringify(r.model.toJSON())));
      const z = Float64Array.from({ length: r.model.need }, (_, i) => Math.sin(i / 3));
      const a = r.model.predictFrom(z, series.start, new Float64Array(r.model.meta.horizon));
      expect(back.predictFrom(z, series.start, new Float64Array(r.model.meta.horizon))).toEqual(a);
      expect(viaJson.predictFrom(z, series.start, new Float64Array(r.model.meta.horizon))).toEqual(a);
    }
    // detector state round trip continues bit for bit
    const det = neuralDetectorFactory.create({ bucketSpanMs: series.spanMs }, { model: detect.model });
    const out = newOutput();
    for (let i = 0; i < 600; i++) det.update(series.start + i * 3_600_000, series.values[i], out);
    const copy = neuralDetectorFactory.fromState(JSON.parse(JSON.stringify(det.toState())));
    const o2 = newOutput();
    for (let i = 600; i < 900; i++) {
      det.update(series.start + i * 3_600_000, series.values[i], out);
      copy.update(series.start + i * 3_600_000, series.values[i], o2);
      expect(o2).toEqual(out);
    }
  });

  test('is deterministic for a seed', async () => {
    const again = await trainModel(series, tinySpec('predict', { horizon: 6 }));
    expect(again.report.trials.map((t) => t.valLoss)).toEqual(predict.report.trials.map((t) => t.valLoss));
    expect(again.report.training.epochs.map((e) => e.valLoss)).toEqual(predict.report.training.epochs.map((e) => e.valLoss));
    expect(Buffer.from(again.model.toArtifacts().weights).equals(Buffer.from(predict.model.toArtifacts().weights))).toBe(true);
  }, 60_000);

  test('cancellation stops a training', async () => {
    const ac = new AbortController();
    const p = trainModel(series, tinySpec('detect', { trials: 10 }), { signal: ac.signal, onEvent: (e) => { if (e.type === 'trial' && e.trial.index === 1) ac.abort(); } });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  });

  test('cancellation in the middle of a search trial is a CancelledError too (the trial model is disposed once)', async () => {
    const ac = new AbortController();
    const p = trainModel(series, tinySpec('detect', { trials: 6 }), { signal: ac.signal, onEvent: (e) => { if (e.type === 'trial_epoch') ac.abort(); } });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  });
});
