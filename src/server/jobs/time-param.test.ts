import { describe, expect, it } from 'vitest';
import { VigilError } from '../../core/errors.js';
import { parseTimeParam } from './time-param.js';

// Wednesday 2024-03-13 14:25:36.789 UTC
const NOW = Date.UTC(2024, 2, 13, 14, 25, 36, 789);
const now = (): number => NOW;
const at = (text: string): number => parseTimeParam('start', text, now);
const iso = (t: number): string => new Date(t).toISOString();

describe('parseTimeParam: plain times', () => {
  it('reads epoch ms, epoch seconds, ISO 8601 and numbers as before', () => {
    expect(at('1704067200000')).toBe(Date.UTC(2024, 0, 1));
    expect(at('1704067200')).toBe(Date.UTC(2024, 0, 1));
    expect(at('2024-01-01')).toBe(Date.UTC(2024, 0, 1));
    expect(at('2024-01-01T10:00:00')).toBe(Date.UTC(2024, 0, 1, 10));
    expect(at('2024-01-01T10:00:00+02:00')).toBe(Date.UTC(2024, 0, 1, 8));
    expect(parseTimeParam('start', 1704067200000.7)).toBe(1704067200000);
    expect(at('now')).toBe(NOW);
  });
});

describe('parseTimeParam: Elasticsearch date math', () => {
  it.each([
    ['now-1h', '2024-03-13T13:25:36.789Z'],
    ['now+1h', '2024-03-13T15:25:36.789Z'],
    ['now-30m', '2024-03-13T13:55:36.789Z'],
    ['now-10s', '2024-03-13T14:25:26.789Z'],
    ['now-2d', '2024-03-11T14:25:36.789Z'],
    ['now-1w', '2024-03-06T14:25:36.789Z'],
    ['now-1H', '2024-03-13T13:25:36.789Z'],
    ['now-1M', '2024-02-13T14:25:36.789Z'],
    ['now-1y', '2023-03-13T14:25:36.789Z'],
    ['now+h', '2024-03-13T15:25:36.789Z'],
    ['now/d', '2024-03-13T00:00:00.000Z'],
    ['now-1d/d', '2024-03-12T00:00:00.000Z'],
    ['now-1d/d+2h', '2024-03-12T02:00:00.000Z'],
    ['now/h', '2024-03-13T14:00:00.000Z'],
    ['now/H', '2024-03-13T14:00:00.000Z'],
    ['now/m', '2024-03-13T14:25:00.000Z'],
    ['now/s', '2024-03-13T14:25:36.000Z'],
    ['now/w', '2024-03-11T00:00:00.000Z'],
    ['now/M', '2024-03-01T00:00:00.000Z'],
    ['now/y', '2024-01-01T00:00:00.000Z'],
    ['now/1d', '2024-03-13T00:00:00.000Z'],
    ['now-1M/M', '2024-02-01T00:00:00.000Z'],
    ['now+1h+30m-15s', '2024-03-13T15:55:21.789Z'],
    ['2024-01-01||+1M', '2024-02-01T00:00:00.000Z'],
    ['2024-01-01||/M', '2024-01-01T00:00:00.000Z'],
    ['2024-01-17T10:00:00Z||/M', '2024-01-01T00:00:00.000Z'],
    ['2024-01-01||+1M/d', '2024-02-01T00:00:00.000Z'],
    ['2024-01-31||+1M', '2024-02-29T00:00:00.000Z'],
    ['2023-01-31T06:00:00Z||+1M', '2023-02-28T06:00:00.000Z'],
    ['2024-02-29||+1y', '2025-02-28T00:00:00.000Z'],
    ['2024-03-31||-1M', '2024-02-29T00:00:00.000Z'],
    ['2024-01-15||+13M', '2025-02-15T00:00:00.000Z'],
    ['2024-01-15||-13M', '2022-12-15T00:00:00.000Z'],
    ['2024-03-17||/w', '2024-03-11T00:00:00.000Z'],
    ['2024-03-11T12:00:00Z||/w', '2024-03-11T00:00:00.000Z'],
    ['1704067200000||+1d', '2024-01-02T00:00:00.000Z'],
    ['1704067200||+1d', '2024-01-02T00:00:00.000Z'],
    ['2024-01-01||', '2024-01-01T00:00:00.000Z'],
    ['1969-12-31T12:34:00Z||/d', '1969-12-31T00:00:00.000Z'],
    ['1969-12-31T12:34:00Z||/w', '1969-12-29T00:00:00.000Z'],
  ])('%s → %s', (expr, expected) => {
    expect(iso(at(expr))).toBe(expected);
  });

  it('months are calendar months, not 30 days', () => {
    expect(at('2024-03-01||-1M')).toBe(Date.UTC(2024, 1, 1));
    expect(at('2024-03-01||-1M')).not.toBe(Date.UTC(2024, 2, 1) - 30 * 86_400_000);
  });

  it('accepts surrounding whitespace like the plain forms', () => {
    expect(iso(at('  now-1d/d '))).toBe('2024-03-12T00:00:00.000Z');
  });
});

describe('parseTimeParam: malformed expressions', () => {
  const error = (expr: string, name = 'end'): VigilError => {
    try {
      parseTimeParam(name, expr, now);
    } catch (e) {
      return e as VigilError;
    }
    throw new Error(`${expr} was accepted`);
  };

  it.each([
    ['now-1x', 'unit [x] not supported for date math [-1x]'],
    ['now-1', 'truncated date math [-1]'],
    ['now-', 'truncated date math [-]'],
    ['now*2d', 'operator not supported for date math [*2d]'],
    ['nowish', 'operator not supported for date math [ish]'],
    ['now/2d', 'rounding `/` can only be used on single unit types [/2d]'],
    ['now-1d/', 'truncated date math [-1d/]'],
    ['now-1.5d', 'unit [.] not supported for date math [-1.5d]'],
    ['now - 1d', 'operator not supported for date math [ - 1d]'],
    ['now-99999999999d', 'number [99999999999] too large for date math [-99999999999d]'],
    ['now+2147483647y', 'date math [+2147483647y] is out of the supported date range'],
    ['2024-13-45||+1d', 'failed to parse date field [2024-13-45]'],
    ['yesterday||+1d', 'failed to parse date field [yesterday]'],
    ['2024-01-01||+1q', 'unit [q] not supported for date math [+1q]'],
  ])('%s: %s', (expr, reason) => {
    const e = error(expr);
    expect(e).toBeInstanceOf(VigilError);
    expect(e.status).toBe(400);
    expect(e.type).toBe('parse_exception');
    expect(e.message).toBe(`Query param [end] with value [${expr}] cannot be parsed as a date or converted to a number (epoch). Reason: ${reason}`);
  });

  it('a value that is no date at all keeps the plain message', () => {
    expect(error('yesterday-ish', 'start').message).toBe('Query param [start] with value [yesterday-ish] cannot be parsed as a date or converted to a number (epoch).');
    expect(error('', 'start').message).toBe('Query param [start] with value [] cannot be parsed as a date or converted to a number (epoch).');
  });
});
