/**
 * `vigil synth --out DIR`: writes a seeded synthetic suite with labelled anomalies in NAB's layout,
 * ready for `vigil eval DIR`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { VigilError } from '../../core/errors.js';
import { suiteToNabLayout } from '../../core/synth/nab-layout.js';
import { SUITES, generateSuite } from '../../core/synth/suite.js';
import type { Command, CommandIO } from '../command.js';

const usage = `Usage: vigil synth --out DIR [options]

Writes a synthetic suite in NAB's layout (DIR/data/<category>/<file>.csv, DIR/labels/
combined_windows.json, combined_labels.json and kinds.json) with labelled spikes, dips, outages,
level shifts, variance, trend and frequency changes and calendar pattern anomalies, under
daily/weekly seasonality, Gaussian, Student-t or Poisson noise, irregular sampling and gaps.
Same seed, same bytes. Evaluate with \`vigil eval DIR\`.

Options:
  --out DIR        output folder (required)
  --seed N         seed (default 1)
  --suite NAME     suite (default: default; known: ${Object.keys(SUITES).join(', ')})
  --files N        keep N files, taken round-robin across categories
  -h, --help       this help

Exit codes: 0 ok, 1 error, 2 usage.`;

const command: Command = {
  name: 'synth',
  summary: 'Generate a seeded synthetic suite with labelled anomalies (NAB layout)',
  usage,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        seed: { type: 'string' },
        suite: { type: 'string' },
        files: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(usage + '\n');
      return 0;
    }
    if (positionals.length > 0) throw new VigilError('USAGE', `unexpected argument [${positionals[0]}]`);
    if (!values.out) throw new VigilError('USAGE', '--out DIR is required');
    const seed = values.seed === undefined ? 1 : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new VigilError('USAGE', `--seed must be an integer in [0, 2^32), got [${values.seed}]`);
    const files = values.files === undefined ? undefined : Number(values.files);
    if (files !== undefined && (!Number.isInteger(files) || files < 1)) throw new VigilError('USAGE', `--files must be a positive integer, got [${values.files}]`);
    const suite = values.suite ?? 'default';
    if (!SUITES[suite]) throw new VigilError('USAGE', `unknown suite [${suite}]; known: ${Object.keys(SUITES).join(', ')}`);
    const out = resolve(io.cwd, values.out);
    const series = generateSuite({ seed, suite, files });
    const layout = suiteToNabLayout(series, { seed, suite });
    for (const f of layout) {
      const path = join(out, ...f.path.split('/'));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content);
    }
    const anomalies = series.reduce((a, s) => a + s.anomalies.length, 0);
    io.stdout.write(`Wrote ${series.length} files with ${anomalies} labelled anomalies (suite ${suite}, seed ${seed}) to ${out}\n`);
    return 0;
  },
};

export default command;
