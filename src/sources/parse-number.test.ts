import { describe, expect, it } from 'vitest';
import { parseNumberBytes } from './parse-number.js';

const num = (s: string): number => {
  const b = Buffer.from(`#${s}#`);
  return parseNumberBytes(b, 1, b.length - 1);
};

describe('parseNumberBytes', () => {
  it.each([
    ['0', 0], ['42', 42], ['-42', -42], ['+7', 7], ['3.25', 3.25], ['.5', 0.5], ['5.', 5], ['-0.001', -0.001],
    ['1e3', 1000], ['1.5E-3', 0.0015], ['2e+2', 200], [' 12.5 ', 12.5], ['\t3\t', 3], ['0.1', 0.1], ['123456789012345', 123456789012345],
    ['1.7976931348623157e308', 1.7976931348623157e308], ['12345678901234567890', 12345678901234567890], ['0.30000000000000004', 0.30000000000000004],
    ['000123', 123], ['1e-400', 0],
  ])('%j → %d', (text, want) => {
    expect(num(text)).toBe(want);
  });
  it('agrees with Number() on random decimals', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 5000; i++) {
      const v = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 12 - 4);
      for (const s of [v.toString(), v.toFixed(Math.floor(rnd() * 8)), v.toExponential(Math.floor(rnd() * 10))]) expect(num(s)).toBe(Number(s));
    }
  });
  it.each(['', ' ', '-', '.', 'e5', '1e', '1.2.3', 'abc', '12abc', '0x10', 'NaN', 'Infinity', '1,5', '1 000', '1e400', '--1'])('rejects %j', (text) => {
    expect(num(text)).toBeNaN();
  });
});
