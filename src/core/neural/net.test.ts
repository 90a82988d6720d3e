import { describe, expect, test } from 'vitest';
import { Random } from '../random.js';
import { buildModel } from './build-model.js';
import { Net, modelInputShape, toModelInput, weightShapes, type NetShape } from './net.js';
import { loadTf } from './tf-loader.js';

describe('TypeScript forward pass', () => {
  const shapes: NetShape[] = [
    { kind: 'dense', window: 10, channels: 3, units: 6, layers: 2, horizon: 2 },
    { kind: 'conv', window: 10, channels: 3, units: 5, layers: 2, horizon: 3 },
    { kind: 'gru', window: 7, channels: 3, units: 4, layers: 2, horizon: 1 },
    { kind: 'lstm', window: 7, channels: 5, units: 4, layers: 1, horizon: 2 },
  ];
  for (const s of shapes) {
    test(`${s.kind} equals tfjs predict`, async () => {
      const tf = await loadTf();
      const model = buildModel(tf, s, 3, 1e-3);
      // random weights so biases and gates are exercised (not just the initialisers)
      const rng = new Random(11);
      const ws = model.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => rng.normal() * 0.4), w.shape));
      model.setWeights(ws);
      const got = model.getWeights();
      expect(got.map((w) => w.shape)).toEqual(weightShapes(s));
      // conv: the last two channels treated as time channels (their part of the convolution is reused)
      const net = new Net(s, { shapes: got.map((w) => [...w.shape]), data: got.map((w) => Float32Array.from(w.dataSync())) }, s.kind === 'conv' ? 2 : 0);
      const n = 9;
      const x = Float32Array.from({ length: n * s.window * s.channels }, () => rng.normal());
      const mine = net.predict(x, n);
      const [p1, p2] = modelInputShape(s);
      const theirs = (model.predict(tf.tensor3d(toModelInput(s, x, n), [n, p1, p2])) as import('@tensorflow/tfjs').Tensor).dataSync();
      for (let i = 0; i < mine.length; i++) expect(Math.abs(mine[i] - theirs[i])).toBeLessThan(1e-4);
      model.dispose();
    });
  }

  test('conv reuses the time channels of a window moved by one step, bit for bit', () => {
    const s: NetShape = { kind: 'conv', window: 12, channels: 4, units: 5, layers: 2, horizon: 1 };
    const rng = new Random(5);
    const weights = { shapes: weightShapes(s), data: weightShapes(s).map((sh) => Float32Array.from({ length: sh.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.4)) };
    const steps = 40;
    const series = Float32Array.from({ length: steps * s.channels }, () => rng.normal());
    const live = new Net(s, weights, 2);
    const per = s.window * s.channels;
    for (let t = 0; t + s.window <= steps; t++) {
      const x = series.slice(t * s.channels, t * s.channels + per);
      const fresh = new Net(s, weights, 2).predict(x, 1);
      const plain = new Net(s, weights).predict(x, 1);
      expect(live.predict(x, 1)).toEqual(fresh);
      expect(Math.abs(fresh[0] - plain[0])).toBeLessThan(1e-9);
    }
  });
});
