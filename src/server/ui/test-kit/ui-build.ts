/** The UI bundle the end-to-end tests load: built once (scripts/build-ui.mjs) when dist/ui has none. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export function ensureUiBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'ui', 'index.html'))) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-ui.mjs')], { stdio: 'inherit' });
}
