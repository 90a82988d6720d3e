/**
 * Timestamp text → epoch milliseconds, fast enough for the input hot path (≥ 5 M stamps/s for
 * "YYYY-MM-DD HH:MM:SS" on one core): every parser works on bytes with integer arithmetic and
 * allocates nothing; zone-less stamps are converted with a cached per-hour zone offset.
 *
 * Formats (as Elastic's data_description.time_format):
 * - `iso8601`: 2024-03-31T02:30:00, 2024-03-31 02:30:00.123456, 2024-03-31T02:30Z, …+02:00, …+0200,
 *   2024-03-31 (midnight); 'T', 't' or space between date and time; '.' or ',' before the fraction.
 * - `epoch`: seconds, may be fractional or negative. `epoch_ms`: milliseconds. `epoch_us`:
 *   microseconds, `epoch_ns`: nanoseconds — read from their digits without rounding through a
 *   double, and rounded down to the millisecond (the engine's precision).
 * - a Java DateTimeFormatter-style pattern, e.g. `dd/MM/yyyy HH:mm` (see timestamp-pattern.ts).
 * - `auto`: the first text that parses picks the format, which is then kept. Epoch numbers are told
 *   apart by their number of integer digits (see {@link inferEpochUnit}).
 * Aliases: epoch_second → epoch, epoch_millis → epoch_ms, epoch_micros → epoch_us, epoch_nanos →
 * epoch_ns, ISO8601 / date_optional_time / strict_date_optional_time / date_time → iso8601.
 */
import { VigilError } from '../errors.js';
import { wallClockMs } from './civil.js';
import { hasYmdHmsLayout, wallMsOfYmdHms, twoDigits } from './fixed-layout.js';
import { compileTimestampPattern, lastOffsetMs, POW10_MS, readOffset, type ByteTimestampParser } from './timestamp-pattern.js';
import { makeWallClockResolver, type WallClockResolver } from './time-zone.js';

export type { ByteTimestampParser } from './timestamp-pattern.js';

/** 'auto', 'iso8601', 'epoch', 'epoch_ms', 'epoch_us', 'epoch_ns' or a pattern such as 'yyyy-MM-dd HH:mm:ss'. */
export type TimestampFormat = string;

export interface TimestampParserOptions {
  /** IANA zone (or "UTC", or a fixed offset "+05:30") for stamps without an offset; default UTC. */
  timeZone?: string;
}

/** Parses timestamp text to epoch milliseconds; NaN when the text does not match the format. */
export interface TimestampParser {
  (text: string): number;
  /** The same on bytes [start, end) of an ASCII/UTF-8 buffer, allocating nothing. */
  parseBytes(buf: Uint8Array, start: number, end: number): number;
  /** The format in use: for 'auto', the detected format once a text has parsed, else 'auto'. */
  readonly format: string;
  readonly timeZone: string;
}

const ALIASES: Record<string, string> = {
  auto: 'auto',
  iso8601: 'iso8601',
  iso: 'iso8601',
  date_optional_time: 'iso8601',
  strict_date_optional_time: 'iso8601',
  date_time: 'iso8601',
  strict_date_time: 'iso8601',
  epoch: 'epoch',
  epoch_second: 'epoch',
  epoch_seconds: 'epoch',
  epoch_ms: 'epoch_ms',
  epoch_millis: 'epoch_ms',
  epoch_us: 'epoch_us',
  epoch_micros: 'epoch_us',
  epoch_ns: 'epoch_ns',
  epoch_nanos: 'epoch_ns',
};

/** Maps the named formats and their aliases to 'auto' | 'iso8601' | 'epoch' | 'epoch_ms' | 'epoch_us' | 'epoch_ns'; patterns pass through. */
export function normalizeTimestampFormat(format: string): string {
  const named = ALIASES[format.trim().toLowerCase()];
  return named ?? format;
}

/**
 * The formats `auto` and {@link detectTimestampFormat} try, in order of preference. Where two fit
 * equally (01/02/2024), the earlier wins: day-first before month-first.
 */
export const DETECTABLE_TIMESTAMP_FORMATS: readonly string[] = [
  'iso8601',
  'epoch',
  'epoch_ms',
  'epoch_us',
  'epoch_ns',
  'yyyy/MM/dd HH:mm:ss',
  'yyyy/MM/dd HH:mm:ss.SSS',
  'yyyy/MM/dd HH:mm',
  'yyyy/MM/dd',
  'dd/MM/yyyy HH:mm:ss',
  'MM/dd/yyyy HH:mm:ss',
  'dd/MM/yyyy HH:mm:ss.SSS',
  'MM/dd/yyyy HH:mm:ss.SSS',
  'dd/MM/yyyy HH:mm',
  'MM/dd/yyyy HH:mm',
  'MM/dd/yyyy hh:mm:ss a',
  'MM/dd/yyyy hh:mm a',
  'dd/MM/yyyy',
  'MM/dd/yyyy',
  'dd.MM.yyyy HH:mm:ss',
  'dd.MM.yyyy HH:mm',
  'dd.MM.yyyy',
  'dd-MM-yyyy HH:mm:ss',
  'dd-MM-yyyy HH:mm',
  'dd-MM-yyyy',
  'dd/MMM/yyyy:HH:mm:ss Z',
  'EEE, dd MMM yyyy HH:mm:ss Z',
  'dd MMM yyyy HH:mm:ss',
  'MMM dd, yyyy HH:mm:ss',
  "yyyyMMdd'T'HHmmssX",
  "yyyyMMdd'T'HHmmss",
  'yyyyMMddHHmmss',
];

/**
 * Makes a parser for `format`; see the module comment for the formats.
 * Throws VigilError BAD_TIMESTAMP_FORMAT for an unusable pattern, UNKNOWN_TIME_ZONE for an unknown zone.
 *
 * @example
 * const parse = makeTimestampParser('yyyy-MM-dd HH:mm:ss', { timeZone: 'Europe/Paris' });
 * parse('2024-07-01 12:00:00'); // 1719828000000 (10:00 UTC)
 */
export function makeTimestampParser(format: TimestampFormat = 'auto', options: TimestampParserOptions = {}): TimestampParser {
  const zone = makeWallClockResolver(options.timeZone);
  const name = normalizeTimestampFormat(format);
  let current: ByteTimestampParser | null = name === 'auto' ? null : compileFormat(name, zone);
  let currentName = name;
  let parseBytes: ByteTimestampParser;
  if (current) {
    parseBytes = current;
  } else {
    const candidates = detectionCandidates(zone);
    parseBytes = (b, s, e) => {
      if (current) return current(b, s, e);
      for (const c of candidates) {
        const v = c.detect(b, s, e);
        if (v === v) {
          current = c.parse;
          currentName = c.format;
          return v;
        }
      }
      return NaN;
    };
  }
  const scratch = new Uint8Array(256);
  const parse = ((text: string): number => {
    const n = text.length;
    if (n > scratch.length) return parseBytes(Buffer.from(text, 'utf8'), 0, Buffer.byteLength(text, 'utf8'));
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 127) {
        const buf = Buffer.from(text, 'utf8');
        return parseBytes(buf, 0, buf.length);
      }
      scratch[i] = c;
    }
    return parseBytes(scratch, 0, n);
  }) as TimestampParser;
  Object.defineProperties(parse, {
    parseBytes: { value: parseBytes },
    format: { get: () => currentName },
    timeZone: { value: zone.timeZone },
  });
  return parse;
}

/**
 * Picks the format that parses the most of `samples` (empty ones ignored), preferring earlier
 * entries of {@link DETECTABLE_TIMESTAMP_FORMATS} on ties; null when none parses any sample.
 * Epoch formats are only considered for plausible magnitudes (9–11 integer digits for seconds,
 * 12–14 for milliseconds, 15–17 for microseconds, 18–20 for nanoseconds: each the years 1973–5138)
 * so that ordinary numbers are not taken for times.
 */
export function detectTimestampFormat(samples: readonly string[], options: TimestampParserOptions = {}): string | null {
  const best = scoreTimestampFormats(samples, options);
  return best && best.parsed > 0 ? best.format : null;
}

/** The best format for `samples` with how many non-empty samples it parsed, of how many. */
export function scoreTimestampFormats(
  samples: readonly string[],
  options: TimestampParserOptions = {},
): { format: string; parsed: number; total: number } | null {
  const zone = makeWallClockResolver(options.timeZone);
  const bufs = samples.map((s) => Buffer.from(s.trim(), 'utf8')).filter((b) => b.length > 0);
  if (bufs.length === 0) return null;
  let best: { format: string; parsed: number; total: number } | null = null;
  for (const c of detectionCandidates(zone)) {
    let parsed = 0;
    for (const b of bufs) if (!Number.isNaN(c.detect(b, 0, b.length))) parsed++;
    if (!best || parsed > best.parsed) best = { format: c.format, parsed, total: bufs.length };
    if (parsed === bufs.length) break;
  }
  return best;
}

interface Candidate {
  format: string;
  /** Stricter parser used while detecting. */
  detect: ByteTimestampParser;
  /** Parser used once the format is fixed. */
  parse: ByteTimestampParser;
}

const candidateCache = new Map<string, Candidate[]>();

function detectionCandidates(zone: WallClockResolver): Candidate[] {
  const key = zone.timeZone;
  let list = candidateCache.get(key);
  if (!list) {
    list = DETECTABLE_TIMESTAMP_FORMATS.map((format) => {
      const parse = compileFormat(format, zone);
      let detect = parse;
      const unit = epochUnitOfFormat(format);
      if (unit !== null) {
        const lo = EPOCH_DIGITS[unit];
        detect = (b, s, e) => {
          const n = integerDigits(b, s, e);
          return n >= lo && n <= lo + 2 ? parse(b, s, e) : NaN;
        };
      }
      return { format, detect, parse };
    });
    if (candidateCache.size > 50) candidateCache.clear();
    candidateCache.set(key, list);
  }
  return list;
}

/** The unit of an epoch number: seconds, milliseconds, microseconds or nanoseconds. */
export type EpochUnit = 's' | 'ms' | 'us' | 'ns';

/** The fewest integer digits `auto` takes for each unit (up to two more: 10^(n-1) … 10^(n+2)). */
const EPOCH_DIGITS: Record<EpochUnit, number> = { s: 9, ms: 12, us: 15, ns: 18 };

const FORMAT_UNITS: Record<string, EpochUnit> = { epoch: 's', epoch_ms: 'ms', epoch_us: 'us', epoch_ns: 'ns' };

/** The epoch unit of a format name (aliases included: epoch_second, epoch_millis, …); null for other formats. */
export function epochUnitOfFormat(format: string): EpochUnit | null {
  return FORMAT_UNITS[normalizeTimestampFormat(format)] ?? null;
}

/** The format name of an epoch unit ('epoch', 'epoch_ms', 'epoch_us' or 'epoch_ns'). */
export function epochFormatOfUnit(unit: EpochUnit): string {
  return unit === 's' ? 'epoch' : `epoch_${unit}`;
}

/**
 * The unit of an epoch number judged by its size, the way `auto` judges epoch text by its digits:
 * below 10^11 seconds, below 10^14 milliseconds, below 10^17 microseconds, else nanoseconds (each
 * range starts in 1973 and ends in 5138). For numbers a database holds, where no format is given.
 */
export function inferEpochUnit(x: number | bigint): EpochUnit {
  const a = typeof x === 'bigint' ? (x < 0n ? -x : x) : Math.abs(x);
  if (a < 1e11) return 's';
  if (a < 1e14) return 'ms';
  if (a < 1e17) return 'us';
  return 'ns';
}

const SUB_MS_DIVISOR = { us: 1000, ns: 1_000_000 } as const;
const SUB_MS_DIVISOR_BIG = { us: 1000n, ns: 1_000_000n } as const;

/**
 * An epoch number (a number, a bigint, or its decimal text) in `unit` as epoch milliseconds.
 * Microseconds and nanoseconds are rounded down to the millisecond, computed exactly from a bigint
 * or from the digits of a text (a double above 2^53 is taken at its exact integer value). NaN when
 * a text is not a number.
 */
export function epochToMs(v: number | bigint | string, unit: EpochUnit): number {
  if (typeof v === 'string') return makeTimestampParserCached(unit)(v);
  if (typeof v === 'bigint') {
    if (unit === 's') return Number(v) * 1000;
    if (unit === 'ms') return Number(v);
    const d = SUB_MS_DIVISOR_BIG[unit];
    const q = v / d; // truncates toward zero
    return Number(v < 0n && q * d !== v ? q - 1n : q);
  }
  if (unit === 's') return v * 1000;
  if (unit === 'ms') return v;
  if (!Number.isFinite(v)) return NaN;
  const d = SUB_MS_DIVISOR[unit];
  if (Number.isInteger(v) && Math.abs(v) > Number.MAX_SAFE_INTEGER) return epochToMs(BigInt(v), unit);
  let q = Math.floor(v / d);
  // v / d is rounded: step back when that rounding crossed a whole millisecond
  if (q * d > v) q--;
  else if ((q + 1) * d <= v) q++;
  return q;
}

const epochParsers = new Map<EpochUnit, TimestampParser>();

function makeTimestampParserCached(unit: EpochUnit): TimestampParser {
  let p = epochParsers.get(unit);
  if (!p) {
    p = makeTimestampParser(epochFormatOfUnit(unit));
    epochParsers.set(unit, p);
  }
  return p;
}

function integerDigits(b: Uint8Array, s: number, e: number): number {
  while (s < e && b[s] === 32) s++;
  if (b[s] === 0x2d) s++;
  let n = 0;
  while (s + n < e && b[s + n] >= 48 && b[s + n] <= 57) n++;
  return n;
}

function compileFormat(name: string, zone: WallClockResolver): ByteTimestampParser {
  if (name === 'iso8601') return makeIsoParser(zone);
  if (name === 'epoch') return makeEpochParser(1000);
  if (name === 'epoch_ms') return makeEpochParser(1);
  if (name === 'epoch_us') return makeSubMillisecondEpochParser(3);
  if (name === 'epoch_ns') return makeSubMillisecondEpochParser(6);
  if (name === 'auto') throw new VigilError('INTERNAL', 'auto is not a concrete format');
  return compileTimestampPattern(name, zone);
}

const d2 = twoDigits;

function makeIsoParser(zone: WallClockResolver): ByteTimestampParser {
  const utc = zone.isUtc;
  return (b, s, e) => {
    while (s < e && (b[s] === 32 || b[s] === 9)) s++;
    while (e > s && (b[e - 1] === 32 || b[e - 1] === 9)) e--;
    // Fast path: YYYY-MM-DD HH:MM:SS / YYYY-MM-DDTHH:MM:SS
    if (hasYmdHmsLayout(b, s, e, 32, 84)) {
      const v = wallMsOfYmdHms(b, s);
      if (v !== -Infinity) return utc || v !== v ? v : zone.toUtc(v);
    }
    return parseIsoGeneral(b, s, e, zone);
  };
}

function parseIsoGeneral(b: Uint8Array, s: number, e: number, zone: WallClockResolver): number {
  if (e - s < 8) return NaN;
  let p = s;
  const y1 = d2(b, p);
  const y2 = d2(b, p + 2);
  if ((y1 | y2) < 0 || b[p + 4] !== 45) return NaN;
  const y = y1 * 100 + y2;
  p += 5;
  let mo = 0;
  let n = 0;
  while (n < 2 && p < e && b[p] >= 48 && b[p] <= 57) { mo = mo * 10 + b[p] - 48; p++; n++; }
  if (n === 0 || b[p] !== 45) return NaN;
  p++;
  let d = 0;
  n = 0;
  while (n < 2 && p < e && b[p] >= 48 && b[p] <= 57) { d = d * 10 + b[p] - 48; p++; n++; }
  if (n === 0) return NaN;
  let h = 0, mi = 0, sec = 0, ms = 0;
  let off = NaN;
  if (p < e) {
    const sep = b[p];
    if (sep === 84 || sep === 116 || sep === 32) {
      p++;
      h = d2(b, p);
      if (h < 0 || b[p + 2] !== 58) return NaN;
      mi = d2(b, p + 3);
      if (mi < 0 || p + 5 > e) return NaN;
      p += 5;
      if (p < e && b[p] === 58) {
        sec = d2(b, p + 1);
        if (sec < 0 || p + 3 > e) return NaN;
        p += 3;
        if (p < e && (b[p] === 46 || b[p] === 44)) {
          p++;
          let v = 0;
          n = 0;
          while (p < e && b[p] >= 48 && b[p] <= 57) {
            if (n < 9) { v = v * 10 + b[p] - 48; n++; }
            p++;
          }
          if (n === 0) return NaN;
          ms = v * POW10_MS[n];
        }
      }
      if (p < e) {
        if (b[p] === 32) p++;
        const q = readOffset(b, p, e);
        if (q < 0) return NaN;
        off = lastOffsetMs();
        p = q;
      }
    } else {
      const q = readOffset(b, p, e);
      if (q < 0) return NaN;
      off = lastOffsetMs();
      p = q;
    }
  }
  if (p !== e) return NaN;
  if (h > 23 && !(h === 24 && mi === 0 && sec === 0 && ms === 0)) return NaN;
  const wall = wallClockMs(y, mo, d, h, mi, sec, ms);
  if (wall !== wall) return NaN;
  return off === off ? wall - off : zone.toUtc(wall);
}

/** Epoch numbers: -?digits[.digits][e±digits], multiplied by `scale` (1000 for seconds). */
function makeEpochParser(scale: number): ByteTimestampParser {
  return (b, s, e) => {
    while (s < e && (b[s] === 32 || b[s] === 9)) s++;
    while (e > s && (b[e - 1] === 32 || b[e - 1] === 9)) e--;
    let p = s;
    let neg = false;
    if (p < e && (b[p] === 45 || b[p] === 43)) { neg = b[p] === 45; p++; }
    let ip = 0;
    let n = 0;
    while (p < e && b[p] >= 48 && b[p] <= 57) { ip = ip * 10 + (b[p] - 48); p++; n++; }
    if (n === 0 || n > 16) return NaN;
    let frac = 0;
    if (p < e && b[p] === 46) {
      p++;
      let fd = 0;
      let fv = 0;
      while (p < e && b[p] >= 48 && b[p] <= 57) {
        if (fd < 9) { fv = fv * 10 + (b[p] - 48); fd++; }
        p++;
      }
      frac = fd === 0 ? 0 : fv / 10 ** fd;
    }
    if (p < e && (b[p] === 101 || b[p] === 69)) {
      const v = Number(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1'));
      return Number.isFinite(v) ? v * scale : NaN;
    }
    if (p !== e) return NaN;
    const v = scale === 1000 ? ip * 1000 + Math.round(frac * 1e6) / 1000 : ip + frac;
    return neg ? -v : v;
  };
}

/**
 * Epoch numbers in microseconds (`k` = 3) or nanoseconds (`k` = 6): -?digits[.digits][e±digits],
 * as whole milliseconds rounded down. The integer digits are split into milliseconds and the rest
 * (no double holds a nanosecond epoch exactly); only exponent notation goes through a double.
 */
function makeSubMillisecondEpochParser(k: number): ByteTimestampParser {
  const div = 10 ** k;
  return (b, s, e) => {
    while (s < e && (b[s] === 32 || b[s] === 9)) s++;
    while (e > s && (b[e - 1] === 32 || b[e - 1] === 9)) e--;
    let p = s;
    let neg = false;
    if (p < e && (b[p] === 45 || b[p] === 43)) { neg = b[p] === 45; p++; }
    const ds = p;
    while (p < e && b[p] >= 48 && b[p] <= 57) p++;
    const de = p;
    const n = de - ds;
    if (n === 0 || n > 15 + k) return NaN;
    let rest = false;
    if (p < e && b[p] === 46) {
      p++;
      while (p < e && b[p] >= 48 && b[p] <= 57) { if (b[p] !== 48) rest = true; p++; }
    }
    if (p < e && (b[p] === 101 || b[p] === 69)) {
      const v = Number(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1'));
      return Number.isFinite(v) ? Math.floor(v / div) : NaN;
    }
    if (p !== e) return NaN;
    const split = Math.max(ds, de - k);
    let q = 0;
    for (let i = ds; i < split; i++) q = q * 10 + (b[i] - 48);
    for (let i = split; i < de; i++) if (b[i] !== 48) rest = true;
    if (!neg) return q;
    return rest ? -q - 1 : q === 0 ? 0 : -q;
  };
}
