// Builds the web UI (src/ui → dist/ui): type-checks it with its own tsconfig (DOM, JSX), then
// bundles it with Vite. Run by `npm run build`; `node scripts/build-ui.mjs --json` prints the
// build time and bundle sizes (used by `npm run bench -- ui`).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'dist', 'ui');
const json = process.argv.includes('--json');
const skipCheck = process.argv.includes('--no-check');

const t0 = performance.now();
if (!skipCheck) {
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'src', 'ui', 'tsconfig.json')], { stdio: 'inherit' });
  } catch {
    console.error('vigil: the web UI does not type-check (src/ui/tsconfig.json); see the errors above');
    process.exit(1);
  }
}
const t1 = performance.now();
// a production bundle whatever the caller's environment (vite-node and vitest set NODE_ENV)
process.env.NODE_ENV = 'production';
const { build } = await import('vite');
await build({
  root: join(root, 'src', 'ui'),
  base: '/app/',
  mode: 'production',
  configFile: false,
  logLevel: json ? 'silent' : 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir, emptyOutDir: true, target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 300 },
});
const t2 = performance.now();

const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else files.push({ path: p.slice(outDir.length + 1), bytes: statSync(p).size, gzip: gzipSync(readFileSync(p)).length });
  }
};
walk(outDir);
const total = files.reduce((s, f) => s + f.bytes, 0);
const gzip = files.reduce((s, f) => s + f.gzip, 0);
const result = { typecheckMs: Math.round(t1 - t0), buildMs: Math.round(t2 - t1), totalBytes: total, gzipBytes: gzip, files };
if (json) console.log(JSON.stringify(result));
else console.error(`vigil: UI built in ${(result.buildMs / 1000).toFixed(2)} s (type-check ${(result.typecheckMs / 1000).toFixed(2)} s): ${(total / 1024).toFixed(0)} KiB, ${(gzip / 1024).toFixed(0)} KiB gzipped`);
