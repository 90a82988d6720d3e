import { describe, expect, it } from 'vitest';
import { timeTicks } from './time-axis.js';
import { formatWallClock, makeTimeShift } from './time-zone.js';

describe('timeTicks', () => {
  it('uses whole days with the year on the first label', () => {
    const t = timeTicks(Date.UTC(2024, 2, 1), Date.UTC(2024, 2, 8), 10);
    expect(t.labels).toEqual(['Mar 1, 2024', 'Mar 2', 'Mar 3', 'Mar 4', 'Mar 5', 'Mar 6', 'Mar 7', 'Mar 8']);
  });
  it('uses hours within a day and dates at midnight', () => {
    const t = timeTicks(Date.UTC(2024, 2, 1, 18), Date.UTC(2024, 2, 2, 6), 8);
    expect(t.labels).toEqual(['Mar 1, 2024 18:00', '20:00', '22:00', 'Mar 2', '02:00', '04:00', '06:00']);
  });
  it('uses months over a year and marks the new year', () => {
    const t = timeTicks(Date.UTC(2024, 9, 15), Date.UTC(2025, 5, 1), 12);
    expect(t.labels).toEqual(['Nov 2024', 'Dec', 'Jan 2025', 'Feb', 'Mar', 'Apr', 'May', 'Jun']);
  });
  it('never produces more ticks than asked for (roughly)', () => {
    for (const span of [5e3, 3e5, 3.6e6, 8.64e7, 6e8, 3e9, 3e10, 3e11, 3e12]) {
      const t = timeTicks(1.7e12, 1.7e12 + span, 10);
      expect(t.values.length).toBeGreaterThanOrEqual(1);
      expect(t.values.length).toBeLessThanOrEqual(12);
    }
  });
});

describe('time zones', () => {
  it('shifts to wall-clock time, DST included', () => {
    const paris = makeTimeShift('Europe/Paris');
    expect(formatWallClock(paris(Date.UTC(2024, 0, 15, 12)))).toBe('2024-01-15 13:00');
    expect(formatWallClock(paris(Date.UTC(2024, 6, 15, 12)))).toBe('2024-07-15 14:00');
    expect(makeTimeShift(undefined)(123)).toBe(123);
    expect(makeTimeShift('Asia/Kolkata')(0)).toBe(5.5 * 3_600_000);
  });
  it('rejects unknown zones clearly', () => {
    expect(() => makeTimeShift('Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});
