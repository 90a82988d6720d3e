/**
 * Runs the `vigil` CLI in-process for tests: `main(argv)` with captured stdout/stderr, an optional
 * stdin text and a working directory.
 */
import { PassThrough, Readable } from 'node:stream';
import { main } from './main.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(argv: string[], o: { cwd?: string; stdin?: string } = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await main(argv, { stdout, stderr, stdin: Readable.from(o.stdin ? [o.stdin] : []), cwd: o.cwd ?? process.cwd() });
  return { code, out, err };
}
