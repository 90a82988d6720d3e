/**
 * Finding a font for PNG rendering. resvg draws no text without a font, so we look for a common
 * sans-serif TrueType file (DejaVu from Debian's `fonts-dejavu-core`, Liberation, Noto, macOS and
 * Windows defaults), or `VIGIL_CHART_FONT`; failing that, resvg scans the system fonts. When no
 * font exists at all (or `VIGIL_CHART_FONT=none`) the chart still renders, without text, and a
 * warning says so.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ResvgRenderOptions } from '@resvg/resvg-js';

const CANDIDATES: { family: string; files: string[] }[] = [
  {
    family: 'DejaVu Sans',
    files: ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/TTF/DejaVuSans.ttf', '/usr/share/fonts/dejavu/DejaVuSans.ttf'],
  },
  {
    family: 'Liberation Sans',
    files: [
      '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
      '/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf',
      '/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf',
    ],
  },
  {
    family: 'Noto Sans',
    files: ['/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf', '/usr/share/fonts/noto/NotoSans-Regular.ttf'],
  },
  { family: 'Arial', files: ['/Library/Fonts/Arial.ttf', '/System/Library/Fonts/Supplemental/Arial.ttf', 'C:\\Windows\\Fonts\\arial.ttf'] },
  { family: 'Helvetica', files: ['/System/Library/Fonts/Helvetica.ttc'] },
];

export interface FontChoice {
  /** resvg font options to use. */
  font: NonNullable<ResvgRenderOptions['font']>;
  /** What was found, for messages: a file path, "system fonts" or null when nothing at all. */
  source: string | null;
}

let cached: FontChoice | undefined;

function boldSibling(file: string): string | null {
  const bold = file.replace(/(-Regular)?\.ttf$/i, (m, reg) => (reg ? '-Bold.ttf' : '-Bold.ttf'));
  return bold !== file && existsSync(bold) ? bold : null;
}

function anyFontUnder(dir: string, depth = 0): boolean {
  if (depth > 4) return false;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    if (e.isFile() && /\.(ttf|otf|ttc)$/i.test(e.name)) return true;
    if (e.isDirectory() && anyFontUnder(join(dir, e.name), depth + 1)) return true;
  }
  return false;
}

/** The font setup for resvg (looked up once per process). */
export function chooseFont(): FontChoice {
  if (cached) return cached;
  const fromEnv = process.env.VIGIL_CHART_FONT;
  if (fromEnv === 'none') {
    // explicit opt-out (and how the tests check that charts degrade without fonts)
    cached = { font: { loadSystemFonts: false }, source: null };
    return cached;
  }
  if (fromEnv && existsSync(fromEnv)) {
    cached = { font: { loadSystemFonts: false, fontFiles: [fromEnv] }, source: fromEnv };
    return cached;
  }
  for (const c of CANDIDATES) {
    const file = c.files.find((f) => existsSync(f));
    if (!file) continue;
    const bold = boldSibling(file);
    cached = {
      font: {
        loadSystemFonts: false,
        fontFiles: bold ? [file, bold] : [file],
        defaultFontFamily: c.family,
        sansSerifFamily: c.family,
      },
      source: file,
    };
    return cached;
  }
  const dirs = ['/usr/share/fonts', '/usr/local/share/fonts', '/Library/Fonts', '/System/Library/Fonts', 'C:\\Windows\\Fonts'];
  const found = dirs.some((d) => anyFontUnder(d));
  cached = { font: { loadSystemFonts: true }, source: found ? 'system fonts' : null };
  return cached;
}

/** For tests: forget the cached choice. */
export function resetFontChoice(): void {
  cached = undefined;
}
