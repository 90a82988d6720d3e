/** Job forecasts: Elastic's refusals and messages, documents, partitions, widening bands, coverage. */
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../core/errors.js';
import { Random } from '../../core/random.js';
import { validateJobConfig, type JobConfig } from '../job/config.js';
import { forecastsStats, runJobForecast, validateForecastRequest, type EntityHistory, type ForecastJobConfig } from './index.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

function job(detectors: ForecastJobConfig['analysis_config']['detectors'], bucket_span: string | number = '1h'): ForecastJobConfig {
  return { job_id: 'j1', analysis_config: { bucket_span, detectors } };
}

/** Hourly values with a daily cycle and a slow walk; `extra` more values for checking. */
function hourly(n: number, seed: number, extra = 0): { hist: Float64Array; future: Float64Array } {
  const r = new Random(seed);
  const all = new Float64Array(n + extra);
  let level = 100 + 10 * r.normal();
  const amp = 5 + 10 * r.next();
  for (let t = 0; t < all.length; t++) {
    level += 0.3 * r.normal();
    all[t] = level + amp * Math.sin((2 * Math.PI * t) / 24) + 2 * r.normal();
  }
  return { hist: all.subarray(0, n), future: all.subarray(n) };
}

function entity(values: Float64Array, extra: Partial<EntityHistory> = {}): EntityHistory {
  return { detector_index: 0, time: Float64Array.from(values, (_, i) => T0 + i * HOUR), value: values, ...extra };
}

function message(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(VigilError);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('request validation (Elastic messages)', () => {
  const j = job([{ function: 'mean', field_name: 'v' }]);
  it('refuses non-positive, too long and shorter-than-bucket durations', () => {
    expect(message(() => validateForecastRequest(j, { duration: '0' }))).toBe('[duration] must be positive: [0ms]');
    expect(message(() => validateForecastRequest(j, { duration: '-1s' }))).toBe('[duration] must be positive: [-1]');
    expect(message(() => validateForecastRequest(j, { duration: '3651d' }))).toBe('[duration] must be 3650d or less: [3651d]');
    expect(message(() => validateForecastRequest(j, { duration: '10m' }))).toBe('[duration] must be greater or equal to the bucket span: [10m/1h]');
    expect(message(() => validateForecastRequest(j, { duration: 'soon' }))).toBe('failed to parse setting [duration] with value [soon] as a time value: unit is missing or unrecognized');
  });
  it('refuses fractional and negative time values with Elastic\'s TimeValue messages', () => {
    expect(message(() => validateForecastRequest(j, { duration: '1.5d' }))).toBe('failed to parse [1.5d], fractional time values are not supported');
    expect(message(() => validateForecastRequest(j, { expires_in: '0.5h' }))).toBe('failed to parse [0.5h], fractional time values are not supported');
    expect(message(() => validateForecastRequest(j, { duration: '-5d' }))).toBe('failed to parse setting [duration] with value [-5d] as a time value: negative durations are not supported');
    expect(message(() => validateForecastRequest(j, { expires_in: '-2h' }))).toBe('failed to parse setting [expires_in] with value [-2h] as a time value: negative durations are not supported');
    expect(validateForecastRequest(j, { duration: '36h' }).durationMs).toBe(36 * HOUR);
  });
  it('refuses negative expiry and out-of-range memory; defaults 1d and 14d', () => {
    expect(message(() => validateForecastRequest(j, { expires_in: '-1s' }))).toBe('[expires_in] must be non-negative: [-1]');
    expect(message(() => validateForecastRequest(j, { max_model_memory: '512kb' }))).toBe('[max_model_memory] must be at least 1mb.');
    expect(message(() => validateForecastRequest(j, { max_model_memory: '500mb' }))).toBe('[max_model_memory] must be less than 500mb');
    const p = validateForecastRequest(j, {});
    expect(p.durationMs).toBe(86_400_000);
    expect(p.expiresInMs).toBe(14 * 86_400_000);
    expect(validateForecastRequest(j, { expires_in: '0' }).expiresInMs).toBe(0);
  });
  it('reduces max_model_memory to below 40 % of the job limit, with Elastic warning', () => {
    const small = { ...j, analysis_limits: { model_memory_limit: '10mb' } };
    const p = validateForecastRequest(small, { max_model_memory: '20mb' });
    expect(p.maxModelMemory).toBe(Math.floor(10 * 1024 * 1024 * 0.4) - 1);
    expect(p.warnings[0]).toMatch(/^requested forecast memory limit \[20971520\] bytes is greater than or equal to \[4194304\] bytes \(40% of the job memory limit\)\. Reducing to \[4194303\]\.$/);
  });
});

describe('job refusals (ml-cpp messages)', () => {
  const hist = [entity(hourly(200, 1).hist)];
  it('population jobs', () => {
    expect(message(() => runJobForecast({ job: job([{ function: 'mean', field_name: 'v', over_field_name: 'host' }]), histories: hist, now: T0 }))).toBe('Cannot run forecast: Forecast is not supported for population analysis');
  });
  it.each(['rare', 'freq_rare', 'info_content', 'high_info_content', 'lat_long', 'time_of_day', 'time_of_week'])('function %s', (fn) => {
    expect(message(() => runJobForecast({ job: job([{ function: fn, by_field_name: 'x' }]), histories: hist, now: T0 }))).toBe('Cannot run forecast: Forecast is not supported for the used functions');
  });
  it('a job without data', () => {
    expect(message(() => runJobForecast({ job: job([{ function: 'count' }]), histories: [], now: T0 }))).toBe('Cannot run forecast: Forecast cannot be executed as job requires data to have been processed and modeled');
  });
  it('too little history: finished, no results, Elastic message', () => {
    const run = runJobForecast({ job: job([{ function: 'count' }]), histories: [entity(Float64Array.from([1, 2, 3]))], now: T0 });
    expect(run.results).toEqual([]);
    expect(run.stats.forecast_status).toBe('finished');
    expect(run.stats.forecast_messages).toEqual(['Insufficient history to forecast for all models']);
  });
  it('forecasts the supported detectors of a mixed job only', () => {
    const j = job([{ function: 'mean', field_name: 'v', over_field_name: 'host' }, { function: 'rare', by_field_name: 'x' }, { function: 'mean', field_name: 'v' }]);
    const run = runJobForecast({ job: j, request: { duration: '5h' }, histories: [0, 1, 2].map((d) => entity(hourly(200, 2).hist, { detector_index: d })), now: T0 });
    expect(new Set(run.results.map((r) => r.detector_index))).toEqual(new Set([2]));
    expect(run.results.length).toBe(5);
  });
});

describe('model_forecast documents', () => {
  const { hist } = hourly(24 * 21, 3);
  const now = T0 + 30 * 86_400_000;
  const run = runJobForecast({ job: job([{ function: 'mean', field_name: 'responsetime' }]), request: { duration: '2d', expires_in: '7d' }, histories: [entity(hist)], now, forecastId: 'f1' });
  it('one per future bucket, from the end of the last bucket, with Elastic fields', () => {
    expect(run.response).toEqual({ acknowledged: true, forecast_id: 'f1' });
    expect(run.results.length).toBe(48);
    const start = T0 + hist.length * HOUR;
    expect(run.results[0]).toMatchObject({ job_id: 'j1', forecast_id: 'f1', result_type: 'model_forecast', bucket_span: 3600, detector_index: 0, timestamp: start, model_feature: "'arithmetic mean value by person'" });
    expect(run.results[47].timestamp).toBe(start + 47 * HOUR);
    expect(run.results[0]).not.toHaveProperty('partition_field_name');
    expect(run.ids.stats).toBe('j1_model_forecast_request_stats_f1');
    expect(new Set(run.ids.results).size).toBe(48);
  });
  it('bands at 95 % that widen with the horizon', () => {
    for (let j = 0; j < run.results.length; j++) {
      const r = run.results[j];
      expect(r.forecast_lower).toBeLessThanOrEqual(r.forecast_prediction);
      expect(r.forecast_upper).toBeGreaterThanOrEqual(r.forecast_prediction);
      if (j > 0) {
        const p = run.results[j - 1];
        expect(r.forecast_upper - r.forecast_lower).toBeGreaterThanOrEqual(p.forecast_upper - p.forecast_lower - 1e-9);
      }
    }
    const first = run.results[0];
    const last = run.results[47];
    expect(last.forecast_upper - last.forecast_lower).toBeGreaterThan(1.2 * (first.forecast_upper - first.forecast_lower));
  });
  it('the request stats document', () => {
    const start = T0 + hist.length * HOUR;
    expect(run.stats).toMatchObject({
      job_id: 'j1',
      result_type: 'model_forecast_request_stats',
      forecast_id: 'f1',
      processed_record_count: 48,
      forecast_messages: [],
      timestamp: start,
      forecast_start_timestamp: start,
      forecast_end_timestamp: start + 2 * 86_400_000,
      forecast_create_timestamp: now,
      forecast_expiry_timestamp: now + 7 * 86_400_000,
      forecast_progress: 1,
      forecast_status: 'finished',
    });
    expect(run.stats.forecast_memory_bytes).toBeGreaterThan(0);
    expect(forecastsStats([run.stats])).toMatchObject({ total: 1, forecasted_jobs: 1, records: { total: 48 }, status: { finished: 1 } });
  });
  it('count forecasts are never negative', () => {
    const r = runJobForecast({ job: job([{ function: 'count' }]), request: { duration: '1d' }, histories: [entity(Float64Array.from({ length: 100 }, (_, i) => (i % 24 < 2 ? 3 : 0)))], now });
    for (const d of r.results) expect(Math.min(d.forecast_lower, d.forecast_prediction, d.forecast_upper)).toBeGreaterThanOrEqual(0);
    expect(r.results[0].model_feature).toBe("'count per bucket by person'");
  });
});

describe('partitioned jobs', () => {
  const j = job([{ function: 'mean', field_name: 'v', partition_field_name: 'region', by_field_name: 'host' }]);
  const entities = 40;
  const h = 24;
  const data = Array.from({ length: entities }, (_, k) => hourly(24 * 28, 100 + k, h));
  const histories = data.map((d, k) => entity(d.hist, { partition_field_value: `r${k % 4}`, by_field_value: `h${k}` }));

  it('forecast per entity; 95 % bands cover about 95 % of the next day (seeded)', () => {
    const run = runJobForecast({ job: j, request: { duration: '1d' }, histories, now: T0 });
    expect(run.results.length).toBe(entities * h);
    let inside = 0;
    for (const r of run.results) {
      expect(r.partition_field_name).toBe('region');
      expect(r.by_field_name).toBe('host');
      const k = Number(r.by_field_value!.slice(1));
      expect(r.partition_field_value).toBe(`r${k % 4}`);
      const step = Math.round((r.timestamp - (T0 + 24 * 28 * HOUR)) / HOUR);
      const actual = data[k].future[step];
      if (actual >= r.forecast_lower && actual <= r.forecast_upper) inside++;
    }
    const coverage = inside / run.results.length;
    expect(coverage).toBeGreaterThan(0.9);
    expect(coverage).toBeLessThan(0.99);
  });

  it('caps the number of entities and says so', () => {
    const run = runJobForecast({ job: j, request: { duration: '2h' }, histories, now: T0, maxEntities: 10 });
    expect(run.results.length).toBe(20);
    expect(run.stats.forecast_messages).toEqual(['Forecast limited to 10 of 40 series']);
  });

  it('aligns entities that stopped early onto the job’s last bucket', () => {
    const short = entity(hourly(24 * 10, 9).hist, { partition_field_value: 'r9', by_field_value: 'late' });
    const run = runJobForecast({ job: j, request: { duration: '1h' }, histories: [histories[0], short], now: T0 });
    const ts = new Set(run.results.map((r) => r.timestamp));
    expect(ts.size).toBe(1);
    expect([...ts][0]).toBe(T0 + 24 * 28 * HOUR);
  });
});

describe('with the engine’s JobConfig', () => {
  it('takes a validated job configuration as it is', () => {
    const config: JobConfig = validateJobConfig('web', {
      analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v', partition_field_name: 'region' }] },
      data_description: { time_field: 'ts' },
    });
    const asForecastJob: ForecastJobConfig = config; // structural: no adapter needed
    const run = runJobForecast({ job: asForecastJob, request: { duration: '3h' }, histories: [entity(hourly(100, 5).hist, { partition_field_value: 'eu' })], now: T0 });
    expect(run.results.map((r) => [r.job_id, r.partition_field_name, r.partition_field_value])).toEqual(Array(3).fill(['web', 'region', 'eu']));
  });
});
