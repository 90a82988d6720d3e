/**
 * Daylight-saving clock changes of a time zone as scheduled events with Elastic's
 * `force_time_shift` (seconds): at each change, a model that learned local-time seasonality shifts
 * its clock by the change, so the morning peak stays the morning peak. Beyond Elastic, which leaves
 * users to enter these by hand.
 */
import { IANAZone } from 'luxon';
import { VigilError } from '../errors.js';
import type { ScheduledEvent } from './scheduled-event.js';

const HOUR = 3_600_000;

export interface DstOptions {
  timeZone: string;
  /** Epoch ms. */
  from: number;
  /** Epoch ms. */
  to: number;
}

/** Offset of a zone at an instant, in minutes. */
function offsetAt(zone: IANAZone, t: number): number {
  return zone.offset(t);
}

/**
 * Every offset change of `timeZone` between `from` and `to`, as a one-hour event starting at the
 * change with `force_time_shift` = the change in seconds (+3600 when clocks go forward).
 *
 * @example
 * dstShiftEvents({ timeZone: 'Europe/Paris', from: Date.UTC(2025, 0, 1), to: Date.UTC(2026, 0, 1) })
 * // two events: 2025-03-30T01:00Z (+3600 s) and 2025-10-26T01:00Z (−3600 s)
 */
export function dstShiftEvents(options: DstOptions): ScheduledEvent[] {
  const zone = IANAZone.create(options.timeZone);
  if (!zone.isValid) throw new VigilError('UNKNOWN_TIME_ZONE', `unknown time zone [${options.timeZone}]`);
  if (!(options.to > options.from) || options.to - options.from > 100 * 366 * 24 * HOUR) {
    throw new VigilError('INVALID_ARGUMENT', 'the range must be positive and at most 100 years');
  }
  const events: ScheduledEvent[] = [];
  // step by hours (changes happen on the hour or half hour); bisect to the minute at each change
  let t = Math.floor(options.from / HOUR) * HOUR;
  let prev = offsetAt(zone, t);
  for (; t < options.to; t += HOUR) {
    const next = offsetAt(zone, t + HOUR);
    if (next === prev) continue;
    let lo = t;
    let hi = t + HOUR;
    while (hi - lo > 60_000) {
      const mid = Math.floor((lo + hi) / 2 / 60_000) * 60_000;
      if (offsetAt(zone, mid) === prev) lo = mid;
      else hi = mid;
    }
    if (hi >= options.from && hi < options.to) {
      const shift = (next - prev) * 60;
      events.push({
        description: `${options.timeZone}: clocks go ${shift > 0 ? 'forward' : 'back'} ${Math.abs(shift / 3600)} h`,
        start_time: hi,
        end_time: hi + HOUR,
        skip_result: false,
        skip_model_update: false,
        force_time_shift: shift,
      });
    }
    prev = next;
  }
  return events;
}
