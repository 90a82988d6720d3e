import { describe, expect, it } from 'vitest';
import { dstShiftEvents, holidayEvents, holidayRegions } from './index.js';

describe('holiday calendars', () => {
  it('generates US public holidays for a year, as local days in the region', () => {
    const ev = holidayEvents({ country: 'US', region: 'CA', fromYear: 2024, toYear: 2024 });
    const names = ev.map((e) => e.description);
    expect(names).toContain("New Year's Day (US-CA)");
    expect(names).toContain('Thanksgiving Day (US-CA)');
    expect(names.some((n) => n.startsWith('Valentine'))).toBe(false); // an observance, not a public holiday
    const ny = ev.find((e) => e.description.startsWith("New Year's Day"))!;
    expect(new Date(ny.start_time).toISOString()).toBe('2024-01-01T08:00:00.000Z'); // midnight in Los Angeles
    expect(ny.end_time - ny.start_time).toBe(24 * 3_600_000);
    expect(ny).toMatchObject({ skip_result: true, skip_model_update: true });
    expect(ev.every((e, i) => i === 0 || e.start_time >= ev[i - 1].start_time)).toBe(true);
  });

  it('covers several years and regions differ from their country', () => {
    const de = holidayEvents({ country: 'de', fromYear: 2024, toYear: 2025 });
    const by = holidayEvents({ country: 'DE', region: 'BY', fromYear: 2024, toYear: 2025 });
    expect(by.length).toBeGreaterThan(de.length); // Bavaria has more (Epiphany, Corpus Christi, …)
    expect(de.filter((e) => e.description.startsWith('Christmas Day')).length).toBe(2);
    expect(Object.keys(holidayRegions('DE'))).toContain('BY');
  });

  it('refuses unknown countries, regions and absurd ranges with clear messages', () => {
    expect(() => holidayEvents({ country: 'XX', fromYear: 2024, toYear: 2024 })).toThrow(/no holiday data for country \[XX\]/);
    expect(() => holidayEvents({ country: 'US', region: 'ZZ', fromYear: 2024, toYear: 2024 })).toThrow(/region \[ZZ\]/);
    expect(() => holidayEvents({ country: 'US', fromYear: 2030, toYear: 2024 })).toThrow(/years/);
  });
});

describe('daylight-saving shifts', () => {
  it('finds both Paris clock changes of 2025 with their shifts', () => {
    const ev = dstShiftEvents({ timeZone: 'Europe/Paris', from: Date.UTC(2025, 0, 1), to: Date.UTC(2026, 0, 1) });
    expect(ev.map((e) => [new Date(e.start_time).toISOString(), e.force_time_shift])).toEqual([
      ['2025-03-30T01:00:00.000Z', 3600],
      ['2025-10-26T01:00:00.000Z', -3600],
    ]);
    expect(ev[0].description).toMatch(/forward 1 h/);
  });

  it('handles half-hour shifts and zones without DST', () => {
    const lh = dstShiftEvents({ timeZone: 'Australia/Lord_Howe', from: Date.UTC(2025, 0, 1), to: Date.UTC(2026, 0, 1) });
    expect(lh.map((e) => e.force_time_shift)).toEqual([-1800, 1800]);
    expect(dstShiftEvents({ timeZone: 'Asia/Tokyo', from: Date.UTC(2025, 0, 1), to: Date.UTC(2026, 0, 1) })).toEqual([]);
    expect(dstShiftEvents({ timeZone: 'UTC', from: Date.UTC(2020, 0, 1), to: Date.UTC(2030, 0, 1) })).toEqual([]);
  });

  it('refuses an unknown zone', () => {
    expect(() => dstShiftEvents({ timeZone: 'Mars/Olympus', from: 0, to: 1e10 })).toThrow(/unknown time zone/);
  });
});
