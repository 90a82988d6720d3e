/**
 * Reading and writing NAB's small CSV files (`timestamp,value[,anomaly_score,...]`) from and to
 * strings. Pure: the caller does the file I/O. Timestamps are kept verbatim (so results files copy
 * them exactly) and also parsed to epoch milliseconds, read as UTC (NAB stamps carry no zone).
 */
import { VigilError } from '../errors.js';

/** One NAB data or results file, as columns. */
export interface NabTable {
  /** Timestamps exactly as written in the file. */
  stamps: string[];
  /** The same, as epoch milliseconds (UTC). */
  times: Float64Array;
  /** `value` column (NaN where empty or not a number). */
  values: Float64Array;
  /** `value` cells exactly as written (so results files can copy them verbatim). */
  valueTexts: string[];
  /** `anomaly_score` column when the file has one (results files), else undefined. */
  scores: Float64Array | undefined;
}

const STAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z)?$/;

/**
 * Parses `YYYY-MM-DD HH:MM[:SS[.ffffff]]` (as NAB writes, with or without fraction) to epoch ms, UTC.
 * Returns NaN when the text is not such a stamp.
 *
 * @example parseNabTime('2014-04-10 16:15:00.000000') === Date.UTC(2014, 3, 10, 16, 15)
 */
export function parseNabTime(text: string): number {
  const m = STAMP.exec(text.trim());
  if (!m) return NaN;
  const ms = m[7] ? Math.round(Number('0.' + m[7]) * 1000) : 0;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], m[6] ? +m[6] : 0, ms);
}

/** Formats epoch ms as NAB does: `YYYY-MM-DD HH:MM:SS` (UTC, whole seconds). */
export function formatNabTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => (n < 10 ? '0' + n : String(n));
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
  );
}

/**
 * Parses a NAB CSV (header with `timestamp` and `value`, optionally `anomaly_score`; LF or CRLF).
 * `name` is used in error messages only.
 */
export function parseNabCsv(text: string, name = 'input'): NabTable {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  const ti = header.indexOf('timestamp');
  const vi = header.indexOf('value');
  const si = header.indexOf('anomaly_score');
  if (ti < 0) throw new VigilError('PARSE_ERROR', `${name}: no [timestamp] column in header [${lines[0] ?? ''}]`);
  let rows = 0;
  for (let i = 1; i < lines.length; i++) if (lines[i].length > 0) rows++;
  const stamps: string[] = new Array(rows);
  const times = new Float64Array(rows);
  const values = new Float64Array(rows);
  const valueTexts: string[] = new Array(rows);
  const scores = si >= 0 ? new Float64Array(rows) : undefined;
  let r = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.length === 0) continue;
    const cells = line.split(',');
    const stamp = cells[ti] ?? '';
    const t = parseNabTime(stamp);
    if (Number.isNaN(t)) throw new VigilError('PARSE_ERROR', `${name}: line ${i + 1}: cannot read timestamp [${stamp}]`);
    stamps[r] = stamp;
    times[r] = t;
    const cell = vi >= 0 ? (cells[vi] ?? '') : '';
    valueTexts[r] = cell;
    values[r] = cell !== '' ? Number(cell) : NaN;
    if (scores) {
      const s = Number(cells[si]);
      if (!Number.isFinite(s)) throw new VigilError('PARSE_ERROR', `${name}: line ${i + 1}: cannot read anomaly_score [${cells[si]}]`);
      scores[r] = s;
    }
    r++;
  }
  return { stamps, times, values, valueTexts, scores };
}

/** Formats a number for CSV output compactly and deterministically (up to 6 significant decimals). */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return '';
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(10)));
}

/**
 * Writes a results file in NAB's layout: `timestamp,value,anomaly_score,label`, one row per input
 * row, timestamps and value cells copied verbatim. `labels` (1 inside a window) is optional.
 */
export function formatNabResults(stamps: string[], valueTexts: string[], scores: Float64Array, labels?: Uint8Array): string {
  const out: string[] = ['timestamp,value,anomaly_score,label'];
  for (let i = 0; i < stamps.length; i++) {
    out.push(`${stamps[i]},${valueTexts[i]},${formatNumber(scores[i])},${labels ? labels[i] : 0}`);
  }
  return out.join('\n') + '\n';
}
