import { describe, expect, it } from 'vitest';
import { newOutput, type Detector, type DetectorFactory } from '../detect/detector.js';
import { registerDetector } from '../detect/registry.js';
import { liveScores, type BatchTrainable } from './live.js';

/** A batch-trained detector: flags values above the max of its training window. */
const fits: Array<[number, number]> = [];
const batch: DetectorFactory & BatchTrainable = {
  type: 'test-batch-max',
  description: 'test',
  create: () => {
    throw new Error('batch only');
  },
  fromState: () => {
    throw new Error('batch only');
  },
  fit(times, values): Detector {
    fits.push([times[0], values.length]);
    const max = Math.max(...values);
    return {
      type: 'test-batch-max',
      coldStartBuckets: 0,
      update(_t, v, out) {
        Object.assign(out, newOutput());
        out.score = v > max ? 100 : 0;
      },
      toState: () => ({ type: 'x', version: 1, spec: {}, state: {} }),
      memoryBytes: () => 0,
    };
  },
};
registerDetector(batch);

/** A streaming detector without fit: replayed over the window. Counts updates. */
let updates = 0;
registerDetector({
  type: 'test-stream-count',
  description: 'test',
  create: () => {
    let seen = 0;
    return {
      type: 'test-stream-count',
      coldStartBuckets: 0,
      update(_t, _v, out) {
        updates++;
        seen++;
        Object.assign(out, newOutput());
        out.score = seen; // how much history the model had
      },
      toState: () => ({ type: 'x', version: 1, spec: {}, state: {} }),
      memoryBytes: () => 0,
    };
  },
  fromState: () => {
    throw new Error('no');
  },
});

describe('live train-predict simulation', () => {
  const n = 1000;
  const times = Float64Array.from({ length: n }, (_, i) => i * 60_000);
  const values = Float64Array.from({ length: n }, (_, i) => i); // rising: each block exceeds its past

  it('retrains a batch detector on the trailing window at the cadence', () => {
    fits.length = 0;
    const s = liveScores(times, values, { detector: 'test-batch-max', trainWindow: 300, retrainEvery: 100 });
    expect(fits.length).toBe(9); // at rows 100, 200, …, 900
    expect(fits[0]).toEqual([0, 100]);
    expect(fits[3]).toEqual([100 * 60_000, 300]); // at row 400: rows 100..399
    for (let i = 0; i < 100; i++) expect(s[i]).toBe(0); // before the first training
    for (let i = 100; i < n; i++) expect(s[i]).toBe(1);
  });

  it('replays the window through a streaming detector that has no fit', () => {
    updates = 0;
    const s = liveScores(times, values, { detector: 'test-stream-count', trainWindow: 300, retrainEvery: 100 });
    expect(s[100]).toBe(1 / 100 + 100 / 100); // 100 replayed + itself
    expect(s[450]).toBe((300 + 51) / 100);
    expect(updates).toBe(100 + 200 + 7 * 300 + 900);
  });
});
