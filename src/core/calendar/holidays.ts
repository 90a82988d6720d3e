/**
 * Ready-made holiday calendars (beyond Elastic, whose users must type holidays in by hand):
 * scheduled events for the public holidays of a country, optionally a state/region, generated
 * from the `date-holidays` library's offline data (about 200 countries). Each holiday becomes an
 * event covering the local day in the region's own time zone, so a job can skip its results or
 * its model updates on those days.
 */
import Holidays from 'date-holidays';
import { VigilError } from '../errors.js';
import type { ScheduledEvent } from './scheduled-event.js';

export interface HolidayOptions {
  /** ISO 3166-1 alpha-2 country code, e.g. `US`, `DE`, `FR`. */
  country: string;
  /** State or region code within the country, e.g. `CA` for California, `BY` for Bavaria. */
  region?: string;
  fromYear: number;
  toYear: number;
  /** Holiday types to include (default: public and bank holidays). */
  types?: ('public' | 'bank' | 'school' | 'optional' | 'observance')[];
  skipResult?: boolean;
  skipModelUpdate?: boolean;
}

/** Country codes with holiday data, with their names. */
export function holidayCountries(): Record<string, string> {
  return new Holidays().getCountries('en') as Record<string, string>;
}

/** Region codes of a country, with their names (empty when the country has none). */
export function holidayRegions(country: string): Record<string, string> {
  return (new Holidays().getStates(country.toUpperCase(), 'en') as Record<string, string> | undefined) ?? {};
}

/**
 * Public holidays of a country/region as scheduled events.
 *
 * @example
 * holidayEvents({ country: 'US', region: 'CA', fromYear: 2025, toYear: 2025 })
 * // [{ description: "New Year's Day (US-CA)", start_time: …, end_time: …, skip_result: true, skip_model_update: true }, …]
 */
export function holidayEvents(options: HolidayOptions): ScheduledEvent[] {
  const country = options.country.toUpperCase();
  if (!holidayCountries()[country]) {
    throw new VigilError('INVALID_ARGUMENT', `no holiday data for country [${options.country}]; use an ISO 3166 code such as US, DE or FR`);
  }
  const region = options.region?.toUpperCase();
  if (region && !holidayRegions(country)[region]) {
    throw new VigilError('INVALID_ARGUMENT', `no holiday data for region [${options.region}] of [${country}]; known: ${Object.keys(holidayRegions(country)).join(', ')}`);
  }
  if (!(Number.isInteger(options.fromYear) && Number.isInteger(options.toYear) && options.fromYear <= options.toYear && options.toYear - options.fromYear <= 50)) {
    throw new VigilError('INVALID_ARGUMENT', `years must be integers with fromYear ≤ toYear and at most 50 years apart, got ${options.fromYear}–${options.toYear}`);
  }
  const types = new Set(options.types ?? ['public', 'bank']);
  const hd = region ? new Holidays(country, region) : new Holidays(country);
  const where = region ? `${country}-${region}` : country;
  const events: ScheduledEvent[] = [];
  const seen = new Set<string>();
  for (let y = options.fromYear; y <= options.toYear; y++) {
    for (const h of hd.getHolidays(y, 'en') as { start: Date; end: Date; name: string; type: string }[]) {
      if (!types.has(h.type as 'public')) continue;
      const key = `${h.start.getTime()}|${h.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      events.push({
        description: `${h.name} (${where})`,
        start_time: h.start.getTime(),
        end_time: h.end.getTime(),
        skip_result: options.skipResult ?? true,
        skip_model_update: options.skipModelUpdate ?? true,
      });
    }
  }
  return events.sort((a, b) => a.start_time - b.start_time);
}
