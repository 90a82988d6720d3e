/**
 * The hottest timestamp layout, "YYYY-MM-DD?HH:MM:SS" (19 bytes, ? = separator), parsed with
 * straight-line digit arithmetic; shared by the ISO 8601 parser and the equivalent patterns.
 */
import { daysFromCivil, daysInMonth } from './civil.js';

/** Two digits at i as a number, or -1000 when either is not a digit. */
export function twoDigits(b: Uint8Array, i: number): number {
  const a = b[i] - 48;
  const c = b[i + 1] - 48;
  return a >= 0 && a <= 9 && c >= 0 && c <= 9 ? a * 10 + c : -1000;
}

/** True when b[s, s+19) has the punctuation of YYYY-MM-DD?HH:MM:SS with `sep` (or either of two). */
export function hasYmdHmsLayout(b: Uint8Array, s: number, e: number, sep1: number, sep2: number): boolean {
  return e - s === 19 && b[s + 4] === 45 && b[s + 7] === 45 && b[s + 13] === 58 && b[s + 16] === 58 && (b[s + 10] === sep1 || b[s + 10] === sep2);
}

/**
 * Wall-clock ms (the local time read as if UTC) of the 19-byte stamp at s (layout already checked);
 * NaN for bad digits or out-of-range fields; -Infinity for hour 24 (which callers hand to their
 * general parser). Callers apply the zone.
 */
export function wallMsOfYmdHms(b: Uint8Array, s: number): number {
  const y1 = twoDigits(b, s);
  const y2 = twoDigits(b, s + 2);
  const mo = twoDigits(b, s + 5);
  const d = twoDigits(b, s + 8);
  const h = twoDigits(b, s + 11);
  const mi = twoDigits(b, s + 14);
  const sec = twoDigits(b, s + 17);
  if ((y1 | y2 | mo | d | h | mi | sec) < 0 || mo < 1 || mo > 12 || d < 1 || mi > 59 || sec > 59) return NaN;
  if (h > 23) return h === 24 ? -Infinity : NaN;
  const y = y1 * 100 + y2;
  if (d > 28 && d > daysInMonth(y, mo)) return NaN;
  return daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000;
}
