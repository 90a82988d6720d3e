import { describe, expect, it } from 'vitest';
import { validateJobConfig } from './config.js';
import { makeTimeReader } from './time-reader.js';

const reader = (time_format: string) =>
  makeTimeReader(validateJobConfig('t', { analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] }, data_description: { time_field: 't', time_format } }).data_description);

describe('data_description time formats', () => {
  const ms = Date.UTC(2023, 10, 14, 22, 13, 20, 123);
  it('epoch (seconds, fractional) and epoch_ms read numbers and numeric text', () => {
    expect(reader('epoch')(ms / 1000)).toBe(ms);
    expect(reader('epoch')(String(ms / 1000))).toBe(ms);
    expect(reader('epoch_ms')(ms)).toBe(ms);
    expect(reader('epoch_ms')('x')).toBeNaN();
  });

  it('epoch_us and epoch_ns (Vigil extension) read numbers, bigints and digit text, exact to the millisecond', () => {
    expect(reader('epoch_us')(ms * 1000 + 999)).toBe(ms);
    expect(reader('epoch_us')(String(ms * 1000 + 999))).toBe(ms);
    // a nanosecond epoch is beyond a double's exact integers: text and bigints keep every digit
    expect(reader('epoch_ns')(`${ms}999999`)).toBe(ms);
    expect(reader('epoch_ns')(BigInt(`${ms}999999`))).toBe(ms);
    expect(reader('epoch_nanos')(`${ms}000000`)).toBe(ms);
    expect(reader('epoch_ns')('')).toBeNaN();
    expect(reader('epoch_ns')(null)).toBeNaN();
  });

  it('refuses a format it cannot read', () => {
    expect(() => reader('epoch_fortnights')).toThrow(/Invalid Time format string 'epoch_fortnights'/);
  });
});
