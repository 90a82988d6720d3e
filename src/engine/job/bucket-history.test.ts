import { describe, expect, it } from 'vitest';
import { BucketHistory, historyCapacity } from './bucket-history.js';
import { AnomalyJob } from './anomaly-job.js';
import { validateJobConfig } from './config.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

describe('BucketHistory', () => {
  it('keeps the newest `capacity` values oldest first, NaN for skipped buckets, and round-trips its state', () => {
    const h = new BucketHistory(336);
    for (let i = 0; i < 400; i++) if (i !== 390) h.push(T0 + i * H, i, H);
    const { time, value } = h.series(H);
    expect(value.length).toBe(336);
    expect([time[0], value[0]]).toEqual([T0 + 64 * H, 64]);
    expect(time[335]).toBe(T0 + 399 * H);
    expect(Number.isNaN(value[390 - 64])).toBe(true);
    const back = BucketHistory.fromState(JSON.parse(JSON.stringify(h.toState())), 336);
    expect(back.series(H)).toEqual(h.series(H));
    expect(back.bytes()).toBe(h.bytes());
    back.push(T0 + 400 * H, 1.5, H);
    expect(back.series(H).value[335]).toBe(1.5);
  });

  it('bounds the history at three weeks of buckets, 336 to 2 016', () => {
    expect(historyCapacity(H)).toBe(504);
    expect(historyCapacity(15 * 60_000)).toBe(2016);
    expect(historyCapacity(86_400_000)).toBe(336);
  });

  it('AnomalyJob.forecastHistories gives each series entity its final bucket values', () => {
    const config = validateJobConfig('h', {
      analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v', partition_field_name: 'host' }, { function: 'count', over_field_name: 'host' }] },
      data_description: { time_field: 't', time_format: 'epoch_ms' },
    });
    const job = new AnomalyJob(config);
    const docs = [];
    for (let i = 0; i < 10; i++) for (const host of ['a', 'b']) docs.push({ t: T0 + i * H, host, v: host === 'a' ? i : 2 * i });
    job.postData(docs);
    const hs = job.forecastHistories();
    // the population detector keeps none; bucket 9 is still open
    expect(hs.map((x) => [x.detector_index, x.partition_field_value, x.value.length])).toEqual([
      [0, 'a', 9],
      [0, 'b', 9],
    ]);
    expect([...hs[1].value]).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16]);
    expect(hs[1].time[8]).toBe(T0 + 8 * H);
    const restored = AnomalyJob.fromState(config, JSON.parse(JSON.stringify(job.toState())));
    expect(restored.forecastHistories()).toEqual(hs);
  });

  it('AnomalyJob.forecastHistories(only) gives just the one series asked for', () => {
    const config = validateJobConfig('h', {
      analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v', partition_field_name: 'host', by_field_name: 'dc' }, { function: 'sum', field_name: 'v' }] },
      data_description: { time_field: 't', time_format: 'epoch_ms' },
    });
    const job = new AnomalyJob(config);
    const docs = [];
    for (let i = 0; i < 6; i++) for (const host of ['a', 'b']) for (const dc of ['x', 'y']) docs.push({ t: T0 + i * H, host, dc, v: i + (host === 'b' ? 10 : 0) + (dc === 'y' ? 100 : 0) });
    job.postData(docs);
    const all = job.forecastHistories();
    expect(all.length).toBe(5);
    const one = job.forecastHistories({ detector_index: 0, partition_field_value: 'b', by_field_value: 'y' });
    expect(one).toEqual(all.filter((h) => h.detector_index === 0 && h.partition_field_value === 'b' && h.by_field_value === 'y'));
    expect([...one[0].value]).toEqual([110, 111, 112, 113, 114]);
    expect(job.forecastHistories({ detector_index: 1 })).toEqual(all.filter((h) => h.detector_index === 1));
    expect(job.forecastHistories({ detector_index: 0, partition_field_value: 'c', by_field_value: 'y' })).toEqual([]);
  });
});
