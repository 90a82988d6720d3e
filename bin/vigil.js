#!/usr/bin/env node
// The `vigil` command. Runs the compiled CLI from dist/ (built by `npm run build`).
import { exitOnBrokenPipe, main } from '../dist/src/cli/main.js';

exitOnBrokenPipe(process.stdout); // `vigil … | head` ends quietly

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  cwd: process.cwd(),
});
process.exitCode = code;
