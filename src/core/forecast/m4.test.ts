/** Reproduces the Naive2 row of M4 Weekly from the organisers' results (skipped without the data). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateForecasts } from './evaluate.js';
import { parseM4Csv } from './m4.js';

const dir = process.env.VIGIL_M4_WEEKLY ?? '/work/shared/data/m4-weekly';
const have = existsSync(join(dir, 'Weekly-train.csv')) && existsSync(join(dir, 'Weekly-test.csv'));

describe.skipIf(!have)('M4 Weekly (data in ' + dir + '; skipped when absent)', () => {
  it('scores Naive2 exactly as the organisers: sMAPE 9.161, MASE 2.777, OWA 1.000, MSIS 26.358', () => {
    const train = parseM4Csv(readFileSync(join(dir, 'Weekly-train.csv'), 'utf8')).map((s) => s.values);
    const test = parseM4Csv(readFileSync(join(dir, 'Weekly-test.csv'), 'utf8')).map((s) => s.values);
    expect(train.length).toBe(359);
    const [row] = evaluateForecasts(train, test, { period: 1, horizon: 13, models: ['naive2'] });
    expect(row.smape.toFixed(3)).toBe('9.161');
    expect(row.mase.toFixed(3)).toBe('2.777');
    expect(row.owa.toFixed(3)).toBe('1.000');
    expect(row.msis.toFixed(3)).toBe('26.358');
  });
});

describe('parseM4Csv', () => {
  it('reads ids and ragged rows, skipping the header', () => {
    const s = parseM4Csv('"V1","V2","V3","V4"\n"W1","1","2.5",""\n"W2","3","","",\n');
    expect(s.map((x) => x.id)).toEqual(['W1', 'W2']);
    expect(Array.from(s[0].values)).toEqual([1, 2.5]);
    expect(Array.from(s[1].values)).toEqual([3]);
  });
  it('names the line of a bad number', () => {
    expect(() => parseM4Csv('"W1","1","x"\n', 'f.csv')).toThrow(/f.csv: line 1, field 3/);
  });
});
