/**
 * `vigil` entry point: dispatches to a command module (loaded lazily so start-up stays fast) and
 * turns errors into messages and exit codes (0 ok, 1 error, 2 usage).
 */
import { VigilError } from '../core/errors.js';
import { EXIT_ERROR, EXIT_USAGE, type Command, type CommandIO } from './command.js';

const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  detect: () => import('./commands/detect.js'),
  demo: () => import('./commands/demo.js'),
  eval: () => import('./commands/eval.js'),
  synth: () => import('./commands/synth.js'),
  forecast: () => import('./commands/forecast.js'),
  'eval-forecast': () => import('./commands/eval-forecast.js'),
  train: () => import('./commands/train.js'),
  serve: () => import('./commands/serve.js'),
  'api-key': () => import('./commands/api-key.js'),
  backup: () => import('./commands/backup.js'),
  restore: () => import('./commands/restore.js'),
  alerts: () => import('./commands/alerts.js'),
};

export function commandNames(): string[] {
  return Object.keys(COMMANDS);
}

async function help(io: CommandIO): Promise<void> {
  const lines = ['Usage: vigil <command> [options]', '', 'Commands:'];
  for (const name of Object.keys(COMMANDS)) {
    const cmd = (await COMMANDS[name]()).default;
    lines.push(`  ${name.padEnd(16)}${cmd.summary}`);
  }
  lines.push('', 'Run `vigil <command> --help` for the options of a command.');
  io.stdout.write(lines.join('\n') + '\n');
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    await help(io);
    return name ? 0 : EXIT_USAGE;
  }
  if (name === '--version' || name === '-v') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    io.stdout.write(pkg.version + '\n');
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`vigil: unknown command '${name}'. Run 'vigil --help' for the list.\n`);
    return EXIT_USAGE;
  }
  const cmd = (await load()).default;
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    return reportError(err, io, cmd);
  }
}

export function reportError(err: unknown, io: CommandIO, cmd?: Command): number {
  if (err instanceof VigilError) {
    io.stderr.write(`vigil${cmd ? ' ' + cmd.name : ''}: ${err.message}\n  (${err.code}) ${err.hint}\n`);
    return err.code === 'USAGE' ? EXIT_USAGE : EXIT_ERROR;
  }
  // node:util parseArgs raises these for unknown or malformed options
  const code = (err as { code?: string } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`vigil${cmd ? ' ' + cmd.name : ''}: ${(err as Error).message}\n`);
    if (cmd) io.stderr.write(cmd.usage + '\n');
    return EXIT_USAGE;
  }
  io.stderr.write(`vigil: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT_ERROR;
}

/**
 * When the reader of `stream` goes away (`vigil detect big.csv --points | head`), writes fail with
 * EPIPE; without a listener Node dies with an "Unhandled 'error' event" stack trace. This ends the
 * process quietly instead (`exit`, with the exit code so far or 0), as Unix tools do; any other
 * stream error is rethrown.
 */
export function exitOnBrokenPipe(stream: NodeJS.EventEmitter, exit: (code: number) => void = (c) => process.exit(c)): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}
