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
      const net = new Net(s, { shapes: got.map((w) => [...w.shape]), data: got.map((w) => Float32Array.from(w.dataSync())) });
      const n = 9;
      const x = Float32Array.from({ length: n * s.window * s.channels }, () => rng.normal());
      const mine = net.predict(x, n);
      const [p1, p2] = modelInputShape(s);
      const theirs = (model.predict(tf.tensor3d(toModelInput(s, x, n), [n, p1, p2])) as import('@tensorflow/tfjs').Tensor).dataSync();
      for (let i = 0; i < mine.length; i++) expect(Math.abs(mine[i] - theirs[i])).toBeLessThan(1e-4);
      model.dispose();
    });
  }
});
