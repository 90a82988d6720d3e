/**
 * `vigil train FILE --type detect|predict`: buckets a timestamp,value file (time range and bucket
 * span chosen or suggested, with a preview), searches hyperparameters (up to 10 trials), trains the
 * best with early stopping, and prints the test-set accuracy next to the statistical default's.
 * Progress: a live line on a terminal, plain lines otherwise. `--save DIR` keeps the model
 * (model.json + weights.bin), `--chart PATH` draws the test set or forecast, and the loss curves
 * next to it (PATH with `-loss.svg`).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { VigilError } from '../../core/errors.js';
import { parseNabTime } from '../../core/eval/nab-csv.js';
import { selectTrainingData, type DataSelection } from '../../core/neural/data.js';
import type { DetectTestReport, PredictTestReport } from '../../core/neural/evaluate-test.js';
import type { EpochRecord } from '../../core/neural/fit-network.js';
import { NeuralForecaster } from '../../core/neural/neural-forecaster.js';
import { TRAINING_DEFAULTS, type HyperParams, type ModelKind, type TrainingSpec } from '../../core/neural/spec.js';
import type { TrainingEvent, TrainResult, TrialRecord } from '../../core/neural/trainer.js';
import { formatDuration, parseDuration } from '../../core/time/duration.js';
import { formatInputReport } from '../../sources/input-report.js';
import { readSeriesArrays } from '../../sources/read-series-arrays.js';
import { columns } from '../columns.js';
import { EXIT_OK, type Command, type CommandIO } from '../command.js';
import { checkChartPath, writeOutputFile } from '../output.js';

const USAGE = `Usage: vigil train FILE|- --type detect|predict [options]

Trains a neural model on one metric (CSV, NDJSON or JSON with a timestamp and a value): a
hyperparameter search of up to 10 short trials, then a full training of the best with early
stopping (the weights of the lowest validation loss are kept), then test-set accuracy next to the
statistical default (the default detector, or the auto forecaster).

  --type T                 detect (anomaly scores) or predict (forecast with a band)
  --horizon H              predict: buckets ahead the network forecasts (number or duration;
                           default 12 buckets)
  --trials N               hyperparameter trials, 1–10 (default ${TRAINING_DEFAULTS.trials})
  --seed N                 seed of initialisers, shuffling and search (default ${TRAINING_DEFAULTS.seed})
  --test-split F           share of buckets for the test set (default ${TRAINING_DEFAULTS.testSplit})
  --validation-split F     share for validation (default ${TRAINING_DEFAULTS.validationSplit})
  --max-epochs N           most epochs of the full training (default ${TRAINING_DEFAULTS.maxEpochs})
  --time-budget S          seconds for search + training, 0 = none (default ${TRAINING_DEFAULTS.timeBudgetS})
  --search tpe|random      how trials after the first are chosen (default tpe)
  --kinds LIST             architectures to search: dense,conv,gru,lstm (default all)
  --from T, --to T         time range of the training data (ISO 8601)
  --bucket-span DUR        bucket span (default: suggested from the data, with the reason)
  --preview                print the bucket-span suggestion and a preview, and stop
  --labels PATH            NAB combined_windows.json: region metrics of both detectors on the test set
  --save DIR               write the model (model.json, weights.bin, report.json) to DIR
  --chart PATH             chart of the test set (detect) or the forecast (predict); loss curves go
                           to PATH's name with -loss.svg
  --format table|json      output (default table)
  --time-field, --value-field, --time-format, --time-zone   as for vigil detect
  -h, --help

Exit codes: 0 ok, 1 error, 2 usage.`;

const fmt = (v: number | null | undefined, d = 4): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.abs(v) >= 1e5 ? v.toPrecision(4) : String(Number(v.toFixed(d))));
const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : '–');
const arch = (p: HyperParams): string => `${p.kind} w${p.window} u${p.units}×${p.layers} lr${p.learningRate} b${p.batchSize}${p.anchor ? ' anchored' : ''}${p.seasonalLag ? ` lag${p.seasonalLag}` : ''}`;

async function readFileSeries(file: string, io: CommandIO, v: Record<string, string | boolean | undefined>): Promise<{ times: Float64Array; values: Float64Array }> {
  const { times, values, report } = await readSeriesArrays(file === '-' ? io.stdin : file, file, {
    timeField: v['time-field'] as string | undefined,
    valueField: v['value-field'] as string | undefined,
    timeFormat: v['time-format'] as string | undefined,
    timeZone: v['time-zone'] as string | undefined,
  });
  if (report.badRows) io.stderr.write(formatInputReport(report) + '\n'); // bad rows are counted and named, never dropped silently
  return { times, values };
}

/** Label windows of FILE from a NAB combined_windows.json (key matched as a path suffix). */
export async function readNabWindows(path: string, file: string): Promise<Array<[number, number]>> {
  const all = JSON.parse(await readFile(path, 'utf8')) as Record<string, [string, string][]>;
  const abs = resolve(file).replace(/\\/g, '/');
  const key = Object.keys(all).find((k) => abs.endsWith('/' + k) || abs === k);
  if (!key) throw new VigilError('USAGE', `--labels: no entry of ${path} matches ${file}`);
  return all[key].map(([a, b]) => [parseNabTime(a), parseNabTime(b)]);
}

const SPARK = '▁▂▃▄▅▆▇█';
function sparkline(values: number[]): string {
  const f = values.filter(Number.isFinite);
  const lo = Math.min(...f);
  const hi = Math.max(...f);
  return values.map((v) => (Number.isFinite(v) ? SPARK[hi > lo ? Math.min(7, Math.floor(((v - lo) / (hi - lo)) * 8)) : 3] : ' ')).join('');
}

function previewText(sel: DataSelection, file: string): string {
  const s = sel.series;
  const n = s.values.length;
  const cols = sel.preview.filter((_, i) => i % Math.max(1, Math.ceil(sel.preview.length / 72)) === 0);
  return [
    `${file}: ${sel.records.toLocaleString('en-US')} rows → ${n.toLocaleString('en-US')} buckets of ${formatDuration(s.spanMs)} (${new Date(s.start).toISOString()} … ${new Date(s.start + n * s.spanMs).toISOString()}), ${sel.missingBuckets} missing`,
    `bucket span: ${sel.spanGiven ? `${formatDuration(s.spanMs)} (given); suggested ` : ''}${sel.suggestion.reason}`,
    `preview (mean per column): ${sparkline(cols.map((p) => p.mean))}`,
  ].join('\n');
}

/** Progress: a live line on a terminal, plain lines otherwise. */
class TrainProgress {
  private readonly tty: boolean;
  private line = '';
  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly trials: number,
  ) {
    this.tty = Boolean(out.isTTY) && process.env.CI !== 'true';
  }
  private live(text: string): void {
    if (!this.tty) return;
    this.line = text;
    this.out.write('\r' + text.slice(0, 110).padEnd(110) + '\r');
  }
  private say(text: string): void {
    if (this.tty && this.line) this.out.write('\r' + ' '.repeat(110) + '\r');
    this.line = '';
    this.out.write(text + '\n');
  }
  event(e: TrainingEvent): void {
    switch (e.type) {
      case 'phase':
        if (e.phase === 'search') this.say(`hyperparameter search: ${this.trials} trial(s)`);
        if (e.phase === 'training') this.say('full training of the best trial:');
        if (e.phase === 'evaluating') this.say('evaluating on the test set …');
        break;
      case 'trial_started':
        this.live(`trial ${e.index}/${this.trials} ${arch(e.params)} …`);
        break;
      case 'trial_epoch':
        this.live(`trial ${e.index}/${this.trials} epoch ${e.epoch.epoch}: loss ${fmt(e.epoch.loss)} val ${fmt(e.epoch.valLoss)}`);
        break;
      case 'trial':
        this.say(trialLine(e.trial, this.trials));
        break;
      case 'epoch': {
        const ep: EpochRecord = e.epoch;
        const text = `  epoch ${String(ep.epoch).padStart(3)}: loss ${fmt(ep.loss)}  val ${fmt(ep.valLoss)}${ep.best ? '  *best' : ''}  (${(ep.ms / 1000).toFixed(1)} s)`;
        if (this.tty) this.live(text);
        else this.say(text);
        break;
      }
    }
  }
  done(): void {
    if (this.tty && this.line) this.out.write('\r' + ' '.repeat(110) + '\r');
  }
}

function trialLine(t: TrialRecord, of: number): string {
  const score = t.status === 'completed' ? `val loss ${fmt(t.valLoss)} (epoch ${t.bestEpoch}/${t.epochs.length}, ${t.stopReason})` : `${t.status}${t.error ? `: ${t.error}` : ''}`;
  return `  trial ${String(t.index).padStart(2)}/${of}  ${arch(t.params).padEnd(48)} ${score}  ${(t.ms / 1000).toFixed(1)} s`;
}

export function comparisonTable(test: DetectTestReport | PredictTestReport | null): string {
  if (!test) return 'test set: none (--test-split 0)';
  if (test.kind === 'detect') {
    const rows = [['test set', 'trained model', 'default detector']];
    const n = test.neural;
    const d = test.default;
    rows.push(['MAE (one step)', fmt(n.mae), fmt(d.mae)], ['RMSE (one step)', fmt(n.rmse), fmt(d.rmse)], ['95 % bounds coverage', pct(n.coverage95), pct(d.coverage95)], ['alerts (score ≥ 25)', String(n.alerts), String(d.alerts)]);
    if (n.regions && d.regions) {
      rows.push(
        ['labelled windows found', `${n.regions.tad}/${n.regions.ta}`, `${d.regions.tad}/${d.regions.ta}`],
        ['region precision', fmt(n.regions.precision, 3), fmt(d.regions.precision, 3)],
        ['region recall', fmt(n.regions.recall, 3), fmt(d.regions.recall, 3)],
        ['region F1', fmt(n.regions.f1, 3), fmt(d.regions.f1, 3)],
      );
    }
    return `test set: ${test.buckets} buckets (${test.scored} scored by both)\n` + columns(rows);
  }
  const rows = [['test set', 'trained model', `${test.defaultModel} (statistical)`]];
  const n = test.neural;
  const d = test.default;
  rows.push(['sMAPE', fmt(n.smape, 3), fmt(d.smape, 3)], ['MASE', fmt(n.mase, 3), fmt(d.mase, 3)], ['80 % coverage', pct(n.coverage80), pct(d.coverage80)], ['95 % coverage', pct(n.coverage95), pct(d.coverage95)], ['MSIS (95 %)', fmt(n.msis, 3), fmt(d.msis, 3)]);
  return `test set: ${test.origins} forecast origins × ${test.horizon} buckets\n` + columns(rows);
}

/** A small SVG of training and validation loss per epoch (log scale), plus the trials' scores. */
export function lossChartSvg(result: TrainResult, title: string): string {
  const ep = result.report.training.epochs;
  const W = 900;
  const H = 420;
  const m = { l: 70, r: 20, t: 40, b: 50 };
  const vals = ep.flatMap((e) => [e.loss, e.valLoss]).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.log10(Math.min(...vals));
  const hi = Math.log10(Math.max(...vals));
  const span = hi - lo || 1;
  const x = (i: number): number => m.l + ((W - m.l - m.r) * (i - 1)) / Math.max(1, ep.length - 1);
  const y = (v: number): number => m.t + (H - m.t - m.b) * (1 - (Math.log10(Math.max(v, 1e-12)) - lo) / span);
  const path = (k: 'loss' | 'valLoss'): string => ep.map((e, i) => `${i ? 'L' : 'M'}${x(e.epoch).toFixed(1)},${y(e[k]).toFixed(1)}`).join(' ');
  const best = result.report.training.bestEpoch;
  const trials = result.report.trials.filter((t) => t.status === 'completed');
  const ticks = Array.from({ length: 5 }, (_, i) => lo + (span * i) / 4);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${m.l}" y="22" font-size="15">${title.replace(/[<&]/g, '')}: loss per epoch (MSE, normalised; log scale)</text>
${ticks.map((t) => `<line x1="${m.l}" x2="${W - m.r}" y1="${y(10 ** t)}" y2="${y(10 ** t)}" stroke="#eee"/><text x="${m.l - 6}" y="${y(10 ** t) + 4}" text-anchor="end">${(10 ** t).toPrecision(2)}</text>`).join('\n')}
<line x1="${x(best)}" x2="${x(best)}" y1="${m.t}" y2="${H - m.b}" stroke="#999" stroke-dasharray="4 3"/><text x="${x(best) + 4}" y="${m.t + 12}">best epoch ${best}</text>
<path d="${path('loss')}" fill="none" stroke="#1f77b4" stroke-width="2"/>
<path d="${path('valLoss')}" fill="none" stroke="#d62728" stroke-width="2"/>
<text x="${W - m.r - 220}" y="${m.t + 14}" fill="#1f77b4">training loss</text><text x="${W - m.r - 110}" y="${m.t + 14}" fill="#d62728">validation loss</text>
<text x="${(W + m.l) / 2}" y="${H - 15}" text-anchor="middle">epoch (1 … ${ep.length}, ${result.report.training.stopReason}); trials' scores: ${trials.map((t) => `#${t.index} ${t.valLoss.toPrecision(3)}`).join(', ')}</text>
</svg>
`;
}

const command: Command = {
  name: 'train',
  summary: 'train a neural detect or predict model (hyperparameter search, early stopping, accuracy vs the default)',
  usage: USAGE,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        type: { type: 'string' },
        horizon: { type: 'string' },
        trials: { type: 'string' },
        seed: { type: 'string' },
        'test-split': { type: 'string' },
        'validation-split': { type: 'string' },
        'max-epochs': { type: 'string' },
        'time-budget': { type: 'string' },
        search: { type: 'string' },
        kinds: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'bucket-span': { type: 'string' },
        preview: { type: 'boolean' },
        labels: { type: 'string' },
        save: { type: 'string' },
        chart: { type: 'string' },
        format: { type: 'string', default: 'table' },
        'time-field': { type: 'string' },
        'value-field': { type: 'string' },
        'time-format': { type: 'string' },
        'time-zone': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(USAGE + '\n');
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new VigilError('USAGE', `expected one FILE (or - for stdin), got ${positionals.length}`);
    const type = values.type as ModelKind | undefined;
    if (!values.preview && type !== 'detect' && type !== 'predict') throw new VigilError('USAGE', `--type must be detect or predict, got ${values.type ?? 'nothing'}`);
    const format = values.format;
    if (format !== 'table' && format !== 'json') throw new VigilError('USAGE', `--format must be table or json, got ${format}`);
    const num = (k: string): number | undefined => {
      const s = (values as Record<string, unknown>)[k] as string | undefined;
      if (s === undefined) return undefined;
      const v = Number(s);
      if (!Number.isFinite(v)) throw new VigilError('USAGE', `--${k} must be a number, got ${s}`);
      return v;
    };
    const time = (k: 'from' | 'to'): number | undefined => {
      const s = values[k];
      if (s === undefined) return undefined;
      const t = Date.parse(s);
      if (!Number.isFinite(t)) throw new VigilError('USAGE', `--${k}: not a time: ${s}`);
      return t;
    };
    if (values.chart !== undefined) checkChartPath('--chart', values.chart); // now, not after the search
    const file = positionals[0];
    const { times, values: vals } = await readFileSeries(file, io, values);
    const sel = selectTrainingData(times, vals, { from: time('from'), to: time('to'), bucketSpanMs: values['bucket-span'] ? parseDuration(values['bucket-span']) : undefined });
    const log = (s: string): void => {
      if (format === 'table') io.stdout.write(s + '\n');
      else io.stderr.write(s + '\n');
    };
    log(previewText(sel, file));
    if (values.preview) return EXIT_OK;
    const span = sel.series.spanMs;
    let horizon: number | undefined;
    if (values.horizon) {
      horizon = /^\d+$/.test(values.horizon) ? Number(values.horizon) : Math.round(parseDuration(values.horizon) / span);
      if (!(horizon >= 1)) throw new VigilError('USAGE', `--horizon ${values.horizon} is shorter than one bucket (${formatDuration(span)})`);
      if (type === 'detect') throw new VigilError('USAGE', '--horizon applies to --type predict');
    }
    const spec: Partial<TrainingSpec> & { type: ModelKind } = { type: type as ModelKind };
    if (horizon !== undefined) spec.horizon = horizon;
    if (num('trials') !== undefined) spec.trials = num('trials');
    if (num('seed') !== undefined) spec.seed = num('seed');
    if (num('test-split') !== undefined) spec.testSplit = num('test-split');
    if (num('validation-split') !== undefined) spec.validationSplit = num('validation-split');
    if (num('max-epochs') !== undefined) spec.maxEpochs = num('max-epochs');
    if (num('time-budget') !== undefined) spec.timeBudgetS = num('time-budget');
    if (values.search) spec.search = values.search as 'tpe' | 'random';
    if (values.kinds) spec.space = { ...TRAINING_DEFAULTS.space, kinds: values.kinds.split(',').map((s) => s.trim()) as HyperParams['kind'][] };
    const labels = values.labels ? await readNabWindows(values.labels, file) : undefined;

    const { trainModel } = await import('../../core/neural/trainer.js');
    const progress = new TrainProgress(format === 'table' ? io.stdout : io.stderr, spec.trials ?? TRAINING_DEFAULTS.trials);
    const ac = new AbortController();
    const onSigint = (): void => ac.abort();
    process.once('SIGINT', onSigint);
    let result: TrainResult;
    try {
      result = await trainModel(sel.series, spec, { signal: ac.signal, labels, onEvent: (e) => progress.event(e) });
    } finally {
      process.off('SIGINT', onSigint);
      progress.done();
    }
    const r = result.report;
    if (format === 'json') {
      io.stdout.write(JSON.stringify(r, null, 2) + '\n');
    } else {
      const t = r.training;
      log(
        [
          '',
          `best trial ${r.bestTrial}: ${arch(r.hyperParams)} (${r.parameters.toLocaleString('en-US')} parameters)`,
          `training: ${t.epochs.length} epochs, stopped by ${t.stopReason}; best validation loss ${fmt(t.bestValLoss, 6)} at epoch ${t.bestEpoch} (restored model: ${fmt(t.restoredValLoss, 6)})`,
          `time: ${r.seconds.toFixed(1)} s (search ${r.searchSeconds.toFixed(1)} s, training ${r.trainingSeconds.toFixed(1)} s) on tfjs ${r.backend}`,
          '',
          comparisonTable(r.test),
        ].join('\n'),
      );
    }
    if (values.save) {
      const dir = values.save;
      await mkdir(dir, { recursive: true });
      const art = result.model.toArtifacts();
      await writeFile(join(dir, 'model.json'), art.json);
      await writeFile(join(dir, 'weights.bin'), art.weights);
      await writeFile(join(dir, 'report.json'), JSON.stringify(r, null, 2));
      io.stderr.write(`model saved: ${dir}/model.json, weights.bin (${art.weights.byteLength} bytes), report.json\n`);
    }
    if (values.chart) {
      const { writeChart } = await import('../chart/index.js');
      const s = sel.series;
      if (result.testOutputs) {
        const o = result.testOutputs;
        const anomalies = (score: Float64Array) => Array.from(score, (sc, i) => ({ time: o.times[i], value: o.actual[i], score: sc })).filter((a) => a.score > 0);
        await writeChart(values.chart, [
          { title: `${file} — trained ${r.hyperParams.kind} model, test set`, times: o.times, actual: o.actual, typical: o.neural.typical, lower: o.neural.lower, upper: o.neural.upper, anomalies: anomalies(o.neural.score) },
          { title: 'default detector, same buckets', times: o.times, actual: o.actual, typical: o.default.typical, lower: o.default.lower, upper: o.default.upper, anomalies: anomalies(o.default.score) },
        ]);
      } else {
        const n = s.values.length;
        const h = result.model.meta.horizon;
        const f = new NeuralForecaster(result.model, s.start).fit(s.values).predict(h, [80, 95]);
        const keep = Math.min(n, Math.max(10 * h, 500));
        const ht = new Float64Array(keep);
        for (let i = 0; i < keep; i++) ht[i] = s.start + (n - keep + i) * span;
        const ft = new Float64Array(h);
        for (let j = 0; j < h; j++) ft[j] = s.start + (n + j) * span;
        const i80 = f.intervals[0];
        const i95 = f.intervals[1];
        await writeChart(values.chart, {
          title: `${file} — trained ${r.hyperParams.kind} forecast, ${h} buckets`,
          times: ht,
          actual: s.values.slice(n - keep),
          anomalies: [],
          forecast: { times: ft, mean: f.mean, lower80: i80.lower, upper80: i80.upper, lower95: i95.lower, upper95: i95.upper },
        });
      }
      const lossPath = values.chart.replace(/\.[a-z]+$/i, '') + '-loss.svg';
      await writeOutputFile('--chart', lossPath, lossChartSvg(result, file));
      io.stderr.write(`chart: ${values.chart}; loss curves: ${lossPath}\n`);
    }
    return EXIT_OK;
  },
};

export default command;
