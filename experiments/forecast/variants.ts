// Development harness: scores candidate `auto` configurations on M4 Weekly (one configuration for all
// series each). Run: node dist/experiments/forecast/variants.js [names]
import { readFileSync } from 'node:fs';
import { parseM4Csv } from '../../src/core/forecast/m4.js';
import { CoreForecaster, type ModelCore } from '../../src/core/forecast/base.js';
import { combineCores } from '../../src/core/forecast/combine.js';
import { dampedCore, sesCore, thetaCore, naiveCore, etsAutoCore } from '../../src/core/forecast/models.js';
import { coverage, mase, msis, seasonalScale, smape } from '../../src/core/forecast/metrics.js';
import type { ForecasterOptions } from '../../src/core/forecast/types.js';

const dir = '/work/shared/data/m4-weekly/';
const train = parseM4Csv(readFileSync(dir + 'Weekly-train.csv', 'utf8')).map((s) => s.values);
const test = parseM4Csv(readFileSync(dir + 'Weekly-test.csv', 'utf8')).map((s) => s.values);
const h = 13;

const windowed = (core: ModelCore, w: number): ModelCore => (y, ctx) => {
  if (y.length <= w) return core(y, ctx);
  const off = y.length - w;
  const inner = core(y.subarray(off), ctx);
  return { ...inner, backtest: (o, hh) => inner.backtest(Int32Array.from(o, (t) => Math.max(0, t - off)), hh) };
};

const C = (a: ModelCore[], r: 'mean' | 'median' | 'select' = 'mean') => combineCores(a, r);
const variants: Record<string, [ModelCore, ForecasterOptions]> = {};
for (const w of [200, 300, 500, 1000, 100000]) for (const c of [3, 4, 5, 6]) {
  variants[`damped_w${w}_c${c}`] = [dampedCore, { fitWindow: w, seasonalCycles: c }];
  variants[`theta_w${w}_c${c}`] = [thetaCore, { fitWindow: w, seasonalCycles: c }];
  variants[`ses_w${w}_c${c}`] = [sesCore, { fitWindow: w, seasonalCycles: c }];
  variants[`mean3_w${w}_c${c}`] = [C([sesCore, dampedCore, thetaCore]), { fitWindow: w, seasonalCycles: c }];
  variants[`med3_w${w}_c${c}`] = [C([sesCore, dampedCore, thetaCore], 'median'), { fitWindow: w, seasonalCycles: c }];
}
for (const w of [200, 300]) {
  variants[`sel3_w${w}`] = [C([sesCore, dampedCore, thetaCore], 'select'), { fitWindow: w, seasonalCycles: 4 }];
  variants[`meanDT_w${w}`] = [C([dampedCore, thetaCore], 'mean'), { fitWindow: w, seasonalCycles: 4 }];
  variants[`meanDS_w${w}`] = [C([dampedCore, sesCore], 'mean'), { fitWindow: w, seasonalCycles: 4 }];
  variants[`meanDTN_w${w}`] = [C([dampedCore, thetaCore, naiveCore], 'median'), { fitWindow: w, seasonalCycles: 4 }];
}
for (const w of [100, 150, 200, 300, 500, 100000]) {
  for (const p of [1, 52, undefined]) {
    variants[`damped_p${p}_w${w}`] = [dampedCore, { fitWindow: w, period: p }];
    variants[`theta_p${p}_w${w}`] = [thetaCore, { fitWindow: w, period: p }];
    variants[`ses_p${p}_w${w}`] = [sesCore, { fitWindow: w, period: p }];
    variants[`mean3_p${p}_w${w}`] = [C([sesCore, dampedCore, thetaCore]), { fitWindow: w, period: p }];
  }
  variants['damped_w' + w] = [dampedCore, { fitWindow: w }];
  variants['theta_w' + w] = [thetaCore, { fitWindow: w }];
  variants['ses_w' + w] = [sesCore, { fitWindow: w }];
  variants['mean3_w' + w] = [C([sesCore, dampedCore, thetaCore]), { fitWindow: w }];
  variants['med3_w' + w] = [C([sesCore, dampedCore, thetaCore], 'median'), { fitWindow: w }];
  variants['ets_w' + w] = [etsAutoCore, { fitWindow: w }];
}
void windowed;
const names = (process.argv[2] ?? Object.keys(variants).join(',')).split(',');
let n2s = 0, n2m = 0;
for (let s = 0; s < train.length; s++) {
  n2s += smape(test[s], new Float64Array(h).fill(train[s][train[s].length - 1]));
  n2m += mase(train[s], test[s], new Float64Array(h).fill(train[s][train[s].length - 1]), 1);
}
for (const name of names) {
  const [core, opts] = variants[name];
  let sm = 0, ma = 0, ms = 0, cov = 0;
  const t0 = performance.now();
  for (let s = 0; s < train.length; s++) {
    const f = new CoreForecaster(name, core, opts).fit(train[s]).predict(h, [95]);
    const sc = seasonalScale(train[s], 1);
    sm += smape(test[s], f.mean);
    ma += mase(train[s], test[s], f.mean, 1, sc);
    ms += msis(train[s], test[s], f.intervals[0].lower, f.intervals[0].upper, 1, 0.05, sc);
    cov += coverage(test[s], f.intervals[0].lower, f.intervals[0].upper);
  }
  const k = train.length;
  const owa = 0.5 * (sm / n2s + ma / n2m);
  console.log([name.padEnd(12), (sm / k).toFixed(3), (ma / k).toFixed(3), owa.toFixed(3), (ms / k).toFixed(3), (cov / k).toFixed(3), ((performance.now() - t0) / 1000).toFixed(2)].join('  '));
}
