// Development harness for period detection and the seasonal settings of `auto` (one configuration
// for all series each). Scores variants on a HOLDOUT carved from the M4 Weekly train series (their
// last 13 values; the test file is not read) or, with `test`, on the real test values.
// Run: node dist/experiments/forecast/periods.js holdout|test [variant,…] [data dir]
import { readFileSync } from 'node:fs';
import { evaluateForecasts } from '../../src/core/forecast/evaluate.js';
import { parseM4Csv } from '../../src/core/forecast/m4.js';
import { WEEK_MS } from '../../src/core/forecast/season.js';
import type { ForecasterOptions } from '../../src/core/forecast/types.js';

const mode = process.argv[2] ?? 'holdout';
const dir = process.argv[4] ?? '/work/shared/data/m4-weekly/';
const h = 13;
const full = parseM4Csv(readFileSync(dir + 'Weekly-train.csv', 'utf8')).map((s) => s.values);
let train: Float64Array[];
let test: Float64Array[];
if (mode === 'test') {
  train = full;
  test = parseM4Csv(readFileSync(dir + 'Weekly-test.csv', 'utf8')).map((s) => s.values);
} else {
  train = full.map((y) => y.subarray(0, y.length - h));
  test = full.map((y) => y.subarray(y.length - h));
}

const week = { stepMs: WEEK_MS };
const variants: Record<string, [string, ForecasterOptions]> = {
  blind: ['auto', {}],
  blindZ99: ['auto', { periodDetection: { z: 2.576 } }],
  blindZ99Old: ['auto', { periodDetection: { z: 2.576 }, seasonalCycles: 4, seasonalFit: 'round' }],
  blindOld: ['auto', { seasonalCycles: 4, seasonalFit: 'round' }],
  stepOld: ['auto', { ...week, seasonalCycles: 4, seasonalFit: 'round' }],
  p52: ['auto', { period: 52 }],
  step: ['auto', { ...week }],
  stepYear: ['auto', { ...week, period: undefined }],
  stepF3: ['auto', { ...week, seasonalFit: 'fourier', fourierTerms: 3 }],
  stepF6: ['auto', { ...week, seasonalFit: 'fourier', fourierTerms: 6 }],
  stepF10: ['auto', { ...week, seasonalFit: 'fourier', fourierTerms: 10 }],
  stepF15: ['auto', { ...week, seasonalFit: 'fourier', fourierTerms: 15 }],
  stepF6c6: ['auto', { ...week, seasonalFit: 'fourier', fourierTerms: 6, seasonalCycles: 6 }],
  stepF10c6: ['auto', { ...week, seasonalFit: 'fourier', fourierTerms: 10, seasonalCycles: 6 }],
  stepF6c3: ['auto', { ...week, seasonalFit: 'fourier', fourierTerms: 6, seasonalCycles: 3 }],
  stepc3: ['auto', { ...week, seasonalCycles: 3 }],
  stepc5: ['auto', { ...week, seasonalCycles: 5 }],
  stepw150: ['auto', { ...week, fitWindow: 150 }],
  stepw300: ['auto', { ...week, fitWindow: 300 }],
  blindF6: ['auto', { seasonalFit: 'fourier', fourierTerms: 6 }],
  yearOnly: ['auto', { ...week, periodDetection: { subYear: false } }],
  yearOnlyc5: ['auto', { ...week, seasonalCycles: 5, periodDetection: { subYear: false } }],
  yearOnlyF10: ['auto', { ...week, seasonalFit: 'fourier', fourierTerms: 10, periodDetection: { subYear: false } }],
  z95: ['auto', { ...week, periodDetection: { z: 1.96 } }],
  z99: ['auto', { ...week, periodDetection: { z: 2.576 } }],
  z99F10: ['auto', { ...week, seasonalFit: 'fourier', fourierTerms: 10, periodDetection: { z: 2.576 } }],
  r02: ['auto', { ...week, periodDetection: { minR: 0.2 } }],
  stepc6: ['auto', { ...week, seasonalCycles: 6 }],
  stepc8: ['auto', { ...week, seasonalCycles: 8 }],
  stepF10c5: ['auto', { ...week, seasonalFit: 'fourier', fourierTerms: 10, seasonalCycles: 5 }],
  stepc5w300: ['auto', { ...week, seasonalCycles: 5, fitWindow: 300 }],
  max1: ['auto', { ...week, periodDetection: { max: 1 } }],
};
const names = (process.argv[3] ?? Object.keys(variants).join(',')).split(',');
console.log(`${mode}: ${train.length} series, h=${h}`);
console.log('variant      sMAPE   MASE    OWA    MSIS   cov95  seconds');
for (const name of names) {
  const [model, opts] = variants[name];
  const [row] = evaluateForecasts(train, test, { period: 1, horizon: h, models: [model], modelOptions: opts });
  console.log([name.padEnd(10), row.smape.toFixed(3), row.mase.toFixed(3), row.owa.toFixed(3), row.msis.toFixed(3), row.coverage.toFixed(3), row.seconds.toFixed(2)].join('  '));
}
