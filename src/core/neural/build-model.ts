/**
 * Builds the tfjs model of a NetShape (see net.ts for the architectures) with seeded initialisers,
 * so a trial is reproducible: every kernel is Glorot-uniform, every recurrent kernel orthogonal,
 * each with its own seed derived from the trial's seed; biases start at zero (LSTM: forget gate 1).
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { modelInputShape, type NetShape } from './net.js';
import type { Tf } from './tf-loader.js';

export function buildModel(tf: Tf, s: NetShape, seed: number, learningRate: number): LayersModel {
  const m = tf.sequential();
  let k = 0;
  const glorot = () => tf.initializers.glorotUniform({ seed: seed * 101 + k++ });
  const ortho = () => tf.initializers.orthogonal({ seed: seed * 101 + k++, gain: 1 });
  const inputShape = modelInputShape(s);
  if (s.kind === 'dense') {
    m.add(tf.layers.flatten({ inputShape }));
    for (let l = 0; l < s.layers; l++) m.add(tf.layers.dense({ units: s.units, activation: 'relu', kernelInitializer: glorot() }));
  } else if (s.kind === 'conv') {
    // the convolution: one dense layer shared across patches (input [patches, kernel × channels])
    m.add(tf.layers.dense({ inputShape, units: s.units, activation: 'relu', kernelInitializer: glorot() }));
    m.add(tf.layers.flatten());
    for (let l = 1; l < s.layers; l++) m.add(tf.layers.dense({ units: s.units, activation: 'relu', kernelInitializer: glorot() }));
  } else {
    for (let l = 0; l < s.layers; l++) {
      const common = {
        units: s.units,
        returnSequences: l < s.layers - 1,
        activation: 'tanh' as const,
        recurrentActivation: 'sigmoid' as const,
        kernelInitializer: glorot(),
        recurrentInitializer: ortho(),
        ...(l === 0 ? { inputShape } : {}),
      };
      m.add(s.kind === 'gru' ? tf.layers.gru(common) : tf.layers.lstm({ ...common, unitForgetBias: true }));
    }
  }
  m.add(tf.layers.dense({ units: s.horizon, kernelInitializer: glorot() }));
  m.compile({ optimizer: tf.train.adam(learningRate), loss: 'meanSquaredError' });
  return m;
}
