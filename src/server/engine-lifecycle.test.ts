/**
 * The server with the real job engine (app.inject): a partitioned mean job with influencers and
 * model plot goes through data, flush, results of every kind and a close/re-open round trip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anomalyJobEngine } from './jobs/engine-adapter.js';
import { harness, JSON9, NDJSON9, type Harness } from './test-kit/harness.js';
import { ndjsonOf, webDocs, WEB_T0 } from './test-kit/web-data.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({ engine: anomalyJobEngine });
});
afterAll(async () => h.close());

const post = (url: string, body?: unknown) => h.app.inject({ method: 'POST', url, headers: JSON9, payload: body === undefined ? undefined : JSON.stringify(body) });

describe('life cycle with the job engine', () => {
  it('detects the incident and serves buckets, records, influencers, model plot and stats', async () => {
    const put = await h.app.inject({
      method: 'PUT',
      url: '/_ml/anomaly_detectors/bytes',
      headers: JSON9,
      payload: JSON.stringify({
        analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'bytes', partition_field_name: 'host' }], influencers: ['host', 'clientip'] },
        data_description: { time_field: 'timestamp', time_format: 'epoch_ms' },
        model_plot_config: { enabled: true },
      }),
    });
    expect(put.statusCode).toBe(200);
    expect((await post('/_ml/anomaly_detectors/bytes/_open')).statusCode).toBe(200);
    const docs = webDocs();
    for (let i = 0; i < docs.length; i += 2000) {
      const r = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/bytes/_data', headers: NDJSON9, payload: ndjsonOf(docs.slice(i, i + 2000)) });
      expect(r.statusCode, r.body).toBe(200);
    }
    const flushed = await post('/_ml/anomaly_detectors/bytes/_flush', { calc_interim: true });
    expect(flushed.json()).toMatchObject({ flushed: true });
    expect(flushed.json().last_finalized_bucket_end).toBeGreaterThan(WEB_T0);

    const stats = (await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/bytes/_stats' })).json().jobs[0];
    expect(stats.data_counts).toMatchObject({ processed_record_count: docs.length, input_record_count: docs.length });
    expect(stats.model_size_stats.model_bytes).toBeGreaterThan(0);
    expect(stats.timing_stats.bucket_count).toBeGreaterThan(60);

    const records = (await post('/_ml/anomaly_detectors/bytes/results/records', { record_score: 50, sort: 'record_score', desc: true })).json();
    expect(records.count).toBeGreaterThan(0);
    // the incident hour: a bytes spike on web-b, a dip on web-a (the scanner's small replies)
    const incident = records.records.filter((r: any) => r.timestamp === WEB_T0 + 60 * 3_600_000).map((r: any) => r.partition_field_value);
    expect(incident).toEqual(expect.arrayContaining(['web-a', 'web-b']));
    expect(records.records[0]).toMatchObject({ job_id: 'bytes', result_type: 'record', partition_field_name: 'host' });
    expect(records.records[0].record_score).toBeGreaterThanOrEqual(50);

    const buckets = (await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/bytes/results/buckets?anomaly_score=50&expand=true' })).json();
    expect(buckets.buckets.map((b: any) => b.timestamp)).toContain(WEB_T0 + 60 * 3_600_000);
    expect(buckets.buckets[0].records.length).toBeGreaterThan(0);

    const influencers = (await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/bytes/results/influencers?influencer_score=50' })).json();
    expect(influencers.influencers.some((i: any) => i.influencer_field_name === 'host' && i.influencer_field_value === 'web-b')).toBe(true);

    const plot = (await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/bytes/results/model_plot?partition_field_value=web-b&size=1000' })).json();
    expect(plot.count).toBeGreaterThan(60);
    expect(plot.model_plot[0]).toHaveProperty('model_upper');

    const overall = (await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/_all/results/overall_buckets?overall_score=50' })).json();
    expect(overall.overall_buckets.map((b: any) => b.timestamp)).toContain(WEB_T0 + 60 * 3_600_000);

    // close and re-open: results, counts and the model survive
    expect((await post('/_ml/anomaly_detectors/bytes/_close')).json()).toEqual({ closed: true });
    expect((await h.store.listSnapshots('bytes')).length).toBe(1);
    expect((await post('/_ml/anomaly_detectors/bytes/_open')).statusCode).toBe(200);
    const again = (await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/bytes/_stats' })).json().jobs[0];
    expect(again.data_counts.processed_record_count).toBe(docs.length);
    const snaps = (await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/bytes/model_snapshots' })).json();
    expect(snaps.count).toBe(1);
    expect(again.model_size_stats.model_bytes).toBeGreaterThan(0);
  });
});

describe('_data with values a metric cannot read', () => {
  it('counts them as missing fields and names line and field in the response, never dropping them silently', async () => {
    const T0 = Date.UTC(2024, 0, 1);
    const put = await h.app.inject({
      method: 'PUT',
      url: '/_ml/anomaly_detectors/bad-values',
      headers: JSON9,
      payload: JSON.stringify({ analysis_config: { bucket_span: '5m', detectors: [{ function: 'mean', field_name: 'v' }] }, data_description: { time_field: 't', time_format: 'epoch_ms' } }),
    });
    expect(put.statusCode).toBe(200);
    await post('/_ml/anomaly_detectors/bad-values/_open');
    const body = [{ t: T0, v: 1 }, { t: T0 + 60_000, v: 2 }, { t: T0 + 120_000, v: 'n/a' }, { t: T0 + 180_000, v: 3 }].map((d) => JSON.stringify(d)).join('\n') + '\n';
    const bad = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/bad-values/_data', headers: NDJSON9, payload: body });
    expect(bad.statusCode).toBe(200);
    expect(bad.json()).toMatchObject({ processed_record_count: 4, missing_field_count: 1 });
    expect(bad.json().vigil_invalid_values).toEqual({
      count: 1,
      first: [{ at: 'line 3', field: 'v', value: 'n/a', counted_as: 'missing_field_count', reason: 'field [v] at line 3 is "n/a", not a number' }],
    });
    const arr = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/bad-values/_data', headers: JSON9, payload: JSON.stringify([{ t: T0 + 240_000, v: 4 }, { t: T0 + 250_000, v: {} }]) });
    expect(arr.json().vigil_invalid_values.first[0]).toMatchObject({ at: 'document 2', field: 'v' });
    const good = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/bad-values/_data', headers: NDJSON9, payload: JSON.stringify({ t: T0 + 300_000, v: 5 }) });
    expect(good.json().vigil_invalid_values).toBeUndefined();
    expect(good.json().missing_field_count).toBe(2);

    // a time far after the newest record (2204 for 2024): refused and named, not 180 years of empty buckets
    const typo = Date.UTC(2204, 0, 1);
    const jump = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/bad-values/_data', headers: NDJSON9, payload: `${JSON.stringify({ t: T0 + 360_000, v: 6 })}\n${JSON.stringify({ t: typo, v: 7 })}\n` });
    expect(jump.statusCode).toBe(200);
    expect(jump.json()).toMatchObject({ processed_record_count: 8, invalid_date_count: 1, latest_record_timestamp: T0 + 360_000 });
    expect(jump.json().vigil_invalid_values.first).toEqual([
      expect.objectContaining({ at: 'line 2', field: 't', value: typo, counted_as: 'invalid_date_count', reason: expect.stringMatching(/more than a year .* skip_time/) }),
    ]);
    // on purpose: skip_time moves the job ahead, and data there is taken
    await post('/_ml/anomaly_detectors/bad-values/_flush', { skip_time: String(typo) });
    const later = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/bad-values/_data', headers: NDJSON9, payload: JSON.stringify({ t: typo + 60_000, v: 7 }) });
    expect(later.json()).toMatchObject({ processed_record_count: 9, invalid_date_count: 1 });
  });
});
