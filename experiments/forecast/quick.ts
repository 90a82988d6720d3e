// Scratch: evaluate models on M4 Weekly (development only).
import { readFileSync } from 'node:fs';
import { parseM4Csv } from '../../src/core/forecast/m4.js';
import { evaluateForecasts } from '../../src/core/forecast/evaluate.js';
const dir = '/work/shared/data/m4-weekly/';
const train = parseM4Csv(readFileSync(dir + 'Weekly-train.csv', 'utf8')).map((s) => s.values);
const test = parseM4Csv(readFileSync(dir + 'Weekly-test.csv', 'utf8')).map((s) => s.values);
const models = (process.argv[2] ?? 'naive,naive2,ses,theta,damped,auto').split(',');
const rows = evaluateForecasts(train, test, { period: 1, horizon: 13, models });
for (const r of rows) console.log([r.model.padEnd(10), r.smape.toFixed(3), r.mase.toFixed(3), r.owa.toFixed(3), r.msis.toFixed(3), r.coverage.toFixed(3), r.seconds.toFixed(2)].join('  '));
