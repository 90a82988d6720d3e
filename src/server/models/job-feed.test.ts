/**
 * Trained-model activations and anomaly-detection jobs through the HTTP API, with the real job
 * engine: a live activation that follows a job's series (each bucket the job finalises from
 * `_data`, `_flush` or a datafeed), historical runs over stored data (a job's model plot and kept
 * values, an embedded index), and live activations that come back after a restart (graceful, then
 * a crash with a write-ahead-log replay) and go on scoring exactly as an uninterrupted one.
 *
 * Values are multiples of 1/16 (exact in float32, as the job keeps its bucket values), one
 * document per hourly bucket, so a job's bucket mean is the posted value and an activation fed by
 * the job must give the very results of one fed the same values by `_data`.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { HOUR, sineSeries, tinySpec } from '../../core/neural/test-kit.js';
import { MemoryStore } from '../../store/memory-store.js';
import { datafeedsFor } from '../datafeeds/routes.js';
import { anomalyJobEngine } from '../jobs/engine-adapter.js';
import { JobService } from '../jobs/job-service.js';
import { testOps } from '../ops/context.js';
import { harness, NDJSON9, type Harness } from '../test-kit/harness.js';
import { findKept, fromFloat32, valuesAt } from './job-feed.js';

const dirs: string[] = [];
const open: Harness[] = [];
afterAll(async () => {
  for (const h of open) await h.close().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const N = 1400;
const s = sineSeries(N, 3, [1100, 1250]);
const vals = Array.from(s.values, (v) => Math.round(v * 16) / 16);
const t = (i: number): number => s.start + i * HOUR;
const range = (from: number, to: number, skip: number[] = []): number[] => Array.from({ length: to - from }, (_, k) => from + k).filter((i) => !skip.includes(i));
const ndjson = (from: number, to: number, skip: number[] = []): string => range(from, to, skip).map((i) => JSON.stringify({ timestamp: t(i), value: vals[i] })).join('\n') + '\n';
const pairs = (from: number, to: number, skip: number[] = []): [number, number | null][] => range(from, to).map((i) => [t(i), skip.includes(i) ? null : vals[i]]);
const JOB = (extra: Record<string, unknown> = {}, detector: Record<string, unknown> = {}, span = '1h') => ({
  analysis_config: { bucket_span: span, detectors: [{ function: 'mean', field_name: 'value', ...detector }] },
  data_description: { time_field: 'timestamp', time_format: 'epoch_ms' },
  ...extra,
});

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-feed-'));
  dirs.push(d);
  return d;
}

async function app(dir: string, store: MemoryStore): Promise<Harness> {
  const h = await harness({ store, engine: anomalyJobEngine, service: { walDir: join(dir, 'wal') }, app: { ops: testOps({ dataDir: dir }) } });
  open.push(h);
  return h;
}

type Inj = (method: string, url: string, payload?: unknown, headers?: Record<string, string>) => Promise<{ statusCode: number; json: () => any }>;
const injector =
  (h: Harness): Inj =>
  (method, url, payload, headers) =>
    h.app.inject({ method: method as 'GET', url, payload: payload as object, headers });

async function until<T>(f: () => Promise<T>, done: (x: T) => boolean, what: string): Promise<T> {
  for (let k = 0; k < 1000; k++) {
    const x = await f();
    if (done(x)) return x;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function trainModel(inj: Inj, id = 'm'): Promise<void> {
  const { type: _t, ...training } = tinySpec('detect', { trials: 1 });
  expect((await inj('PUT', `/_vigil/models/${id}`, { type: 'detect', training })).statusCode).toBe(200);
  const r = await inj('POST', `/_vigil/models/${id}/_train`, { data: pairs(0, 900), bucket_span: '1h' });
  expect(r.statusCode).toBe(200);
  const run = await until(() => inj('GET', `/_vigil/models/${id}/runs/${r.json().run_id}`).then((x) => x.json()), (x) => ['completed', 'failed', 'cancelled'].includes(x.state), 'training');
  expect(run.state).toBe('completed');
}

async function putJob(inj: Inj, id: string, body: unknown, openIt = true): Promise<void> {
  const r = await inj('PUT', `/_ml/anomaly_detectors/${id}`, body);
  expect(r.statusCode, JSON.stringify(r.json())).toBe(200);
  if (openIt) expect((await inj('POST', `/_ml/anomaly_detectors/${id}/_open`)).statusCode).toBe(200);
}

async function postJob(inj: Inj, id: string, from: number, to: number, chunk = 100, skip: number[] = []): Promise<void> {
  for (let i = from; i < to; i += chunk) {
    const r = await inj('POST', `/_ml/anomaly_detectors/${id}/_data`, ndjson(i, Math.min(to, i + chunk), skip), NDJSON9);
    expect(r.statusCode, JSON.stringify(r.json())).toBe(200);
  }
}

async function results(inj: Inj, model: string, aid: string): Promise<{ records: any[]; model_plot: any[] }> {
  const r = await inj('GET', `/_vigil/models/${model}/activations/${aid}/results?model_plot=true`);
  expect(r.statusCode).toBe(200);
  return r.json();
}

async function historical(inj: Inj, body: Record<string, unknown>): Promise<{ info: any; res: { records: any[]; model_plot: any[] } }> {
  const r = await inj('POST', '/_vigil/models/m/_activate', { mode: 'historical', ...body });
  expect(r.statusCode, JSON.stringify(r.json())).toBe(200);
  const id = r.json().activation_id as string;
  const done = await until(() => inj('GET', `/_vigil/models/m/activations/${id}`).then((x) => x.json()), (x) => x.state !== 'queued' && x.state !== 'running', 'historical run');
  expect(done.state, done.error).toBe('completed');
  return { info: r.json(), res: await results(inj, 'm', id) };
}

describe('trained-model activations and jobs', () => {
  test('a job hands each final bucket with its value to its bucket listeners, also when one _data finalises more buckets than a series keeps', async () => {
    const svc = new JobService({ store: new MemoryStore(), engine: anomalyJobEngine });
    await svc.putJob('big', JOB());
    await svc.openJob('big');
    const got = new Map<number, number>();
    const sizes: number[] = [];
    const src = { kind: 'job' as const, job_id: 'big', detector_index: 0, partition_field_value: null, by_field_value: null };
    const off = svc.onBuckets('big', (e) => {
      sizes.push(e.buckets.length);
      const v = valuesAt(findKept(e.histories(), src), e.buckets, HOUR);
      e.buckets.forEach((b, i) => got.set(b, v[i]));
    });
    // 1 400 hourly buckets in one batch; a series keeps 504 of them
    await svc.postData('big', Buffer.from(ndjson(0, N)));
    expect(got.size).toBe(N - 1);
    expect([...got.keys()]).toEqual(range(0, N - 1).map(t));
    expect([...got.values()]).toEqual(vals.slice(0, N - 1));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(256);
    off();
    await svc.flushJob('big', { advanceTime: t(N) });
    expect(got.size).toBe(N - 1);
    await svc.shutdown();
    expect([fromFloat32(Math.fround(123.4)), fromFloat32(Math.fround(0.1)), fromFloat32(Math.fround(1e-7)), fromFloat32(NaN)]).toEqual([123.4, 0.1, 1e-7, NaN]);
  });

  test('a live activation follows a job: every bucket the job finalises from _data and _flush is scored, as the same values posted to the activation are; job results do not change; bad attachments are refused', async () => {
    const h = await app(newDir(), new MemoryStore());
    const inj = injector(h);
    await trainModel(inj);
    await putJob(inj, 'feed', JOB());
    await putJob(inj, 'twin', JOB());
    await postJob(inj, 'feed', 0, 1000, 250);
    await postJob(inj, 'twin', 0, 1000, 250);

    // what cannot be followed, and why
    let r = await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', job_id: 'nope' });
    expect([r.statusCode, r.json().error.type]).toEqual([404, 'resource_not_found_exception']);
    expect(r.json().error.reason).toMatch(/nope/);
    await putJob(inj, 'rarejob', { analysis_config: { bucket_span: '1h', detectors: [{ function: 'rare', by_field_name: 'process' }] }, data_description: { time_field: 'timestamp' } }, false);
    r = await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', job_id: 'rarejob' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.reason).toMatch(/count, non_zero_count, distinct_count, mean, median, min, max, sum, non_null_sum, varp or metric.*detector \[0\] of job \[rarejob\] is \[rare by process\]/);
    await putJob(inj, 'pop', JOB({}, { over_field_name: 'host' }), false);
    r = await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', job_id: 'pop' });
    expect(r.json().error.reason).toMatch(/without over_field_name.*mean\(value\) over host/);
    await putJob(inj, 'split', JOB({}, { partition_field_name: 'host' }), false);
    r = await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', job_id: 'split' });
    expect([r.statusCode, r.json().error.reason]).toEqual([400, expect.stringMatching(/split by \[host\]: name the series with \[partition_field_value\]/)]);
    await putJob(inj, 'span30', JOB({}, {}, '30m'), false);
    r = await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', job_id: 'span30' });
    expect(r.json().error.reason).toMatch(/bucket_span 30m .* the spans must be equal/);
    r = await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', job_id: 'feed', index: 'x' });
    expect(r.statusCode).toBe(400);

    // followed: the window is filled with what the job keeps of the series (buckets 0…998 are final)
    r = await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', job_id: 'feed' });
    expect(r.statusCode, JSON.stringify(r.json())).toBe(200);
    const a = r.json();
    expect(a).toMatchObject({ state: 'active', source: { kind: 'job', job_id: 'feed', detector_index: 0, partition_field_value: null, by_field_value: null } });
    // the reference: the same values posted to a plain live activation
    const b = (await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', data: pairs(0, 999) })).json();
    await postJob(inj, 'feed', 1000, N);
    await postJob(inj, 'twin', 1000, N);
    for (const job of ['feed', 'twin']) expect((await inj('POST', `/_ml/anomaly_detectors/${job}/_flush?advance_time=${t(N)}`)).statusCode).toBe(200);
    r = await inj('POST', `/_vigil/models/m/activations/${b.activation_id}/_data`, { data: pairs(999, N) });
    expect(r.statusCode).toBe(200);

    const got = await results(inj, 'm', a.activation_id);
    const want = await results(inj, 'm', b.activation_id);
    expect(got.model_plot).toHaveLength(N - 999);
    expect(got.model_plot.map((p) => p.actual)).toEqual(vals.slice(999));
    expect(got.model_plot).toEqual(want.model_plot);
    expect(got.records).toEqual(want.records);
    expect(got.records.map((x) => x.timestamp)).toEqual(expect.arrayContaining([t(1100), t(1250)]));
    expect((await inj('GET', `/_vigil/models/m/activations/${a.activation_id}`)).json()).toMatchObject({ state: 'active', buckets: N - 999, last_time: t(N - 1) });

    // the job's own results are those of the same job without a follower
    const recs = async (job: string) =>
      (await inj('GET', `/_ml/anomaly_detectors/${job}/results/records?size=10000&sort=timestamp&desc=false`)).json().records.map((x: any) => [x.timestamp, x.record_score, x.actual, x.typical]);
    const feedRecs = await recs('feed');
    expect(feedRecs.length).toBeGreaterThan(0);
    expect(feedRecs).toEqual(await recs('twin'));

    // stopped: the job's buckets no longer reach it
    expect((await inj('POST', `/_vigil/models/m/activations/${a.activation_id}/_deactivate`)).json().state).toBe('stopped');
    await inj('POST', '/_ml/anomaly_detectors/feed/_flush', { advance_time: t(N + 5) });
    expect((await inj('GET', `/_vigil/models/m/activations/${a.activation_id}`)).json().buckets).toBe(N - 999);
  }, 120_000);

  test('a followed job deleted and re-created at another bucket span: its buckets are not taken, and the activation says why; re-created as it was, they are taken again', async () => {
    const h = await app(newDir(), new MemoryStore());
    const inj = injector(h);
    await trainModel(inj);
    await putJob(inj, 'feed', JOB());
    await postJob(inj, 'feed', 0, 1000, 250);
    const a = (await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', job_id: 'feed' })).json();
    expect(a.state).toBe('active');
    const info = async () => (await inj('GET', `/_vigil/models/m/activations/${a.activation_id}`)).json();
    const recreate = async (span: string) => {
      expect((await inj('POST', '/_ml/anomaly_detectors/feed/_close')).statusCode).toBe(200);
      expect((await inj('DELETE', '/_ml/anomaly_detectors/feed')).statusCode).toBe(200);
      await putJob(inj, 'feed', JOB({}, {}, span));
    };
    await recreate('30m');
    const half = Array.from({ length: 100 }, (_, k) => JSON.stringify({ timestamp: t(1000) + k * 30 * 60_000, value: vals[1000] })).join('\n') + '\n';
    expect((await inj('POST', '/_ml/anomaly_detectors/feed/_data', half, NDJSON9)).statusCode).toBe(200);
    expect(await info()).toMatchObject({ state: 'active', buckets: 0, error: expect.stringMatching(/job \[feed\] are not taken: .*bucket_span 30m .*the spans must be equal/) });
    expect((await results(inj, 'm', a.activation_id)).model_plot).toEqual([]);
    await recreate('1h');
    await postJob(inj, 'feed', 1100, 1200);
    const back = await info();
    expect(back).toMatchObject({ state: 'active', error: null, last_time: t(1198) });
    expect((await results(inj, 'm', a.activation_id)).model_plot.every((p: { bucket_span: number; timestamp: number }) => p.bucket_span === 3600 && (p.timestamp - t(0)) % HOUR === 0)).toBe(true);
  }, 120_000);

  test('historical runs read stored data: a job’s model plot (closed job), its kept values (open job), an embedded index; a datafeed feeds a live activation', async () => {
    const dir = newDir();
    const h = await app(dir, new MemoryStore());
    const inj = injector(h);
    await trainModel(inj);
    const gap = [1150];
    await putJob(inj, 'plot', JOB({ model_plot_config: { enabled: true } }));
    await postJob(inj, 'plot', 0, N, 350, gap);
    await inj('POST', `/_ml/anomaly_detectors/plot/_flush?advance_time=${t(N)}`);
    const from = t(1000);
    const to = t(N);
    const posted = await historical(inj, { data: pairs(0, N, gap), from, to });
    expect(posted.res.model_plot).toHaveLength(400);
    expect(posted.res.model_plot.find((p) => p.timestamp === t(1150)).actual).toBeNull();

    // open job: what it keeps for _forecast (504 hourly buckets) covers the range
    const kept = await historical(inj, { job_id: 'plot', from, to });
    expect(kept.info.source).toMatchObject({ kind: 'job', job_id: 'plot' });
    expect(kept.info.read.from_kept_values).toBeGreaterThan(400);
    expect(kept.res.model_plot).toEqual(posted.res.model_plot);
    expect(kept.res.records).toEqual(posted.res.records);
    // closed job: its model plot (an empty bucket is written as 0; the bucket's event_count says it was empty)
    expect((await inj('POST', '/_ml/anomaly_detectors/plot/_close')).statusCode).toBe(200);
    const plotted = await historical(inj, { job_id: 'plot', from, to });
    expect(plotted.info.read).toMatchObject({ from_kept_values: 0 });
    expect(plotted.info.read.from_model_plot).toBeGreaterThan(400);
    expect(plotted.res.model_plot).toEqual(posted.res.model_plot);
    expect(plotted.res.records).toEqual(posted.res.records);
    // a closed job without model plot keeps nothing it can read
    await putJob(inj, 'bare', JOB());
    await postJob(inj, 'bare', 0, 300, 300);
    await inj('POST', '/_ml/anomaly_detectors/bare/_close');
    let r = await inj('POST', '/_vigil/models/m/_activate', { mode: 'historical', job_id: 'bare' });
    expect([r.statusCode, r.json().error.reason]).toEqual([400, expect.stringMatching(/keeps no values of this series.*model_plot_config.enabled/)]);
    r = await inj('POST', '/_vigil/models/m/_activate', { mode: 'historical', job_id: 'bare', data: pairs(0, 10) });
    expect(r.json().error.reason).toMatch(/one of \[data\], \[job_id\] and \[index\]/);

    // an index of the embedded store, bucketed with the mean at the model's span
    const lines: string[] = [];
    for (const i of range(0, N, gap)) lines.push(JSON.stringify({ index: {} }), JSON.stringify({ timestamp: t(i) + 60_000, value: vals[i] }));
    r = await inj('POST', '/metrics/_bulk?refresh=true', lines.join('\n') + '\n', { 'content-type': 'application/x-ndjson' });
    expect(r.json().errors).toBe(false);
    const indexed = await historical(inj, { index: 'metrics', time_field: 'timestamp', value_field: 'value', from, to });
    expect(indexed.info.read.from_index).toBeGreaterThan(400);
    expect(indexed.info.source).toEqual({ kind: 'index', index: 'metrics', time_field: 'timestamp', value_field: 'value' });
    expect(indexed.res.model_plot).toEqual(posted.res.model_plot);
    r = await inj('POST', '/_vigil/models/m/_activate', { mode: 'historical', index: 'metrics', time_field: 'timestamp', value_field: 'nothing' });
    expect([r.statusCode, r.json().error.reason]).toEqual([400, expect.stringMatching(/index \[metrics\] has no field \[nothing\] \(value_field\); its fields: timestamp, value/)]);

    // a datafeed over that index feeds a job; a live activation follows the job (the job keeps
    // nothing yet, so the window holds the end of the training data: buckets from 900 on are taken)
    await putJob(inj, 'fed', { ...JOB(), datafeed_config: { indices: ['metrics'], query_delay: '0s' } });
    const live = (await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', job_id: 'fed' })).json();
    r = await inj('POST', `/_ml/datafeeds/fed/_start?start=${t(0)}&end=${t(N)}`);
    expect(r.statusCode, JSON.stringify(r.json())).toBe(200);
    await datafeedsFor(h.service).datafeeds.settle('fed');
    const fed = await results(inj, 'm', live.activation_id);
    expect(fed.model_plot.map((p) => p.timestamp)).toEqual(range(900, N).map(t));
    const byTime = new Map(fed.model_plot.map((p) => [p.timestamp, p.actual]));
    expect(byTime.get(t(1149))).toBe(vals[1149]);
    expect(byTime.get(t(1150))).toBeNull();
    expect(byTime.get(t(1250))).toBe(vals[1250]);
  }, 120_000);

  test('live activations come back after a restart (and a crash with a write-ahead-log replay) and go on scoring the job’s new buckets as if never stopped; deactivated ones do not', async () => {
    const dir = newDir();
    const store = new MemoryStore();
    const h1 = await app(dir, store);
    let inj = injector(h1);
    await trainModel(inj);
    await putJob(inj, 'web', JOB());
    await postJob(inj, 'web', 0, 1000, 500);
    const a = (await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', job_id: 'web' })).json();
    const b = (await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', data: pairs(0, 999) })).json();
    const c = (await inj('POST', '/_vigil/models/m/_activate', { mode: 'live', job_id: 'web' })).json();
    expect((await inj('POST', `/_vigil/models/m/activations/${c.activation_id}/_deactivate`)).json().state).toBe('stopped');
    await postJob(inj, 'web', 1000, 1100);
    await inj('POST', `/_vigil/models/m/activations/${b.activation_id}/_data`, { data: pairs(999, 1099) });
    // the reference never stops: a historical run over all the values from the same window
    const ref = await historical(inj, { data: pairs(0, N), from: t(999), to: t(N) });

    // restart: the server stops (jobs snapshot, saves finish) and starts again on the same data directory
    await h1.close();
    open.splice(open.indexOf(h1), 1);
    const h2 = await app(dir, store);
    expect(await h2.service.recover()).toMatchObject({ reopened: ['web'] });
    inj = injector(h2);
    const back = (await inj('GET', `/_vigil/models/m/activations/${a.activation_id}`)).json();
    expect(back).toMatchObject({ state: 'active', buckets: 100, last_time: t(1098), source: { kind: 'job', job_id: 'web' } });
    expect((await inj('GET', `/_vigil/models/m/activations/${b.activation_id}`)).json().state).toBe('active');
    expect((await inj('GET', `/_vigil/models/m/activations/${c.activation_id}`)).statusCode).toBe(404);
    // the activation's files as saved now (100 buckets, last 1098), to put back before the crash below
    const aFile = (ext: string) => join(dir, 'models', 'm', 'activations', a.activation_id + ext);
    for (const ext of ['.json', '.results.ndjson']) copyFileSync(aFile(ext), aFile(ext) + '.before');
    await postJob(inj, 'web', 1100, 1200);
    await inj('POST', `/_vigil/models/m/activations/${b.activation_id}/_data`, { data: pairs(1099, 1199) });

    // crash: h2 is dropped without shutdown; h3 replays the job's write-ahead log since its last
    // snapshot. The activation's save is put back to before the job's last 100 buckets (as if the
    // process died after the job's WAL append but before the activation saved): restored before the
    // job re-opens (delayRecovery), it takes those buckets again from the WAL replay
    for (const ext of ['.json', '.results.ndjson']) copyFileSync(aFile(ext) + '.before', aFile(ext));
    const h3 = await app(dir, store);
    expect(await h3.service.recover()).toMatchObject({ reopened: ['web'] });
    inj = injector(h3);
    expect((await inj('GET', `/_vigil/models/m/activations/${a.activation_id}`)).json()).toMatchObject({ state: 'active', buckets: 200, last_time: t(1198) });
    await postJob(inj, 'web', 1200, N);
    await inj('POST', `/_ml/anomaly_detectors/web/_flush?advance_time=${t(N)}`);
    await inj('POST', `/_vigil/models/m/activations/${b.activation_id}/_data`, { data: pairs(1199, N) });
    const got = await results(inj, 'm', a.activation_id);
    expect(got.model_plot).toHaveLength(N - 999);
    expect(got.model_plot).toEqual(ref.res.model_plot);
    expect(got.records).toEqual(ref.res.records);
    const plain = await results(inj, 'm', b.activation_id);
    expect(plain.model_plot).toEqual(ref.res.model_plot);
    expect(plain.records).toEqual(ref.res.records);
    await h2.app.close();
    open.splice(open.indexOf(h2), 1);
  }, 120_000);
});
