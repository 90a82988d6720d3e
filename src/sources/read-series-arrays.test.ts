import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readSeriesArrays } from './read-series-arrays.js';

describe('readSeriesArrays', () => {
  it('joins every batch into two arrays in input order, with the bad-row report', async () => {
    const lines = ['time,value'];
    for (let i = 0; i < 2500; i++) lines.push(`${1_700_000_000 + i * 60},${i}`);
    lines.splice(10, 0, 'yesterday,3');
    const r = await readSeriesArrays(Readable.from([lines.join('\n')]), 'x.csv', { batchSize: 1000, timeFormat: 'epoch' });
    expect(r.times.length).toBe(2500);
    expect(Array.from(r.values.subarray(2495))).toEqual([2495, 2496, 2497, 2498, 2499]);
    expect(r.times[1] - r.times[0]).toBe(60_000);
    expect(r.report.bad.bad_date.count).toBe(1);
  });

  it('says so when no row is usable', async () => {
    await expect(readSeriesArrays(Readable.from(['time,value\n']), 'empty.csv')).rejects.toThrow(/empty\.csv: no row with a valid time and value/);
  });
});
