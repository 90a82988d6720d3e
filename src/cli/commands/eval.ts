/**
 * `vigil eval DIR`: runs detectors causally over a labelled corpus in NAB's layout, writes their
 * results in NAB's results layout and prints NAB's three scores and region metrics, per category
 * and overall (or scores an existing results folder with --score-only).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { VigilError } from '../../core/errors.js';
import { DEFAULT_DETECTOR, getDetectorFactory, listDetectors } from '../../core/detect/registry.js';
import type { Command, CommandIO } from '../command.js';
import { evaluateFolder, scoreResultsFolder } from '../eval/evaluate-folder.js';
import { registerDetectorModules } from '../eval/register.js';
import { formatDetector, formatSideBySide, toJson, type DetectorRun } from '../eval/report.js';

const usage = `Usage: vigil eval DIR [options]

Runs a detector causally over every file of DIR (NAB layout: DIR/data/<category>/<file>.csv and
DIR/labels/combined_windows.json), writes <out>/<detector>/<category>/<detector>_<file>.csv and
prints NAB's scores (standard, reward_low_FP_rate, reward_low_FN_rate) and region metrics
(TA, TAD, TP, FP, precision, recall, F1) per category and overall. Region metrics count as
detections the rows scoring at least the detector's standard-profile optimal threshold.

Options:
  --detector NAME        detector to run (default: auto); with --score-only, the results
                         sub-folder to score (default: every sub-folder)
  --all                  run every registered detector and print them side by side
  --score-only RESULTS   score an existing results folder (one sub-folder per detector)
  --out DIR              results folder (default: eval-results)
  --format table|json    output format (default: table)
  --jobs N               worker threads (default: available cores; 1 = in-process)
  --spec JSON            detector spec (JSON object)
  --require MODULE       extra module that registers detectors (repeatable)
  --live                 live train-predict simulation: retrain on the trailing window
  --train-window N       rows each training sees (with --live)
  --retrain-every M      rows scored between retrainings (with --live)
  -h, --help             this help

Exit codes: 0 ok, 1 error, 2 usage.`;

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new VigilError('USAGE', `--${name} must be a positive integer, got [${text}]`);
  return n;
}

const command: Command = {
  name: 'eval',
  summary: 'Evaluate detectors on a labelled corpus (NAB scores, region metrics)',
  usage,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        detector: { type: 'string' },
        all: { type: 'boolean' },
        'score-only': { type: 'string' },
        out: { type: 'string' },
        format: { type: 'string' },
        jobs: { type: 'string' },
        spec: { type: 'string' },
        require: { type: 'string', multiple: true },
        live: { type: 'boolean' },
        'train-window': { type: 'string' },
        'retrain-every': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(usage + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new VigilError('USAGE', `expected one corpus folder DIR, got ${positionals.length}`);
    const format = values.format ?? 'table';
    if (format !== 'table' && format !== 'json') throw new VigilError('USAGE', `--format must be table or json, got [${format}]`);
    if (values.all && values.detector) throw new VigilError('USAGE', '--all and --detector cannot be combined');
    const jobs = positiveInt('jobs', values.jobs);
    const trainWindow = positiveInt('train-window', values['train-window']);
    const retrainEvery = positiveInt('retrain-every', values['retrain-every']);
    if (values.live && (trainWindow === undefined || retrainEvery === undefined)) {
      throw new VigilError('USAGE', '--live needs --train-window N and --retrain-every M');
    }
    if (!values.live && (trainWindow !== undefined || retrainEvery !== undefined)) {
      throw new VigilError('USAGE', '--train-window and --retrain-every go with --live');
    }
    if (values['score-only'] !== undefined && (values.live || values.spec || values.all)) {
      throw new VigilError('USAGE', '--score-only scores existing results; it takes no --live, --spec or --all');
    }
    let spec: Record<string, unknown> | undefined;
    if (values.spec !== undefined) {
      try {
        spec = JSON.parse(values.spec) as Record<string, unknown>;
      } catch {
        throw new VigilError('USAGE', `--spec is not valid JSON: ${values.spec}`);
      }
      if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new VigilError('USAGE', '--spec must be a JSON object');
    }
    const dir = resolve(io.cwd, positionals[0]);

    let runs: DetectorRun[];
    if (values['score-only'] !== undefined) {
      const resultsDir = resolve(io.cwd, values['score-only']);
      runs = scoreResultsFolder(dir, resultsDir, values.detector ? [values.detector] : undefined);
    } else {
      const modules = values.require ?? [];
      await registerDetectorModules(modules, io.cwd);
      const detectors = values.all ? listDetectors().map((f) => f.type) : [values.detector ?? DEFAULT_DETECTOR];
      if (detectors.length === 0) throw new VigilError('UNKNOWN_DETECTOR', 'no detector is registered');
      for (const d of detectors) getDetectorFactory(d); // unknown names fail before any work
      runs = await evaluateFolder({
        dir,
        detectors,
        outDir: resolve(io.cwd, values.out ?? 'eval-results'),
        jobs,
        spec,
        live: values.live ? { trainWindow: trainWindow!, retrainEvery: retrainEvery! } : undefined,
        modules,
      });
    }

    if (format === 'json') {
      io.stdout.write(JSON.stringify(runs.map(toJson), null, 2) + '\n');
    } else if (runs.length === 1) {
      io.stdout.write(formatDetector(runs[0], positionals[0]));
    } else {
      io.stdout.write(formatSideBySide(runs, positionals[0]));
    }
    return 0;
  },
};

export default command;
