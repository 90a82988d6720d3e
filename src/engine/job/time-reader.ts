/**
 * Reads a posted document's time the way Elastic's data_description says: `epoch` (seconds, may be
 * fractional, as a number or numeric text), `epoch_ms`, `epoch_us` / `epoch_ns` (Vigil extension),
 * or a Java-style pattern (text; zone-less stamps are UTC). NaN when the value is missing or does
 * not match.
 */
import { epochToMs, epochUnitOfFormat, makeTimestampParser } from '../../core/time/parse-timestamp.js';
import type { DataDescription } from './config.js';

export type TimeReader = (v: unknown) => number;

export function makeTimeReader(dd: DataDescription): TimeReader {
  if (dd.time_format === 'epoch' || dd.time_format === 'epoch_ms') {
    const k = dd.time_format === 'epoch' ? 1000 : 1;
    return (v) => {
      let x: number;
      if (typeof v === 'number') x = v;
      else if (typeof v === 'string' && v.trim() !== '') x = Number(v);
      else return NaN;
      return Number.isFinite(x) ? x * k : NaN;
    };
  }
  // Vigil extension: epoch_us / epoch_ns (and their aliases), as numbers, bigints or digit text,
  // exact to the millisecond (a nanosecond epoch does not fit a double's integer range)
  const unit = epochUnitOfFormat(dd.time_format);
  if (unit === 'us' || unit === 'ns') {
    return (v) => {
      if (typeof v === 'number') return Number.isFinite(v) ? epochToMs(v, unit) : NaN;
      if (typeof v === 'bigint') return epochToMs(v, unit);
      if (typeof v === 'string' && v.trim() !== '') return epochToMs(v.trim(), unit);
      return NaN;
    };
  }
  const parse = makeTimestampParser(dd.time_format, { timeZone: 'UTC' });
  return (v) => (typeof v === 'string' ? parse(v) : NaN);
}

/**
 * Reads a flush/API time parameter: epoch milliseconds (number or numeric text) or an ISO 8601
 * date; NaN when it is neither.
 */
export function readTimeParam(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (typeof v !== 'string' || v.trim() === '') return NaN;
  if (/^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  const iso = makeTimestampParser('iso8601', { timeZone: 'UTC' });
  return iso(v.trim());
}
