/**
 * An uploaded file as a table, for the job wizard: CSV (delimiter and header detected), NDJSON or a
 * JSON array, plain or gzip, read into columns of text; the time field chosen and parsed the way
 * `vigil detect` does (src/sources/choose-fields.ts, src/core/time), and per-field statistics like
 * Elastic's Data Visualizer (count, distinct values, min/median/max, top values, distribution).
 *
 * This is a whole-file reader (uploads are bounded); streamed detection stays in src/sources.
 */
import { gunzipSync } from 'node:zlib';
import { VigilError } from '../../core/errors.js';
import { makeTimestampParser } from '../../core/time/parse-timestamp.js';
import { chooseFields } from '../../sources/choose-fields.js';
import { detectDelimiter, readCsvTextRecord } from '../../sources/csv-scanner.js';
import { parseNumberBytes } from '../../sources/parse-number.js';

export interface UploadTable {
  format: 'csv' | 'ndjson' | 'json';
  delimiter: string | null;
  fields: string[];
  /** Column text per field ('' when the record lacks it). */
  columns: Map<string, string[]>;
  rows: number;
  /** Records that could not be read (malformed CSV quoting, bad JSON lines). */
  malformed: number;
  timeField: string;
  timeFormat: string;
  /** Epoch ms per row; NaN where the time did not parse. */
  times: Float64Array;
}

const SAMPLE = 500;

function isGzip(b: Uint8Array): boolean {
  return b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function flatten(o: Record<string, unknown>, into: Record<string, string>, prefix = '', depth = 0): void {
  for (const [k, v] of Object.entries(o)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 4) flatten(v as Record<string, unknown>, into, name, depth + 1);
    else if (v === null || v === undefined) into[name] = '';
    else if (Array.isArray(v)) into[name] = v.map(String).join(',');
    else into[name] = String(v);
  }
}

function fromObjects(objs: Record<string, unknown>[], malformed: number, format: 'ndjson' | 'json'): Omit<UploadTable, 'timeField' | 'timeFormat' | 'times'> {
  const fields: string[] = [];
  const columns = new Map<string, string[]>();
  objs.forEach((o, row) => {
    const flat: Record<string, string> = {};
    flatten(o, flat);
    for (const [k, v] of Object.entries(flat)) {
      let col = columns.get(k);
      if (!col) {
        fields.push(k);
        col = new Array<string>(objs.length).fill('');
        columns.set(k, col);
      }
      col[row] = v;
    }
  });
  return { format, delimiter: null, fields, columns, rows: objs.length, malformed };
}

/** Reads the whole upload into columns and picks (or checks) the time field. */
export function readUploadTable(raw: Uint8Array, o: { timeField?: string; timeFormat?: string; timeZone?: string } = {}): UploadTable {
  const buf = isGzip(raw) ? gunzipSync(raw) : raw;
  let p = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) p = 3; // BOM
  while (p < buf.length && (buf[p] === 32 || buf[p] === 9 || buf[p] === 10 || buf[p] === 13)) p++;
  if (p >= buf.length) throw new VigilError('NO_USABLE_DATA', 'the file is empty');
  let base: Omit<UploadTable, 'timeField' | 'timeFormat' | 'times'>;
  const text = (): string => new TextDecoder().decode(buf.subarray(p));
  if (buf[p] === 0x5b /* [ */) {
    let arr: unknown;
    try {
      arr = JSON.parse(text());
    } catch (e) {
      throw new VigilError('PARSE_ERROR', `the file starts like a JSON array but is not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(arr)) throw new VigilError('PARSE_ERROR', 'expected a JSON array of objects');
    const objs = arr.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x));
    base = fromObjects(objs, arr.length - objs.length, 'json');
  } else if (buf[p] === 0x7b /* { */) {
    const objs: Record<string, unknown>[] = [];
    let bad = 0;
    for (const line of text().split(/\r?\n/)) {
      if (line.trim() === '') continue;
      try {
        const v = JSON.parse(line) as unknown;
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) objs.push(v as Record<string, unknown>);
        else bad++;
      } catch {
        bad++;
      }
    }
    base = fromObjects(objs, bad, 'ndjson');
  } else {
    const delimiter = detectDelimiter(buf, p);
    const header = readCsvTextRecord(buf, p, delimiter, true);
    if (!header || header.blank) throw new VigilError('NO_USABLE_DATA', 'the CSV file has no header line');
    const fields = header.fields.map((f, i) => f.trim() || `column${i + 1}`);
    const cols: string[][] = fields.map(() => []);
    let malformed = 0;
    let pos = header.next;
    while (pos < buf.length) {
      const r = readCsvTextRecord(buf, pos, delimiter, true);
      if (!r) break;
      pos = r.next;
      if (r.blank) continue;
      if (r.malformed) {
        malformed++;
        continue;
      }
      for (let i = 0; i < fields.length; i++) cols[i].push(r.fields[i] ?? '');
    }
    base = { format: 'csv', delimiter, fields, columns: new Map(fields.map((f, i) => [f, cols[i]])), rows: cols[0]?.length ?? 0, malformed };
  }
  if (base.rows === 0) throw new VigilError('NO_USABLE_DATA', 'the file holds no records');
  const sample = (name: string): string[] => (base.columns.get(name) ?? []).slice(0, SAMPLE);
  const choice = chooseFields(base.fields, sample, { timeField: o.timeField, timeFormat: o.timeFormat, timeZone: o.timeZone, valueKind: 'none' });
  const parse = makeTimestampParser(choice.timeFormat, { timeZone: o.timeZone });
  const col = base.columns.get(choice.timeField)!;
  const times = new Float64Array(base.rows);
  for (let i = 0; i < base.rows; i++) times[i] = col[i] === '' ? NaN : parse(col[i].trim());
  return { ...base, timeField: choice.timeField, timeFormat: parse.format === 'auto' ? choice.timeFormat : parse.format, times };
}

/** Parses text as a number (the same parser as the readers); NaN when it is not one. */
export function numberOf(text: string): number {
  if (text === '') return NaN;
  const b = Buffer.from(text.trim(), 'utf8');
  return parseNumberBytes(b, 0, b.length);
}

export interface FieldStats {
  name: string;
  /** `date` (the time field), `number` (≥ 90 % of non-empty values numeric) or `keyword`. */
  type: 'date' | 'number' | 'keyword';
  /** Rows where the field has a value. */
  count: number;
  /** Distinct values (exact up to `distinctCapped`). */
  distinct: number;
  distinctCapped: boolean;
  min?: number;
  median?: number;
  max?: number;
  /** Most frequent values with their counts. */
  top: { value: string; count: number }[];
  /** Number fields and the time field: equal-width bins over [min, max]. */
  histogram?: { from: number; to: number; counts: number[] };
}

const DISTINCT_CAP = 100_000;

function histogramOf(values: Float64Array, bins: number): FieldStats['histogram'] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const counts = new Array<number>(bins).fill(0);
  const w = hi > lo ? (hi - lo) / bins : 1;
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / w))]++;
  return { from: lo, to: hi > lo ? hi : lo + 1, counts };
}

function topOf(col: readonly string[], n: number): { top: FieldStats['top']; distinct: number; capped: boolean; count: number } {
  const seen = new Map<string, number>();
  let capped = false;
  let count = 0;
  for (const v of col) {
    if (v === '') continue;
    count++;
    const c = seen.get(v);
    if (c !== undefined) seen.set(v, c + 1);
    else if (seen.size < DISTINCT_CAP) seen.set(v, 1);
    else capped = true;
  }
  const top = [...seen.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([value, c]) => ({ value, count: c }));
  return { top, distinct: seen.size, capped, count };
}

/** Data Visualizer statistics for every field of the table. */
export function fieldStats(t: UploadTable): FieldStats[] {
  return t.fields.map((name) => {
    const col = t.columns.get(name)!;
    const { top, distinct, capped, count } = topOf(col, 10);
    const out: FieldStats = { name, type: 'keyword', count, distinct, distinctCapped: capped, top };
    let nums: Float64Array | null = null;
    if (name === t.timeField) {
      out.type = 'date';
      nums = t.times.filter((x) => Number.isFinite(x));
    } else {
      const parsed = new Float64Array(col.length);
      let k = 0;
      for (const v of col) {
        const x = numberOf(v);
        if (Number.isFinite(x)) parsed[k++] = x;
      }
      if (count > 0 && k >= 0.9 * count) {
        out.type = 'number';
        nums = parsed.subarray(0, k);
      }
    }
    if (nums && nums.length > 0) {
      const sorted = Float64Array.from(nums).sort();
      out.min = sorted[0];
      out.max = sorted[sorted.length - 1];
      out.median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
      out.histogram = histogramOf(sorted, 24);
    }
    return out;
  });
}
