import { describe, expect, it } from 'vitest';
import { formatInputReport, newInputReport, noteBadRow } from './input-report.js';

describe('input report', () => {
  it('keeps the first five samples of each kind and counts all', () => {
    const r = newInputReport();
    for (let i = 1; i <= 8; i++) noteBadRow(r, 'bad_date', i * 10, 'timestamp', `bad${i}`);
    expect(r.bad.bad_date.count).toBe(8);
    expect(r.badRows).toBe(8);
    expect(r.bad.bad_date.samples.map((s) => s.line)).toEqual([10, 20, 30, 40, 50]);
    expect(r.bad.non_numeric.count).toBe(0);
  });
  it('builds sample text lazily and truncates it', () => {
    const r = newInputReport();
    let calls = 0;
    for (let i = 0; i < 10; i++) noteBadRow(r, 'malformed', i, null, () => (calls++, 'x'.repeat(500)));
    expect(calls).toBe(5);
    expect(r.bad.malformed.samples[0].text.length).toBe(120);
  });
  it('formats a human summary', () => {
    const r = newInputReport();
    r.processed = 20;
    r.rows = 16;
    noteBadRow(r, 'bad_date', 5, 'timestamp', 'yesterday');
    noteBadRow(r, 'bad_date', 9, 'timestamp', 'soon');
    noteBadRow(r, 'bad_date', 12, 'timestamp', '??');
    noteBadRow(r, 'non_numeric', 3, 'value', 'n/a');
    const text = formatInputReport(r);
    expect(text).toContain('20 records read, 16 used, 4 rejected');
    expect(text).toContain("3 rows with a bad date (lines 5, 9, 12: field 'timestamp' = 'yesterday')");
    expect(text).toContain("1 row with a non-numeric value (line 3: field 'value' = 'n/a')");
    expect(text).not.toContain('missing');
  });
  it('says "…" when there are more than the samples, and names array elements', () => {
    const r = newInputReport();
    r.position = 'element';
    r.processed = 7;
    for (let i = 0; i < 7; i++) noteBadRow(r, 'missing_field', i, 'value', '(absent)');
    expect(formatInputReport(r)).toContain("7 rows with a missing field (array elements [0], [1], [2], [3], [4], …: field 'value' (absent))");
    expect(formatInputReport(r)).toContain('no usable row');
  });
  it('hints at reversed input when most rows are out of order', () => {
    const r = newInputReport();
    r.processed = 10;
    r.rows = 1;
    for (let i = 2; i <= 10; i++) noteBadRow(r, 'out_of_order', i, 'time', '2024-01-01');
    expect(formatInputReport(r)).toMatch(/sorted newest first/);
  });
});
