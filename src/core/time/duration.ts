/**
 * Durations as people and Elastic write them ("30s", "5m", "1h", "1d", "2w", "1500ms") to and from
 * milliseconds.
 */
import { VigilError } from '../errors.js';

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses "5m", "1.5h", "90s", "1d", "2w", "250ms"; a bare number is seconds (as Elastic's bucket_span). */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (!(text > 0) || !Number.isFinite(text)) throw new VigilError('BAD_DURATION', `duration must be positive, got ${text}`);
    return text * 1000;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(text);
  if (!m) throw new VigilError('BAD_DURATION', `cannot read duration [${text}]`);
  const unit = (m[2] ?? 's').toLowerCase();
  const ms = Number(m[1]) * UNITS[unit];
  if (!(ms > 0)) throw new VigilError('BAD_DURATION', `duration must be positive, got [${text}]`);
  return Math.round(ms);
}

/** Formats milliseconds in the largest unit that divides them exactly: 300000 → "5m". */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const u = UNITS[unit];
    if (ms >= u && ms % u === 0) return `${ms / u}${unit}`;
  }
  return `${ms}ms`;
}
