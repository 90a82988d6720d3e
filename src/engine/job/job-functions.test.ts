/**
 * Every family of Elastic functions through a whole job, each on seeded data with one known
 * anomaly that must be found (entity, time, function description) and nothing else scored high.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';
import { AnomalyJob, validateJobConfig, type RecordDoc } from './index.js';

const M = 60_000;
const H = 3_600_000;
const DAY = 24 * H;
const T0 = Date.UTC(2024, 0, 1); // Monday

function run(id: string, detector: Record<string, unknown>, docs: Record<string, unknown>[], bucketSpan = '1h', extra: Record<string, unknown> = {}): RecordDoc[] {
  const config = validateJobConfig(id, {
    analysis_config: { bucket_span: bucketSpan, detectors: [detector], ...extra },
    data_description: { time_field: 'ts', time_format: 'epoch_ms' },
  });
  const job = new AnomalyJob(config, { now: () => 0, wallClock: () => 0 });
  docs.sort((a, b) => (a.ts as number) - (b.ts as number));
  job.postData(docs);
  job.flush({ advanceTime: (docs[docs.length - 1].ts as number) + DAY });
  return job.drainResults().records;
}

function best(records: RecordDoc[]): RecordDoc {
  expect(records.length).toBeGreaterThan(0);
  return [...records].sort((a, b) => b.record_score - a.record_score || a.timestamp - b.timestamp)[0];
}

function others(records: RecordDoc[], b: RecordDoc): RecordDoc[] {
  return records.filter((r) => r !== b && r.record_score > b.record_score / 2);
}

describe('rare', () => {
  it('finds a process never run before on a stable host', () => {
    const rnd = new Random(1);
    const procs = ['sshd', 'nginx', 'cron', 'postgres', 'node'];
    const docs: Record<string, unknown>[] = [];
    for (let h = 0; h < 24 * 6; h++) {
      for (const p of procs) for (let i = 0; i < rnd.int(1, 4); i++) docs.push({ ts: T0 + h * H + rnd.int(0, H - 1), process: p });
    }
    docs.push({ ts: T0 + 5 * DAY + 3 * H + 17, process: 'nc' });
    const records = run('rare', { function: 'rare', by_field_name: 'process' }, docs);
    const b = best(records);
    expect(b).toMatchObject({ by_field_name: 'process', by_field_value: 'nc', function: 'rare', function_description: 'rare', timestamp: T0 + 5 * DAY + 3 * H, actual: [1] });
    expect(b.record_score).toBeGreaterThan(20);
    expect(b.anomaly_score_explanation?.by_field_first_occurrence).toBe(true);
    expect(others(records, b)).toEqual([]);
  });

  it('does not call new values rare where new values are the norm', () => {
    const docs: Record<string, unknown>[] = [];
    for (let h = 0; h < 24 * 4; h++) for (let i = 0; i < 5; i++) docs.push({ ts: T0 + h * H + i, session: `s-${h}-${i}` });
    const records = run('rare-churn', { function: 'rare', by_field_name: 'session' }, docs);
    expect(records.filter((r) => r.record_score > 5)).toEqual([]);
  });

  it('rare over a population: the host running what no other host runs', () => {
    const rnd = new Random(2);
    const docs: Record<string, unknown>[] = [];
    for (let h = 0; h < 24 * 4; h++) {
      for (let host = 0; host < 20; host++) for (const p of ['sshd', 'cron', 'nginx']) if (rnd.next() < 0.8) docs.push({ ts: T0 + h * H + host, host: `h${host}`, process: p });
    }
    docs.push({ ts: T0 + 3 * DAY + 5 * H + 99, host: 'h13', process: 'cryptominer' });
    const records = run('rare-over', { function: 'rare', by_field_name: 'process', over_field_name: 'host' }, docs, '1h', { influencers: ['host'] });
    const b = best(records);
    expect(b).toMatchObject({ over_field_name: 'host', over_field_value: 'h13', timestamp: T0 + 3 * DAY + 5 * H });
    expect(b.causes![0]).toMatchObject({ by_field_name: 'process', by_field_value: 'cryptominer', over_field_value: 'h13' });
    expect(b.influencers).toEqual([{ influencer_field_name: 'host', influencer_field_values: ['h13'] }]);
  });

  it('freq_rare: the member who uses many rare values at once', () => {
    const rnd = new Random(3);
    const docs: Record<string, unknown>[] = [];
    const urls = Array.from({ length: 10 }, (_, i) => `/page/${i}`);
    for (let h = 0; h < 24 * 4; h++) {
      for (let c = 0; c < 20; c++) for (let i = 0; i < 3; i++) docs.push({ ts: T0 + h * H + c * 10 + i, client: `c${c}`, url: urls[rnd.int(0, 9)] });
    }
    for (let i = 0; i < 30; i++) docs.push({ ts: T0 + 3 * DAY + 7 * H + 500 + i, client: 'c4', url: `/.git/${i}` });
    const records = run('freq-rare', { function: 'freq_rare', by_field_name: 'url', over_field_name: 'client' }, docs);
    const b = best(records);
    expect(b).toMatchObject({ function: 'freq_rare', over_field_value: 'c4', timestamp: T0 + 3 * DAY + 7 * H });
    expect(b.causes!.length).toBeGreaterThan(5);
  });
});

describe('time_of_day and time_of_week', () => {
  it('finds a login at 03:00 from someone who works 9 to 5', () => {
    const rnd = new Random(4);
    const docs: Record<string, unknown>[] = [];
    for (let d = 0; d < 14; d++) {
      for (const user of ['alice', 'bob']) for (let i = 0; i < 6; i++) docs.push({ ts: T0 + d * DAY + 9 * H + rnd.int(0, 8 * H - 1), user });
    }
    docs.push({ ts: T0 + 12 * DAY + 3 * H + 20 * M, user: 'bob' });
    const records = run('tod', { function: 'time_of_day', by_field_name: 'user' }, docs);
    const b = best(records);
    expect(b).toMatchObject({ function: 'time_of_day', function_description: 'time', by_field_value: 'bob', timestamp: T0 + 12 * DAY + 3 * H });
    expect(b.actual).toEqual([3 * 3600 + 20 * 60]);
    expect(b.typical![0]).toBeGreaterThanOrEqual(9 * 3600);
    expect(b.typical![0]).toBeLessThanOrEqual(17 * 3600);
    expect(b.record_score).toBeGreaterThan(10);
    expect(others(records, b)).toEqual([]);
  });

  it('time_of_week finds weekday work done on a Sunday', () => {
    const rnd = new Random(5);
    const docs: Record<string, unknown>[] = [];
    for (let d = 0; d < 28; d++) {
      if (d % 7 >= 5) continue; // Monday … Friday
      for (let i = 0; i < 8; i++) docs.push({ ts: T0 + d * DAY + 10 * H + rnd.int(0, 6 * H) });
    }
    docs.push({ ts: T0 + 27 * DAY + 11 * H }); // Sunday of week 4
    const records = run('tow', { function: 'time_of_week' }, docs);
    const b = best(records);
    expect(b.timestamp).toBe(T0 + 27 * DAY + 11 * H);
    expect(b.function_description).toBe('time');
  });
});

describe('lat_long', () => {
  it('finds a login from the other side of the world', () => {
    const rnd = new Random(6);
    const docs: Record<string, unknown>[] = [];
    for (let h = 0; h < 24 * 5; h++) {
      docs.push({ ts: T0 + h * H + 1, user: 'anna', location: `${(48.85 + 0.05 * rnd.normal()).toFixed(5)},${(2.35 + 0.05 * rnd.normal()).toFixed(5)}` });
      docs.push({ ts: T0 + h * H + 2, user: 'ben', location: { lat: 40.71 + 0.05 * rnd.normal(), lon: -74.0 + 0.05 * rnd.normal() } });
    }
    docs.push({ ts: T0 + 4 * DAY + 6 * H + 9, user: 'anna', location: '-33.8688,151.2093' });
    const records = run('geo', { function: 'lat_long', field_name: 'location', by_field_name: 'user' }, docs);
    const b = best(records);
    expect(b).toMatchObject({ function: 'lat_long', function_description: 'lat_long', by_field_value: 'anna', timestamp: T0 + 4 * DAY + 6 * H, actual: [-33.8688, 151.2093] });
    expect(b.typical![0]).toBeCloseTo(48.85, 0);
    expect(b.geo_results).toEqual({ actual_point: '-33.8688,151.2093', typical_point: `${b.typical![0]},${b.typical![1]}` });
    expect(b.record_score).toBeGreaterThan(25);
    expect(others(records, b)).toEqual([]);
  });
});

describe('info_content', () => {
  it('finds DNS tunnelling: long random subdomains from one host', () => {
    const rnd = new Random(7);
    const names = ['www', 'mail', 'api', 'cdn', 'static', 'login'];
    const docs: Record<string, unknown>[] = [];
    for (let h = 0; h < 24 * 4; h++) {
      for (const host of ['h1', 'h2', 'h3']) for (let i = 0; i < 10; i++) docs.push({ ts: T0 + h * H + rnd.int(0, H - 1), host, query: `${names[rnd.int(0, 5)]}.example.com` });
    }
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    for (let i = 0; i < 40; i++) {
      let sub = '';
      for (let k = 0; k < 50; k++) sub += alphabet[rnd.int(0, alphabet.length - 1)];
      docs.push({ ts: T0 + 3 * DAY + 4 * H + i * 1000, host: 'h2', query: `${sub}.evil.io` });
    }
    const records = run('dns', { function: 'high_info_content', field_name: 'query', by_field_name: 'host' }, docs);
    const b = best(records);
    expect(b).toMatchObject({ function: 'high_info_content', function_description: 'info_content', by_field_value: 'h2', timestamp: T0 + 3 * DAY + 4 * H });
    expect(b.actual![0]).toBeGreaterThan(5 * b.typical![0]);
    expect(others(records, b)).toEqual([]);
  });
});

describe('count and metric families', () => {
  /** Hourly series of `n` per hour per entity with one change at `at`. */
  function series(entities: string[], gen: (h: number, e: string, rnd: Random) => Record<string, unknown>[], hours = 24 * 5, seed = 8): Record<string, unknown>[] {
    const rnd = new Random(seed);
    const docs: Record<string, unknown>[] = [];
    for (let h = 0; h < hours; h++) for (const e of entities) docs.push(...gen(h, e, rnd));
    return docs;
  }
  const AT = 24 * 4 + 10;

  it('distinct_count over partitions finds the partition with a surge of distinct users', () => {
    const docs = series(['eu', 'us', 'ap'], (h, e, rnd) =>
      Array.from({ length: h === AT && e === 'us' ? 200 : 20 }, (_, i) => ({ ts: T0 + h * H + i, region: e, user: h === AT && e === 'us' ? `new-${i}` : `u${rnd.int(0, 9)}` })),
    );
    const b = best(run('dc', { function: 'distinct_count', field_name: 'user', partition_field_name: 'region' }, docs));
    expect(b).toMatchObject({ partition_field_value: 'us', timestamp: T0 + AT * H, function_description: 'distinct_count', actual: [200] });
  });

  it('low_count finds a drop and high_mean ignores one', () => {
    const drop = series(['a'], (h, _e, rnd) => Array.from({ length: h === AT ? 2 : 30 + rnd.int(0, 5) }, (_, i) => ({ ts: T0 + h * H + i * 1000, v: 100 + rnd.normal() })));
    const low = best(run('low', { function: 'low_count' }, drop));
    expect(low).toMatchObject({ timestamp: T0 + AT * H, function: 'low_count', function_description: 'count', actual: [2] });
    expect(low.anomaly_score_explanation?.anomaly_type).toBe('dip');
    const dip = series(['a'], (h, _e, rnd) => Array.from({ length: 10 }, (_, i) => ({ ts: T0 + h * H + i * 1000, v: (h === AT ? 10 : 100) + rnd.normal() })));
    expect(run('high-mean', { function: 'high_mean', field_name: 'v' }, dip).filter((r) => r.record_score > 10)).toEqual([]);
    const spike = best(run('mean', { function: 'mean', field_name: 'v' }, dip));
    expect(spike).toMatchObject({ timestamp: T0 + AT * H, function_description: 'mean' });
  });

  it('sum, max, min, median, varp, non_null_sum and non_zero_count each find their anomaly', () => {
    const cases: [Record<string, unknown>, (h: number, rnd: Random) => Record<string, unknown>[]][] = [
      [{ function: 'sum', field_name: 'v' }, (h, rnd) => Array.from({ length: 10 }, (_, i) => ({ ts: T0 + h * H + i, v: (h === AT ? 500 : 100) + rnd.normal() }))],
      [{ function: 'max', field_name: 'v' }, (h, rnd) => Array.from({ length: 10 }, (_, i) => ({ ts: T0 + h * H + i, v: h === AT && i === 3 ? 900 : 100 + rnd.normal() }))],
      [{ function: 'min', field_name: 'v' }, (h, rnd) => Array.from({ length: 10 }, (_, i) => ({ ts: T0 + h * H + i, v: h === AT && i === 3 ? -500 : 100 + rnd.normal() }))],
      [{ function: 'median', field_name: 'v' }, (h, rnd) => Array.from({ length: 11 }, (_, i) => ({ ts: T0 + h * H + i, v: (h === AT && i < 8 ? 300 : 100) + rnd.normal() }))],
      [{ function: 'varp', field_name: 'v' }, (h, rnd) => Array.from({ length: 20 }, (_, i) => ({ ts: T0 + h * H + i, v: 100 + (h === AT ? 40 : 1) * rnd.normal() }))],
      [{ function: 'non_null_sum', field_name: 'v' }, (h, rnd) => Array.from({ length: 10 }, (_, i) => ({ ts: T0 + h * H + i, v: (h === AT ? 500 : 100) + rnd.normal() }))],
      [{ function: 'non_zero_count' }, (h, rnd) => Array.from({ length: h === AT ? 300 : 20 + rnd.int(0, 3) }, (_, i) => ({ ts: T0 + h * H + i }))],
      [{ function: 'metric', field_name: 'v' }, (h, rnd) => Array.from({ length: 10 }, (_, i) => ({ ts: T0 + h * H + i, v: h === AT && i === 3 ? 900 : 100 + rnd.normal() }))],
    ];
    for (const [detector, gen] of cases) {
      const docs = series(['x'], (h, _e, rnd) => gen(h, rnd));
      const b = best(run(`fn-${String(detector.function).replace(/_/g, '-')}`, detector, docs));
      expect({ fn: detector.function, t: b.timestamp }).toEqual({ fn: detector.function, t: T0 + AT * H });
      expect(b.function).toBe(detector.function);
    }
  });

  it('use_null models records without the by field as their own series', () => {
    const docs = series(['a', ''], (h, e, rnd) =>
      Array.from({ length: h === AT && e === '' ? 300 : 20 + rnd.int(0, 3) }, (_, i) => (e === '' ? { ts: T0 + h * H + i } : { ts: T0 + h * H + i, svc: e })),
    );
    const withNull = best(run('usenull', { function: 'count', by_field_name: 'svc', use_null: true }, docs));
    expect(withNull).toMatchObject({ by_field_name: 'svc', by_field_value: '', timestamp: T0 + AT * H });
    const without = run('nonull', { function: 'count', by_field_name: 'svc' }, docs);
    expect(without.filter((r) => r.timestamp === T0 + AT * H)).toEqual([]);
  });
});

describe('exclude_frequent', () => {
  it('leaves out members present in most buckets, not occasional ones', () => {
    const rnd = new Random(9);
    const docs: Record<string, unknown>[] = [];
    for (let h = 0; h < 320; h++) {
      for (let c = 0; c < 30; c++) if (rnd.next() < 0.3) for (let i = 0; i < rnd.int(1, 5); i++) docs.push({ ts: T0 + h * H + c * 100 + i, clientip: `10.1.0.${c}` });
      // a monitoring probe, every hour, as busy as anyone — until hour 300
      for (let i = 0; i < (h === 300 ? 400 : rnd.int(1, 5)); i++) docs.push({ ts: T0 + h * H + 5000 + i, clientip: 'probe' });
      if (h === 310) for (let i = 0; i < 400; i++) docs.push({ ts: T0 + h * H + 9000 + i, clientip: '10.1.0.7' });
    }
    const detector = { function: 'high_count', over_field_name: 'clientip' };
    const all = run('freq-all', detector, docs.map((d) => ({ ...d })));
    const at = (rs: RecordDoc[], h: number) => rs.filter((r) => r.timestamp === T0 + h * H && r.record_score > 0).map((r) => r.over_field_value);
    expect(at(all, 300)).toEqual(['probe']);
    expect(at(all, 310)).toEqual(['10.1.0.7']);
    const excluded = run('freq-ex', { ...detector, exclude_frequent: 'over' }, docs.map((d) => ({ ...d })));
    expect(at(excluded, 300)).toEqual([]);
    expect(at(excluded, 310)).toEqual(['10.1.0.7']);
  });
});

describe('population variants of the event models', () => {
  it('time_of_day over users: the user active when the population sleeps', () => {
    const rnd = new Random(10);
    const docs: Record<string, unknown>[] = [];
    for (let d = 0; d < 7; d++) for (let u = 0; u < 15; u++) for (let i = 0; i < 3; i++) docs.push({ ts: T0 + d * DAY + 9 * H + rnd.int(0, 8 * H - 1), user: `u${u}` });
    docs.push({ ts: T0 + 6 * DAY + 2 * H + 5, user: 'u3' });
    const b = best(run('tod-over', { function: 'time_of_day', over_field_name: 'user' }, docs));
    expect(b).toMatchObject({ over_field_value: 'u3', timestamp: T0 + 6 * DAY + 2 * H, function_description: 'time' });
    expect(b.causes![0].actual).toEqual([2 * 3600]);
  });

  it('lat_long over users: the login far from where everyone is', () => {
    const rnd = new Random(11);
    const docs: Record<string, unknown>[] = [];
    for (let h = 0; h < 48; h++) for (let u = 0; u < 10; u++) docs.push({ ts: T0 + h * H + u, user: `u${u}`, loc: `${52.52 + 0.05 * rnd.normal()},${13.4 + 0.05 * rnd.normal()}` });
    docs.push({ ts: T0 + 40 * H + 50, user: 'u5', loc: '35.68,139.69' });
    const b = best(run('geo-over', { function: 'lat_long', field_name: 'loc', over_field_name: 'user' }, docs));
    expect(b).toMatchObject({ over_field_value: 'u5', timestamp: T0 + 40 * H, actual: [35.68, 139.69] });
    expect(b.geo_results?.actual_point).toBe('35.68,139.69');
  });
});

describe('rare with a skip_model_update rule', () => {
  it('a value in the rule’s filter is never learned, so it stays rare; without the rule it becomes common', () => {
    const rnd = new Random(5);
    const procs = ['sshd', 'nginx', 'cron', 'postgres', 'node'];
    const docs: Record<string, unknown>[] = [];
    for (let h = 0; h < 24 * 8; h++) {
      for (const p of procs) for (let i = 0; i < rnd.int(1, 3); i++) docs.push({ ts: T0 + h * H + rnd.int(0, H - 1), process: p });
      // from day 5 on, 'scanner' runs once every hour
      if (h >= 24 * 5) docs.push({ ts: T0 + h * H + 7, process: 'scanner' });
    }
    const late = (records: RecordDoc[]): RecordDoc[] => records.filter((r) => r.by_field_value === 'scanner' && r.timestamp >= T0 + 7 * DAY && r.record_score > 0);
    const detector = { function: 'rare', by_field_name: 'process' };
    const plain = run('rare-plain', detector, docs.map((d) => ({ ...d })));
    expect(late(plain)).toEqual([]); // learned: by day 7 an hourly process is not rare
    const config = validateJobConfig('rare-rule', {
      analysis_config: {
        bucket_span: '1h',
        detectors: [{ ...detector, custom_rules: [{ actions: ['skip_model_update'], scope: { process: { filter_id: 'watch' } } }] }],
      },
      data_description: { time_field: 'ts', time_format: 'epoch_ms' },
    });
    const job = new AnomalyJob(config, { now: () => 0, wallClock: () => 0, filters: { watch: ['scanner'] } });
    const sorted = docs.map((d) => ({ ...d })).sort((a, b) => (a.ts as number) - (b.ts as number));
    job.postData(sorted);
    job.flush({ advanceTime: (sorted[sorted.length - 1].ts as number) + DAY });
    expect(late(job.drainResults().records).length).toBeGreaterThan(0); // never learned: still rare
  });
});
