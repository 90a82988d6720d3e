/**
 * Wall-clock shifting for chart time axes. Charts are drawn in UTC mode; to show another IANA
 * zone, every timestamp is shifted by that zone's offset at that instant, so the axis ticks fall
 * on the zone's midnights and hours and labels read as local wall-clock time.
 */

const QUARTER_HOUR = 15 * 60_000;

/** A function mapping epoch ms to "wall-clock ms" in the given zone (identity for UTC). */
export type TimeShift = (t: number) => number;

/** Throws a RangeError naming the zone when it is not a valid IANA zone. */
export function makeTimeShift(timeZone: string | undefined): TimeShift {
  if (!timeZone || timeZone === 'UTC' || timeZone === 'Etc/UTC') return (t) => t;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}" (expected an IANA name such as "Europe/Paris")`);
  }
  const cache = new Map<number, number>();
  const offsetAt = (t: number): number => {
    const key = Math.floor(t / QUARTER_HOUR);
    let off = cache.get(key);
    if (off === undefined) {
      const probe = key * QUARTER_HOUR;
      const p: Record<string, number> = {};
      for (const part of fmt.formatToParts(probe)) if (part.type !== 'literal') p[part.type] = Number(part.value);
      const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
      off = Math.round((wall - probe) / 60_000) * 60_000;
      if (cache.size > 200_000) cache.clear();
      cache.set(key, off);
    }
    return off;
  };
  return (t) => (Number.isFinite(t) ? t + offsetAt(t) : t);
}

/** Applies a shift to every element. */
export function shiftTimes(times: Float64Array, shift: TimeShift): Float64Array {
  const out = new Float64Array(times.length);
  for (let i = 0; i < times.length; i++) out[i] = shift(times[i]);
  return out;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** "YYYY-MM-DD HH:mm[:ss]" of a (shifted) time read in UTC. */
export function formatWallClock(t: number, seconds = false): string {
  const d = new Date(t);
  const s = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return seconds ? `${s}:${pad(d.getUTCSeconds())}` : s;
}
