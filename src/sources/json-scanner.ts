/**
 * NDJSON and JSON-array reading. NDJSON is split on newlines and each line parsed on its own; a
 * JSON array is split into its top-level elements by a small incremental scanner (strings, escapes
 * and nesting depth), so only one element is ever held in memory, whatever the file size.
 * Each element or line must be an object; fields are looked up by name, or by a dotted path into
 * nested objects ("host.name") when no key has that exact name.
 */
import { epochToMs, epochUnitOfFormat, type EpochUnit, type TimestampParser } from '../core/time/parse-timestamp.js';
import { MAX_TIME_MS, MIN_TIME_MS, noteBadRow, type InputReport } from './input-report.js';
import { parseNumberBytes } from './parse-number.js';
import type { BatchSink } from './series-batch.js';

const LF = 10;

/** Reads a field: the key itself, else a dotted path. */
export type FieldGetter = (o: Record<string, unknown>) => unknown;

export function makeFieldGetter(name: string): FieldGetter {
  const path = name.split('.');
  if (path.length === 1) return (o) => o[name];
  return (o) => {
    if (name in o) return o[name];
    let cur: unknown = o;
    for (const k of path) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
      cur = (cur as Record<string, unknown>)[k];
    }
    return cur;
  };
}

/** The names (nested ones dotted) of an object's fields, in order, for detection. */
export function collectFieldNames(o: Record<string, unknown>, into: string[], seen: Set<string>, prefix = '', depth = 0): void {
  for (const [k, v] of Object.entries(o)) {
    const name = prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 3) {
      collectFieldNames(v as Record<string, unknown>, into, seen, name + '.', depth + 1);
    } else if (!seen.has(name)) {
      seen.add(name);
      into.push(name);
    }
  }
}

/** A JSON value as sample text for detection ('' when missing or not a scalar). */
export function sampleText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

export interface JsonRecordConfig {
  timeField: string;
  valueField: string | null;
  partitionField: string | null;
  valueKind: 'number' | 'string' | 'none';
  keepRawTime: boolean;
  parseTime: TimestampParser;
  latencyMs: number;
  maxRecordBytes: number;
}

const scratch = { buf: Buffer.alloc(64) };

function numberFromString(s: string): number {
  const len = Buffer.byteLength(s);
  if (len > scratch.buf.length) scratch.buf = Buffer.alloc(len * 2);
  scratch.buf.write(s, 0, 'utf8');
  return parseNumberBytes(scratch.buf, 0, len);
}

const formatOf = (p: TimestampParser): string => p.format;

const describe = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'bigint' ? String(v) : JSON.stringify(v) ?? String(v));

/** Turns parsed records into batch rows, accounting for bad ones. */
export class JsonRecordHandler {
  private readonly getTime: FieldGetter;
  private readonly getValue: FieldGetter | null;
  private readonly getPartition: FieldGetter | null;
  /** The epoch unit numbers in the time field are read in; null: as text (patterns, or auto not yet decided). */
  private numericTimeUnit: EpochUnit | null;
  /** The format is auto and no number has fixed the unit yet. */
  private autoNumbers: boolean;

  constructor(
    private readonly cfg: JsonRecordConfig,
    private readonly sink: BatchSink,
    private readonly report: InputReport,
  ) {
    this.getTime = makeFieldGetter(cfg.timeField);
    this.getValue = cfg.valueField ? makeFieldGetter(cfg.valueField) : null;
    this.getPartition = cfg.partitionField ? makeFieldGetter(cfg.partitionField) : null;
    this.numericTimeUnit = epochUnitOfFormat(cfg.parseTime.format);
    this.autoNumbers = cfg.parseTime.format === 'auto';
  }

  /** Handles the JSON text of one record; `pos` is its line or element index. */
  handleText(text: string, pos: number): void {
    const report = this.report;
    report.processed++;
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch {
      noteBadRow(report, 'malformed', pos, null, () => `bad JSON: ${text.trim().slice(0, 80)}`);
      return;
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) {
      noteBadRow(report, 'malformed', pos, null, () => `not a JSON object: ${text.trim().slice(0, 60)}`);
      return;
    }
    this.handleObject(o as Record<string, unknown>, pos, text);
  }

  /**
   * The digits of the time field's number as written in the record's text, for a number a double
   * does not hold exactly (a nanosecond epoch): JSON.parse rounds it to 2^-52 of its size, about 256 ns.
   * Falls back to the double's own digits when the text cannot be matched to it.
   */
  private exactDigits(tv: number, text: string | undefined): string {
    const own = String(tv);
    if (text === undefined || !Number.isInteger(tv)) return own;
    if (this.timeKeyPattern === undefined) {
      // the key itself, or the last part of a dotted path into nested objects
      const name = this.cfg.timeField;
      const keys = [name, name.slice(name.lastIndexOf('.') + 1)].map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      this.timeKeyPattern = new RegExp(`"(?:${keys.join('|')})"\\s*:\\s*(-?\\d+)(?![\\d.eE])`, 'g');
    }
    this.timeKeyPattern.lastIndex = 0;
    for (let m = this.timeKeyPattern.exec(text); m !== null; m = this.timeKeyPattern.exec(text)) {
      if (Number(m[1]) === tv) return m[1];
    }
    return own;
  }

  private timeKeyPattern: RegExp | undefined;

  private handleObject(o: Record<string, unknown>, pos: number, text?: string): void {
    const cfg = this.cfg;
    const report = this.report;
    const tv = this.getTime(o);
    if (tv === undefined || tv === null || tv === '') {
      noteBadRow(report, 'missing_field', pos, cfg.timeField, tv === '' ? '(empty)' : '(absent)');
      return;
    }
    let t: number;
    if (typeof tv === 'number' || typeof tv === 'bigint') {
      const unit = this.numericTimeUnit;
      if (unit === 'ms' || unit === 's') t = epochToMs(tv, unit);
      else if (unit !== null) t = epochToMs(typeof tv === 'number' && !Number.isSafeInteger(tv) ? this.exactDigits(tv, text) : tv, unit);
      else {
        // A number and the auto format: the parser decides once (s, ms, µs or ns by its digits);
        // a pattern reads its text
        t = cfg.parseTime(typeof tv === 'number' && !Number.isSafeInteger(tv) ? this.exactDigits(tv, text) : String(tv));
        if (this.autoNumbers && cfg.parseTime.format !== 'auto') {
          this.numericTimeUnit = epochUnitOfFormat(formatOf(cfg.parseTime));
          this.autoNumbers = false;
        }
      }
    } else if (typeof tv === 'string') {
      t = cfg.parseTime(tv);
    } else t = NaN;
    if (!(t >= MIN_TIME_MS && t <= MAX_TIME_MS)) {
      // NaN (unreadable) or outside the years 0000–9999 (epoch ms in an epoch-seconds field, …)
      noteBadRow(report, 'bad_date', pos, cfg.timeField, () => describe(tv));
      return;
    }
    let v = NaN;
    let category: string | null = null;
    if (this.getValue !== null) {
      const vv = this.getValue(o);
      if (vv === undefined || vv === null || (cfg.valueKind === 'number' && typeof vv === 'string' && vv.trim() === '')) {
        noteBadRow(report, 'missing_field', pos, cfg.valueField, vv === undefined ? '(absent)' : vv === null ? '(null)' : '(empty)');
        return;
      }
      if (cfg.valueKind === 'number') {
        v = typeof vv === 'number' ? vv : typeof vv === 'string' ? numberFromString(vv) : NaN;
        if (v !== v || !Number.isFinite(v)) {
          noteBadRow(report, 'non_numeric', pos, cfg.valueField, () => describe(vv));
          return;
        }
      } else {
        category = typeof vv === 'string' ? vv : describe(vv);
      }
    }
    let partition: string | null = null;
    if (this.getPartition !== null) {
      const pv = this.getPartition(o);
      if (pv === undefined || pv === null) {
        noteBadRow(report, 'missing_field', pos, cfg.partitionField, pv === null ? '(null)' : '(absent)');
        return;
      }
      partition = typeof pv === 'string' ? pv : describe(pv);
    }
    if (t < this.sink.newest - cfg.latencyMs) {
      noteBadRow(report, 'out_of_order', pos, cfg.timeField, () => describe(tv));
      return;
    }
    this.sink.push(t, v, pos, partition, category, cfg.keepRawTime ? describe(tv) : null);
  }
}

/** Splits NDJSON into lines (any length up to maxRecordBytes) and hands each to the handler. */
export class NdjsonScanner {
  line: number;
  private leftover: Buffer | null = null;
  private skipping = false;

  constructor(
    private readonly handler: JsonRecordHandler,
    private readonly report: InputReport,
    private readonly maxRecordBytes: number,
    firstLine = 1,
  ) {
    this.line = firstLine;
  }

  push(chunk: Buffer, final: boolean): void {
    let buf = chunk;
    let pos = 0;
    if (this.leftover !== null) {
      buf = Buffer.concat([this.leftover, chunk]);
      this.leftover = null;
    }
    for (;;) {
      const nl = buf.indexOf(LF, pos);
      if (nl < 0) break;
      if (this.skipping) this.skipping = false;
      else this.handleLine(buf, pos, nl);
      this.line++;
      pos = nl + 1;
    }
    if (pos < buf.length) {
      if (final) {
        if (!this.skipping) this.handleLine(buf, pos, buf.length);
        this.skipping = false;
      } else if (this.skipping) {
        // still inside an over-long line: drop it
      } else if (buf.length - pos > this.maxRecordBytes) {
        this.report.processed++;
        noteBadRow(this.report, 'malformed', this.line, null, `line longer than ${this.maxRecordBytes} bytes`);
        this.skipping = true;
      } else this.leftover = Buffer.from(buf.subarray(pos));
    }
  }

  private handleLine(b: Buffer, s: number, e: number): void {
    while (s < e && (b[s] === 32 || b[s] === 9 || b[s] === 13)) s++;
    while (e > s && (b[e - 1] === 32 || b[e - 1] === 9 || b[e - 1] === 13)) e--;
    if (s === e) {
      this.report.blankLines++;
      return;
    }
    this.handler.handleText(b.toString('utf8', s, e), this.line);
  }
}

const enum A { Before, BetweenElements, InElement, After }

/**
 * Splits a top-level JSON array into element texts incrementally, one element in memory at a time.
 * Elements that are not objects, or do not parse, are malformed records; so is anything but
 * whitespace after the closing bracket.
 */
export class JsonArrayScanner {
  private state = A.Before;
  private depth = 0;
  private inString = false;
  private escape = false;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private oversize = false;
  private index = 0;
  private trailingReported = false;

  constructor(
    private readonly handler: JsonRecordHandler,
    private readonly report: InputReport,
    private readonly maxRecordBytes: number,
  ) {}

  push(b: Buffer, final: boolean): void {
    const n = b.length;
    let i = 0;
    let elemStart = this.state === A.InElement ? 0 : -1;
    while (i < n) {
      const c = b[i];
      switch (this.state) {
        case A.Before:
          if (c === 0x5b) this.state = A.BetweenElements;
          else if (!isSpace(c)) {
            this.state = A.After;
            this.noteTrailing('the input does not start with [');
          }
          i++;
          break;
        case A.BetweenElements:
          if (c === 0x5d) this.state = A.After;
          else if (c !== 0x2c && !isSpace(c)) {
            this.state = A.InElement;
            this.depth = 0;
            this.inString = false;
            this.escape = false;
            elemStart = i;
            continue; // scan this byte as part of the element
          }
          i++;
          break;
        case A.InElement: {
          // hot loop over the element's bytes
          let depth = this.depth, inString = this.inString, escape = this.escape;
          let ended = false;
          for (; i < n; i++) {
            const x = b[i];
            if (inString) {
              if (escape) escape = false;
              else if (x === 0x5c) escape = true;
              else if (x === 0x22) inString = false;
            } else if (x === 0x22) inString = true;
            else if (x === 0x7b || x === 0x5b) depth++;
            else if (x === 0x7d || x === 0x5d) {
              if (depth === 0) {
                ended = true; // ']' closing the array right after a scalar element
                break;
              }
              depth--;
            } else if (x === 0x2c && depth === 0) {
              ended = true;
              break;
            }
          }
          this.depth = depth;
          this.inString = inString;
          this.escape = escape;
          if (!ended) break;
          this.finishElement(b, elemStart, i);
          elemStart = -1;
          this.state = A.BetweenElements;
          break; // the ',' or ']' is handled by BetweenElements
        }
        case A.After:
          if (isSpace(c)) i++;
          else {
            this.noteTrailing(`unexpected text after the array: ${JSON.stringify(b.toString('utf8', i, Math.min(n, i + 40)))}`);
            i = n;
          }
          break;
      }
    }
    if (this.state === A.InElement && elemStart >= 0) this.keep(b.subarray(elemStart));
    if (final) {
      if (this.state === A.InElement) {
        this.finishElement(b, n, n, true);
        this.state = A.After;
      } else if (this.state === A.BetweenElements) {
        this.noteTrailing('the array is not closed (truncated input?)');
      }
    }
  }

  private keep(piece: Buffer): void {
    if (this.oversize) return;
    this.partBytes += piece.length;
    if (this.partBytes > this.maxRecordBytes) {
      this.oversize = true;
      this.parts = [];
      return;
    }
    this.parts.push(Buffer.from(piece));
  }

  private finishElement(b: Buffer, start: number, end: number, truncated = false): void {
    const pos = this.index++;
    if (this.oversize) {
      this.report.processed++;
      noteBadRow(this.report, 'malformed', pos, null, `array element longer than ${this.maxRecordBytes} bytes`);
    } else {
      let text: string;
      if (this.parts.length) {
        if (start < end) this.parts.push(b.subarray(start, end));
        text = Buffer.concat(this.parts).toString('utf8');
      } else text = b.toString('utf8', start, end);
      if (truncated) {
        this.report.processed++;
        noteBadRow(this.report, 'malformed', pos, null, `array element cut off by the end of input: ${text.trim().slice(0, 60)}`);
      } else this.handler.handleText(text, pos);
    }
    this.parts = [];
    this.partBytes = 0;
    this.oversize = false;
  }

  private noteTrailing(why: string): void {
    if (this.trailingReported) return;
    this.trailingReported = true;
    this.report.processed++;
    noteBadRow(this.report, 'malformed', this.index, null, why);
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}
