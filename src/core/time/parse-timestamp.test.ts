import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { detectTimestampFormat, epochToMs, epochUnitOfFormat, inferEpochUnit, makeTimestampParser, normalizeTimestampFormat } from './parse-timestamp.js';

const iso = (ms: number): string => (Number.isNaN(ms) ? 'NaN' : new Date(ms).toISOString());
const at = (s: string): number => Date.parse(s);

describe('iso8601', () => {
  const p = makeTimestampParser('iso8601');
  it.each([
    ['2024-01-02 03:04:05', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02t03:04:05z', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05.123Z', '2024-01-02T03:04:05.123Z'],
    ['2024-01-02T03:04:05.1Z', '2024-01-02T03:04:05.100Z'],
    ['2024-01-02T03:04:05.123456789Z', '2024-01-02T03:04:05.123Z'],
    ['2024-01-02 03:04:05,250', '2024-01-02T03:04:05.250Z'],
    ['2024-01-02T03:04:05+02:00', '2024-01-02T01:04:05.000Z'],
    ['2024-01-02T03:04:05-0530', '2024-01-02T08:34:05.000Z'],
    ['2024-01-02T03:04:05+01', '2024-01-02T02:04:05.000Z'],
    ['2024-01-02 03:04:05 +0100', '2024-01-02T02:04:05.000Z'],
    ['2024-01-02 03:04:05 UTC', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04', '2024-01-02T03:04:00.000Z'],
    ['2024-01-02', '2024-01-02T00:00:00.000Z'],
    ['2024-1-2', '2024-01-02T00:00:00.000Z'],
    ['  2024-01-02 03:04:05  ', '2024-01-02T03:04:05.000Z'],
    ['2024-02-29 00:00:00', '2024-02-29T00:00:00.000Z'],
    ['2024-12-31T24:00:00', '2025-01-01T00:00:00.000Z'],
    ['1969-07-20 20:17:40', '1969-07-20T20:17:40.000Z'],
    ['1600-03-01 00:00:00', '1600-03-01T00:00:00.000Z'],
  ])('%s', (text, want) => {
    expect(iso(p(text))).toBe(want);
  });
  it.each([
    '', 'yesterday', '2023-02-29 00:00:00', '2024-13-01 00:00:00', '2024-04-31', '2024-01-02 25:00:00',
    '2024-01-02 03:60:00', '2024-01-02 03:04:60', '2024-01-02 03:04:05 junk', '2024-01-02T', '2024/01/02 03:04:05',
    '2024-01-02 03:04:05.', '2024-01-02T24:00:01', '20a4-01-02 03:04:05', '2024-01-02 03:04:05+25:00',
  ])('rejects %j', (text) => {
    expect(p(text)).toBeNaN();
  });
  it('agrees with Date.parse on a sweep of random UTC stamps', () => {
    let seed = 1;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const t = Math.floor((rnd() - 0.3) * 4e12 / 1000) * 1000;
      const s = new Date(t).toISOString().slice(0, 19).replace('T', ' ');
      expect(p(s)).toBe(t);
    }
  });
  it('parses bytes in place', () => {
    const buf = Buffer.from('x,2024-01-02 03:04:05,y');
    expect(p.parseBytes(buf, 2, 21)).toBe(at('2024-01-02T03:04:05Z'));
  });
});

describe('time zones', () => {
  const paris = makeTimestampParser('yyyy-MM-dd HH:mm:ss', { timeZone: 'Europe/Paris' });
  const parisIso = makeTimestampParser('iso8601', { timeZone: 'Europe/Paris' });
  it('uses winter and summer offsets', () => {
    expect(iso(paris('2024-01-15 12:00:00'))).toBe('2024-01-15T11:00:00.000Z');
    expect(iso(paris('2024-07-15 12:00:00'))).toBe('2024-07-15T10:00:00.000Z');
    expect(iso(parisIso('2024-07-15T12:00:00'))).toBe('2024-07-15T10:00:00.000Z');
  });
  it('an explicit offset wins over the zone', () => {
    expect(iso(parisIso('2024-07-15T12:00:00Z'))).toBe('2024-07-15T12:00:00.000Z');
  });
  it('spring gap: non-existent wall times move forward by the gap (java.time)', () => {
    expect(iso(paris('2024-03-31 01:59:59'))).toBe('2024-03-31T00:59:59.000Z');
    expect(iso(paris('2024-03-31 02:00:00'))).toBe('2024-03-31T01:00:00.000Z');
    expect(iso(paris('2024-03-31 02:30:00'))).toBe('2024-03-31T01:30:00.000Z');
    expect(iso(paris('2024-03-31 03:00:00'))).toBe('2024-03-31T01:00:00.000Z');
    expect(iso(paris('2024-03-31 03:30:00'))).toBe('2024-03-31T01:30:00.000Z');
  });
  it('autumn overlap: ambiguous wall times take the first occurrence (earlier offset)', () => {
    expect(iso(paris('2024-10-27 01:59:59'))).toBe('2024-10-26T23:59:59.000Z');
    expect(iso(paris('2024-10-27 02:00:00'))).toBe('2024-10-27T00:00:00.000Z');
    expect(iso(paris('2024-10-27 02:30:00'))).toBe('2024-10-27T00:30:00.000Z');
    expect(iso(paris('2024-10-27 03:00:00'))).toBe('2024-10-27T02:00:00.000Z');
  });
  it('New York', () => {
    const ny = makeTimestampParser('iso8601', { timeZone: 'America/New_York' });
    expect(iso(ny('2024-03-10 01:59:00'))).toBe('2024-03-10T06:59:00.000Z');
    expect(iso(ny('2024-03-10 02:30:00'))).toBe('2024-03-10T07:30:00.000Z');
    expect(iso(ny('2024-03-10 03:00:00'))).toBe('2024-03-10T07:00:00.000Z');
    expect(iso(ny('2024-11-03 01:30:00'))).toBe('2024-11-03T05:30:00.000Z');
    expect(iso(ny('2024-11-03 02:00:00'))).toBe('2024-11-03T07:00:00.000Z');
  });
  it('every hour of a year in Paris matches luxon-free reference offsets', () => {
    const fmt = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Europe/Paris', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    for (let t = Date.UTC(2023, 0, 1); t < Date.UTC(2024, 0, 1); t += 3_600_000 + 60_000 * 7) {
      const parts = Object.fromEntries(fmt.formatToParts(t).map((x) => [x.type, x.value]));
      const wall = `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
      const got = paris(wall);
      // In the autumn overlap the second occurrence maps to the first; allow exactly that.
      if (got !== t) expect(t - got).toBe(3_600_000);
      else expect(got).toBe(t);
    }
  });
  it('fixed offsets and UTC aliases', () => {
    expect(iso(makeTimestampParser('iso8601', { timeZone: '+05:30' })('2024-01-01 05:30:00'))).toBe('2024-01-01T00:00:00.000Z');
    expect(iso(makeTimestampParser('iso8601', { timeZone: 'Etc/UTC' })('2024-01-01 05:30:00'))).toBe('2024-01-01T05:30:00.000Z');
  });
  it('unknown zone → UNKNOWN_TIME_ZONE', () => {
    expect(() => makeTimestampParser('iso8601', { timeZone: 'Mars/Olympus' })).toThrow(VigilError);
    try {
      makeTimestampParser('iso8601', { timeZone: 'Europe/Pariss' });
      expect.unreachable();
    } catch (e) {
      expect((e as VigilError).code).toBe('UNKNOWN_TIME_ZONE');
      expect((e as VigilError).message).toContain('Europe/Pariss');
    }
  });
});

describe('epoch', () => {
  it('seconds, fractional and negative', () => {
    const p = makeTimestampParser('epoch');
    expect(p('1700000000')).toBe(1_700_000_000_000);
    expect(p('1700000000.5')).toBe(1_700_000_000_500);
    expect(p('1700000000.123456')).toBeCloseTo(1_700_000_000_123.456, 3);
    expect(p('-86400')).toBe(-86_400_000);
    expect(p(' 1700000000 ')).toBe(1_700_000_000_000);
    expect(p('1.7e9')).toBe(1_700_000_000_000);
    expect(p('17000x')).toBeNaN();
    expect(p('')).toBeNaN();
    expect(p('.')).toBeNaN();
  });
  it('milliseconds', () => {
    const p = makeTimestampParser('epoch_ms');
    expect(p('1700000000123')).toBe(1_700_000_000_123);
    expect(p('1700000000123.5')).toBe(1_700_000_000_123.5);
    expect(p('abc')).toBeNaN();
  });
  it('microseconds and nanoseconds, from their digits, rounded down to the millisecond', () => {
    const us = makeTimestampParser('epoch_us');
    expect(us('1700000000123456')).toBe(1_700_000_000_123);
    expect(us('1700000000123999.9')).toBe(1_700_000_000_123);
    expect(us('-1500')).toBe(-2);
    expect(us('-1000')).toBe(-1);
    expect(us('999')).toBe(0);
    expect(us('1.7e15')).toBe(1_700_000_000_000);
    expect(us('17x')).toBeNaN();
    const ns = makeTimestampParser('epoch_ns');
    // 1700000000123999999 is not a double (Number() gives …124000000): the digits are used
    expect(ns('1700000000123999999')).toBe(1_700_000_000_123);
    expect(ns('1700000000123000000')).toBe(1_700_000_000_123);
    expect(ns(' 99999999999999999999 ')).toBe(99_999_999_999_999);
    expect(ns('-1')).toBe(-1);
    expect(ns('')).toBeNaN();
  });
  it('epochToMs: numbers, bigints and text agree', () => {
    expect(epochToMs(1_700_000_000, 's')).toBe(1_700_000_000_000);
    expect(epochToMs(1_700_000_000_123, 'ms')).toBe(1_700_000_000_123);
    expect(epochToMs(1_700_000_000_123_999, 'us')).toBe(1_700_000_000_123);
    expect(epochToMs(1_700_000_000_123_999_999n, 'ns')).toBe(1_700_000_000_123);
    expect(epochToMs(-1n, 'ns')).toBe(-1);
    expect(epochToMs(-1_000_000n, 'ns')).toBe(-1);
    expect(epochToMs(1_700_000_000n, 's')).toBe(1_700_000_000_000);
    expect(epochToMs('1700000000123999999', 'ns')).toBe(1_700_000_000_123);
    // a double above 2^53 is taken at its exact value (1700000000123999999 reads as …124000000)
    expect(epochToMs(1_700_000_000_123_999_999, 'ns')).toBe(1_700_000_000_124);
    expect(epochToMs(Number.NaN, 'us')).toBeNaN();
  });
  it('inferEpochUnit by magnitude, the same ranges as auto', () => {
    expect(inferEpochUnit(1_700_000_000)).toBe('s');
    expect(inferEpochUnit(99_999_999_999)).toBe('s');
    expect(inferEpochUnit(100_000_000_000)).toBe('ms');
    expect(inferEpochUnit(1_700_000_000_000)).toBe('ms');
    expect(inferEpochUnit(1_700_000_000_000_000)).toBe('us');
    expect(inferEpochUnit(1_700_000_000_000_000_000)).toBe('ns');
    expect(inferEpochUnit(1_700_000_000_000_000_000n)).toBe('ns');
    expect(inferEpochUnit(-1_700_000_000_000_000n)).toBe('us');
    expect(epochUnitOfFormat('epoch_second')).toBe('s');
    expect(epochUnitOfFormat('epoch_millis')).toBe('ms');
    expect(epochUnitOfFormat('epoch_nanos')).toBe('ns');
    expect(epochUnitOfFormat('iso8601')).toBeNull();
  });
  it('aliases', () => {
    expect(normalizeTimestampFormat('epoch_micros')).toBe('epoch_us');
    expect(normalizeTimestampFormat('epoch_nanos')).toBe('epoch_ns');
    expect(normalizeTimestampFormat('epoch_millis')).toBe('epoch_ms');
    expect(normalizeTimestampFormat('epoch_second')).toBe('epoch');
    expect(normalizeTimestampFormat('ISO8601')).toBe('iso8601');
    expect(makeTimestampParser('epoch_millis')('5')).toBe(5);
  });
});

describe('custom patterns', () => {
  it.each([
    ['yyyy-MM-dd HH:mm:ss', '2024-01-02 03:04:05', '2024-01-02T03:04:05.000Z'],
    ['dd/MM/yyyy HH:mm', '02/01/2024 03:04', '2024-01-02T03:04:00.000Z'],
    ['dd/MM/yyyy HH:mm', '2/1/2024 3:04', '2024-01-02T03:04:00.000Z'],
    ['MM/dd/yyyy hh:mm:ss a', '01/02/2024 03:04:05 PM', '2024-01-02T15:04:05.000Z'],
    ['MM/dd/yyyy hh:mm:ss a', '01/02/2024 12:04:05 am', '2024-01-02T00:04:05.000Z'],
    ["yyyyMMdd'T'HHmmss", '20240102T030405', '2024-01-02T03:04:05.000Z'],
    ['yyyyMMddHHmmssSSS', '20240102030405123', '2024-01-02T03:04:05.123Z'],
    ['yyyy-MM-dd HH:mm:ss.SSS', '2024-01-02 03:04:05.123', '2024-01-02T03:04:05.123Z'],
    ['yyyy-MM-dd HH:mm:ss.SSS', '2024-01-02 03:04:05.5', '2024-01-02T03:04:05.500Z'],
    ["yyyy-MM-dd'T'HH:mm:ssXXX", '2024-01-02T03:04:05+02:00', '2024-01-02T01:04:05.000Z'],
    ["yyyy-MM-dd'T'HH:mm:ssXXX", '2024-01-02T03:04:05Z', '2024-01-02T03:04:05.000Z'],
    ['yyyy-MM-dd HH:mm:ss Z', '2024-01-02 03:04:05 -0700', '2024-01-02T10:04:05.000Z'],
    ['dd/MMM/yyyy:HH:mm:ss Z', '10/Oct/2000:13:55:36 -0700', '2000-10-10T20:55:36.000Z'],
    ['EEE, dd MMM yyyy HH:mm:ss Z', 'Tue, 02 Jan 2024 03:04:05 GMT', '2024-01-02T03:04:05.000Z'],
    ['dd MMMM yyyy', '02 January 2024', '2024-01-02T00:00:00.000Z'],
    ["'day' d 'of' M, yy", 'day 2 of 1, 24', '2024-01-02T00:00:00.000Z'],
    ["yyyy-MM-dd'T'HH'h'", "2024-01-02T03h", '2024-01-02T03:00:00.000Z'],
    ["yyyy-MM-dd''HH", "2024-01-02'03", '2024-01-02T03:00:00.000Z'],
  ])('%s reads %s', (pattern, text, want) => {
    expect(iso(makeTimestampParser(pattern)(text))).toBe(want);
  });
  it.each([
    ['dd/MM/yyyy HH:mm', '2024-01-02 03:04'],
    ['dd/MM/yyyy HH:mm', '02/01/2024 03:04:05'],
    ['dd/MM/yyyy HH:mm', '31/02/2024 03:04'],
    ["yyyyMMdd'T'HHmmss", '2024012T030405'],
    ['MMM dd yyyy', 'Foo 02 2024'],
  ])('%s rejects %s', (pattern, text) => {
    expect(makeTimestampParser(pattern)(text)).toBeNaN();
  });
  it('reads zone-less patterns in the time zone', () => {
    const p = makeTimestampParser('dd/MM/yyyy HH:mm', { timeZone: 'America/New_York' });
    expect(iso(p('01/07/2024 12:00'))).toBe('2024-07-01T16:00:00.000Z');
  });
  it.each(['HH:mm:ss', 'yyyy-MM HH', 'yyyy-MM-dd QQ', 'yyyy-MM-dd yyyy', "yyyy-MM-dd 'T", '   ', 'yyyy-dd mm'])('rejects the unusable pattern %j', (pattern) => {
    try {
      makeTimestampParser(pattern);
      expect.unreachable();
    } catch (e) {
      expect((e as VigilError).code).toBe('BAD_TIMESTAMP_FORMAT');
    }
  });
});

describe('auto and detection', () => {
  it('auto fixes the format on the first good sample', () => {
    const p = makeTimestampParser('auto');
    expect(p.format).toBe('auto');
    expect(p('garbage')).toBeNaN();
    expect(p.format).toBe('auto');
    expect(iso(p('13/01/2024 10:00'))).toBe('2024-01-13T10:00:00.000Z');
    expect(p.format).toBe('dd/MM/yyyy HH:mm');
    expect(p('2024-01-13 10:00:00')).toBeNaN();
  });
  it('auto reads epochs of plausible size', () => {
    const p = makeTimestampParser('auto');
    expect(p('1700000000')).toBe(1_700_000_000_000);
    expect(p.format).toBe('epoch');
    const q = makeTimestampParser('auto');
    expect(q('1700000000000')).toBe(1_700_000_000_000);
    expect(q.format).toBe('epoch_ms');
  });
  it('auto reads microsecond and nanosecond epochs by their digits, not as milliseconds', () => {
    const us = makeTimestampParser('auto');
    expect(us('1700000000000000')).toBe(1_700_000_000_000);
    expect(us.format).toBe('epoch_us');
    const ns = makeTimestampParser('auto');
    expect(ns('1700000000000000000')).toBe(1_700_000_000_000);
    expect(ns.format).toBe('epoch_ns');
    expect(ns('1700000000123999999')).toBe(1_700_000_000_123);
    expect(detectTimestampFormat(['1700000000000000', '1700000000060000'])).toBe('epoch_us');
    expect(detectTimestampFormat(['1700000000000000000'])).toBe('epoch_ns');
    expect(detectTimestampFormat(['17000000000000000000000'])).toBeNull();
  });
  it('detects from samples', () => {
    expect(detectTimestampFormat(['2024-01-02T03:04:05Z', '2024-01-02T03:05:05Z'])).toBe('iso8601');
    expect(detectTimestampFormat(['01/02/2024 10:00', '01/13/2024 10:00'])).toBe('MM/dd/yyyy HH:mm');
    expect(detectTimestampFormat(['13/01/2024 10:00', '01/02/2024 10:00'])).toBe('dd/MM/yyyy HH:mm');
    expect(detectTimestampFormat(['1700000000', '1700000060.5'])).toBe('epoch');
    expect(detectTimestampFormat(['1700000000000'])).toBe('epoch_ms');
    expect(detectTimestampFormat(['20240102T030405'])).toBe("yyyyMMdd'T'HHmmss");
    expect(detectTimestampFormat(['10/Oct/2000:13:55:36 -0700'])).toBe('dd/MMM/yyyy:HH:mm:ss Z');
    expect(detectTimestampFormat(['12', '13.5', 'abc'])).toBeNull();
    expect(detectTimestampFormat([])).toBeNull();
    expect(detectTimestampFormat(['', ' '])).toBeNull();
  });
});

describe('speed', () => {
  it('parses YYYY-MM-DD HH:MM:SS bytes fast (loose bound; see bench/input.bench.ts)', () => {
    const n = 200_000;
    const p = makeTimestampParser('yyyy-MM-dd HH:mm:ss', { timeZone: 'Europe/Paris' });
    const q = makeTimestampParser('iso8601');
    const buf = Buffer.alloc(n * 20);
    const t0 = Date.UTC(2024, 0, 1);
    for (let i = 0; i < n; i++) buf.write(new Date(t0 + i * 60_000).toISOString().slice(0, 19).replace('T', ' ') + '\n', i * 20, 'latin1');
    let sum = 0;
    const start = performance.now();
    for (let r = 0; r < 3; r++) for (let i = 0; i < n; i++) sum += p.parseBytes(buf, i * 20, i * 20 + 19) - q.parseBytes(buf, i * 20, i * 20 + 19);
    const perSec = (6 * n) / ((performance.now() - start) / 1000);
    expect(Number.isFinite(sum)).toBe(true);
    // Loose on purpose (shared CI machines); the real figure comes from bench/input.bench.ts.
    expect(perSec).toBeGreaterThan(300_000);
  });
});
