/**
 * Elastic's reading of time parameters (start, end, advance_time, skip_time, timestamp): epoch
 * milliseconds, epoch seconds when ten digits or fewer, or an ISO 8601 date; `now` and `now-1h`
 * style date math as a convenience.
 */
import { VigilError } from '../../core/errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseTimeParam(name: string, value: unknown, now: () => number = Date.now): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  const text = typeof value === 'string' ? value.trim() : '';
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    return text.replace('-', '').length <= 10 ? n * 1000 : n;
  }
  const math = /^now(?:([+-])(\d+)([smhdw]))?$/.exec(text);
  if (math) {
    const t = now();
    if (!math[1]) return t;
    const d = Number(math[2]) * UNIT_MS[math[3]];
    return math[1] === '+' ? t + d : t - d;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) || text.length === 10 ? text : text + 'Z');
    if (Number.isFinite(t)) return t;
  }
  throw new VigilError('PARSE_ERROR', `Query param [${name}] with value [${String(value)}] cannot be parsed as a date or converted to a number (epoch).`);
}
