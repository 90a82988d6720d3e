/**
 * Elastic's reading of time parameters (start, end, advance_time, skip_time, timestamp): epoch
 * milliseconds, epoch seconds when ten digits or fewer, an ISO 8601 date, or Elasticsearch date
 * math: an anchor (`now`, or a date followed by `||`) and then operations applied left to right,
 * `+<n><unit>` / `-<n><unit>` (n defaults to 1) and `/<unit>` (round down to the start of the
 * unit), with units y, M, w, d, h (or H), m, s. Years and months are calendar units (Jan 31 + 1M
 * is the last day of February, as Java's plusMonths); weeks start on Monday.
 *
 * Time zone: none of the APIs that read these parameters take a `time_zone`, so rounding is in UTC,
 * as Elastic does without one.
 *
 * Rounding direction: always down. That is what Elastic does for every parameter read here:
 * the results `start`/`end` become a range query `gte(start)` / `lt(end)` (ResultsFilterBuilder),
 * and a range query only rounds `gt` and `lte` bounds up; datafeed and overall-buckets times are
 * parsed with DateMathParser.parse(date, now), whose roundUp is false.
 */
import { VigilError } from '../../core/errors.js';

const DAY = 86_400_000;
const FIXED_MS: Record<string, number> = { w: 7 * DAY, d: DAY, h: 3_600_000, H: 3_600_000, m: 60_000, s: 1000 };
/** Elastic reads the number with Integer.parseInt. */
const MAX_INT = 2_147_483_647;
/** ECMAScript's time value range. */
const MAX_TIME = 8.64e15;

/** A malformed date-math expression; the message is Elastic's reason. */
export class DateMathError extends Error {}

const mod = (a: number, b: number): number => ((a % b) + b) % b;

function daysInMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month + 1, 0);
  return d.getUTCDate();
}

/** Adds calendar months in UTC, clamping the day to the target month's length. */
function plusMonths(t: number, n: number): number {
  const d = new Date(t);
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + n;
  const year = Math.floor(total / 12);
  const month = mod(total, 12);
  const out = new Date(0);
  out.setUTCFullYear(year, month, Math.min(d.getUTCDate(), daysInMonth(year, month)));
  return out.getTime() + mod(t, DAY);
}

function roundDown(t: number, unit: string): number {
  const d = new Date(t);
  switch (unit) {
    case 'y': {
      const out = new Date(0);
      out.setUTCFullYear(d.getUTCFullYear(), 0, 1);
      return out.getTime();
    }
    case 'M': {
      const out = new Date(0);
      out.setUTCFullYear(d.getUTCFullYear(), d.getUTCMonth(), 1);
      return out.getTime();
    }
    case 'w': {
      const day = t - mod(t, DAY);
      return day - mod(d.getUTCDay() - 1, 7) * DAY; // back to Monday (or stay on it)
    }
    default:
      return t - mod(t, FIXED_MS[unit]);
  }
}

/** Applies the math part of an expression (`-1d/d+2h`) to `t`, left to right. */
export function applyDateMath(t: number, math: string): number {
  let i = 0;
  while (i < math.length) {
    const op = math[i++];
    if (op !== '+' && op !== '-' && op !== '/') throw new DateMathError(`operator not supported for date math [${math}]`);
    if (i >= math.length) throw new DateMathError(`truncated date math [${math}]`);
    let num = 1;
    if (/\d/.test(math[i])) {
      const from = i;
      while (i < math.length && /\d/.test(math[i])) i++;
      if (i >= math.length) throw new DateMathError(`truncated date math [${math}]`);
      num = Number(math.slice(from, i));
      if (num > MAX_INT) throw new DateMathError(`number [${math.slice(from, i)}] too large for date math [${math}]`);
    }
    const unit = math[i++];
    if (!'yMwdhHms'.includes(unit)) throw new DateMathError(`unit [${unit}] not supported for date math [${math}]`);
    if (op === '/') {
      if (num !== 1) throw new DateMathError(`rounding \`/\` can only be used on single unit types [${math}]`);
      t = roundDown(t, unit);
    } else {
      const n = op === '-' ? -num : num;
      if (unit === 'y') t = plusMonths(t, 12 * n);
      else if (unit === 'M') t = plusMonths(t, n);
      else t += n * FIXED_MS[unit];
    }
    if (!Number.isFinite(t) || Math.abs(t) > MAX_TIME) throw new DateMathError(`date math [${math}] is out of the supported date range`);
  }
  return t;
}

/** A plain date: epoch ms, epoch seconds (ten digits or fewer) or ISO 8601; NaN when it is none. */
function parseAnchor(text: string): number {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    return text.replace('-', '').length <= 10 ? n * 1000 : n;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) || text.length === 10 ? text : text + 'Z');
    if (Number.isFinite(t)) return t;
  }
  return NaN;
}

/**
 * Reads one time parameter. Throws Elastic's 400 parse_exception naming the parameter and the
 * value, followed by the date-math reason when the math part is malformed.
 */
export function parseTimeParam(name: string, value: unknown, now: () => number = Date.now): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  const text = typeof value === 'string' ? value.trim() : '';
  const fail = (reason?: string): never => {
    throw new VigilError(
      'PARSE_ERROR',
      `Query param [${name}] with value [${String(value)}] cannot be parsed as a date or converted to a number (epoch).${reason ? ` Reason: ${reason}` : ''}`,
    );
  };
  let anchor: number;
  let math: string;
  if (text.startsWith('now')) {
    anchor = now();
    math = text.slice(3);
  } else {
    const at = text.indexOf('||');
    if (at === -1) {
      const t = parseAnchor(text);
      return Number.isFinite(t) ? t : fail();
    }
    anchor = parseAnchor(text.slice(0, at));
    if (!Number.isFinite(anchor)) fail(`failed to parse date field [${text.slice(0, at)}]`);
    math = text.slice(at + 2);
  }
  try {
    return applyDateMath(anchor, math);
  } catch (e) {
    if (e instanceof DateMathError) return fail(e.message);
    throw e;
  }
}
