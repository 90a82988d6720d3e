/**
 * Job forecasts through HTTP with the real job engine (app.inject): a partitioned seasonal job
 * forecast two days ahead whose 95 % bands cover the later actuals and widen with the horizon;
 * forecasts_stats in _stats; Elastic's refusals; delete; expiry; a close/re-open keeps the
 * history; and once through the official client (es9 `ml.forecast`) against a listening server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as Client9 } from 'es9';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';
import { anomalyJobEngine } from '../jobs/engine-adapter.js';
import { startServer } from '../server.js';
import { harness, JSON9, NDJSON9, type Harness } from '../test-kit/harness.js';
import { testServerConfig } from '../test-kit/server-config.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const HOSTS = 10;
const HISTORY = 21 * 24; // three weeks of hourly buckets
const AHEAD = 48;

let now = T0 + 30 * 86_400_000;
let h: Harness;
beforeAll(async () => {
  h = await harness({ engine: anomalyJobEngine, service: { clock: () => now } });
});
afterAll(async () => h.close());

const D = '/_ml/anomaly_detectors';
const post = (url: string, body?: unknown) => h.app.inject({ method: 'POST', url, headers: JSON9, payload: body === undefined ? undefined : JSON.stringify(body) });
const get = (url: string) => h.app.inject({ method: 'GET', url, headers: JSON9 });
const del = (url: string) => h.app.inject({ method: 'DELETE', url, headers: JSON9 });

/** Hourly load per host: a daily cycle, a slowly wandering level and noise; `HISTORY + AHEAD` hours. */
function series(): { host: string; values: number[] }[] {
  const rnd = new Random(42);
  return Array.from({ length: HOSTS }, (_, k) => {
    let level = 100 + 20 * k;
    const values: number[] = [];
    for (let t = 0; t < HISTORY + AHEAD; t++) {
      level += 0.4 * rnd.normal();
      values.push(level + 25 * Math.sin((2 * Math.PI * t) / 24) + 4 * rnd.normal());
    }
    return { host: `h${k}`, values };
  });
}

async function putJob(id: string, analysis: Record<string, unknown>): Promise<void> {
  const r = await h.app.inject({
    method: 'PUT',
    url: `${D}/${id}`,
    headers: JSON9,
    payload: JSON.stringify({ analysis_config: { bucket_span: '1h', ...analysis }, data_description: { time_field: 'time', time_format: 'epoch_ms' } }),
  });
  expect(r.statusCode, r.body).toBe(200);
  expect((await post(`${D}/${id}/_open`)).statusCode).toBe(200);
}

async function postData(id: string, docs: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < docs.length; i += 5000) {
    const r = await h.app.inject({ method: 'POST', url: `${D}/${id}/_data`, headers: NDJSON9, payload: docs.slice(i, i + 5000).map((d) => JSON.stringify(d)).join('\n') });
    expect(r.statusCode, r.body).toBe(200);
  }
}

const data = series();

describe('forecasting a partitioned seasonal job', () => {
  let forecastId = '';
  it('POST _forecast answers acknowledged and a forecast id', async () => {
    await putJob('load', { detectors: [{ function: 'mean', field_name: 'load', partition_field_name: 'host' }], influencers: ['host'] });
    const docs: Record<string, unknown>[] = [];
    for (let t = 0; t < HISTORY; t++) for (const s of data) docs.push({ time: T0 + t * H + 60_000, host: s.host, load: s.values[t] });
    await postData('load', docs);
    expect((await post(`${D}/load/_flush?advance_time=${T0 + HISTORY * H}`)).statusCode).toBe(200);
    const r = await post(`${D}/load/_forecast`, { duration: '2d', expires_in: '30d' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ acknowledged: true, forecast_id: expect.stringMatching(/^[A-Za-z0-9_-]{20}$/) });
    forecastId = r.json().forecast_id;
  });

  it('gives every host 48 future buckets whose 95 % band covers the later actuals ~95 % of the time and widens', async () => {
    const r = await get(`${D}/load/results/forecast?forecast_id=${forecastId}`);
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body.count).toBe(HOSTS * AHEAD);
    expect(body.forecast).toMatchObject({ forecast_id: forecastId, forecast_status: 'finished', processed_record_count: HOSTS * AHEAD, forecast_start_timestamp: T0 + HISTORY * H });
    expect(body.model_forecast[0]).toMatchObject({
      job_id: 'load',
      forecast_id: forecastId,
      result_type: 'model_forecast',
      bucket_span: 3600,
      detector_index: 0,
      timestamp: T0 + HISTORY * H,
      model_feature: "'arithmetic mean value by person'",
      partition_field_name: 'host',
    });
    let inside = 0;
    let n = 0;
    let absErr = 0;
    const early: number[] = [];
    const late: number[] = [];
    for (const s of data) {
      const one = (await get(`${D}/load/results/forecast?forecast_id=${forecastId}&partition_field_value=${s.host}`)).json();
      expect(one.count).toBe(AHEAD);
      one.model_forecast.forEach((d: Record<string, number>, j: number) => {
        expect(d.timestamp).toBe(T0 + (HISTORY + j) * H);
        expect(d.forecast_lower).toBeLessThanOrEqual(d.forecast_prediction);
        expect(d.forecast_upper).toBeGreaterThanOrEqual(d.forecast_prediction);
        const actual = s.values[HISTORY + j];
        if (actual >= d.forecast_lower && actual <= d.forecast_upper) inside++;
        n++;
        absErr += Math.abs(actual - d.forecast_prediction);
        // half-widths never shrink with the horizon
        if (j > 0) expect(d.forecast_upper - d.forecast_prediction).toBeGreaterThanOrEqual(one.model_forecast[j - 1].forecast_upper - one.model_forecast[j - 1].forecast_prediction - 1e-9);
        if (j < 12) early.push(d.forecast_upper - d.forecast_lower);
        if (j >= AHEAD - 12) late.push(d.forecast_upper - d.forecast_lower);
      });
    }
    const coverage = inside / n;
    expect(coverage).toBeGreaterThanOrEqual(0.88);
    expect(coverage).toBeLessThanOrEqual(0.995);
    // the daily cycle is forecast (amplitude 25): the error is far below what a flat line would make
    expect(absErr / n).toBeLessThan(10);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(late)).toBeGreaterThan(1.05 * mean(early));
    console.log(`forecast coverage ${coverage.toFixed(3)}, MAE ${(absErr / n).toFixed(2)}, band width first 12 h ${mean(early).toFixed(1)}, last 12 h ${mean(late).toFixed(1)}`);
  });

  it('pages, filters by time and lists the forecast', async () => {
    const p = (await post(`${D}/load/results/forecast`, { forecast_id: forecastId, start: T0 + (HISTORY + 1) * H, end: T0 + (HISTORY + 2) * H, page: { from: 2, size: 3 } })).json();
    expect(p.count).toBe(HOSTS);
    expect(p.model_forecast.map((d: { partition_field_value: string }) => d.partition_field_value)).toEqual(['h2', 'h3', 'h4']);
    const newest = (await get(`${D}/load/results/forecast?size=1`)).json();
    expect(newest.forecast.forecast_id).toBe(forecastId);
    const list = (await get(`${D}/load/results/forecast_stats`)).json();
    expect(list).toMatchObject({ count: 1, forecasts: [{ forecast_id: forecastId, forecast_expiry_timestamp: now + 30 * 86_400_000 }] });
  });

  it('reports forecasts_stats in _stats', async () => {
    const s = (await get(`${D}/load/_stats`)).json().jobs[0].forecasts_stats;
    expect(s).toMatchObject({ total: 1, forecasted_jobs: 1, records: { total: HOSTS * AHEAD, min: HOSTS * AHEAD, max: HOSTS * AHEAD, avg: HOSTS * AHEAD }, status: { finished: 1 } });
    expect(s.memory_bytes.total).toBeGreaterThan(0);
  });

  it('keeps the bucket history through close and re-open (it is in the model state)', async () => {
    expect((await post(`${D}/load/_close`)).statusCode).toBe(200);
    // forecasts stay readable while the job is closed; a new one needs the job open
    expect((await get(`${D}/load/results/forecast?forecast_id=${forecastId}&size=1`)).statusCode).toBe(200);
    const closed = await post(`${D}/load/_forecast`, { duration: '1d' });
    expect(closed.statusCode).toBe(409);
    expect(closed.json().error).toMatchObject({ type: 'status_exception', reason: 'Cannot perform requested action because job [load] is not open' });
    expect((await post(`${D}/load/_open`)).statusCode).toBe(200);
    const again = await post(`${D}/load/_forecast?duration=2d`);
    expect(again.statusCode, again.body).toBe(200);
    const one = (await get(`${D}/load/results/forecast?forecast_id=${again.json().forecast_id}`)).json();
    expect(one.count).toBe(HOSTS * AHEAD);
    const first = (await get(`${D}/load/results/forecast?forecast_id=${forecastId}&partition_field_value=h0&size=1`)).json().model_forecast[0];
    const second = one.model_forecast.find((d: { partition_field_value: string }) => d.partition_field_value === 'h0');
    expect(second.forecast_prediction).toBe(first.forecast_prediction);
    expect((await get(`${D}/load/_stats`)).json().jobs[0].forecasts_stats).toMatchObject({ total: 2, status: { finished: 2 } });
  });
});

describe('refusals (Elastic’s messages)', () => {
  const refused = async (url: string, body: unknown, status: number, type: string, reason: string) => {
    const r = await post(url, body);
    expect(r.statusCode, r.body).toBe(status);
    expect(r.json().error).toMatchObject({ type, reason });
  };

  it('refuses a job without data, population and rare jobs, and bad parameters', async () => {
    await putJob('empty', { detectors: [{ function: 'count' }] });
    await refused(`${D}/empty/_forecast`, {}, 400, 'status_exception', 'Cannot run forecast: Forecast cannot be executed as job requires data to have been processed and modeled');

    await putJob('pop', { detectors: [{ function: 'mean', field_name: 'load', over_field_name: 'host' }] });
    await putJob('rare', { detectors: [{ function: 'rare', by_field_name: 'host' }] });
    const docs: Record<string, unknown>[] = [];
    for (let t = 0; t < 48; t++) for (const s of data.slice(0, 3)) docs.push({ time: T0 + t * H, host: s.host, load: s.values[t] });
    await postData('pop', docs);
    await postData('rare', docs);
    await refused(`${D}/pop/_forecast`, {}, 400, 'status_exception', 'Cannot run forecast: Forecast is not supported for population analysis');
    await refused(`${D}/rare/_forecast`, {}, 400, 'status_exception', 'Cannot run forecast: Forecast is not supported for the used functions');

    await refused(`${D}/load/_forecast`, { duration: '10m' }, 400, 'status_exception', '[duration] must be greater or equal to the bucket span: [10m/1h]');
    await refused(`${D}/load/_forecast`, { duration: '0s' }, 400, 'illegal_argument_exception', '[duration] must be positive: [0s]');
    await refused(`${D}/load/_forecast`, { duration: '1.5d' }, 400, 'illegal_argument_exception', 'failed to parse [1.5d], fractional time values are not supported');
    await refused(`${D}/load/_forecast?duration=-5d`, undefined, 400, 'illegal_argument_exception', 'failed to parse setting [duration] with value [-5d] as a time value: negative durations are not supported');
    await refused(`${D}/load/_forecast`, { max_model_memory: '600mb' }, 400, 'status_exception', '[max_model_memory] must be less than 500mb');
    await refused(`${D}/load/_forecast`, { job_id: 'other' }, 400, 'illegal_argument_exception', "Inconsistent job_id; 'other' specified in the body differs from 'load' specified as a URL argument");
    const unknown = await post(`${D}/load/_forecast`, { horizon: '1d' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.type).toBe('x_content_parse_exception');
    await refused(`${D}/nope/_forecast`, {}, 404, 'resource_not_found_exception', "No known job with id 'nope'");
  });

  it('finishes with Elastic’s message when no series has enough history', async () => {
    await putJob('short', { detectors: [{ function: 'mean', field_name: 'load' }] });
    await postData('short', [0, 1, 2].map((t) => ({ time: T0 + t * H, load: 5 })));
    expect((await post(`${D}/short/_flush?advance_time=${T0 + 3 * H}`)).statusCode).toBe(200);
    const r = await post(`${D}/short/_forecast`, {});
    expect(r.statusCode, r.body).toBe(200);
    const body = (await get(`${D}/short/results/forecast?forecast_id=${r.json().forecast_id}`)).json();
    expect(body).toMatchObject({ count: 0, forecast: { forecast_status: 'finished', forecast_messages: ['Insufficient history to forecast for all models'] } });
  });
});

describe('deleting and expiring forecasts', () => {
  it('deletes one, several, all; unknown ids answer 404 with Elastic’s message', async () => {
    await putJob('del', { detectors: [{ function: 'mean', field_name: 'load' }] });
    await postData('del', Array.from({ length: 48 }, (_, t) => ({ time: T0 + t * H, load: data[0].values[t] })));
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      now += 1000;
      ids.push((await post(`${D}/del/_forecast`, { duration: '3h' })).json().forecast_id);
    }
    expect((await del(`${D}/del/_forecast/${ids[0]}`)).json()).toEqual({ acknowledged: true });
    const gone = await get(`${D}/del/results/forecast?forecast_id=${ids[0]}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.reason).toBe(`No forecast(s) [${ids[0]}] exists for job [del]`);
    const missing = await del(`${D}/del/_forecast/nope`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ type: 'resource_not_found_exception', reason: 'No forecast(s) [nope] exists for job [del]' });
    expect((await del(`${D}/del/_forecast/${ids[1]},${ids[2]}`)).json()).toEqual({ acknowledged: true });
    expect((await get(`${D}/del/results/forecast_stats`)).json().forecasts.map((f: { forecast_id: string }) => f.forecast_id)).toEqual([ids[3]]);
    expect((await del(`${D}/del/_forecast/_all`)).json()).toEqual({ acknowledged: true });
    expect((await get(`${D}/del/_stats`)).json().jobs[0].forecasts_stats).toEqual({ total: 0, forecasted_jobs: 0 });
    expect((await del(`${D}/del/_forecast`)).json()).toEqual({ acknowledged: true });
    const strict = await del(`${D}/del/_forecast/_all?allow_no_forecasts=false`);
    expect(strict.statusCode).toBe(404);
    expect(strict.json().error.reason).toBe('No forecast(s) [_all] exists for job [del]');
  });

  it('removes a forecast once expires_in has passed; expires_in 0 keeps it', async () => {
    const short = (await post(`${D}/del/_forecast`, { duration: '3h', expires_in: '1h' })).json().forecast_id;
    const kept = (await post(`${D}/del/_forecast?duration=3h&expires_in=0`)).json().forecast_id;
    expect((await get(`${D}/del/_stats`)).json().jobs[0].forecasts_stats.total).toBe(2);
    now += 2 * H;
    // gone from _stats at once, from the store at the next forecast call on the job
    expect((await get(`${D}/del/_stats`)).json().jobs[0].forecasts_stats.total).toBe(1);
    expect((await get(`${D}/del/results/forecast?forecast_id=${short}`)).statusCode).toBe(404);
    expect((await h.store.listForecasts(['del'])).map((f) => f.forecast_id)).toEqual([kept]);
    now += 400 * 86_400_000;
    expect((await get(`${D}/del/results/forecast?forecast_id=${kept}`)).statusCode).toBe(200);
  });

  it('deletes forecasts with the job', async () => {
    expect((await post(`${D}/del/_close`)).statusCode).toBe(200);
    expect((await del(`${D}/del`)).statusCode).toBe(200);
    expect(await h.store.listForecasts(['del'])).toEqual([]);
  });
});

describe('the official client (es9) against a listening server', () => {
  it('ml.forecast, ml.getJobStats forecasts_stats and ml.deleteForecast', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-forecast-'));
    const cfg = testServerConfig(dir);
    const server = await startServer(cfg, { engine: anomalyJobEngine, version: 'test' });
    const es = new Client9({ node: server.url });
    try {
      await es.ml.putJob({
        job_id: 'cpu',
        analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'load' }] },
        data_description: { time_field: 'time', time_format: 'epoch_ms' },
      });
      await es.ml.openJob({ job_id: 'cpu' });
      await es.ml.postData({ job_id: 'cpu', data: Array.from({ length: 24 * 7 }, (_, t) => ({ time: T0 + t * H, load: data[1].values[t] })) });
      await es.ml.flushJob({ job_id: 'cpu', advance_time: String(T0 + 24 * 7 * H) });
      const f = await es.ml.forecast({ job_id: 'cpu', duration: '1d', expires_in: '7d' });
      expect(f).toEqual({ acknowledged: true, forecast_id: expect.any(String) });
      const stats = await es.ml.getJobStats({ job_id: 'cpu' });
      expect(stats.jobs[0].forecasts_stats).toMatchObject({ total: 1, forecasted_jobs: 1, records: { total: 24 }, status: { finished: 1 } });
      const read = await fetch(`${server.url}/_ml/anomaly_detectors/cpu/results/forecast?forecast_id=${f.forecast_id}`);
      expect(((await read.json()) as { count: number }).count).toBe(24);
      expect(await es.ml.deleteForecast({ job_id: 'cpu', forecast_id: f.forecast_id })).toEqual({ acknowledged: true });
      await expect(es.ml.deleteForecast({ job_id: 'cpu', forecast_id: f.forecast_id })).rejects.toMatchObject({ meta: { statusCode: 404 } });
      await es.ml.closeJob({ job_id: 'cpu' });
    } finally {
      await es.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
