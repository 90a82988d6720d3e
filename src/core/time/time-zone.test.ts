import { IANAZone } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeWallClockResolver } from './time-zone.js';

describe('makeWallClockResolver', () => {
  afterEach(() => vi.restoreAllMocks());

  it('asks luxon for offsets about once per wall-clock hour, not once per timestamp', () => {
    const spy = vi.spyOn(IANAZone.prototype, 'offset');
    const z = makeWallClockResolver('America/New_York');
    const start = Date.UTC(2024, 2, 1);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) sum += z.toUtc(start + i * 30_000); // ~ 833 hours, crossing the March DST change
    expect(Number.isFinite(sum)).toBe(true);
    expect(spy.mock.calls.length).toBeLessThan(5 * 840);
    expect(spy.mock.calls.length).toBeGreaterThan(0);
  });

  it('is exact around transitions even with the cache warm', () => {
    const z = makeWallClockResolver('Europe/Paris');
    const wall = (s: string): number => Date.parse(s + 'Z');
    for (let rep = 0; rep < 2; rep++) {
      expect(new Date(z.toUtc(wall('2024-03-31T01:59:00'))).toISOString()).toBe('2024-03-31T00:59:00.000Z');
      expect(new Date(z.toUtc(wall('2024-03-31T02:15:00'))).toISOString()).toBe('2024-03-31T01:15:00.000Z');
      expect(new Date(z.toUtc(wall('2024-03-31T03:00:00'))).toISOString()).toBe('2024-03-31T01:00:00.000Z');
      expect(new Date(z.toUtc(wall('2024-10-27T02:15:00'))).toISOString()).toBe('2024-10-27T00:15:00.000Z');
      expect(new Date(z.toUtc(wall('2024-10-27T03:00:00'))).toISOString()).toBe('2024-10-27T02:00:00.000Z');
    }
  });

  it('handles half-hour DST (Australia/Lord_Howe) and zones without DST', () => {
    const lh = makeWallClockResolver('Australia/Lord_Howe');
    // 2024-10-06 02:00 → 02:30 (+10:30 → +11:00)
    expect(new Date(lh.toUtc(Date.parse('2024-10-06T01:59:00Z'))).toISOString()).toBe('2024-10-05T15:29:00.000Z');
    expect(new Date(lh.toUtc(Date.parse('2024-10-06T02:45:00Z'))).toISOString()).toBe('2024-10-05T15:45:00.000Z');
    const tokyo = makeWallClockResolver('Asia/Tokyo');
    expect(tokyo.toUtc(Date.parse('2024-07-01T09:00:00Z'))).toBe(Date.parse('2024-07-01T00:00:00Z'));
  });

  it('UTC and fixed offsets need no lookups', () => {
    expect(makeWallClockResolver(undefined).isUtc).toBe(true);
    expect(makeWallClockResolver('GMT').isUtc).toBe(true);
    expect(makeWallClockResolver('-03:00').toUtc(0)).toBe(3 * 3_600_000);
    expect(makeWallClockResolver('UTC+2').toUtc(0)).toBe(-2 * 3_600_000);
    expect(() => makeWallClockResolver('+25:00')).toThrow(expect.objectContaining({ code: 'UNKNOWN_TIME_ZONE' }));
  });
});
