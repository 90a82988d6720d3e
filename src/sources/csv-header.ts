/**
 * Whether a CSV's first record is a header, when the caller did not say. The first record is
 * compared with the records after it: a column whose values are mostly timestamps but whose first
 * cell is a name (not a timestamp, not a number) makes it a header, even when another of its cells
 * is a number that reads as a time (`time,1700000000`); timestamps where the data has them make it
 * data (`1700000000,42`). Without such a column (one record, no timestamps below) it is data when
 * one of its cells reads as a timestamp and none is a name the time or the other fields go by.
 */
import { detectTimestampFormat, makeTimestampParser, normalizeTimestampFormat, scoreTimestampFormats } from '../core/time/parse-timestamp.js';
import { TIME_NAMES } from './choose-fields.js';
import { parseNumberBytes } from './parse-number.js';

export interface CsvHeaderOptions {
  /** The timestamp format given ('auto' or undefined: detected). */
  timeFormat?: string;
  timeZone?: string;
  /** Field names the caller gave (time, value, partition): finding one in the first record makes it a header. */
  names?: readonly (string | undefined)[];
}

const isNumber = (text: string): boolean => {
  const b = Buffer.from(text.trim(), 'utf8');
  return b.length > 0 && !Number.isNaN(parseNumberBytes(b, 0, b.length));
};

/** Decides from the first record and the records after it (as text). */
export function looksLikeCsvHeader(first: readonly string[], rows: readonly (readonly string[])[], options: CsvHeaderOptions = {}): boolean {
  const given = new Set(options.names?.filter((n): n is string => !!n).map((n) => n.trim().toLowerCase()));
  if (given.size && first.some((f) => given.has(f.trim().toLowerCase()))) return true;
  const zone = { timeZone: options.timeZone };
  const format = options.timeFormat === undefined ? 'auto' : normalizeTimestampFormat(options.timeFormat);
  const fixed = format === 'auto' ? null : makeTimestampParser(format, zone);
  let timeColumns = 0;
  let namedTimeColumn = false;
  for (let k = 0; k < first.length; k++) {
    const samples = rows.map((r) => r[k] ?? '').filter((v) => v.trim() !== '');
    if (samples.length === 0) continue;
    let parse: ((text: string) => number) | null = fixed;
    if (parse === null) {
      const score = scoreTimestampFormats(samples, zone);
      if (!score || score.parsed * 2 <= score.total) continue;
      parse = makeTimestampParser(score.format, zone);
    } else {
      const p = parse;
      if (samples.filter((v) => !Number.isNaN(p(v))).length * 2 <= samples.length) continue;
    }
    timeColumns++;
    const cell = first[k].trim();
    if (cell !== '' && Number.isNaN(parse(cell)) && !isNumber(cell)) namedTimeColumn = true;
  }
  if (timeColumns > 0) return namedTimeColumn;
  // nothing below to compare with
  if (first.some((f) => TIME_NAMES.includes(f.trim().toLowerCase()))) return true;
  return !first.some((f) => (fixed ? !Number.isNaN(fixed(f)) : detectTimestampFormat([f], zone) !== null));
}
