/**
 * What happened to every input record: how many were read and accepted, and for each kind of bad
 * row how many, where (first five positions) and why. Bad rows are never dropped silently; this
 * report is how they are accounted for, and `formatInputReport` turns it into a message for people.
 */

/**
 * Accepted timestamps lie in the years 0000–9999 (ISO 8601's four-digit years). Anything outside is a
 * bad date, not a row: typically epoch milliseconds in an epoch-seconds column (year 55 840), which
 * would otherwise open a gap of billions of empty buckets after the last real row.
 */
export const MIN_TIME_MS = -62_167_219_200_000; // 0000-01-01T00:00:00Z (Date.UTC maps years 0–99 to 19xx)
export const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export type BadRowKind = 'bad_date' | 'missing_field' | 'non_numeric' | 'out_of_order' | 'malformed';

export const BAD_ROW_KINDS: readonly BadRowKind[] = ['bad_date', 'missing_field', 'non_numeric', 'out_of_order', 'malformed'];

/** One example of a bad row. */
export interface BadRowSample {
  /** 1-based physical line where the record starts; for JSON arrays the 0-based element index. */
  line: number;
  /** The field at fault, or null (malformed records). */
  field: string | null;
  /** The offending text (truncated to 120 characters), or a short reason. */
  text: string;
}

export interface BadRowTally {
  count: number;
  /** The first five, in input order. */
  samples: BadRowSample[];
}

export interface InputReport {
  /** The input format actually read. */
  format: 'csv' | 'ndjson' | 'json' | null;
  /** True when the input was gzip-compressed. */
  compressed: boolean;
  /** CSV delimiter used (null for JSON formats). */
  delimiter: string | null;
  /** What `line` numbers count: physical lines, or JSON array elements (0-based). */
  position: 'line' | 'element';
  /** Resolved field names (null when not used). */
  timeField: string | null;
  valueField: string | null;
  partitionField: string | null;
  /** Resolved timestamp format ('auto' if it could never be determined). */
  timeFormat: string | null;
  /** Data records examined: every record except the CSV header and blank lines. */
  processed: number;
  /** Records accepted and emitted in batches. */
  rows: number;
  /** Records rejected, all kinds together (processed = rows + badRows). */
  badRows: number;
  bad: Record<BadRowKind, BadRowTally>;
  /** Blank lines skipped (not records). */
  blankLines: number;
  /** Smallest and largest accepted time (epoch ms), NaN when none. */
  minTime: number;
  maxTime: number;
  /** Bytes read after decompression. */
  bytes: number;
  /** Bytes read from the input as stored (the compressed size for gzip): what progress is measured in. */
  inputBytes: number;
}

export function newInputReport(): InputReport {
  const bad = {} as Record<BadRowKind, BadRowTally>;
  for (const k of BAD_ROW_KINDS) bad[k] = { count: 0, samples: [] };
  return {
    format: null,
    compressed: false,
    delimiter: null,
    position: 'line',
    timeField: null,
    valueField: null,
    partitionField: null,
    timeFormat: null,
    processed: 0,
    rows: 0,
    badRows: 0,
    bad,
    blankLines: 0,
    minTime: NaN,
    maxTime: NaN,
    bytes: 0,
    inputBytes: 0,
  };
}

const MAX_SAMPLES = 5;
const MAX_TEXT = 120;

/** Counts one bad row; `text` is only built for the first five of a kind (pass a thunk to stay cheap). */
export function noteBadRow(report: InputReport, kind: BadRowKind, line: number, field: string | null, text: string | (() => string)): void {
  const t = report.bad[kind];
  t.count++;
  report.badRows++;
  if (t.samples.length < MAX_SAMPLES) {
    let s = typeof text === 'function' ? text() : text;
    if (s.length > MAX_TEXT) s = s.slice(0, MAX_TEXT - 1) + '…';
    t.samples.push({ line, field, text: s });
  }
}

const KIND_WORDS: Record<BadRowKind, [string, string]> = {
  bad_date: ['row with a bad date', 'rows with a bad date'],
  missing_field: ['row with a missing field', 'rows with a missing field'],
  non_numeric: ['row with a non-numeric value', 'rows with a non-numeric value'],
  out_of_order: ['row out of order (older than the latency allows)', 'rows out of order (older than the latency allows)'],
  malformed: ['malformed record', 'malformed records'],
};

/**
 * A human summary, one line per kind of bad row, e.g.
 * `3 rows with a bad date (lines 5, 9, 12: field 'timestamp' = 'yesterday')`.
 * Returns `read N rows, all usable` style text when nothing was rejected.
 *
 * @example console.error(formatInputReport(reader.report));
 */
export function formatInputReport(report: InputReport): string {
  const where = (lines: number[], more: boolean): string => {
    const list = report.position === 'element' ? lines.map((l) => `[${l}]`).join(', ') : lines.join(', ');
    const word = report.position === 'element' ? (lines.length === 1 ? 'array element' : 'array elements') : lines.length === 1 ? 'line' : 'lines';
    return `${word} ${list}${more ? ', …' : ''}`;
  };
  const out: string[] = [];
  out.push(`${report.processed} record${report.processed === 1 ? '' : 's'} read, ${report.rows} used, ${report.badRows} rejected`);
  for (const kind of BAD_ROW_KINDS) {
    const t = report.bad[kind];
    if (t.count === 0) continue;
    const first = t.samples[0];
    const words = KIND_WORDS[kind][t.count === 1 ? 0 : 1];
    const lines = t.samples.map((s) => s.line);
    let detail = '';
    if (first) {
      if (kind === 'malformed' || first.field === null) detail = `: ${first.text}`;
      else if (kind === 'missing_field') detail = `: field '${first.field}'${first.text ? ` ${first.text}` : ''}`;
      else if (kind === 'out_of_order') detail = `: field '${first.field}' = '${first.text}'`;
      else detail = `: field '${first.field}' = '${first.text}'`;
    }
    out.push(`  ${t.count} ${words} (${where(lines, t.count > t.samples.length)}${detail})`);
  }
  if (report.bad.out_of_order.count > 0 && report.bad.out_of_order.count * 2 > report.processed) {
    out.push('  most records are out of order: is the input sorted newest first? Sort it, or allow a larger latency.');
  }
  if (report.rows === 0 && report.processed > 0) {
    out.push(`  no usable row: check the time field (${report.timeField ?? '?'}), its format (${report.timeFormat ?? '?'}) and the value field (${report.valueField ?? 'none'}).`);
  }
  return out.join('\n');
}
