/**
 * Elastic's time values and byte sizes as the `_forecast` request writes them ("30d", "90m",
 * "0", "-1"; "20mb", 1048576), parsed with Elastic's own messages and string forms.
 */
import { VigilError } from '../../core/errors.js';
import { parseTimeValue as parseJobTimeValue } from '../job/units.js';

/** A parsed time value: milliseconds and Elastic's string form (`getStringRep`). */
export interface TimeValue {
  ms: number;
  rep: string;
}

/**
 * Parses an Elastic time value for the setting `name`: "<integer><unit>" with unit nanos, micros,
 * ms, s, m, h or d; "0" and "-1" without a unit. The reading (and every refusal: fractions such
 * as "1.5d", negatives other than -1 such as "-5d", a missing unit) is the jobs API's shared
 * parser's, so `_forecast` answers with the same Elastic messages as job and datafeed settings;
 * this adds Elastic's string form (`getStringRep`: "-1" for a negative value).
 */
export function parseTimeValue(text: string | number, name: string): TimeValue {
  const ms = parseJobTimeValue(String(text), name);
  if (ms < 0) return { ms, rep: '-1' };
  const m = /^(-?\d+)\s*(nanos|micros|ms|s|m|h|d)$/.exec(String(text).trim().toLowerCase());
  return { ms, rep: m ? `${Number(m[1])}${m[2]}` : timeRep(ms) };
}

/** Elastic's string form of milliseconds (the largest unit that divides them: 3600000 → "1h"). */
export function timeRep(ms: number): string {
  for (const [u, f] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms >= f && ms % f === 0) return `${ms / f}${u}`;
  return `${ms}ms`;
}

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4, pb: 1024 ** 5 };

/** Parses an Elastic byte size ("20mb", "1gb", or a number of bytes) for the setting `name`. */
export function parseByteSize(value: string | number, name: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new VigilError('INVALID_ARGUMENT', `failed to parse setting [${name}] with value [${value}] as a size in bytes`, { elasticType: 'parse_exception' });
    return Math.trunc(value);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|pb)?\s*$/i.exec(value);
  if (!m) throw new VigilError('INVALID_ARGUMENT', `failed to parse setting [${name}] with value [${value}] as a size in bytes: unit is missing or unrecognized`, { elasticType: 'parse_exception' });
  return Math.trunc(Number(m[1]) * BYTE_UNITS[(m[2] ?? 'b').toLowerCase()]);
}
