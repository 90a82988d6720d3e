/**
 * The accuracy table of docs/trained-models.md: trained models against the statistical default on
 * the development data, each on the test set (the last 15 % of every series, never seen in
 * training or model selection).
 *
 *   npx tsc -p tsconfig.build.json && node dist/experiments/trained/dev-table.js [NAB_DEV] [M4_WEEKLY]
 *
 * detect: every NAB development series (bucket span suggested from the data), one trained detect
 *         model each; NAB scores (three profiles, corpus-wide thresholds) and region metrics of the
 *         test segments for the trained model and the default detector, plus one-step MAE.
 * predict: the 10 longest M4 Weekly training series, horizon 13, against `auto`.
 * Settings (env): TRIALS (default 4), KINDS (default dense,conv,gru,lstm), BUDGET seconds per
 * series (default 40), SEED (default 42). Prints markdown; progress on stderr.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluateCorpus, type EvalFileInput } from '../../src/core/eval/evaluate.js';
import { parseNabCsv, parseNabTime } from '../../src/core/eval/nab-csv.js';
import { parseM4Csv } from '../../src/core/forecast/m4.js';
import { selectTrainingData } from '../../src/core/neural/data.js';
import type { PredictTestReport } from '../../src/core/neural/evaluate-test.js';
import { TRAINING_DEFAULTS, type ArchKind, type ModelKind, type TrainingSpec } from '../../src/core/neural/spec.js';
import { trainModel } from '../../src/core/neural/trainer.js';

const NAB = process.argv[2] ?? '/work/shared/data/nab-dev';
const M4 = process.argv[3] ?? '/work/shared/data/m4-weekly';
const TRIALS = Number(process.env.TRIALS ?? 4);
const BUDGET = Number(process.env.BUDGET ?? 40);
const SEED = Number(process.env.SEED ?? 42);
const KINDS = (process.env.KINDS ?? 'dense,conv,gru,lstm').split(',') as ArchKind[];

const spec = (type: ModelKind, extra: Partial<TrainingSpec> = {}): Partial<TrainingSpec> & { type: ModelKind } => ({
  type,
  trials: TRIALS,
  seed: SEED,
  timeBudgetS: BUDGET,
  maxEpochs: 30,
  space: { ...TRAINING_DEFAULTS.space, kinds: KINDS },
  ...extra,
});

const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '–');
const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '–');
const median = (a: number[]): number => {
  const s = a.filter(Number.isFinite).sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

async function detectTable(): Promise<string[]> {
  const windows = JSON.parse(await readFile(join(NAB, 'labels/combined_windows.json'), 'utf8')) as Record<string, [string, string][]>;
  const files: string[] = [];
  for (const cat of (await readdir(join(NAB, 'data'))).sort()) for (const f of (await readdir(join(NAB, 'data', cat))).sort()) if (f.endsWith('.csv')) files.push(`${cat}/${f}`);
  const neural: EvalFileInput[] = [];
  const def: EvalFileInput[] = [];
  const maeRatio: number[] = [];
  const cov: { n: number[]; d: number[] } = { n: [], d: [] };
  let seconds = 0;
  let epochs = 0;
  const kinds = new Map<string, number>();
  for (const key of files) {
    const t = parseNabCsv(await readFile(join(NAB, 'data', key), 'utf8'), key);
    const sel = selectTrainingData(t.times, t.values);
    const wins = (windows[key] ?? []).map(([a, b]) => [parseNabTime(a), parseNabTime(b)] as [number, number]);
    const r = await trainModel(sel.series, spec('detect'), { labels: wins });
    const o = r.testOutputs!;
    const test = r.report.test;
    seconds += r.report.seconds;
    epochs += r.report.training.epochs.length;
    kinds.set(r.report.hyperParams.kind, (kinds.get(r.report.hyperParams.kind) ?? 0) + 1);
    if (test?.kind === 'detect') {
      maeRatio.push(test.neural.mae / test.default.mae);
      cov.n.push(test.neural.coverage95);
      cov.d.push(test.default.coverage95);
    }
    const category = key.split('/')[0];
    neural.push({ key, category, times: o.times, scores: o.neural.score.map((s) => s / 100), windows: wins });
    def.push({ key, category, times: o.times, scores: o.default.score.map((s) => s / 100), windows: wins });
    process.stderr.write(`${key}: ${sel.series.values.length} buckets of ${sel.series.spanMs / 60000} min, ${r.report.hyperParams.kind}, ${r.report.seconds.toFixed(0)} s, MAE ${test?.kind === 'detect' ? `${f3(test.neural.mae)} vs ${f3(test.default.mae)}` : '–'}\n`);
  }
  const en = evaluateCorpus(neural);
  const ed = evaluateCorpus(def);
  const row = (name: string, e: ReturnType<typeof evaluateCorpus>, c: number[], mae: string) =>
    `| ${name} | ${f2(e.nab.standard)} | ${f2(e.nab.reward_low_FP_rate)} | ${f2(e.nab.reward_low_FN_rate)} | ${f3(e.regions.precision)} | ${f3(e.regions.recall)} | ${f3(e.regions.f1)} | ${f3(median(c))} | ${mae} |`;
  return [
    `### Detection: NAB development half, test segments (${files.length} series, ${en.windows} labelled windows in the test segments)`,
    '',
    `Trials ${TRIALS} per series (kinds ${KINDS.join(', ')}), time budget ${BUDGET} s per series, seed ${SEED}; ${seconds.toFixed(0)} s and ${epochs} full-training epochs in all; architectures chosen: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}.`,
    '',
    '| detector | NAB standard | NAB low FP | NAB low FN | region precision | region recall | region F1 | median 95 % coverage | median MAE vs default |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    row('trained model', en, cov.n, `${f3(median(maeRatio))}×`),
    row('default detector', ed, cov.d, '1×'),
    '',
  ];
}

async function predictTable(): Promise<string[]> {
  const all = parseM4Csv(await readFile(join(M4, 'Weekly-train.csv'), 'utf8'), 'Weekly-train.csv');
  const picked = [...all].sort((a, b) => b.values.length - a.values.length).slice(0, 10);
  const reps: PredictTestReport[] = [];
  let seconds = 0;
  for (const s of picked) {
    const series = { start: Date.UTC(2000, 0, 3), spanMs: 7 * 86_400_000, values: s.values };
    const r = await trainModel(series, spec('predict', { horizon: 13 }), { maxOrigins: 50 });
    seconds += r.report.seconds;
    if (r.report.test?.kind === 'predict') reps.push(r.report.test);
    process.stderr.write(`${s.id}: ${s.values.length} weeks, ${r.report.hyperParams.kind}, ${r.report.seconds.toFixed(0)} s, sMAPE ${r.report.test?.kind === 'predict' ? `${f3(r.report.test.neural.smape)} vs ${f3(r.report.test.default.smape)}` : '–'}\n`);
  }
  const mean = (f: (r: PredictTestReport) => number): number => reps.reduce((a, r) => a + f(r), 0) / reps.length;
  const row = (name: string, side: 'neural' | 'default') =>
    `| ${name} | ${f3(mean((r) => r[side].smape))} | ${f3(mean((r) => r[side].mase))} | ${f3(mean((r) => r[side].coverage80))} | ${f3(mean((r) => r[side].coverage95))} | ${f3(mean((r) => r[side].msis))} |`;
  return [
    `### Prediction: the 10 longest M4 Weekly training series, horizon 13 weeks, test = last 15 % of each (${reps.reduce((a, r) => a + r.origins, 0)} origins)`,
    '',
    `Same settings; ${seconds.toFixed(0)} s in all. MASE and MSIS scaled by the training set's mean absolute one-step difference.`,
    '',
    '| model | sMAPE | MASE | 80 % coverage | 95 % coverage | MSIS |',
    '| --- | --- | --- | --- | --- | --- |',
    row('trained model', 'neural'),
    row('auto (statistical default)', 'default'),
    '',
  ];
}

const which = process.env.ONLY;
const lines: string[] = [];
if (!which || which === 'detect') lines.push(...(await detectTable()));
if (!which || which === 'predict') lines.push(...(await predictTable()));
console.log(lines.join('\n'));
