/**
 * Loads the detector modules so they register themselves: every built-in detector (via
 * core/detect/all) plus any extra module named with `--require` (a path or package).
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';

let builtins: Promise<unknown> | undefined;

export async function registerDetectorModules(modules: readonly string[] = [], cwd = process.cwd()): Promise<void> {
  builtins ??= import('../../core/detect/all.js');
  await builtins;
  for (const m of modules) {
    const spec = m.startsWith('.') || isAbsolute(m) ? pathToFileURL(resolve(cwd, m)).href : m;
    await import(spec);
  }
}
