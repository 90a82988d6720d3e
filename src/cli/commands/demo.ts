/**
 * `vigil demo` (what `npm start` runs): anomaly detection on the bundled example dataset — five
 * weeks of web requests per 5 minutes with known incidents — printing the anomalies and writing
 * the chart as PNG and interactive HTML.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXIT_OK, type Command, type CommandIO } from '../command.js';
import detect from './detect.js';

const USAGE = `Usage: vigil demo [--out DIR]


Runs \`vigil detect\` on the bundled example (examples/web-requests.csv: five weeks of requests per
5 minutes with a spike, a weekday as quiet as a Sunday, a dip, an outage, a level shift and a gap)
and writes the chart to DIR (default ./vigil-demo) as demo.png and demo.html.`;

export function exampleFile(): string {
  return fileURLToPath(new URL('../../../../examples/web-requests.csv', import.meta.url));
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout.write(USAGE + '\n');
    return EXIT_OK;
  }
  const dir = values.out ?? join(io.cwd, 'vigil-demo');
  mkdirSync(dir, { recursive: true });
  const file = relative(io.cwd, exampleFile()) || exampleFile();
  io.stdout.write(`Vigil demo: vigil detect ${file} --chart ${join(dir, 'demo.png')}\n\n`);
  const code = await detect.run([file, '--bucket-span', '5m', '--chart', join(dir, 'demo.png')], io);
  if (code !== EXIT_OK) return code;
  const html = await detect.run([file, '--bucket-span', '5m', '--no-progress', '--chart', join(dir, 'demo.html'), '--format', 'json', '--output', join(dir, 'anomalies.json')], io);
  io.stdout.write(`\nOpen ${join(dir, 'demo.html')} in a browser to zoom into the chart; ${join(dir, 'anomalies.json')} holds the results as JSON.\n`);
  io.stdout.write(`Try it on your own data: node bin/vigil.js detect YOUR.csv --chart chart.html\n`);
  return html;
}

const command: Command = { name: 'demo', summary: 'detect anomalies in the bundled example and chart them', usage: USAGE, run };
export default command;
