// Makes a fresh clone runnable: installs dependencies when they are missing and rebuilds dist/
// when any source file is newer than the last build. Used by `npm start`, `npm test`, `npm run bench`.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

if (!existsSync(join(root, 'node_modules', '.package-lock.json')) || !existsSync(join(root, 'node_modules', 'typescript'))) {
  console.error('vigil: installing dependencies (first run)…');
  // `npm install` rather than `npm ci`: npm 11 writes lockfiles without other platforms' optional
  // packages (rollup's) and then refuses them in `npm ci`; install still follows the lockfile
  run('npm install --no-audit --no-fund');
}

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (/\.(ts|tsx|css|html)$/.test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const stamp = join(root, 'dist', '.built');
const srcTime = Math.max(newest(join(root, 'src')), existsSync(join(root, 'bench')) ? newest(join(root, 'bench')) : 0);
if (!existsSync(stamp) || statSync(stamp).mtimeMs < srcTime) {
  console.error('vigil: building…');
  run('npx tsc -p tsconfig.build.json');
  run('node scripts/build-ui.mjs'); // the web UI (src/ui → dist/ui), type-checked with its own tsconfig
  run(`node -e "require('fs').writeFileSync('dist/.built', String(Date.now()))"`);
}
