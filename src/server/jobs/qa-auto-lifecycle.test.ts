/**
 * QA (auto as the jobs' default series model), end to end over HTTP:
 *   - a real server (DuckDB store) stopped in the middle of a job's data and started again ends with
 *     the same records and buckets as a server that never stopped;
 *   - a job stored before `auto` became the default (no series_model in its stored config) keeps the
 *     point model after a restart (its records are a `vigil_model: point` job's), keeps it through
 *     an `_update` of custom_settings, and refuses to change it with a clear message;
 *   - revert to a snapshot and replay, `_reset` and replay: the same records as one uninterrupted
 *     run; `_forecast` and model plot on an auto job.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';
import { DuckDbStore } from '../../store/duckdb-store.js';
import { startServer, type RunningServer } from '../server.js';
import { harness, JSON9, NDJSON9 } from '../test-kit/harness.js';
import { testServerConfig } from '../test-kit/server-config.js';
import { anomalyJobEngine } from './engine-adapter.js';

const root = mkdtempSync(join(tmpdir(), 'vigil-qa-auto-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const M5 = 300_000;
const T0 = Date.UTC(2024, 0, 1);
const N = 4000;
const D = '/_ml/anomaly_detectors';

/** Three partitions with a spike every 4 h; from bucket 3000 partition a spikes every hour. */
function docs(from: number, to: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = from; i < to; i++) {
    for (const [k, p] of ['a', 'b', 'c'].entries()) {
      const rng = new Random(i * 7 + k);
      out.push({ ts: T0 + i * M5 + 1000, p, v: 20 + rng.normal() + ((i < 3000 || p !== 'a' ? i % 48 === 0 : i % 12 === 0) ? 15 : 0) });
    }
  }
  return out;
}

const JOB = (extra: Record<string, unknown> = {}) => ({
  analysis_config: { bucket_span: '5m', detectors: [{ function: 'mean', field_name: 'v', partition_field_name: 'p' }], influencers: ['p'] },
  data_description: { time_field: 'ts', time_format: 'epoch_ms' },
  ...extra,
});

type Call = (method: string, path: string, body?: unknown) => Promise<any>;

function overHttp(s: RunningServer): Call {
  return async (method, path, body) => {
    const nd = Array.isArray(body);
    const r = await fetch(s.url + path, {
      method,
      headers: { 'content-type': nd ? 'application/x-ndjson' : 'application/json' },
      body: body === undefined ? undefined : nd ? body.map((d) => JSON.stringify(d)).join('\n') : JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

async function results(call: Call, id: string) {
  const records = (await call('GET', `${D}/${id}/results/records?size=10000&sort=timestamp`)).records;
  const buckets = (await call('GET', `${D}/${id}/results/buckets?size=10000&sort=timestamp`)).buckets.map((b: Record<string, unknown>) => {
    const { processing_time_ms: _, ...rest } = b;
    return rest;
  });
  return { records, buckets };
}

const inRhythmChange = (r: { timestamp: number }) => r.timestamp >= T0 + 3000 * M5 && r.timestamp < T0 + 3300 * M5;

describe('auto jobs across a server restart and the upgrade path (QA)', () => {
  it('same results as a server that never stopped; a job stored without series_model keeps the point model', async () => {
    const cont = await startServer(testServerConfig(root, 'continuous'));
    let call = overHttp(cont);
    await call('PUT', `${D}/shape`, JOB());
    await call('POST', `${D}/shape/_open`);
    await call('POST', `${D}/shape/_data`, docs(0, 2000));
    await call('POST', `${D}/shape/_flush`);
    await call('POST', `${D}/shape/_data`, docs(2000, N));
    await call('POST', `${D}/shape/_close`);
    const ref = await results(call, 'shape');
    await cont.close();
    // the change of rhythm in partition a is caught, as a record in Elastic's shape
    const pattern = ref.records.filter((r: any) => inRhythmChange(r) && r.partition_field_value === 'a' && r.record_score >= 25);
    expect(pattern.length).toBeGreaterThan(0);
    expect(pattern[0]).toMatchObject({ result_type: 'record', function: 'mean', field_name: 'v', anomaly_score_explanation: { anomaly_length: expect.any(Number) } });
    expect(pattern[0].anomaly_score_explanation.anomaly_type).toMatch(/^(spike|dip)$/);

    let s = await startServer(testServerConfig(root, 'restarted'));
    call = overHttp(s);
    await call('PUT', `${D}/shape`, JOB());
    await call('PUT', `${D}/legacy`, JOB());
    await call('PUT', `${D}/pointjob`, JOB({ custom_settings: { vigil_model: 'point' } }));
    // series_model is internal: not rendered
    expect(JSON.stringify(await call('GET', `${D}/shape`))).not.toContain('series_model');
    await call('POST', `${D}/shape/_open`);
    await call('POST', `${D}/shape/_data`, docs(0, 2000));
    await call('POST', `${D}/shape/_flush`);
    await s.close();
    // an older data directory: the stored config of `legacy` has no series_model
    const store = await DuckDbStore.open(join(root, 'restarted', 'vigil.duckdb'));
    const rec = await store.getJob('legacy');
    expect((rec!.config as { series_model?: string }).series_model).toBe('auto');
    delete (rec!.config as { series_model?: string }).series_model;
    await store.saveJob(rec!);
    await store.close();

    s = await startServer(testServerConfig(root, 'restarted'));
    call = overHttp(s);
    expect((await call('GET', `${D}/shape/_stats`)).jobs[0].state).toBe('opened');
    await call('POST', `${D}/shape/_data`, docs(2000, N));
    await call('POST', `${D}/shape/_close`);
    const after = await results(call, 'shape');
    expect(after.records).toEqual(ref.records);
    expect(after.buckets).toEqual(ref.buckets);

    for (const id of ['legacy', 'pointjob']) {
      await call('POST', `${D}/${id}/_open`);
      await call('POST', `${D}/${id}/_data`, docs(0, N));
      await call('POST', `${D}/${id}/_close`);
    }
    const strip = (rs: any[]) => rs.map((r) => ({ ...r, job_id: '' }));
    const legacy = await results(call, 'legacy');
    expect(strip(legacy.records)).toEqual(strip((await results(call, 'pointjob')).records));
    // the point model misses the change of rhythm that auto catches
    expect(legacy.records.filter((r: any) => inRhythmChange(r) && r.partition_field_value === 'a' && r.record_score >= 25)).toEqual([]);
    await call('POST', `${D}/legacy/_update`, { custom_settings: { vigil_sensitivity: 'high' } });
    await expect(call('POST', `${D}/legacy/_update`, { custom_settings: { vigil_model: 'auto' } })).rejects.toThrow(
      /400.*custom_settings.vigil_model cannot be changed on an existing job: its models are \[point\]; create a new job with \[auto\]/,
    );
    await expect(call('POST', `${D}/shape/_update`, { custom_settings: { vigil_model: 'point' } })).rejects.toThrow(/its models are \[auto\]; create a new job with \[point\]/);
    await s.close();
  });
});

describe('auto jobs: snapshots, revert, reset, forecast, model plot (QA)', () => {
  it('revert + replay and reset + replay give the uninterrupted records', async () => {
    const h = await harness({ engine: anomalyJobEngine });
    try {
      const call: Call = async (method, url, body) => {
        const nd = Array.isArray(body);
        const r = await h.app.inject({ method: method as 'GET', url, headers: nd ? NDJSON9 : JSON9, payload: body === undefined ? undefined : nd ? body.map((d) => JSON.stringify(d)).join('\n') : JSON.stringify(body) });
        if (r.statusCode >= 300) throw new Error(`${method} ${url} -> ${r.statusCode} ${r.body}`);
        return r.body ? r.json() : null;
      };
      const job = JOB({ model_plot_config: { enabled: true } });
      const recs = async (id: string) => (await call('GET', `${D}/${id}/results/records?size=10000&sort=timestamp`)).records.map((r: any) => [r.timestamp, r.partition_field_value, r.initial_record_score, r.probability]);
      await call('PUT', `${D}/ref`, job);
      await call('POST', `${D}/ref/_open`);
      await call('POST', `${D}/ref/_data`, docs(0, N));
      await call('POST', `${D}/ref/_close`);
      const ref = await recs('ref');
      expect(ref.length).toBeGreaterThan(5);

      await call('PUT', `${D}/j`, job);
      await call('POST', `${D}/j/_open`);
      await call('POST', `${D}/j/_data`, docs(0, 2000));
      await call('POST', `${D}/j/_close`);
      const first = (await call('GET', `${D}/j/model_snapshots`)).model_snapshots[0];
      await call('POST', `${D}/j/_open`);
      await call('POST', `${D}/j/_data`, docs(2000, 3500));
      await call('POST', `${D}/j/_close`);
      await call('POST', `${D}/j/model_snapshots/${first.snapshot_id}/_revert`, { delete_intervening_results: true });
      await call('POST', `${D}/j/_open`);
      await call('POST', `${D}/j/_data`, docs(2000, N));
      await call('POST', `${D}/j/_close`);
      expect(await recs('j')).toEqual(ref);

      await call('POST', `${D}/j/_reset`);
      await call('POST', `${D}/j/_open`);
      await call('POST', `${D}/j/_data`, docs(0, N));
      const f = await call('POST', `${D}/j/_forecast`, { duration: '1d' });
      expect(f).toMatchObject({ acknowledged: true });
      await call('POST', `${D}/j/_close`);
      expect(await recs('j')).toEqual(ref);
      const stats = (await call('GET', `${D}/j/_stats`)).jobs[0];
      expect(stats.forecasts_stats.status).toEqual({ finished: 1 });
      expect(stats.model_size_stats.total_partition_field_count).toBe(3);
      const plot = (await call('GET', `${D}/j/results/model_plot?size=30&sort=timestamp&desc=true`)).model_plot;
      expect(plot.length).toBe(30);
      for (const m of plot) {
        expect(Number.isFinite(m.model_lower) && Number.isFinite(m.model_upper) && Number.isFinite(m.model_median)).toBe(true);
        expect(m.model_lower).toBeLessThanOrEqual(m.model_median);
        expect(m.model_median).toBeLessThanOrEqual(m.model_upper);
      }
    } finally {
      await h.close();
    }
  });
});
