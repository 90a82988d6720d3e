/**
 * Compiles Java DateTimeFormatter-style patterns, as Elastic's data_description.time_format takes
 * them ("yyyy-MM-dd HH:mm:ss", "dd/MM/yyyy HH:mm", "yyyyMMdd'T'HHmmss", "dd/MMM/yyyy:HH:mm:ss Z"),
 * into byte-level parsers.
 *
 * Supported letters: y u Y (year; yy = 2000–2099), M (MM number, MMM "Jan", MMMM "January"),
 * d, H, k (1–24), h K (12-hour, with a), m, s, S (fraction of second, any count), a (AM/PM),
 * E (day name, read and ignored), X x Z O (UTC offset: "Z", ±HH, ±HHMM, ±HH:MM, also "UTC"/"GMT").
 * 'quoted text' is literal ('' is a quote); any other non-letter is literal. Parsing is lenient
 * about digit counts (d reads "1" or "01") except where two number fields touch ("yyyyMMdd"), where
 * each reads exactly as many digits as it has letters. The whole text must be consumed.
 */
import { VigilError } from '../errors.js';
import { wallClockMs } from './civil.js';
import { hasYmdHmsLayout, wallMsOfYmdHms } from './fixed-layout.js';
import type { WallClockResolver } from './time-zone.js';

/** Parses bytes [start, end) to epoch milliseconds, NaN when they do not match. */
export type ByteTimestampParser = (buf: Uint8Array, start: number, end: number) => number;

const enum F { Year, Year2, Month, MonthName, Day, Hour, Hour24k, Hour12, Minute, Second, Fraction, AmPm, DayName, Offset, Literal }

interface Token {
  kind: F;
  /** Digits: minimum and maximum. */
  min: number;
  max: number;
  /** How many pattern letters made it. */
  count?: number;
  /** Literal bytes. */
  bytes?: Uint8Array;
  /** Names for MMM / MMMM / E, lower-case bytes. */
  names?: Uint8Array[];
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const enc = new TextEncoder();
const bytesOf = (s: string): Uint8Array => enc.encode(s);
const MONTH_FULL = MONTHS.map(bytesOf);
const MONTH_SHORT = MONTHS.map((m) => bytesOf(m.slice(0, 3)));
const DAY_FULL = DAYS.map(bytesOf);
const DAY_SHORT = DAYS.map((d) => bytesOf(d.slice(0, 3)));

function bad(pattern: string, why: string): never {
  throw new VigilError('BAD_TIMESTAMP_FORMAT', `cannot use time format [${pattern}]: ${why}`, { format: pattern });
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal) tokens.push({ kind: F.Literal, min: 0, max: 0, bytes: bytesOf(literal) });
    literal = '';
  };
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "'") {
      const close = pattern.indexOf("'", i + 1);
      if (close === i + 1) { literal += "'"; i += 2; continue; }
      if (close < 0) bad(pattern, 'unterminated quoted text');
      // '' inside quoted text is a quote
      let j = i + 1;
      let text = '';
      for (;;) {
        const q = pattern.indexOf("'", j);
        if (q < 0) bad(pattern, 'unterminated quoted text');
        text += pattern.slice(j, q);
        if (pattern[q + 1] === "'") { text += "'"; j = q + 2; continue; }
        i = q + 1;
        break;
      }
      literal += text;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) { literal += c; i++; continue; }
    let n = 1;
    while (pattern[i + n] === c) n++;
    i += n;
    flush();
    switch (c) {
      case 'y': case 'u': case 'Y':
        tokens.push(n === 2 ? { kind: F.Year2, min: 2, max: 2 } : { kind: F.Year, min: n === 1 ? 1 : n, max: Math.max(4, n) });
        break;
      case 'M': case 'L':
        if (n >= 4) tokens.push({ kind: F.MonthName, min: 0, max: 0, names: MONTH_FULL });
        else if (n === 3) tokens.push({ kind: F.MonthName, min: 0, max: 0, names: MONTH_SHORT });
        else tokens.push({ kind: F.Month, min: 1, max: 2, count: n });
        break;
      case 'd': tokens.push({ kind: F.Day, min: 1, max: 2, count: n }); break;
      case 'H': tokens.push({ kind: F.Hour, min: 1, max: 2, count: n }); break;
      case 'k': tokens.push({ kind: F.Hour24k, min: 1, max: 2, count: n }); break;
      case 'h': case 'K': tokens.push({ kind: F.Hour12, min: 1, max: 2, count: n }); break;
      case 'm': tokens.push({ kind: F.Minute, min: 1, max: 2, count: n }); break;
      case 's': tokens.push({ kind: F.Second, min: 1, max: 2, count: n }); break;
      case 'S': tokens.push({ kind: F.Fraction, min: 1, max: 9, count: n }); break;
      case 'a': tokens.push({ kind: F.AmPm, min: 0, max: 0 }); break;
      case 'E': tokens.push({ kind: F.DayName, min: 0, max: 0, names: n >= 4 ? DAY_FULL : DAY_SHORT }); break;
      case 'X': case 'x': case 'Z': case 'O': tokens.push({ kind: F.Offset, min: 0, max: 0 }); break;
      default:
        bad(pattern, `pattern letter '${c}' is not supported (supported: y M d H k h K m s S a E X x Z O)`);
    }
  }
  flush();
  return tokens;
}

/**
 * Compiles `pattern` into a byte parser; zone-less times are read with `zone`.
 * Throws BAD_TIMESTAMP_FORMAT when the pattern cannot identify an instant (no year, month or day,
 * unknown letters, a field given twice).
 */
export function compileTimestampPattern(pattern: string, zone: WallClockResolver): ByteTimestampParser {
  if (pattern.trim() === '') bad(pattern, 'the pattern is empty');
  const tokens = tokenize(pattern);
  const has = (...kinds: F[]): boolean => tokens.some((t) => kinds.includes(t.kind));
  if (!has(F.Year, F.Year2)) bad(pattern, 'it has no year (y)');
  if (!has(F.Month, F.MonthName)) bad(pattern, 'it has no month (M)');
  if (!has(F.Day)) bad(pattern, 'it has no day of month (d)');
  const seen = new Set<F>();
  for (const t of tokens) {
    if (t.kind === F.Literal) continue;
    const k = t.kind === F.Year2 ? F.Year : t.kind === F.MonthName ? F.Month : t.kind === F.Hour24k || t.kind === F.Hour12 ? F.Hour : t.kind;
    if (seen.has(k)) bad(pattern, 'a field appears twice');
    seen.add(k);
  }
  if (has(F.Minute) && !has(F.Hour, F.Hour24k, F.Hour12)) bad(pattern, 'it has minutes but no hour');
  // Number fields that touch another number field read a fixed number of digits.
  const isNum = (t: Token | undefined): boolean => t !== undefined && t.min > 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (isNum(t) && (isNum(tokens[i + 1]) || isNum(tokens[i - 1]))) {
      if (t.kind === F.Fraction) t.min = t.max = Math.min(9, t.count ?? 3);
      else if (t.kind === F.Year) t.min = t.max = Math.max(4, t.min);
      else t.min = t.max = Math.max(2, t.count ?? 2);
    }
  }
  const hasAmPm = has(F.AmPm);
  const kinds = Int32Array.from(tokens.map((t) => t.kind));
  const mins = Int32Array.from(tokens.map((t) => t.min));
  const maxs = Int32Array.from(tokens.map((t) => t.max));
  const nt = tokens.length;

  const general: ByteTimestampParser = (b, start, end) => {
    let p = start;
    let y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0, ms = 0;
    let pm = -1;
    let off = NaN;
    for (let k = 0; k < nt; k++) {
      const kind = kinds[k];
      if (kind === F.Literal) {
        const lit = tokens[k].bytes!;
        if (end - p < lit.length) return NaN;
        for (let j = 0; j < lit.length; j++) if (b[p + j] !== lit[j]) return NaN;
        p += lit.length;
        continue;
      }
      if (kind === F.MonthName || kind === F.DayName) {
        const idx = matchName(b, p, end, tokens[k].names!);
        if (idx < 0) return NaN;
        p += tokens[k].names![idx].length;
        if (kind === F.MonthName) mo = idx + 1;
        continue;
      }
      if (kind === F.AmPm) {
        if (end - p < 2) return NaN;
        const c0 = b[p] | 0x20, c1 = b[p + 1] | 0x20;
        if (c1 !== 0x6d || (c0 !== 0x61 && c0 !== 0x70)) return NaN;
        pm = c0 === 0x70 ? 1 : 0;
        p += 2;
        continue;
      }
      if (kind === F.Offset) {
        const r = readOffset(b, p, end);
        if (r < 0) return NaN;
        off = offsetMs;
        p = r;
        continue;
      }
      // number field
      const max = maxs[k];
      let v = 0, n = 0;
      while (n < max && p < end) {
        const c = b[p] - 48;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
        p++;
        n++;
      }
      if (n < mins[k]) return NaN;
      switch (kind) {
        case F.Year: y = v; break;
        case F.Year2: y = 2000 + v; break;
        case F.Month: mo = v; break;
        case F.Day: d = v; break;
        case F.Hour: h = v; break;
        case F.Hour24k: if (v < 1 || v > 24) return NaN; h = v === 24 ? 0 : v; break;
        case F.Hour12: if (v > 12) return NaN; h = v; break;
        case F.Minute: mi = v; break;
        case F.Second: s = v; break;
        case F.Fraction: ms = v * POW10_MS[n]; break;
      }
    }
    if (p !== end) return NaN;
    if (pm >= 0 || hasAmPm) h = (h % 12) + (pm === 1 ? 12 : 0);
    if (h > 23) return NaN;
    const wall = wallClockMs(y, mo, d, h, mi, s, ms);
    if (wall !== wall) return NaN;
    return off === off ? wall - off : zone.toUtc(wall);
  };
  // The common layouts take the straight-line path when the text has exactly their shape.
  const sep = pattern === 'yyyy-MM-dd HH:mm:ss' ? 32 : pattern === "yyyy-MM-dd'T'HH:mm:ss" ? 84 : 0;
  if (sep === 0) return general;
  const utc = zone.isUtc;
  return (b, start, end) => {
    if (hasYmdHmsLayout(b, start, end, sep, sep)) {
      const v = wallMsOfYmdHms(b, start);
      if (v !== -Infinity) return utc || v !== v ? v : zone.toUtc(v);
    }
    return general(b, start, end);
  };
}

/** ms per unit of an n-digit fraction: 1 digit = 100 ms … 3 digits = 1 ms … 9 digits = 1e-6 ms. */
export const POW10_MS = [0, 100, 10, 1, 0.1, 0.01, 0.001, 1e-4, 1e-5, 1e-6];

function matchName(b: Uint8Array, p: number, end: number, names: Uint8Array[]): number {
  outer: for (let i = 0; i < names.length; i++) {
    const nm = names[i];
    if (end - p < nm.length) continue;
    for (let j = 0; j < nm.length; j++) if ((b[p + j] | 0x20) !== nm[j]) continue outer;
    return i;
  }
  return -1;
}

/** Result slot of readOffset (avoids allocating a tuple). */
let offsetMs = 0;

/**
 * Reads a UTC offset at p: "Z", "UTC", "GMT", "UTC+1", ±HH, ±HHMM, ±HH:MM. Sets offsetMs and returns
 * the position after it, or -1.
 */
export function readOffset(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  let c = b[p];
  if (c === 0x5a || c === 0x7a) { offsetMs = 0; return p + 1; } // Z z
  if (end - p >= 3) {
    const w = ((b[p] | 0x20) << 16) | ((b[p + 1] | 0x20) << 8) | (b[p + 2] | 0x20);
    if (w === 0x757463 || w === 0x676d74) { // utc gmt
      p += 3;
      if (p === end || (b[p] !== 0x2b && b[p] !== 0x2d)) { offsetMs = 0; return p; }
      c = b[p];
    }
  }
  if (c !== 0x2b && c !== 0x2d) return -1;
  const sign = c === 0x2d ? -1 : 1;
  p++;
  const h1 = b[p] - 48, h2 = b[p + 1] - 48;
  if (p + 2 > end || h1 < 0 || h1 > 9 || h2 < 0 || h2 > 9) return -1;
  let minutes = (h1 * 10 + h2) * 60;
  p += 2;
  if (p < end) {
    let q = p;
    if (b[q] === 0x3a) q++;
    const m1 = b[q] - 48, m2 = b[q + 1] - 48;
    if (q + 2 <= end && m1 >= 0 && m1 <= 5 && m2 >= 0 && m2 <= 9) {
      minutes += m1 * 10 + m2;
      p = q + 2;
    }
  }
  if (minutes > 18 * 60) return -1;
  offsetMs = sign * minutes * 60_000;
  return p;
}

/** The offset read by the last successful readOffset call. */
export function lastOffsetMs(): number {
  return offsetMs;
}
