import { describe, expect, it } from 'vitest';
import type { VigilError } from '../core/errors.js';
import { chooseFields } from './choose-fields.js';

const table = (rows: Record<string, string>[]) => (name: string): string[] => rows.map((r) => r[name] ?? '');

describe('chooseFields', () => {
  const rows = [
    { host: 'a', when: '2024-01-01 00:00:00', bytes: '12', note: 'x' },
    { host: 'b', when: '2024-01-01 00:01:00', bytes: '15', note: 'y' },
  ];
  it('finds the time by its values and the first numeric field as value', () => {
    expect(chooseFields(['host', 'when', 'note', 'bytes'], table(rows))).toEqual({ timeField: 'when', valueField: 'bytes', partitionField: null, timeFormat: 'iso8601' });
  });
  it('prefers time-like and value-like names', () => {
    const r = [{ id: '1700000000', ts: '1700000000', n: '3', value: '4' }];
    const c = chooseFields(['id', 'n', 'ts', 'value'], table(r));
    expect(c.timeField).toBe('ts');
    expect(c.valueField).toBe('value');
    expect(c.timeFormat).toBe('epoch');
  });
  it('uses a time-named field even when its values do not parse (rows then report bad dates)', () => {
    const c = chooseFields(['timestamp', 'v'], table([{ timestamp: 'soon', v: '1' }]));
    expect(c.timeField).toBe('timestamp');
    expect(c.timeFormat).toBe('auto');
  });
  it('keeps a given format and excludes the partition field from value detection', () => {
    const c = chooseFields(['t', 'zone', 'v'], table([{ t: '01/02/2024 10:00', zone: '5', v: '7' }]), { partitionField: 'zone', timeFormat: 'MM/dd/yyyy HH:mm' });
    expect(c).toEqual({ timeField: 't', valueField: 'v', partitionField: 'zone', timeFormat: 'MM/dd/yyyy HH:mm' });
  });
  it('valueKind none needs no value; string takes the first other field', () => {
    expect(chooseFields(['time', 'user'], table([{ time: '2024-01-01', user: 'u' }]), { valueKind: 'none' }).valueField).toBeNull();
    expect(chooseFields(['time', 'user'], table([{ time: '2024-01-01', user: 'u' }]), { valueKind: 'string' }).valueField).toBe('user');
  });
  it('matches named fields exactly, or case-insensitively when unambiguous', () => {
    expect(chooseFields(['Time', 'Value'], table([]), { timeField: 'time', valueField: 'value' }).timeField).toBe('Time');
  });
  it.each([
    [{ timeField: 'stamp' }, "time field 'stamp' not found; available fields: 'host', 'when', 'note', 'bytes'"],
    [{ valueField: 'price' }, "value field 'price' not found; available fields: 'host', 'when', 'note', 'bytes'"],
    [{ partitionField: 'region' }, "partition field 'region' not found"],
  ])('FIELD_NOT_FOUND for %j', (opts, message) => {
    try {
      chooseFields(['host', 'when', 'note', 'bytes'], table(rows), opts);
      expect.unreachable();
    } catch (e) {
      expect((e as VigilError).code).toBe('FIELD_NOT_FOUND');
      expect((e as VigilError).message).toContain(message);
    }
  });
  it('FIELD_NOT_FOUND when nothing looks like a time or a number', () => {
    expect(() => chooseFields(['a', 'b'], table([{ a: 'x', b: '1' }]))).toThrow(/no field looks like a timestamp; available fields: 'a', 'b'/);
    expect(() => chooseFields(['t', 'b'], table([{ t: '2024-01-01', b: 'x' }]))).toThrow(/no numeric value field besides the time field 't'; available fields: 't', 'b'/);
  });
});
