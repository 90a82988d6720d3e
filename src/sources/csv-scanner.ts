/**
 * CSV (RFC 4180) reading on raw bytes: delimiter detection, the header, and the hot loop that turns
 * records into batch rows without per-row objects or substrings (numbers and timestamps are parsed
 * in place; strings are decoded only for the partition, string values and raw timestamps).
 *
 * Grammar: fields separated by the delimiter; a field that starts with `"` is quoted, may hold
 * delimiters, newlines and `""` (a quote). Text after a closing quote, or a quote never closed, makes
 * the record malformed; a quote inside an unquoted field is taken literally. CRLF, LF and lone CR end
 * records. Blank lines are skipped (and counted). Extra columns are ignored.
 */
import type { TimestampParser } from '../core/time/parse-timestamp.js';
import { MAX_TIME_MS, MIN_TIME_MS, noteBadRow, type InputReport } from './input-report.js';
import { parseNumberBytes } from './parse-number.js';
import type { BatchSink } from './series-batch.js';

const QUOTE = 34;
const LF = 10;
const CR = 13;

export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;

/**
 * Picks the delimiter among , ; tab | from the first lines of `b` (from `start`): the one that
 * appears the same non-zero number of times on every sampled line, most often; failing that, the
 * most frequent on the first line; failing that, a comma.
 */
export function detectDelimiter(b: Uint8Array, start = 0, maxLines = 10): string {
  const codes = CSV_DELIMITERS.map((d) => d.charCodeAt(0));
  const perLine: number[][] = [];
  let counts = codes.map(() => 0);
  let inQuote = false;
  for (let i = start; i < b.length && perLine.length < maxLines; i++) {
    const c = b[i];
    if (c === QUOTE) inQuote = !inQuote;
    else if (!inQuote && (c === LF || c === CR)) {
      if (c === CR && b[i + 1] === LF) i++;
      perLine.push(counts);
      counts = codes.map(() => 0);
    } else if (!inQuote) {
      const k = codes.indexOf(c);
      if (k >= 0) counts[k]++;
    }
  }
  if (counts.some((x) => x > 0) || perLine.length === 0) perLine.push(counts);
  let best = -1;
  let bestCount = 0;
  for (let k = 0; k < codes.length; k++) {
    const first = perLine[0][k];
    if (first > 0 && perLine.every((l) => l[k] === first) && first > bestCount) {
      best = k;
      bestCount = first;
    }
  }
  if (best < 0) {
    for (let k = 0; k < codes.length; k++) {
      if (perLine[0][k] > bestCount) {
        best = k;
        bestCount = perLine[0][k];
      }
    }
  }
  return best < 0 ? ',' : CSV_DELIMITERS[best];
}

/** One CSV record as strings (for the header and detection samples; not the hot path). */
export interface CsvTextRecord {
  fields: string[];
  /** Offset just after the record (and its line end). */
  next: number;
  /** Physical lines the record spans, line end included. */
  lines: number;
  malformed: boolean;
  /** True for an empty line. */
  blank: boolean;
}

/** Reads one record at `pos`; null when the buffer ends inside it (and more data may follow). */
export function readCsvTextRecord(b: Uint8Array, pos: number, delimiter: string, final: boolean): CsvTextRecord | null {
  const delim = delimiter.charCodeAt(0);
  const n = b.length;
  const dec = new TextDecoder();
  let i = pos;
  let lines = 0;
  const fields: string[] = [];
  let malformed = false;
  if (i < n && (b[i] === LF || b[i] === CR)) {
    if (b[i] === CR) {
      if (i + 1 >= n && !final) return null;
      i += b[i + 1] === LF ? 2 : 1;
    } else i++;
    return { fields, next: i, lines: 1, malformed, blank: true };
  }
  for (;;) {
    let text: string;
    if (i < n && b[i] === QUOTE) {
      i++;
      const parts: string[] = [];
      let from = i;
      for (;;) {
        if (i >= n) {
          if (!final) return null;
          malformed = true;
          break;
        }
        const c = b[i];
        if (c === QUOTE) {
          if (i + 1 >= n && !final) return null;
          if (b[i + 1] === QUOTE) {
            parts.push(dec.decode(b.subarray(from, i + 1)));
            i += 2;
            from = i;
            continue;
          }
          break;
        }
        if (c === LF) lines++;
        i++;
      }
      parts.push(dec.decode(b.subarray(from, Math.min(i, n))));
      text = parts.join('');
      i++;
      if (i < n && b[i] !== delim && b[i] !== LF && b[i] !== CR) {
        malformed = true;
        const s = i;
        while (i < n && b[i] !== delim && b[i] !== LF && b[i] !== CR) i++;
        text += dec.decode(b.subarray(s, i));
      }
    } else {
      const s = i;
      while (i < n && b[i] !== delim && b[i] !== LF && b[i] !== CR) i++;
      text = dec.decode(b.subarray(s, i));
    }
    if (i >= n && !final) return null;
    fields.push(text);
    if (i >= n) break;
    const c = b[i];
    if (c === delim) {
      i++;
      continue;
    }
    if (c === CR) {
      if (i + 1 >= n && !final) return null;
      i += b[i + 1] === LF ? 2 : 1;
    } else i++;
    lines++;
    break;
  }
  return { fields, next: i, lines: Math.max(lines, 1), malformed, blank: false };
}

export interface CsvScanConfig {
  delimiter: string;
  /** Column indices; -1 when not read. */
  timeCol: number;
  valueCol: number;
  partitionCol: number;
  timeField: string;
  valueField: string | null;
  partitionField: string | null;
  valueKind: 'number' | 'string' | 'none';
  keepRawTime: boolean;
  parseTime: TimestampParser;
  latencyMs: number;
  maxRecordBytes: number;
}

function fieldText(b: Buffer, s: number, e: number, escaped: boolean): string {
  const t = b.toString('utf8', s, e);
  return escaped ? t.replace(/""/g, '"') : t;
}

function isBlank(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== 32 && b[i] !== 9) return false;
  return true;
}

/** Streams CSV data records (after the header) into a BatchSink, accounting for bad rows. */
export class CsvScanner {
  /** Physical line number of the next unread byte. */
  line: number;
  private leftover: Buffer | null = null;
  private skipping = false;
  private readonly delim: number;
  private readonly maxCol: number;

  constructor(
    private readonly cfg: CsvScanConfig,
    private readonly sink: BatchSink,
    private readonly report: InputReport,
    firstLine: number,
  ) {
    this.line = firstLine;
    this.delim = cfg.delimiter.charCodeAt(0);
    this.maxCol = Math.max(cfg.timeCol, cfg.valueCol, cfg.partitionCol);
  }

  /** Feeds the next bytes; `final` when no more will come. */
  push(chunk: Buffer, final: boolean): void {
    let buf = chunk;
    let pos = 0;
    if (this.skipping) {
      const nl = buf.indexOf(LF);
      if (nl < 0) {
        if (final) this.skipping = false;
        return;
      }
      this.skipping = false;
      this.line++;
      pos = nl + 1;
    }
    if (this.leftover !== null) {
      buf = Buffer.concat([this.leftover, buf.subarray(pos)]);
      pos = 0;
      this.leftover = null;
    }
    for (;;) {
      const stop = this.scan(buf, pos, final);
      if (stop >= buf.length) return;
      if (final || buf.length - stop > this.cfg.maxRecordBytes) {
        // A quote never closed (or a record beyond all reason): report it and start again on the next line.
        const why = final ? 'quoted field never closed' : `record longer than ${this.cfg.maxRecordBytes} bytes (a quote never closed?)`;
        this.report.processed++;
        noteBadRow(this.report, 'malformed', this.line, null, () => `${why}: ${JSON.stringify(buf.toString('utf8', stop, Math.min(buf.length, stop + 60)))}`);
        const nl = buf.indexOf(LF, stop);
        if (nl < 0) {
          this.skipping = !final;
          return;
        }
        this.line++;
        pos = nl + 1;
        continue;
      }
      this.leftover = Buffer.from(buf.subarray(stop));
      return;
    }
  }

  /** Reads whole records from `pos`; returns where an incomplete one starts, or buf.length. */
  private scan(b: Buffer, pos: number, final: boolean): number {
    const n = b.length;
    const delim = this.delim;
    const cfg = this.cfg;
    const tCol = cfg.timeCol, vCol = cfg.valueCol, pCol = cfg.partitionCol, maxCol = this.maxCol;
    const parseBytes = cfg.parseTime.parseBytes;
    const parseText = cfg.parseTime;
    const numeric = cfg.valueKind === 'number';
    const stringValue = cfg.valueKind === 'string';
    const keepRaw = cfg.keepRawTime;
    const latency = cfg.latencyMs;
    const sink = this.sink;
    const report = this.report;
    let line = this.line;
    let i = pos;
    while (i < n) {
      const recStart = i;
      const recLine = line;
      let c = b[i];
      if (c === LF) {
        i++;
        line++;
        report.blankLines++;
        continue;
      }
      if (c === CR) {
        if (i + 1 >= n && !final) {
          this.line = line;
          return recStart;
        }
        i++;
        if (i < n && b[i] === LF) i++;
        line++;
        report.blankLines++;
        continue;
      }
      let col = 0;
      let ts = -1, te = -1, vs = -1, ve = -1, ps = -1, pe = -1;
      let tEsc = false, vEsc = false, pEsc = false;
      let bad = false;
      let incomplete = false;
      for (;;) {
        let fs = i;
        let fe: number;
        let esc = false;
        if (i < n && b[i] === QUOTE) {
          i++;
          fs = i;
          for (;;) {
            if (i >= n) {
              incomplete = true;
              break;
            }
            c = b[i];
            if (c === QUOTE) {
              if (i + 1 < n) {
                if (b[i + 1] === QUOTE) {
                  esc = true;
                  i += 2;
                  continue;
                }
              } else if (!final) incomplete = true;
              break;
            }
            if (c === LF) line++;
            i++;
          }
          if (incomplete) break;
          fe = i;
          i++;
          if (i < n) {
            c = b[i];
            if (c !== delim && c !== LF && c !== CR) {
              bad = true;
              while (i < n && (c = b[i]) !== delim && c !== LF && c !== CR) i++;
            }
          }
        } else {
          while (i < n) {
            c = b[i];
            if (c === delim || c === LF || c === CR) break;
            i++;
          }
          fe = i;
        }
        if (i >= n && !final) {
          incomplete = true;
          break;
        }
        if (col === tCol) {
          ts = fs;
          te = fe;
          tEsc = esc;
        } else if (col === vCol) {
          vs = fs;
          ve = fe;
          vEsc = esc;
        } else if (col === pCol) {
          ps = fs;
          pe = fe;
          pEsc = esc;
        }
        col++;
        if (i >= n) break;
        c = b[i];
        if (c === delim) {
          i++;
          continue;
        }
        if (c === CR) {
          i++;
          if (i < n) {
            if (b[i] === LF) i++;
          } else if (!final) {
            incomplete = true;
            break;
          }
        } else i++;
        line++;
        break;
      }
      if (incomplete) {
        this.line = recLine;
        return recStart;
      }

      report.processed++;
      if (bad) {
        noteBadRow(report, 'malformed', recLine, null, () => `text after a closing quote: ${JSON.stringify(b.toString('utf8', recStart, Math.min(i, recStart + 80)).replace(/\r?\n$/, ''))}`);
        continue;
      }
      if (col <= maxCol) {
        const field = ts < 0 ? cfg.timeField : vCol >= 0 && vs < 0 ? cfg.valueField! : cfg.partitionField!;
        noteBadRow(report, 'missing_field', recLine, field, `(the record has ${col} field${col === 1 ? '' : 's'})`);
        continue;
      }
      const t = tEsc ? parseText(fieldText(b, ts, te, true)) : parseBytes(b, ts, te);
      if (!(t >= MIN_TIME_MS && t <= MAX_TIME_MS)) {
        // NaN (unreadable) or outside the years 0000–9999 (epoch ms in an epoch-seconds column, …)
        if (isBlank(b, ts, te)) noteBadRow(report, 'missing_field', recLine, cfg.timeField, '(empty)');
        else noteBadRow(report, 'bad_date', recLine, cfg.timeField, () => fieldText(b, ts, te, tEsc));
        continue;
      }
      let v = NaN;
      let category: string | null = null;
      if (numeric) {
        v = parseNumberBytes(b, vs, ve);
        if (v !== v) {
          if (isBlank(b, vs, ve)) noteBadRow(report, 'missing_field', recLine, cfg.valueField, '(empty)');
          else noteBadRow(report, 'non_numeric', recLine, cfg.valueField, () => fieldText(b, vs, ve, vEsc));
          continue;
        }
      } else if (stringValue) {
        category = fieldText(b, vs, ve, vEsc);
      }
      if (t < sink.newest - latency) {
        noteBadRow(report, 'out_of_order', recLine, cfg.timeField, () => fieldText(b, ts, te, tEsc));
        continue;
      }
      sink.push(t, v, recLine, ps >= 0 ? fieldText(b, ps, pe, pEsc) : null, category, keepRaw ? fieldText(b, ts, te, tEsc) : null);
    }
    this.line = line;
    return n;
  }
}
