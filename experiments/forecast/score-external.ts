// Scores forecasts written by r-forecast.R / statsmodels_forecast.py with Vigil's M4 scorer, so all
// rows of docs/forecasting.md come from one scorer. Usage: node dist/experiments/forecast/score-external.js DATA_DIR FORECASTS.csv…
import { existsSync, readFileSync } from 'node:fs';
import { parseM4Csv } from '../../src/core/forecast/m4.js';
import { coverage, mase, msis, owa, seasonalScale, smape } from '../../src/core/forecast/metrics.js';

const [dir, ...files] = process.argv.slice(2);
const train = parseM4Csv(readFileSync(`${dir}/Weekly-train.csv`, 'utf8'));
const test = parseM4Csv(readFileSync(`${dir}/Weekly-test.csv`, 'utf8'));
const h = 13;
const idx = new Map(train.map((s, i) => [s.id, i]));
let n2s = 0, n2m = 0;
for (let i = 0; i < train.length; i++) {
  const f = new Float64Array(h).fill(train[i].values[train[i].values.length - 1]);
  n2s += smape(test[i].values, f);
  n2m += mase(train[i].values, test[i].values, f, 1);
}
for (const file of files) {
  const times = new Map<string, number>();
  const tfile = file.replace(/\.csv$/, '-times.csv');
  if (existsSync(tfile)) for (const line of readFileSync(tfile, 'utf8').trim().split('\n').slice(1)) {
    const [m, s] = line.split(',').map((c) => c.replace(/"/g, ''));
    times.set(m, Number(s));
  }
  const fc = new Map<string, { mean: Float64Array; lower: Float64Array; upper: Float64Array }[]>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
    const [id, model, step, mean, lower, upper] = line.split(',').map((c) => c.replace(/"/g, ''));
    if (!fc.has(model)) fc.set(model, train.map(() => ({ mean: new Float64Array(h), lower: new Float64Array(h), upper: new Float64Array(h) })));
    const e = fc.get(model)![idx.get(id)!];
    const j = Number(step) - 1;
    e.mean[j] = Number(mean); e.lower[j] = Number(lower); e.upper[j] = Number(upper);
  }
  for (const [model, per] of fc) {
    let sm = 0, ma = 0, ms = 0, cv = 0;
    for (let i = 0; i < train.length; i++) {
      const y = train[i].values, a = test[i].values.subarray(0, h), sc = seasonalScale(y, 1);
      sm += smape(a, per[i].mean); ma += mase(y, a, per[i].mean, 1, sc);
      ms += msis(y, a, per[i].lower, per[i].upper, 1, 0.05, sc); cv += coverage(a, per[i].lower, per[i].upper);
    }
    const k = train.length;
    console.log(`| ${model} | ${(sm / k).toFixed(3)} | ${(ma / k).toFixed(3)} | ${owa(sm / k, ma / k, n2s / k, n2m / k).toFixed(3)} | ${(ms / k).toFixed(3)} | ${(cv / k).toFixed(3)} | ${times.has(model) ? times.get(model)!.toFixed(2) : '—'} |`);
  }
}
