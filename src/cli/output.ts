/**
 * Output files of the commands (--output, --chart): checked before any work starts, so a typo in a
 * path fails in a second rather than after a long run, and written with an error that names the
 * option and the path instead of a stack trace.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { VigilError } from '../core/errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  EISDIR: 'it is a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

/** A VigilError naming the option, the path and why it cannot be written. */
export function outputError(option: string, path: string, err: unknown): VigilError {
  if (err instanceof VigilError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code ?? '';
  const why = REASONS[code] ? `${REASONS[code]} (${code})` : code || (err as Error)?.message || String(err);
  const missing = code === 'ENOENT' || code === 'ENOTDIR';
  return new VigilError(missing ? 'FILE_NOT_FOUND' : 'INVALID_ARGUMENT', `cannot write ${option} ${path}: ${why}`, { path, option });
}

/**
 * Throws (FILE_NOT_FOUND or INVALID_ARGUMENT, naming the option) unless `path` can be written: its
 * folder exists and is writable, and it is not itself a folder. Nothing is created.
 */
export function checkOutputPath(option: string, path: string): void {
  if (path === '') throw new VigilError('USAGE', `${option} needs a file name`);
  try {
    let exists = true;
    try {
      if (statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      exists = false;
    }
    if (exists) accessSync(path, constants.W_OK);
    else {
      const dir = dirname(path);
      if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      accessSync(dir, constants.W_OK);
    }
  } catch (e) {
    throw outputError(option, path, e);
  }
}

/** The chart format implied by a file name (.svg, .png, .html/.htm), or a USAGE error. */
export function chartFormatOf(path: string): 'svg' | 'png' | 'html' {
  const ext = extname(path).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.png') return 'png';
  if (ext === '.html' || ext === '.htm') return 'html';
  throw new VigilError('USAGE', `cannot tell the chart format of "${path}": use a .png, .svg or .html file name`, { path });
}

/** Checks a --chart path up front: a known extension (USAGE otherwise) and a writable place. */
export function checkChartPath(option: string, path: string): void {
  chartFormatOf(path);
  checkOutputPath(option, path);
}

/** writeFile, with an error naming the option and the path. */
export async function writeOutputFile(option: string, path: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (e) {
    throw outputError(option, path, e);
  }
}
