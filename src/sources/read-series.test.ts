import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VigilError } from '../core/errors.js';
import { formatInputReport } from './input-report.js';
import { readSeries, type ReadSeriesOptions, type SeriesInput } from './read-series.js';

interface Rows {
  time: number[];
  value: number[];
  line: number[];
  partition: string[] | null;
  category: string[] | null;
  rawTime: string[] | null;
  batches: number;
}

async function readAll(input: SeriesInput, options: ReadSeriesOptions = {}) {
  const reader = readSeries(input, options);
  const rows: Rows = { time: [], value: [], line: [], partition: null, category: null, rawTime: null, batches: 0 };
  for await (const b of reader) {
    rows.batches++;
    expect(b.time.length).toBe(b.n);
    expect(b.value.length).toBe(b.n);
    expect(b.line.length).toBe(b.n);
    rows.time.push(...b.time);
    rows.value.push(...b.value);
    rows.line.push(...b.line);
    if (b.partition) (rows.partition ??= []).push(...b.partition);
    if (b.category) (rows.category ??= []).push(...b.category);
    if (b.rawTime) (rows.rawTime ??= []).push(...b.rawTime);
  }
  const r = reader.report;
  expect(r.processed).toBe(r.rows + r.badRows);
  return { rows, report: r, reader };
}

/** The text cut into chunks of `size` bytes, as a stream would deliver it. */
function chunked(text: string | Buffer, size: number): Readable {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

const T = (s: string): number => Date.parse(s);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-sources-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('CSV', () => {
  it('reads a plain file by path with detected fields', async () => {
    const path = join(dir, 'plain.csv');
    await writeFile(path, 'timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:01:00,2.5\n2024-01-01 00:02:00,-3e2\n');
    const { rows, report } = await readAll(path);
    expect(rows.time).toEqual([T('2024-01-01T00:00:00Z'), T('2024-01-01T00:01:00Z'), T('2024-01-01T00:02:00Z')]);
    expect(rows.value).toEqual([1, 2.5, -300]);
    expect(rows.line).toEqual([2, 3, 4]);
    expect(rows.partition).toBeNull();
    expect(report).toMatchObject({ format: 'csv', delimiter: ',', timeField: 'timestamp', valueField: 'value', timeFormat: 'iso8601', processed: 3, rows: 3, badRows: 0 });
  });

  it('handles RFC 4180 quoting: delimiters, escaped quotes and newlines inside quotes, physical line numbers', async () => {
    const csv = [
      'time,"the, value",host',
      '2024-01-01T00:00:00Z,"1",plain',
      '"2024-01-01T00:01:00Z","2","say ""hi"""',
      '2024-01-01T00:02:00Z,3,"two',
      'lines, with comma"',
      '2024-01-01T00:03:00Z,4,""',
      '',
    ].join('\n');
    const { rows, report } = await readAll(Readable.from([csv]), { partitionField: 'host', valueField: 'the, value' });
    expect(rows.value).toEqual([1, 2, 3, 4]);
    expect(rows.partition).toEqual(['plain', 'say "hi"', 'two\nlines, with comma', '']);
    expect(rows.line).toEqual([2, 3, 4, 6]);
    expect(report.badRows).toBe(0);
  });

  it('reads CRLF line ends, a BOM, and blank lines', async () => {
    const csv = '\uFEFFtimestamp,value\r\n2024-01-01 00:00:00,1\r\n\r\n2024-01-01 00:01:00,2\r\n';
    const { rows, report } = await readAll(Buffer.from(csv));
    expect(rows.value).toEqual([1, 2]);
    expect(rows.line).toEqual([2, 4]);
    expect(report.timeField).toBe('timestamp');
    expect(report.blankLines).toBe(1);
  });

  it.each([
    [';', 'time;value\n2024-01-01 00:00:00;1,5\n2024-01-01 00:01:00;2\n'],
    ['\t', 'time\tvalue\n2024-01-01 00:00:00\t1.5\n2024-01-01 00:01:00\t2\n'],
    ['|', 'time|value\n2024-01-01 00:00:00|1.5\n2024-01-01 00:01:00|2\n'],
  ])('detects the %j delimiter', async (delim, csv) => {
    const { rows, report } = await readAll(Readable.from([csv]));
    expect(report.delimiter).toBe(delim);
    if (delim === ';') {
      expect(rows.time).toEqual([T('2024-01-01T00:01:00Z')]);
      // "1,5" is not a number here (decimal comma): reported, not guessed
      expect(rows.value).toEqual([2]);
      expect(report.bad.non_numeric.samples[0]).toEqual({ line: 2, field: 'value', text: '1,5' });
    } else {
      expect(rows.time).toEqual([T('2024-01-01T00:00:00Z'), T('2024-01-01T00:01:00Z')]);
      expect(rows.value).toEqual([1.5, 2]);
    }
  });

  it('gives the same result whatever the chunk boundaries', async () => {
    const csv =
      'ts,v,p\r\n2024-01-01 00:00:00,1,"a,b"\r\n"2024-01-01 00:01:00",2,"x\r\ny"\r\n2024-01-01 00:02:00,,c\r\nbad,3,d\r\n"2024-01-01 00:03:00",4,"q""q"\r\n\r\n2024-01-01 00:04:00,5,"z"';
    const whole = await readAll(Readable.from([csv]), { partitionField: 'p', timeField: 'ts', valueField: 'v' });
    expect(whole.rows.value).toEqual([1, 2, 4, 5]);
    expect(whole.rows.partition).toEqual(['a,b', 'x\r\ny', 'q"q', 'z']);
    expect(whole.rows.line).toEqual([2, 3, 7, 9]);
    for (const size of [1, 2, 3, 5, 7, 11, 16]) {
      const part = await readAll(chunked(csv, size), { partitionField: 'p', timeField: 'ts', valueField: 'v' });
      expect(part.rows.time).toEqual(whole.rows.time);
      expect(part.rows.value).toEqual(whole.rows.value);
      expect(part.rows.line).toEqual(whole.rows.line);
      expect(part.rows.partition).toEqual(whole.rows.partition);
      expect(part.report.bad).toEqual(whole.report.bad);
    }
  });

  it('reports every bad-row kind with line numbers and text, never dropping one silently', async () => {
    const csv = [
      'timestamp,value,host', // 1
      '2024-01-01 00:00:00,1,a', // 2 ok
      'yesterday,2,a', // 3 bad_date
      '2024-01-01 00:02:00,,a', // 4 missing (empty value)
      '2024-01-01 00:03:00', // 5 missing (short row)
      '2024-01-01 00:04:00,n/a,a', // 6 non_numeric
      '2024-01-01 00:05:00,6,a', // 7 ok
      '2024-01-01 00:00:30,7,a', // 8 out_of_order (latency 60 s)
      '2024-01-01 00:04:30,8,a', // 9 within latency: accepted, passed through unsorted
      '"2024-01-01 00:06:00"x,9,a', // 10 malformed (text after closing quote)
      ',10,a', // 11 missing (empty time)
      '2024-01-01 00:07:00,11,a', // 12 ok
    ].join('\n');
    const { rows, report } = await readAll(Readable.from([csv]), { latencyMs: 60_000 });
    expect(rows.line).toEqual([2, 7, 9, 12]);
    expect(rows.value).toEqual([1, 6, 8, 11]);
    expect(report.processed).toBe(11);
    expect(report.rows).toBe(4);
    expect(report.bad.bad_date).toEqual({ count: 1, samples: [{ line: 3, field: 'timestamp', text: 'yesterday' }] });
    expect(report.bad.missing_field.count).toBe(3);
    expect(report.bad.missing_field.samples.map((s) => [s.line, s.field])).toEqual([[4, 'value'], [5, 'value'], [11, 'timestamp']]);
    expect(report.bad.non_numeric).toEqual({ count: 1, samples: [{ line: 6, field: 'value', text: 'n/a' }] });
    expect(report.bad.out_of_order).toEqual({ count: 1, samples: [{ line: 8, field: 'timestamp', text: '2024-01-01 00:00:30' }] });
    expect(report.bad.malformed.count).toBe(1);
    expect(report.bad.malformed.samples[0].line).toBe(10);
    expect(report.minTime).toBe(T('2024-01-01T00:00:00Z'));
    expect(report.maxTime).toBe(T('2024-01-01T00:07:00Z'));
    const text = formatInputReport(report);
    expect(text).toContain("1 row with a bad date (line 3: field 'timestamp' = 'yesterday')");
    expect(text).toContain('3 rows with a missing field (lines 4, 5, 11');
    expect(text).toContain('1 malformed record (line 10: text after a closing quote');
  });

  it('without latencyMs passes out-of-order records through', async () => {
    const { rows, report } = await readAll(Readable.from(['t,v\n2024-01-02,1\n2024-01-01,2\n']));
    expect(rows.value).toEqual([1, 2]);
    expect(report.bad.out_of_order.count).toBe(0);
  });

  it('latencyMs 0 rejects anything older than the newest record, accepts ties', async () => {
    const { rows, report } = await readAll(Readable.from(['t,v\n2024-01-02,1\n2024-01-02,2\n2024-01-01,3\n2024-01-03,4\n']), { latencyMs: 0 });
    expect(rows.value).toEqual([1, 2, 4]);
    expect(report.bad.out_of_order.samples).toEqual([{ line: 4, field: 't', text: '2024-01-01' }]);
  });

  it('an unterminated quote is one malformed record; reading resumes on the next line', async () => {
    const csv = 't,v,note\n2024-01-01 00:00:00,1,ok\n2024-01-01 00:01:00,2,"never closed\n2024-01-01 00:02:00,3,ok\n2024-01-01 00:03:00,4,ok\n';
    const { rows, report } = await readAll(Readable.from([csv]));
    expect(report.bad.malformed.count).toBe(1);
    expect(report.bad.malformed.samples[0].line).toBe(3);
    expect(report.bad.malformed.samples[0].text).toMatch(/quoted field never closed/);
    expect(rows.value).toEqual([1, 3, 4]);
    expect(rows.line).toEqual([2, 4, 5]);
  });

  it('a record longer than maxRecordBytes is malformed and skipped, memory stays bounded', async () => {
    const huge = 'x'.repeat(5000);
    const csv = `t,v,note\n2024-01-01 00:00:00,1,ok\n2024-01-01 00:01:00,2,"${huge}\n2024-01-01 00:02:00,3,ok\n`;
    const { rows, report } = await readAll(chunked(csv, 100), { maxRecordBytes: 1000 });
    expect(report.bad.malformed.count).toBe(1);
    expect(report.bad.malformed.samples[0].line).toBe(3);
    expect(rows.value).toEqual([1, 3]);
  });

  it('partition, string values, raw timestamps and count-only reading', async () => {
    const csv = 'time,user,region\n2024-01-01T00:00:00+01:00,alice,eu\n2024-01-01T00:00:00.5Z,bob,us\n';
    const s = await readAll(Readable.from([csv]), { valueKind: 'string', valueField: 'user', partitionField: 'region', keepRawTime: true });
    expect(s.rows.category).toEqual(['alice', 'bob']);
    expect(s.rows.partition).toEqual(['eu', 'us']);
    expect(s.rows.rawTime).toEqual(['2024-01-01T00:00:00+01:00', '2024-01-01T00:00:00.5Z']);
    expect(s.rows.time).toEqual([T('2023-12-31T23:00:00Z'), T('2024-01-01T00:00:00.500Z')]);
    expect(s.rows.value.every(Number.isNaN)).toBe(true);
    const c = await readAll(Readable.from([csv]), { valueKind: 'none' });
    expect(c.rows.time.length).toBe(2);
    expect(c.rows.value.every(Number.isNaN)).toBe(true);
    expect(c.rows.category).toBeNull();
    expect(c.report.valueField).toBeNull();
  });

  it('valueOptional: no numeric field means no value (count-only), not FIELD_NOT_FOUND', async () => {
    const csv = 'time,user\n2024-01-01T00:00:00Z,alice\n2024-01-01T00:01:00Z,bob\n';
    await expect(readAll(Readable.from([csv]))).rejects.toMatchObject({ code: 'FIELD_NOT_FOUND' });
    const c = await readAll(Readable.from([csv]), { valueOptional: true });
    expect(c.rows.time).toEqual([T('2024-01-01T00:00:00Z'), T('2024-01-01T00:01:00Z')]);
    expect(c.report.valueField).toBeNull();
    expect(c.report.badRows).toBe(0);
    const nd = await readAll(Readable.from(['{"t":"2024-01-01T00:00:00Z","user":"a"}\n{"t":"2024-01-01T00:01:00Z","user":"b"}\n']), { valueOptional: true });
    expect(nd.rows.time.length).toBe(2);
    expect(nd.report.badRows).toBe(0);
    // a numeric field is still taken when there is one
    const v = await readAll(Readable.from(['time,user,ms\n2024-01-01T00:00:00Z,alice,3\n']), { valueOptional: true });
    expect(v.report.valueField).toBe('ms');
    expect(v.rows.value).toEqual([3]);
  });

  it('reads zone-less stamps in the time zone, with a custom format, DST-correct', async () => {
    const csv = 'date,count\n31/03/2024 01:30,1\n31/03/2024 03:30,2\n27/10/2024 02:30,3\n';
    const { rows, report } = await readAll(Readable.from([csv]), { timeZone: 'Europe/Paris', timeFormat: 'dd/MM/yyyy HH:mm' });
    expect(rows.time).toEqual([T('2024-03-31T00:30:00Z'), T('2024-03-31T01:30:00Z'), T('2024-10-27T00:30:00Z')]);
    expect(report.timeFormat).toBe('dd/MM/yyyy HH:mm');
  });

  it('a time beyond the years 0000–9999 (epoch ms among epoch seconds) is a bad date, not a row', async () => {
    const csv = 'ts,value\n1700000000,1\n1700000060000,2\n1700000120,3\n';
    const s = await readAll(Readable.from([csv]));
    expect(s.rows.time).toEqual([1_700_000_000_000, 1_700_000_120_000]);
    expect(s.report.bad.bad_date.samples).toEqual([{ line: 3, field: 'ts', text: '1700000060000' }]);
    const given = await readAll(Readable.from([csv]), { timeFormat: 'epoch' });
    expect(given.report.bad.bad_date.count).toBe(1);
    const nd = await readAll(Readable.from(['{"ts":1700000000,"v":1}\n{"ts":1700000060000,"v":2}\n{"ts":-1e14,"v":3}\n{"ts":1700000120,"v":4}\n{"ts":1700000180,"v":5}\n']), { timeFormat: 'epoch' });
    expect(nd.rows.value).toEqual([1, 4, 5]);
    expect(nd.report.bad.bad_date.samples.map((x) => x.line)).toEqual([2, 3]);
    const edge = await readAll(Readable.from(['time,value\n0001-01-01T00:00:00Z,1\n9999-12-31T23:59:59Z,2\n']));
    expect(edge.rows.value).toEqual([1, 2]);
  });

  it('detects epoch seconds and milliseconds columns', async () => {
    const s = await readAll(Readable.from(['ts,value\n1700000000,1\n1700000060.5,2\n']));
    expect(s.rows.time).toEqual([1_700_000_000_000, 1_700_000_060_500]);
    expect(s.report.timeFormat).toBe('epoch');
    const ms = await readAll(Readable.from(['ts,value\n1700000000000,1\n']));
    expect(ms.rows.time).toEqual([1_700_000_000_000]);
    expect(ms.report.timeFormat).toBe('epoch_ms');
  });

  it('detects microsecond and nanosecond epochs (CSV and NDJSON), not as milliseconds', async () => {
    const us = await readAll(Readable.from(['ts,value\n1700000000000000,1\n1700000060123999,2\n']));
    expect(us.rows.time).toEqual([1_700_000_000_000, 1_700_000_060_123]);
    expect(us.report.timeFormat).toBe('epoch_us');
    const ns = await readAll(Readable.from(['ts,value\n1700000000000000000,1\n1700000060123999999,2\n']));
    expect(ns.rows.time).toEqual([1_700_000_000_000, 1_700_000_060_123]);
    expect(ns.report.timeFormat).toBe('epoch_ns');
    expect(ns.report.badRows).toBe(0);
    // NDJSON numbers: 1700000060123999999 is no double (JSON.parse gives …124000000); its digits are read
    const nd = await readAll(Readable.from(['{"ts":1700000000000000000,"v":1}\n{"ts": 1700000060123999999,"v":2}\n{"ts":"1700000120000000000","v":3}\n']));
    expect(nd.rows.time).toEqual([1_700_000_000_000, 1_700_000_060_123, 1_700_000_120_000]);
    expect(nd.report.timeFormat).toBe('epoch_ns');
    const ndUs = await readAll(Readable.from(['[{"t":{"ts":1700000000000000},"v":1},{"t":{"ts":17000000601239999},"v":2}]']), { timeField: 't.ts' });
    expect(ndUs.rows.time).toEqual([1_700_000_000_000, 17_000_000_601_239]);
    // an explicit format keeps its meaning
    const ms = await readAll(Readable.from(['ts,value\n1700000000000000,1\n']), { timeFormat: 'epoch_millis' });
    expect(ms.report.bad.bad_date.count).toBe(1);
    const sec = await readAll(Readable.from(['{"ts":1700000000000,"v":1}\n']), { timeFormat: 'epoch_second' });
    expect(sec.report.bad.bad_date.count).toBe(1);
  });

  it('reads a first line whose time cell is a name as a header, even with a numeric cell', async () => {
    const a = await readAll(Readable.from(['time,1700000000\n1700000000,42\n1700000060,43\n']));
    expect(a.reader).toBeDefined();
    expect(a.report.timeField).toBe('time');
    expect(a.report.valueField).toBe('1700000000');
    expect(a.rows.time).toEqual([1_700_000_000_000, 1_700_000_060_000]);
    expect(a.rows.value).toEqual([42, 43]);
    expect(a.rows.line).toEqual([2, 3]);
    expect(a.report.badRows).toBe(0);
    const iso = await readAll(Readable.from(['when,2024\n2024-01-01 00:00:00,1\n2024-01-01 00:01:00,2\n']));
    expect(iso.report.timeField).toBe('when');
    expect(iso.rows.value).toEqual([1, 2]);
    // only the header line: its name says so
    const lone = await readAll(Readable.from(['time,1700000000\n']), { valueOptional: true });
    expect((await lone.reader.schema()).fields).toEqual(['time', '1700000000']);
  });

  it('still reads a first line of data as data', async () => {
    const a = await readAll(Readable.from(['1700000000,42\n1700000060,43\n']));
    expect(a.report.timeField).toBe('column1');
    expect(a.rows.value).toEqual([42, 43]);
    expect(a.rows.line).toEqual([1, 2]);
    const one = await readAll(Readable.from(['1700000000,42\n']));
    expect(one.rows.value).toEqual([42]);
    const big = await readAll(Readable.from(['1700000000,1700000123\n1700000060,1700000456\n']), { valueField: 'column2' });
    expect(big.rows.time).toEqual([1_700_000_000_000, 1_700_000_060_000]);
  });

  it('reads a CSV without a header, naming the columns column1, column2, …', async () => {
    const { rows, report } = await readAll(Readable.from(['2024-01-01 00:00:00,1\n2024-01-01 00:01:00,2\n']));
    expect(rows.value).toEqual([1, 2]);
    expect(rows.line).toEqual([1, 2]);
    expect(report.timeField).toBe('column1');
    expect(report.valueField).toBe('column2');
    const forced = await readAll(Readable.from(['a,b\n2024-01-01,1\n']), { header: false, timeField: 'column2', valueField: 'column1' });
    expect(forced.report.bad.bad_date.samples.map((s) => s.line)).toEqual([1, 2]);
  });

  it('uses a given delimiter and ignores extra columns', async () => {
    const { rows } = await readAll(Readable.from(['t;v\n2024-01-01;1;extra;more\n']), { delimiter: ';' });
    expect(rows.value).toEqual([1]);
  });

  it('cuts batches of batchSize', async () => {
    let csv = 'time,value\n';
    for (let i = 0; i < 25; i++) csv += `${1_700_000_000 + i},${i}\n`;
    const path = join(dir, 'batches.csv');
    await writeFile(path, csv);
    const { rows } = await readAll(path, { batchSize: 10 });
    expect(rows.batches).toBe(3);
    expect(rows.value).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });
});

describe('field errors', () => {
  it('FIELD_NOT_FOUND names the available fields (on schema() and on iteration)', async () => {
    const reader = readSeries(Readable.from(['stamp,amount,host\n2024-01-01,1,a\n']), { valueField: 'price' });
    await expect(reader.schema()).rejects.toMatchObject({ code: 'FIELD_NOT_FOUND', message: expect.stringContaining("'stamp', 'amount', 'host'") });
    const again = readSeries(Readable.from(['stamp,amount\n2024-01-01,1\n']), { timeField: 'time' });
    await expect(readAll(again as unknown as SeriesInput)).rejects.toBeDefined();
    try {
      for await (const _ of readSeries(Readable.from(['a,b\nx,1\n']))) void _;
      expect.unreachable();
    } catch (e) {
      expect((e as VigilError).code).toBe('FIELD_NOT_FOUND');
      expect((e as VigilError).message).toMatch(/no field looks like a timestamp; available fields: 'a', 'b'/);
    }
  });
  it('bad zone and bad pattern fail at once', () => {
    expect(() => readSeries('x.csv', { timeZone: 'Nowhere/Land' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_TIME_ZONE' }));
    expect(() => readSeries('x.csv', { timeFormat: 'HH:mm' })).toThrow(expect.objectContaining({ code: 'BAD_TIMESTAMP_FORMAT' }));
  });
  it('a missing file is FILE_NOT_FOUND', async () => {
    await expect(readSeries(join(dir, 'nope.csv')).schema()).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
  it('empty input gives no batches and no error', async () => {
    const { rows, report } = await readAll(Readable.from([]));
    expect(rows.batches).toBe(0);
    expect(report.processed).toBe(0);
  });
  it('a header with no data yields nothing when fields are named', async () => {
    const { rows, report } = await readAll(Readable.from(['time,value\n']), { timeField: 'time', valueField: 'value' });
    expect(rows.batches).toBe(0);
    expect(report.processed).toBe(0);
  });
});

describe('gzip', () => {
  it('is detected by magic bytes, whatever the name, and reported', async () => {
    const csv = 'timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:01:00,2\n';
    const path = join(dir, 'data.csv');
    await writeFile(path, gzipSync(csv));
    const { rows, report } = await readAll(path);
    expect(rows.value).toEqual([1, 2]);
    expect(report.compressed).toBe(true);
    const nd = await readAll(chunked(gzipSync('{"time":"2024-01-01T00:00:00Z","value":3}\n'), 1));
    expect(nd.rows.value).toEqual([3]);
    expect(nd.report.format).toBe('ndjson');
  });
  it('reports the bytes read as stored (progress of a .gz file) besides the bytes decompressed', async () => {
    let csv = 'timestamp,value\n';
    for (let i = 0; i < 50_000; i++) csv += `${1_700_000_000 + i * 60},${i % 10}\n`;
    const gz = gzipSync(csv);
    const path = join(dir, 'big.csv.gz');
    await writeFile(path, gz);
    const { report } = await readAll(path, { batchSize: 1000 });
    expect(report.bytes).toBe(Buffer.byteLength(csv));
    expect(report.inputBytes).toBe(gz.length);
    const plain = await readAll(Readable.from([csv]));
    expect(plain.report.inputBytes).toBe(plain.report.bytes);
  });
  it('corrupt gzip data is a PARSE_ERROR', async () => {
    const gz = gzipSync('timestamp,value\n' + '2024-01-01 00:00:00,1\n'.repeat(1000));
    await expect(readAll(Readable.from([gz.subarray(0, gz.length / 2)]))).rejects.toMatchObject({ code: 'PARSE_ERROR' });
  });
});

describe('NDJSON', () => {
  it('reads lines, nested fields, numbers and strings, with line numbers for bad ones', async () => {
    const nd = [
      '{"@timestamp":"2024-01-01T00:00:00Z","metric":{"value":1},"host":"a"}',
      '',
      '{"@timestamp":"2024-01-01T00:01:00Z","metric":{"value":"2.5"},"host":"b"}',
      '{"@timestamp":"2024-01-01T00:02:00Z","metric":{"value":null},"host":"a"}',
      '{"@timestamp":"2024-01-01T00:03:00Z","metric":{"value":true},"host":"a"}',
      '{"@timestamp":"not a date","metric":{"value":1},"host":"a"}',
      '{"@timestamp":"2024-01-01T00:05:00Z", broken',
      '[1,2]',
      '{"@timestamp":"2024-01-01T00:06:00Z","metric":{"value":6}}',
      '{"@timestamp":"2024-01-01T00:07:00Z","metric":{"value":7},"host":"c"}\r',
    ].join('\n');
    const { rows, report } = await readAll(chunked(nd, 13), { partitionField: 'host' });
    expect(report.format).toBe('ndjson');
    expect(report.timeField).toBe('@timestamp');
    expect(report.valueField).toBe('metric.value');
    expect(rows.value).toEqual([1, 2.5, 7]);
    expect(rows.partition).toEqual(['a', 'b', 'c']);
    expect(rows.line).toEqual([1, 3, 10]);
    expect(report.bad.missing_field.samples.map((s) => [s.line, s.field])).toEqual([[4, 'metric.value'], [9, 'host']]);
    expect(report.bad.non_numeric.samples).toEqual([{ line: 5, field: 'metric.value', text: 'true' }]);
    expect(report.bad.bad_date.samples).toEqual([{ line: 6, field: '@timestamp', text: 'not a date' }]);
    expect(report.bad.malformed.samples.map((s) => s.line)).toEqual([7, 8]);
    expect(report.bad.malformed.samples[1].text).toMatch(/not a JSON object/);
    expect(report.blankLines).toBe(1);
  });
  it('reads numeric epoch times', async () => {
    const { rows, report } = await readAll(Readable.from(['{"t":1700000000,"v":1}\n{"t":1700000001.25,"v":2}\n']));
    expect(rows.time).toEqual([1_700_000_000_000, 1_700_000_001_250]);
    expect(report.timeFormat).toBe('epoch');
    const ms = await readAll(Readable.from(['{"t":1700000000000,"v":1}\n']), { timeFormat: 'epoch_ms' });
    expect(ms.rows.time).toEqual([1_700_000_000_000]);
  });
});

describe('JSON array', () => {
  it('reads elements with nested whitespace and objects, reporting element indices', async () => {
    const json = `  [
      { "time" : "2024-01-01T00:00:00Z",
        "value" : 1, "tags": { "a": [1, 2, {"b": "]},"}] } },
      {"time":"2024-01-01T00:01:00Z","value":"x"},
      "scalar",
      {"time":"2024-01-01T00:02:00Z","value":3, "s": "with \\"escaped\\" quote, ] and }"}
    ]  `;
    const { rows, report } = await readAll(chunked(json, 3));
    expect(report.format).toBe('json');
    expect(report.position).toBe('element');
    expect(rows.value).toEqual([1, 3]);
    expect(rows.line).toEqual([0, 3]);
    expect(report.bad.non_numeric.samples).toEqual([{ line: 1, field: 'value', text: 'x' }]);
    expect(report.bad.malformed.samples).toEqual([{ line: 2, field: null, text: 'not a JSON object: "scalar"' }]);
    expect(formatInputReport(report)).toContain('array element [1]');
  });
  it('reports a truncated array and trailing text', async () => {
    const cut = await readAll(Readable.from(['[{"time":"2024-01-01T00:00:00Z","value":1},{"time":"2024-01-01T00:01:00Z","va']));
    expect(cut.rows.value).toEqual([1]);
    expect(cut.report.bad.malformed.samples[0]).toMatchObject({ line: 1, text: expect.stringMatching(/cut off/) });
    const trailing = await readAll(Readable.from(['[{"time":"2024-01-01T00:00:00Z","value":1}] {"x":1}']));
    expect(trailing.rows.value).toEqual([1]);
    expect(trailing.report.bad.malformed.samples[0].text).toMatch(/after the array/);
    const bad = await readAll(Readable.from(['[{"time":"2024-01-01T00:00:00Z","value":1},{"time": nope}]']));
    expect(bad.report.bad.malformed.samples[0]).toMatchObject({ line: 1, text: expect.stringMatching(/bad JSON/) });
  });
  it('streams a large array fed in small chunks: batches arrive long before the input ends', async () => {
    const n = 20_000;
    let consumed = 0;
    const total = { chunks: 0 };
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.from('[\n');
      for (let i = 0; i < n; i++) {
        const el = `  {"timestamp": "${new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString()}", "value": ${i}}${i < n - 1 ? ',' : ''}\n`;
        // deliver each element in 3 pieces
        const b = Buffer.from(el);
        for (const p of [b.subarray(0, 10), b.subarray(10, 30), b.subarray(30)]) {
          consumed++;
          yield p;
        }
      }
      yield Buffer.from(']\n');
      total.chunks = consumed;
    }
    const reader = readSeries(source(), { batchSize: 500, sampleRecords: 20 });
    let firstBatchAt = -1;
    let count = 0;
    let sum = 0;
    for await (const b of reader) {
      if (firstBatchAt < 0) firstBatchAt = consumed;
      count += b.n;
      for (let i = 0; i < b.n; i++) sum += b.value[i];
    }
    expect(count).toBe(n);
    expect(sum).toBe((n * (n - 1)) / 2);
    expect(firstBatchAt).toBeGreaterThan(0);
    expect(firstBatchAt).toBeLessThan(total.chunks / 10);
    expect(reader.report.badRows).toBe(0);
  });
});

describe('stdin-like streams', () => {
  it('reads from a PassThrough written to over time', async () => {
    const s = new PassThrough();
    const done = readAll(s);
    s.write('time,value\n2024-01-01 00:00:00,');
    await new Promise((r) => setTimeout(r, 5));
    s.write('1\n2024-01-01 00:01:00,2\n');
    s.end('2024-01-01 00:02:00,3');
    const { rows } = await done;
    expect(rows.value).toEqual([1, 2, 3]);
  });
  it('accepts an async iterable of strings', async () => {
    async function* gen(): AsyncGenerator<string> {
      yield 'time,value\n';
      yield '2024-01-01 00:00:00,5\n';
    }
    const { rows } = await readAll(gen());
    expect(rows.value).toEqual([5]);
  });
  it('a reader can be iterated once only', async () => {
    const reader = readSeries(Readable.from(['time,value\n2024-01-01,1\n']));
    for await (const _ of reader) void _;
    await expect((async () => {
      for await (const _ of reader) void _;
    })()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('memory', () => {
  it('reads 2 M rows with bounded heap growth', async () => {
    const rows = 2_000_000;
    const pad = 'p'.repeat(60);
    async function* gen(): AsyncGenerator<Buffer> {
      yield Buffer.from('timestamp,value,pad\n');
      const t0 = Date.UTC(2024, 0, 1);
      let chunk = '';
      for (let i = 0; i < rows; i++) {
        chunk += `${new Date(t0 + i * 1000).toISOString().slice(0, 19).replace('T', ' ')},${i % 1000},${pad}\n`;
        if (chunk.length >= 1 << 18) {
          yield Buffer.from(chunk);
          chunk = '';
        }
      }
      yield Buffer.from(chunk);
    }
    // ~ 170 MB of CSV and 48 MB of batch arrays go through; holding either would blow the bound.
    const used = (): number => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = used();
    let peak = before;
    let n = 0;
    let i = 0;
    for await (const b of readSeries(gen())) {
      n += b.n;
      if (++i % 4 === 0) peak = Math.max(peak, used());
    }
    expect(n).toBe(rows);
    expect(peak - before).toBeLessThan(120 * 2 ** 20);
  });
});
