/**
 * `vigil eval-forecast TRAIN TEST`: scores forecasting models on files in M4's CSV layout (one row
 * per series: id, then values) with M4's measures — sMAPE, MASE, OWA against Naive2, MSIS and
 * coverage of the 95 % interval — plus the time each model took.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { VigilError } from '../../core/errors.js';
import { evaluateForecasts, type EvalRow } from '../../core/forecast/evaluate.js';
import { parseM4Csv } from '../../core/forecast/m4.js';
import { listModels, modelNames } from '../../core/forecast/registry.js';
import type { ForecasterOptions } from '../../core/forecast/types.js';
import { parseDuration } from '../../core/time/duration.js';
import { columns } from '../columns.js';
import { EXIT_OK, type Command, type CommandIO } from '../command.js';

const USAGE = `Usage: vigil eval-forecast TRAIN TEST --period M --horizon H [options]

Scores forecasting models on M4-layout CSV files (header "V1","V2",…; one row per series: id, then
values oldest first; TEST holds the next H values of each series).

  --period M               M4 frequency: MASE/MSIS scale and Naive2's seasonality (1 for Weekly)
  --horizon H              steps to forecast (13 for Weekly)
  --models A,B,…           models to score (default: all); Naive2 is always scored for OWA
  --model-period P         periods the models use: "auto" (detected per series; the default when
                           M = 1), or numbers such as 52 or 24,168 (default M when M > 1)
  --bucket-span DUR        time between the values (7d for M4 Weekly): with detected periods,
                           the candidates are that step's calendar cycles (a weekly series: the
                           year of 52.18 weeks, the quarter, the month), each tested for
                           significance, instead of a blind autocorrelation scan
  --format F               table | json (default table)
  -h, --help

Models: ${modelNames().join(', ')}
Exit codes: 0 ok, 1 error, 2 usage.`;

function positiveInt(text: string | undefined, name: string): number {
  const v = Number(text);
  if (text === undefined || !Number.isInteger(v) || v < 1) throw new VigilError('USAGE', `--${name} must be a positive integer, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`);
  return v;
}

export function formatEvalTable(rows: EvalRow[]): string {
  const head = ['model', 'sMAPE', 'MASE', 'OWA', 'MSIS', 'cov95', 'seconds'];
  const body = rows.map((r) => [r.model, r.smape.toFixed(3), r.mase.toFixed(3), r.owa.toFixed(3), r.msis.toFixed(3), r.coverage.toFixed(3), r.seconds.toFixed(2)]);
  return columns([head, ...body]) + '\n';
}

const command: Command = {
  name: 'eval-forecast',
  summary: 'score forecasting models on M4-layout files (sMAPE, MASE, OWA, MSIS, coverage)',
  usage: USAGE,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        period: { type: 'string' },
        horizon: { type: 'string' },
        models: { type: 'string' },
        'model-period': { type: 'string' },
        'bucket-span': { type: 'string' },
        format: { type: 'string', default: 'table' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(USAGE + '\n');
      return EXIT_OK;
    }
    if (positionals.length !== 2) throw new VigilError('USAGE', `expected TRAIN and TEST files, got ${positionals.length} argument(s)`);
    const period = positiveInt(values.period, 'period');
    const horizon = positiveInt(values.horizon, 'horizon');
    const format = values.format;
    if (format !== 'table' && format !== 'json') throw new VigilError('USAGE', `--format must be table or json, got ${format}`);
    const models = values.models ? values.models.split(',').map((s) => s.trim()).filter(Boolean) : listModels().map((m) => m.name);
    for (const m of models) if (!modelNames().includes(m)) throw new VigilError('UNKNOWN_MODEL', `unknown forecasting model [${m}]; known: ${modelNames().join(', ')}`);
    let modelOptions: ForecasterOptions | undefined;
    const mp = values['model-period'];
    if (mp !== undefined && mp !== 'auto') {
      const list = mp.split(',').map((s) => Number(s));
      if (list.some((p) => !Number.isInteger(p) || p < 1)) throw new VigilError('USAGE', `--model-period must be auto or positive integers, got ${mp}`);
      modelOptions = { period: list };
    } else if (mp === 'auto') modelOptions = {};
    if (values['bucket-span'] !== undefined) {
      const stepMs = parseDuration(values['bucket-span']);
      if (!(stepMs > 0)) throw new VigilError('USAGE', `--bucket-span must be a positive duration, got ${values['bucket-span']}`);
      modelOptions = { ...(modelOptions ?? (period > 1 ? { period } : {})), stepMs };
    }

    const [trainPath, testPath] = positionals.map((p) => resolve(io.cwd, p));
    const read = async (path: string) => {
      try {
        return await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new VigilError('FILE_NOT_FOUND', `no such file: ${path}`);
        throw err;
      }
    };
    const train = parseM4Csv(await read(trainPath), trainPath);
    const test = parseM4Csv(await read(testPath), testPath);
    if (train.length === 0) throw new VigilError('NO_USABLE_DATA', `${trainPath} holds no series`);
    for (let i = 0; i < Math.min(train.length, test.length); i++) {
      if (train[i].id !== test[i].id) throw new VigilError('INVALID_ARGUMENT', `series ${i + 1}: train id ${train[i].id} but test id ${test[i].id}`);
    }
    const rows = evaluateForecasts(
      train.map((s) => s.values),
      test.map((s) => s.values),
      { period, horizon, models, modelOptions },
    );
    if (format === 'json') {
      const round = (v: number) => Math.round(v * 1e6) / 1e6;
      io.stdout.write(JSON.stringify(rows.map((r) => ({ model: r.model, smape: round(r.smape), mase: round(r.mase), owa: round(r.owa), msis: round(r.msis), coverage: round(r.coverage), seconds: round(r.seconds) }))) + '\n');
    } else {
      io.stdout.write(`${train.length} series, horizon ${horizon}, period ${period}; OWA relative to Naive2; cov95 = share of test values inside the 95 % interval\n`);
      io.stdout.write(formatEvalTable(rows));
    }
    return EXIT_OK;
  },
};

export default command;
