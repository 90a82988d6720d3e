/**
 * Reading a corpus in NAB's layout from disk: `DIR/data/<category>/<file>.csv`,
 * `DIR/labels/combined_windows.json`, optional `combined_labels.json` and `kinds.json` (synthetic
 * suites), and results folders `<results>/<detector>/<category>/<detector>_<file>.csv`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../../core/errors.js';
import { parseNabCsv, parseNabTime, type NabTable } from '../../core/eval/nab-csv.js';

/** One anomaly's kind and onset, as the synthetic generator writes in `labels/kinds.json`. */
export interface KindLabel {
  kind: string;
  /** Onset and end of the anomaly itself (timestamps of the file). */
  start: string;
  end: string;
  /** The NAB window around it. */
  window: [string, string];
}

export interface CorpusLabels {
  /** `<category>/<file>.csv` → windows (epoch ms, inclusive). */
  windows: Map<string, Array<[number, number]>>;
  /** `<category>/<file>.csv` → labelled onsets (epoch ms), when combined_labels.json exists. */
  onsets: Map<string, number[]>;
  /** `<category>/<file>.csv` → anomaly kinds, when labels/kinds.json exists. */
  kinds: Map<string, KindLabel[]> | undefined;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new VigilError('PARSE_ERROR', `cannot read ${path}: ${(err as Error).message}`);
  }
}

function toTime(text: unknown, where: string): number {
  const t = typeof text === 'string' ? parseNabTime(text) : NaN;
  if (Number.isNaN(t)) throw new VigilError('PARSE_ERROR', `${where}: cannot read timestamp [${String(text)}]`);
  return t;
}

/** Reads DIR/labels. Throws FILE_NOT_FOUND when combined_windows.json is missing. */
export function loadLabels(dir: string): CorpusLabels {
  const wPath = join(dir, 'labels', 'combined_windows.json');
  if (!existsSync(wPath)) throw new VigilError('FILE_NOT_FOUND', `no labels at ${wPath} (expected NAB layout: DIR/data, DIR/labels)`);
  const raw = readJson(wPath) as Record<string, unknown>;
  const windows = new Map<string, Array<[number, number]>>();
  for (const [file, list] of Object.entries(raw)) {
    if (!Array.isArray(list)) throw new VigilError('PARSE_ERROR', `${wPath}: [${file}] is not a list of windows`);
    windows.set(
      file,
      list.map((w) => {
        if (!Array.isArray(w) || w.length !== 2) throw new VigilError('PARSE_ERROR', `${wPath}: [${file}] has a window that is not [start, end]`);
        return [toTime(w[0], wPath), toTime(w[1], wPath)] as [number, number];
      }),
    );
  }
  const onsets = new Map<string, number[]>();
  const lPath = join(dir, 'labels', 'combined_labels.json');
  if (existsSync(lPath)) {
    const l = readJson(lPath) as Record<string, unknown>;
    for (const [file, list] of Object.entries(l)) {
      if (Array.isArray(list)) onsets.set(file, list.map((t) => toTime(t, lPath)).sort((a, b) => a - b));
    }
  }
  let kinds: Map<string, KindLabel[]> | undefined;
  const kPath = join(dir, 'labels', 'kinds.json');
  if (existsSync(kPath)) {
    kinds = new Map(Object.entries(readJson(kPath) as Record<string, KindLabel[]>));
  }
  return { windows, onsets, kinds };
}

/** A data file of the corpus: `<category>/<file>.csv` and its absolute path. */
export interface CorpusFile {
  /** Key as in the labels: `<category>/<name>.csv`. */
  key: string;
  category: string;
  name: string;
  path: string;
}

/** Lists DIR/data/<category>/*.csv in a stable order. */
export function listDataFiles(dir: string): CorpusFile[] {
  const dataDir = join(dir, 'data');
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) {
    throw new VigilError('FILE_NOT_FOUND', `no data folder at ${dataDir} (expected NAB layout: DIR/data/<category>/<file>.csv)`);
  }
  const files: CorpusFile[] = [];
  for (const category of readdirSync(dataDir).sort()) {
    const catDir = join(dataDir, category);
    if (!statSync(catDir).isDirectory()) continue;
    for (const name of readdirSync(catDir).sort()) {
      if (!name.endsWith('.csv')) continue;
      files.push({ key: `${category}/${name}`, category, name, path: join(catDir, name) });
    }
  }
  return files;
}

export function readTable(path: string): NabTable {
  return parseNabCsv(readFileSync(path, 'utf8'), path);
}

/** Path of a detector's results file for a data file, in NAB's results layout. */
export function resultsPath(resultsDir: string, detector: string, file: CorpusFile): string {
  return join(resultsDir, detector, file.category, `${detector}_${file.name}`);
}

/** The detector sub-folders of a results folder (NAB: one per detector). */
export function listResultDetectors(resultsDir: string): string[] {
  if (!existsSync(resultsDir) || !statSync(resultsDir).isDirectory()) {
    throw new VigilError('FILE_NOT_FOUND', `no results folder at ${resultsDir}`);
  }
  return readdirSync(resultsDir)
    .filter((d) => statSync(join(resultsDir, d)).isDirectory())
    .sort();
}
