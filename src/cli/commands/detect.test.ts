import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';
import { runCli } from '../test-kit.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function vigil(args: string[], stdin?: string): Promise<Run> {
  const r = await runCli(args, { cwd: dir, stdin });
  return { code: r.code, stdout: r.out, stderr: r.err };
}

let dir: string;
const H = 3_600_000;
const T0 = Date.UTC(2024, 2, 4);

/** Three weeks of hourly data with a daily cycle and one spike at hour 400. */
function series(): { csv: string; spikeTime: string } {
  const r = new Random(3);
  const lines = ['time,cpu,host'];
  let spikeTime = '';
  for (let i = 0; i < 24 * 21; i++) {
    const t = new Date(T0 + i * H).toISOString().replace('T', ' ').slice(0, 19);
    let v = 50 + 20 * Math.sin((2 * Math.PI * i) / 24) + r.normal();
    if (i === 400) {
      v += 40;
      spikeTime = t;
    }
    lines.push(`${t},${v.toFixed(3)},${i % 2 ? 'a' : 'b'}`);
  }
  return { csv: lines.join('\n') + '\n', spikeTime };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-detect-'));
  writeFileSync(join(dir, 'cpu.csv'), series().csv);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil detect', () => {
  it('finds the spike and prints a table with the model summary', async () => {
    const r = await vigil(['detect', join(dir, 'cpu.csv'), '--value-field', 'cpu', '--bucket-span', '1h', '--no-progress']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/504 rows → 504 buckets of 1h, mean\(cpu\)/);
    expect(r.stdout).toMatch(/daily seasonality learned/);
    expect(r.stdout).toMatch(/2024-03-20T16:00:00Z\s+(major|critical)/); // hour 400
    expect(r.stdout).toMatch(/unusually high/);
  });

  it('detects fields and suggests a bucket span when none is given', async () => {
    const r = await vigil(['detect', join(dir, 'cpu.csv'), '--no-progress']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/mean\(cpu\)/);
    expect(r.stdout).toMatch(/bucket span: .*--bucket-span/);
  });

  it('writes JSON with anomalies, missing-data runs and the input report', async () => {
    const r = await vigil(['detect', join(dir, 'cpu.csv'), '--bucket-span', '1h', '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary.buckets).toBe(504);
    expect(j.input.rows).toBe(504);
    const spike = j.anomalies.find((a: { timestamp: string }) => a.timestamp === '2024-03-20T16:00:00Z');
    expect(spike.record_score).toBeGreaterThanOrEqual(50);
    expect(spike).toMatchObject({ kind: 'spike', severity: expect.stringMatching(/major|critical/) });
    expect(spike.typical).toBeLessThan(spike.actual);
    expect(j.missing_data).toEqual({ runs: [], longest: 0 });
  });

  it('writes NDJSON, CSV and every bucket with --all-buckets', async () => {
    const nd = await vigil(['detect', join(dir, 'cpu.csv'), '--bucket-span', '1h', '--format', 'ndjson']);
    expect(nd.stdout.trim().split('\n').every((l) => JSON.parse(l).record_score > 0)).toBe(true);
    const csv = await vigil(['detect', join(dir, 'cpu.csv'), '--bucket-span', '1h', '--format', 'csv']);
    expect(csv.stdout.split('\n')[0]).toBe('timestamp,partition,record_score,severity,actual,typical,lower,upper,probability,multi_bucket_impact,kind,explanation');
    const all = await vigil(['detect', join(dir, 'cpu.csv'), '--bucket-span', '1h', '--format', 'csv', '--all-buckets']);
    expect(all.stdout.trim().split('\n').length).toBe(505);
  });

  it('--points gives one row per input row with the timestamp verbatim and a score in [0, 1]', async () => {
    const out = join(dir, 'points.csv');
    const r = await vigil(['detect', join(dir, 'cpu.csv'), '--value-field', 'cpu', '--points', '--output', out]);
    expect(r.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score');
    expect(lines.length).toBe(505);
    expect(lines[401]).toMatch(/^2024-03-20 16:00:00,[\d.]+,(1|0\.\d+)$/);
    expect(Number(lines[401].split(',')[2])).toBeGreaterThan(0.5);
    const scores = lines.slice(1).map((l) => Number(l.split(',')[2]));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
  });

  it('splits by a partition field: one model per entity', async () => {
    const r = await vigil(['detect', join(dir, 'cpu.csv'), '--value-field', 'cpu', '--partition-field', 'host', '--bucket-span', '1h', '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary.partitions).toBe(2);
    expect(j.summary.buckets).toBeGreaterThan(1000);
  });

  it('reads gzip and stdin, and a count function needs no value field', async () => {
    writeFileSync(join(dir, 'cpu.csv.gz'), gzipSync(readFileSync(join(dir, 'cpu.csv'))));
    const gz = await vigil(['detect', join(dir, 'cpu.csv.gz'), '--value-field', 'cpu', '--bucket-span', '1h', '--format', 'json']);
    expect(JSON.parse(gz.stdout).summary.buckets).toBe(504);
    const stdin = await vigil(['detect', '-', '--function', 'count', '--bucket-span', '1d', '--format', 'json'], readFileSync(join(dir, 'cpu.csv'), 'utf8'));
    expect(stdin.code).toBe(0);
    const j = JSON.parse(stdin.stdout);
    expect(j.summary.function).toBe('count');
    expect(j.summary.buckets).toBe(21);
  });

  it('counts records when no function is given and the input has no numeric field (as --help says)', async () => {
    const lines = ['time,user'];
    for (let i = 0; i < 24 * 14; i++) for (let k = 0; k < 3 + (i % 24 < 8 ? 0 : 5); k++) lines.push(`${new Date(T0 + i * H + k * 60_000).toISOString()},u${k}`);
    writeFileSync(join(dir, 'events.csv'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'times.csv'), lines.map((l) => l.split(',')[0]).join('\n') + '\n');
    for (const file of ['events.csv', 'times.csv']) {
      const r = await vigil(['detect', join(dir, file), '--bucket-span', '1h', '--format', 'json']);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.summary.function).toBe('count');
      expect(j.summary.field).toBe(null);
      expect(j.summary.rows).toBe(lines.length - 1);
      expect(j.input.badRows).toBe(0);
    }
    // a value field that is named must still exist and be numeric
    const named = await vigil(['detect', join(dir, 'events.csv'), '--value-field', 'cost']);
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(/value field 'cost' not found/);
  });

  it('one epoch-ms stamp in an epoch-seconds column is a bad date, not a jump to the year 55 840 (which hung)', async () => {
    const lines = ['ts,value'];
    for (let i = 0; i < 600; i++) lines.push(`${(T0 / 1000 + i * 60) * (i === 300 ? 1000 : 1)},${i % 7}`);
    writeFileSync(join(dir, 'epoch-mix.csv'), lines.join('\n') + '\n');
    const r = await vigil(['detect', join(dir, 'epoch-mix.csv'), '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary.rows).toBe(599);
    expect(j.input.bad.bad_date.samples[0]).toMatchObject({ line: 302, field: 'ts' });
    expect(r.stderr).toMatch(/1 row with a bad date \(line 302: field 'ts' = '\d{13}'\)/);
  }, 20_000);

  it('reports missing-data runs: a metric gap is missing, not zero', async () => {
    const lines = readFileSync(join(dir, 'cpu.csv'), 'utf8').trim().split('\n');
    const gappy = [lines[0], ...lines.slice(1).filter((_, i) => i < 300 || i >= 306)].join('\n');
    writeFileSync(join(dir, 'gap.csv'), gappy);
    const r = await vigil(['detect', join(dir, 'gap.csv'), '--value-field', 'cpu', '--bucket-span', '1h', '--format', 'json']);
    const j = JSON.parse(r.stdout);
    expect(j.missing_data.runs).toEqual([{ start: '2024-03-16T12:00:00Z', end: '2024-03-16T18:00:00Z', buckets: 6 }]);
    expect(j.missing_data.longest).toBe(6);
    const table = await vigil(['detect', join(dir, 'gap.csv'), '--value-field', 'cpu', '--bucket-span', '1h']);
    expect(table.stdout).toMatch(/Missing data: 1 run .* longest 6 buckets from 2024-03-16T12:00:00Z/);
  });

  it('counts bad rows by kind with line numbers, and still answers', async () => {
    const lines = readFileSync(join(dir, 'cpu.csv'), 'utf8').trim().split('\n');
    lines[5] = 'yesterday,50,a';
    lines[9] = '2024-03-04 09:00:00,n/a,a';
    lines[12] = '2024-03-04 12:00:00,,a';
    writeFileSync(join(dir, 'bad.csv'), lines.join('\n'));
    const r = await vigil(['detect', join(dir, 'bad.csv'), '--value-field', 'cpu', '--bucket-span', '1h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/bad date/i);
    expect(r.stdout).toMatch(/line 6\b|lines? 6/);
    expect(r.stdout).toMatch(/yesterday/);
    expect(r.stdout).toMatch(/non-numeric|not a number/i);
  });

  it('takes a time far after every earlier one (2204 for 2024) for a typo: a bad date with its line, not 180 years of missing data', async () => {
    const lines = readFileSync(join(dir, 'cpu.csv'), 'utf8').trim().split('\n');
    lines[300] = lines[300].replace(/^2024/, '2204');
    writeFileSync(join(dir, 'typo.csv'), lines.join('\n'));
    const started = performance.now();
    const r = await vigil(['detect', join(dir, 'typo.csv'), '--value-field', 'cpu', '--format', 'json']);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary.bucketSpan).toBe('1h'); // the typo does not make the data look sparse
    expect(j.input.bad.bad_date.count).toBe(1);
    expect(j.input.bad.bad_date.samples[0]).toMatchObject({ line: 301, text: expect.stringMatching(/^2204-.* more than a year .* taken for a typo/) });
    expect(j.summary.rows).toBe(503);
    // the typo's own hour is the only bucket without data
    expect(j.missing_data.runs).toEqual([expect.objectContaining({ buckets: 1 })]);
  });

  it('rejects records older than the open buckets as out of order, counted', async () => {
    const lines = readFileSync(join(dir, 'cpu.csv'), 'utf8').trim().split('\n');
    const moved = lines.splice(50, 1)[0];
    lines.splice(200, 0, moved); // 150 hours late
    writeFileSync(join(dir, 'late.csv'), lines.join('\n'));
    const r = await vigil(['detect', join(dir, 'late.csv'), '--value-field', 'cpu', '--bucket-span', '1h', '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.input.bad.out_of_order.count).toBe(1);
    expect(j.summary.rows).toBe(503);
  });

  it('the input report counts rows the bucketizer rejected as late as not used (read = used + rejected)', async () => {
    const lines = readFileSync(join(dir, 'cpu.csv'), 'utf8').trim().split('\n');
    const header = lines.shift()!;
    writeFileSync(join(dir, 'newest-first.csv'), [header, ...lines.reverse()].join('\n'));
    const r = await vigil(['detect', join(dir, 'newest-first.csv'), '--value-field', 'cpu', '--bucket-span', '1h', '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.input.processed).toBe(504);
    expect(j.input.rows + j.input.badRows).toBe(504);
    expect(j.input.rows).toBe(j.summary.rows);
    expect(r.stderr).toMatch(new RegExp(`504 records read, ${j.summary.rows} used, ${504 - j.summary.rows} rejected`));
    const table = await vigil(['detect', join(dir, 'newest-first.csv'), '--value-field', 'cpu', '--bucket-span', '1h']);
    expect(table.stdout).toMatch(new RegExp(`504 records read, ${j.summary.rows} used, ${504 - j.summary.rows} rejected`));
  });

  it('writes charts as PNG, SVG and HTML', async () => {
    for (const ext of ['png', 'svg', 'html']) {
      const path = join(dir, `chart.${ext}`);
      const r = await vigil(['detect', join(dir, 'cpu.csv'), '--bucket-span', '1h', '--chart', path]);
      expect(r.code).toBe(0);
      expect(existsSync(path)).toBe(true);
    }
    expect(readFileSync(join(dir, 'chart.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(join(dir, 'chart.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('checks --output and --chart paths before the work, with a clear error instead of a stack trace', async () => {
    const cpu = join(dir, 'cpu.csv');
    const missing = join(dir, 'no-such-dir', 'out.json');
    for (const args of [['--output', missing], ['--chart', join(dir, 'no-such-dir', 'c.png')], ['--points', '--output', missing], ['--output', dir]]) {
      const r = await vigil(['detect', cpu, '--format', 'json', ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^vigil detect: cannot write --(output|chart) .*: (no such directory|it is a directory)/);
      expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
      expect(r.stdout).toBe(''); // failed before the work, nothing half done
    }
    const jpg = await vigil(['detect', cpu, '--chart', join(dir, 'chart.jpg')]);
    expect(jpg.code).toBe(2);
    expect(jpg.stderr).toMatch(/cannot tell the chart format of ".*chart\.jpg": use a \.png, \.svg or \.html file name/);
    expect(jpg.stdout).toBe('');
    expect(existsSync(join(dir, 'chart.jpg'))).toBe(false);
  });

  it.skipIf(!existsSync('/dev/full'))('fails (exit 1, naming --output) when the file cannot be written, --points included', async () => {
    for (const args of [['--points'], ['--format', 'csv']]) {
      const r = await vigil(['detect', join(dir, 'cpu.csv'), ...args, '--output', '/dev/full']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot write --output \/dev\/full: no space left on the device \(ENOSPC\)/);
    }
  });

  it('exit codes: 2 for usage errors, 1 for errors, 0 for help', async () => {
    expect((await vigil(['detect'])).code).toBe(2);
    expect((await vigil(['detect', join(dir, 'cpu.csv'), '--format', 'xml'])).code).toBe(2);
    expect((await vigil(['detect', join(dir, 'cpu.csv'), '--bogus'])).code).toBe(2);
    const fn = await vigil(['detect', join(dir, 'cpu.csv'), '--function', 'avarage']);
    expect(fn.code).toBe(1);
    expect(fn.stderr).toMatch(/avarage/);
    const missing = await vigil(['detect', join(dir, 'nope.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.csv/);
    const field = await vigil(['detect', join(dir, 'cpu.csv'), '--value-field', 'mem']);
    expect(field.code).toBe(1);
    expect(field.stderr).toMatch(/mem/);
    writeFileSync(join(dir, 'empty.csv'), 'time,cpu\n');
    const empty = await vigil(['detect', join(dir, 'empty.csv'), '--value-field', 'cpu']);
    expect(empty.code).toBe(1);
    expect((await vigil(['detect', '--help'])).code).toBe(0);
  });
});
