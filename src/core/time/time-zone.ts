/**
 * Turning a zone-less wall-clock time into an instant in a named time zone, DST-correct and fast.
 *
 * luxon answers "what is the zone's UTC offset at instant t"; everything else is ours: the offset
 * for a wall-clock hour is looked up once and cached, so the hot path is one integer division and
 * one comparison. Around transitions we follow java.time (and so Elastic):
 * - a wall time that occurs twice (autumn overlap) takes the earlier offset, i.e. the first occurrence;
 * - a wall time that does not exist (spring gap) is moved forward by the length of the gap
 *   (02:30 on the night clocks jump 02:00 → 03:00 reads as 03:30).
 */
import { IANAZone } from 'luxon';
import { VigilError } from '../errors.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const CACHE_SLOTS = 8192;

/** Converts wall-clock milliseconds (the local time read as if UTC) to epoch milliseconds. */
export interface WallClockResolver {
  /** The zone as given. */
  readonly timeZone: string;
  /** True when the zone is UTC (no conversion needed). */
  readonly isUtc: boolean;
  toUtc(wallMs: number): number;
}

const UTC_NAMES = new Set(['utc', 'z', 'gmt', 'etc/utc', 'etc/gmt', 'etc/uct', 'uct', 'etc/zulu', 'zulu', 'universal', 'etc/universal', 'etc/gmt0', 'etc/gmt+0', 'etc/gmt-0', 'gmt0', 'greenwich']);

const UTC_RESOLVER: WallClockResolver = { timeZone: 'UTC', isUtc: true, toUtc: (w) => w };

/**
 * Returns a resolver for an IANA zone name ("Europe/Paris"), "UTC", or a fixed offset ("+05:30").
 * Throws VigilError UNKNOWN_TIME_ZONE for anything else.
 *
 * @example makeWallClockResolver('Europe/Paris').toUtc(Date.UTC(2024, 6, 1, 12)) // 2024-07-01T10:00Z
 */
export function makeWallClockResolver(timeZone: string | undefined): WallClockResolver {
  if (timeZone === undefined || timeZone === '') return UTC_RESOLVER;
  const name = timeZone.trim();
  if (UTC_NAMES.has(name.toLowerCase())) return { ...UTC_RESOLVER, timeZone: name };
  const fixed = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(name);
  if (fixed) {
    const minutes = (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3] ?? 0));
    if (Math.abs(minutes) > 18 * 60) throw new VigilError('UNKNOWN_TIME_ZONE', `time zone offset out of range: [${timeZone}]`);
    const off = minutes * 60_000;
    return { timeZone: name, isUtc: off === 0, toUtc: (w) => w - off };
  }
  if (!IANAZone.isValidZone(name)) {
    throw new VigilError('UNKNOWN_TIME_ZONE', `unknown time zone [${timeZone}]`, { timeZone });
  }
  return new IanaResolver(name);
}

class IanaResolver implements WallClockResolver {
  readonly isUtc = false;
  private readonly zone: IANAZone;
  /**
   * Direct-mapped cache, wall hour → offset ms valid for the whole hour (NaN when a transition is
   * near). 8192 slots cover 11 months of consecutive hours without a collision.
   */
  private readonly cacheHour = new Float64Array(CACHE_SLOTS).fill(NaN);
  private readonly cacheOffset = new Float64Array(CACHE_SLOTS);
  private lastHour = NaN;
  private lastOffset = NaN;

  constructor(readonly timeZone: string) {
    this.zone = IANAZone.create(timeZone);
  }

  toUtc(wallMs: number): number {
    const hour = Math.floor(wallMs / HOUR);
    if (hour === this.lastHour) return wallMs - this.lastOffset;
    const slot = hour & (CACHE_SLOTS - 1);
    let off: number;
    if (this.cacheHour[slot] === hour) off = this.cacheOffset[slot];
    else {
      off = this.hourOffset(hour * HOUR);
      this.cacheHour[slot] = hour;
      this.cacheOffset[slot] = off;
    }
    if (off === off) {
      this.lastHour = hour;
      this.lastOffset = off;
      return wallMs - off;
    }
    return this.resolveExactly(wallMs);
  }

  private offsetAt(utcMs: number): number {
    return this.zone.offset(utcMs) * 60_000;
  }

  /** The offset for every wall time in [wallStart, wallStart + 1h), or NaN if it varies within the hour. */
  private hourOffset(wallStart: number): number {
    const before = this.offsetAt(wallStart - DAY);
    const after = this.offsetAt(wallStart + DAY);
    // Same offset a day either side and at both ends of the hour: no transition near.
    if (before === after && this.offsetAt(wallStart - before) === before && this.offsetAt(wallStart + HOUR - 1 - before) === before) return before;
    // Near a transition: java.time's answer at both ends of the hour; if they agree, so does every
    // wall time in between (gap and overlap hours included: both ends take the earlier offset).
    const first = wallStart - this.resolveExactly(wallStart);
    const last = wallStart + HOUR - 1 - this.resolveExactly(wallStart + HOUR - 1);
    return first === last ? first : NaN;
  }

  /** java.time's rule for one wall time near a transition. */
  private resolveExactly(wallMs: number): number {
    const before = this.offsetAt(wallMs - DAY);
    const after = this.offsetAt(wallMs + DAY);
    const tBefore = wallMs - before;
    const tAfter = wallMs - after;
    const beforeValid = this.offsetAt(tBefore) === before;
    const afterValid = this.offsetAt(tAfter) === after;
    if (beforeValid && afterValid) return Math.min(tBefore, tAfter); // overlap: first occurrence
    if (beforeValid) return tBefore;
    if (afterValid) return tAfter;
    return tBefore; // gap: shifted forward by the gap length
  }
}
