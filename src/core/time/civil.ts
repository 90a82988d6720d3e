/**
 * Proleptic Gregorian calendar arithmetic on plain integers (no Date objects), used by the
 * timestamp parsers' hot paths. Algorithms after Howard Hinnant's "chrono-compatible low-level date
 * algorithms".
 */

/** Days since 1970-01-01 of the civil date y-m-d (m 1–12, d 1–31); negative before 1970. */
export function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = (((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) | 0) + d - 1;
  const doe = yoe * 365 + ((yoe / 4) | 0) - ((yoe / 100) | 0) + doy;
  return era * 146097 + doe - 719468;
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Number of days in month m (1–12) of year y. */
export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : DAYS_IN_MONTH[m];
}

/**
 * Milliseconds since the epoch of a wall-clock time read as if it were UTC, or NaN when a field is
 * out of range (month 13, 31 April, 25 o'clock …). Hour 24 is accepted only as 24:00:00.000 (ISO 8601).
 */
export function wallClockMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 24 || mi > 59 || s > 59) return NaN;
  if (h === 24 && (mi !== 0 || s !== 0 || ms !== 0)) return NaN;
  return daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + ms;
}
