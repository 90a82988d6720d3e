/**
 * Job control through HTTP with the real engine (app.inject): custom rules and filters, calendars
 * and scheduled events (incl. daylight-saving shifts), memory limits, model snapshots (retention,
 * update, delete, revert), reset, lazy open, interim results, annotations, validation,
 * sensitivity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anomalyJobEngine } from '../jobs/engine-adapter.js';
import { snapshotsToDelete } from '../jobs/retention.js';
import { harness, JSON9, NDJSON9, type Harness } from '../test-kit/harness.js';
import { ndjsonOf } from '../test-kit/web-data.js';
import type { ModelSnapshotRecord } from '../../store/store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 0, 6); // a Monday

let h: Harness;
beforeAll(async () => {
  h = await harness({ engine: anomalyJobEngine, service: { snapshotEveryOps: 1_000_000 } });
});
afterAll(async () => h.close());

const inject = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, body?: unknown) =>
  h.app.inject({ method, url, headers: JSON9, payload: body === undefined ? undefined : JSON.stringify(body) });

async function ok(method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<any> {
  const r = await inject(method, url, body);
  expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(300);
  return r.json();
}

async function fails(method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, body: unknown, status: number, reason: string | RegExp): Promise<any> {
  const r = await inject(method, url, body);
  expect(r.statusCode, r.body).toBe(status);
  const j = r.json();
  expect(j.error.reason).toMatch(reason);
  expect(j.error.root_cause[0].reason).toBe(j.error.reason);
  return j;
}

async function post(jobId: string, docs: object[]): Promise<void> {
  for (let i = 0; i < docs.length; i += 5000) {
    const r = await h.app.inject({ method: 'POST', url: `/_ml/anomaly_detectors/${jobId}/_data`, headers: NDJSON9, payload: ndjsonOf(docs.slice(i, i + 5000)) });
    expect(r.statusCode, r.body).toBe(200);
  }
}

async function job(id: string, body: Record<string, unknown>): Promise<void> {
  await ok('PUT', `/_ml/anomaly_detectors/${id}`, { data_description: { time_field: 't', time_format: 'epoch_ms' }, ...body });
}

/** Hourly values per host with a daily rhythm; `spikes` adds to a host at an hour index. */
function hostSeries(hours: number, hosts: string[], spikes: [string, number, number][] = []): { t: number; host: string; v: number }[] {
  let seed = 11;
  const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const out: { t: number; host: string; v: number }[] = [];
  for (let i = 0; i < hours; i++) {
    for (const host of hosts) {
      const daily = 100 + 30 * Math.sin((2 * Math.PI * (i % 24)) / 24);
      let v = daily + (rnd() - 0.5) * 6;
      for (const [sh, si, add] of spikes) if (sh === host && si === i) v += add;
      out.push({ t: T0 + i * HOUR, host, v });
    }
  }
  return out;
}

async function records(jobId: string, extra: Record<string, unknown> = {}): Promise<any[]> {
  return (await ok('POST', `/_ml/anomaly_detectors/${jobId}/results/records`, { page: { size: 1000 }, sort: 'timestamp', ...extra })).records;
}

async function bucketAt(jobId: string, t: number): Promise<any> {
  return (await ok('GET', `/_ml/anomaly_detectors/${jobId}/results/buckets/${t}`)).buckets[0];
}

describe('filters and custom rules', () => {
  it('PUT/GET/_update/DELETE with Elastic shapes and messages', async () => {
    expect(await ok('PUT', '/_ml/filters/safe_hosts', { description: 'known noisy', items: ['web-b', 'web-a', 'web-b'] })).toEqual({ filter_id: 'safe_hosts', description: 'known noisy', items: ['web-a', 'web-b'] });
    await fails('PUT', '/_ml/filters/safe_hosts', { items: [] }, 400, 'A filter with id [safe_hosts] already exists');
    await fails('PUT', '/_ml/filters/Bad_Id', { items: [] }, 400, /Invalid filter_id; 'Bad_Id' can contain lowercase alphanumeric/);
    await fails('PUT', '/_ml/filters/x1', { itemz: [] }, 400, '[filter] unknown field [itemz]');
    expect((await ok('GET', '/_ml/filters/safe_hosts')).filters[0].items).toEqual(['web-a', 'web-b']);
    expect((await ok('GET', '/_ml/filters')).count).toBeGreaterThanOrEqual(1);
    await fails('GET', '/_ml/filters/nope', undefined, 404, 'No filter with id [nope] exists');
    expect(await ok('POST', '/_ml/filters/safe_hosts/_update', { add_items: ['web-*'], remove_items: ['web-a'], description: 'd2' })).toEqual({ filter_id: 'safe_hosts', description: 'd2', items: ['web-*', 'web-b'] });
    await fails('POST', '/_ml/filters/safe_hosts/_update', { remove_items: ['zzz'] }, 400, 'Cannot remove item [zzz] as it is not present in filter [safe_hosts]');
    // nothing half-applied: the failed update left the filter as it was
    expect((await ok('GET', '/_ml/filters/safe_hosts')).filters[0].items).toEqual(['web-*', 'web-b']);
    await ok('POST', '/_ml/filters/safe_hosts/_update', { remove_items: ['web-*'] });
  });

  it('skip_result scoped by a filter suppresses the scores of the hosts in it; an _update reaches the open job', async () => {
    await ok('PUT', '/_ml/filters/muted', { items: ['web-b'] });
    const rule = { actions: ['skip_result'], scope: { host: { filter_id: 'muted', filter_type: 'include' } } };
    await fails('PUT', '/_ml/anomaly_detectors/bad-rule', {
      analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v', partition_field_name: 'host', custom_rules: [{ scope: { host: { filter_id: 'missing' } } }] }] },
      data_description: { time_field: 't', time_format: 'epoch_ms' },
    }, 404, 'No filter with id [missing] exists');
    for (const id of ['rules-on', 'rules-off']) {
      await job(id, { analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v', partition_field_name: 'host', ...(id === 'rules-on' ? { custom_rules: [rule] } : {}) }] } });
      await ok('POST', `/_ml/anomaly_detectors/${id}/_open`);
    }
    const spikes: [string, number, number][] = [['web-a', 240, 400], ['web-b', 240, 400], ['web-c', 300, 400]];
    const docs = hostSeries(400, ['web-a', 'web-b', 'web-c'], spikes);
    // the first 280 hours, then the filter gains web-c while the job is open
    const cut = docs.findIndex((d) => d.t >= T0 + 280 * HOUR);
    for (const id of ['rules-on', 'rules-off']) await post(id, docs.slice(0, cut));
    await ok('POST', '/_ml/filters/muted/_update', { add_items: ['web-c'] });
    for (const id of ['rules-on', 'rules-off']) {
      await post(id, docs.slice(cut));
      await ok('POST', `/_ml/anomaly_detectors/${id}/_flush`, { advance_time: String(T0 + 401 * HOUR) });
    }
    const top = (rs: any[], host: string, i: number) => Math.max(0, ...rs.filter((r) => r.partition_field_value === host && r.timestamp === T0 + i * HOUR).map((r) => r.record_score));
    const off = await records('rules-off');
    const on = await records('rules-on');
    expect(top(off, 'web-a', 240)).toBeGreaterThan(50);
    expect(top(off, 'web-b', 240)).toBeGreaterThan(50);
    expect(top(off, 'web-c', 300)).toBeGreaterThan(50);
    expect(top(on, 'web-a', 240)).toBeGreaterThan(50); // not in the filter
    expect(top(on, 'web-b', 240)).toBe(0); // in the filter from the start
    expect(top(on, 'web-c', 300)).toBe(0); // added by _update while the job was open
    await fails('DELETE', '/_ml/filters/muted', undefined, 409, 'Cannot delete filter [muted] currently used by jobs [rules-on]');
  });

  it('skip_model_update keeps a level from being learned: the anomaly stays anomalous', async () => {
    // after hour 200 the level jumps by 300 for good; a rule stops learning values above 250
    const docs = hostSeries(320, ['h']).map((d, i) => (i >= 200 ? { ...d, v: d.v + 300 } : d));
    for (const [id, rules] of [
      ['learn', []],
      ['nolearn', [{ actions: ['skip_model_update'], conditions: [{ applies_to: 'actual', operator: 'gt', value: 250 }] }]],
    ] as const) {
      await job(id, { analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v', custom_rules: rules }] } });
      await ok('POST', `/_ml/anomaly_detectors/${id}/_open`);
      await post(id, docs);
      await ok('POST', `/_ml/anomaly_detectors/${id}/_flush`, { advance_time: String(T0 + 321 * HOUR) });
    }
    const late = (rs: any[]) => rs.filter((r) => r.timestamp >= T0 + 260 * HOUR).length;
    expect(late(await records('learn'))).toBe(0); // the new level became normal
    expect(late(await records('nolearn'))).toBeGreaterThan(10); // never learned, still anomalous
  });
});

describe('calendars and scheduled events', () => {
  it('calendar API with jobs and groups; events suppress the scores they cover', async () => {
    await job('cal-a', { groups: ['cal-group'], analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v' }] } });
    await job('cal-b', { analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v' }] } });
    expect(await ok('PUT', '/_ml/calendars/maintenance', { job_ids: ['cal-group'], description: 'planned work' })).toEqual({ calendar_id: 'maintenance', job_ids: ['cal-group'], description: 'planned work' });
    await fails('PUT', '/_ml/calendars/maintenance', {}, 400, 'A calendar with id [maintenance] already exists');
    await fails('PUT', '/_ml/calendars/other', { job_ids: ['ghost'] }, 404, "No known job with id 'ghost'");
    await fails('GET', '/_ml/calendars/ghost', undefined, 404, 'No calendar with id [ghost]');
    await fails('POST', '/_ml/calendars/maintenance/events', { events: [{ description: 'x', start_time: T0 + 2 * HOUR, end_time: T0 + HOUR }] }, 400, /Event start time \[.*\] must come before end time/);
    await fails('POST', '/_ml/calendars/maintenance/events', { events: [{ start_time: T0, end_time: T0 + HOUR }] }, 400, 'Field [description] cannot be null');
    // one bad event: none stored
    await fails('POST', '/_ml/calendars/maintenance/events', { events: [{ description: 'ok', start_time: T0, end_time: T0 + HOUR }, { description: 'bad', start_time: 'soon', end_time: T0 }] }, 400, /cannot be parsed/);
    expect((await ok('GET', '/_ml/calendars/maintenance/events')).count).toBe(0);
    const ev = await ok('POST', '/_ml/calendars/maintenance/events', { events: [{ description: 'db upgrade', start_time: T0 + 240 * HOUR, end_time: T0 + 242 * HOUR }] });
    expect(ev.events[0]).toMatchObject({ calendar_id: 'maintenance', description: 'db upgrade', start_time: T0 + 240 * HOUR, skip_result: true, skip_model_update: true });
    expect((await ok('GET', '/_ml/calendars/_all/events?job_id=cal-a')).count).toBe(1);
    expect((await ok('GET', '/_ml/calendars/_all/events?job_id=cal-b')).count).toBe(0);
    expect((await ok('PUT', '/_ml/calendars/maintenance/jobs/cal-b')).job_ids).toEqual(['cal-b', 'cal-group']);
    expect((await ok('DELETE', '/_ml/calendars/maintenance/jobs/cal-b')).job_ids).toEqual(['cal-group']);
    expect((await ok('GET', '/_ml/calendars')).calendars.map((c: any) => c.calendar_id)).toContain('maintenance');

    const docs = hostSeries(300, ['h'], [['h', 240, 500], ['h', 280, 500]]);
    for (const id of ['cal-a', 'cal-b']) {
      await ok('POST', `/_ml/anomaly_detectors/${id}/_open`);
      await post(id, docs);
      await ok('POST', `/_ml/anomaly_detectors/${id}/_flush`, { advance_time: String(T0 + 301 * HOUR) });
    }
    expect((await bucketAt('cal-b', T0 + 240 * HOUR)).anomaly_score).toBeGreaterThan(50);
    const inEvent = await bucketAt('cal-a', T0 + 240 * HOUR);
    expect(inEvent.anomaly_score).toBe(0);
    expect(inEvent.scheduled_events).toEqual(['db upgrade']);
    // after the event the job scores as before (the event's spike was not learned either)
    expect((await bucketAt('cal-a', T0 + 280 * HOUR)).anomaly_score).toBeGreaterThan(50);
    const eventId = ev.events[0].event_id;
    await fails('DELETE', `/_ml/calendars/maintenance/events/nope`, undefined, 404, 'No event with id [nope]');
    await ok('DELETE', `/_ml/calendars/maintenance/events/${eventId}`);
    await ok('DELETE', '/_ml/calendars/maintenance');
    await fails('GET', '/_ml/calendars/maintenance', undefined, 404, 'No calendar with id [maintenance]');
  });

  it('deleting a job takes it out of its calendars (a new job of that id does not inherit them)', async () => {
    await job('cal-gone', { groups: ['cal-gone-group'], analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] } });
    await ok('PUT', '/_ml/calendars/gone-cal', { job_ids: ['cal-gone', 'cal-gone-group'] });
    await ok('POST', '/_ml/calendars/gone-cal/events', { events: [{ description: 'outage', start_time: T0, end_time: T0 + HOUR }] });
    await ok('DELETE', '/_ml/anomaly_detectors/cal-gone');
    // the group is a name, not the job: it stays, as in Elastic
    expect((await ok('GET', '/_ml/calendars/gone-cal')).calendars[0].job_ids).toEqual(['cal-gone-group']);
    await job('cal-gone', { analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] } });
    expect((await ok('GET', '/_ml/calendars/_all/events?job_id=cal-gone')).count).toBe(0);
    await ok('DELETE', '/_ml/calendars/gone-cal');
  });

  it('daylight saving: a local-time daily pattern stays unflagged across the change with generated force_time_shift events, flagged without', async () => {
    const start = Date.UTC(2025, 2, 2);
    const end = Date.UTC(2025, 3, 20);
    const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: 'numeric', hourCycle: 'h23' });
    let seed = 5;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const docs: { t: number; v: number }[] = [];
    for (let t = start; t < end; t += HOUR) {
      const hr = Number(fmt.format(new Date(t)));
      docs.push({ t, v: (hr >= 9 && hr < 18 ? 100 : 10) + (rnd() - 0.5) * 4 });
    }
    for (const id of ['paris-dst', 'paris-utc']) await job(id, { analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v' }] } });
    await ok('PUT', '/_ml/calendars/paris-clock', { job_ids: ['paris-dst'] });
    const gen = await ok('POST', '/_vigil/calendars/paris-clock/events/_generate', { daylight_saving: { time_zone: 'Europe/Paris', start: '2025-01-01', end: '2026-01-01' } });
    expect(gen.events.map((e: any) => e.force_time_shift)).toEqual([3600, -3600]);
    expect(gen.events[0]).toMatchObject({ start_time: Date.UTC(2025, 2, 30, 1), skip_result: false, skip_model_update: false });
    await fails('POST', '/_vigil/calendars/paris-clock/events/_generate', { daylight_saving: { time_zone: 'Mars/Olympus', start: 0, end: 1e12 } }, 400, 'unknown time zone [Mars/Olympus]');
    const hol = await ok('POST', '/_vigil/calendars/paris-clock/events/_generate', { holidays: { country: 'FR', from_year: 2024, to_year: 2024 } });
    expect(hol.events.some((e: any) => e.description.startsWith('Fête du Travail') || e.description.includes('(FR)'))).toBe(true);
    // the holidays are 2024's: they do not touch this 2025 series
    for (const id of ['paris-dst', 'paris-utc']) {
      await ok('POST', `/_ml/anomaly_detectors/${id}/_open`);
      await post(id, docs);
      await ok('POST', `/_ml/anomaly_detectors/${id}/_flush`, { advance_time: String(end) });
    }
    const after = async (id: string) => Math.max(0, ...(await records(id, { start: Date.UTC(2025, 2, 30), end: Date.UTC(2025, 3, 6) })).map((r) => r.record_score));
    expect(await after('paris-utc')).toBeGreaterThan(40);
    expect(await after('paris-dst')).toBeLessThan(25);
  });
});

describe('memory limits', () => {
  it('an entity count that crosses model_memory_limit: ok → soft_limit → hard_limit, with counts in _stats', async () => {
    const detectors = [{ function: 'mean', field_name: 'v', partition_field_name: 'host' }];
    const est = await ok('POST', '/_ml/anomaly_detectors/_estimate_model_memory', { analysis_config: { bucket_span: '1h', detectors }, overall_cardinality: { host: 1000 } });
    expect(est.model_memory_estimate).toMatch(/^\d+mb$/);
    await fails('POST', '/_ml/anomaly_detectors/_estimate_model_memory', { analysis_config: { bucket_span: '1h', detectors } }, 400, '[overall] cardinality estimate required for [partition_field_name] [host] but not supplied');
    await job('mem', { analysis_config: { bucket_span: '1h', detectors }, analysis_limits: { model_memory_limit: '1mb' } });
    await ok('POST', '/_ml/anomaly_detectors/mem/_open');
    const statuses: string[] = [];
    let hosts = 0;
    for (const n of [20, 100, 400]) {
      const docs = [];
      for (let i = 0; i < 6; i++) for (let k = hosts; k < n; k++) docs.push({ t: T0 + (hosts / 20 + i) * HOUR, host: `h${k}`, v: 10 + (k % 7) });
      hosts = n;
      await post('mem', docs);
      const s = (await ok('GET', '/_ml/anomaly_detectors/mem/_stats')).jobs[0].model_size_stats;
      statuses.push(s.memory_status);
      if (n === 400) {
        expect(s.bucket_allocation_failures_count).toBeGreaterThan(0);
        expect(s.total_partition_field_count).toBeLessThan(400);
        expect(s.model_bytes_memory_limit).toBe(1024 * 1024);
      }
    }
    expect(statuses[0]).toBe('ok');
    expect(statuses[2]).toBe('hard_limit');
    expect(statuses).toEqual(expect.arrayContaining(['ok', 'hard_limit']));
  });
});

describe('model snapshots, revert and reset', () => {
  it('snapshots on close; get, update, delete (not the active one), revert restores earlier results; reset wipes', async () => {
    await job('snap', { analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v' }] } });
    const docs = hostSeries(400, ['h'], [['h', 300, 400], ['h', 350, 400]]);
    const part1 = docs.filter((d) => d.t < T0 + 280 * HOUR);
    const part2 = docs.filter((d) => d.t >= T0 + 280 * HOUR);
    await ok('POST', '/_ml/anomaly_detectors/snap/_open');
    await post('snap', part1);
    await ok('POST', '/_ml/anomaly_detectors/snap/_close');
    const first = (await ok('GET', '/_ml/anomaly_detectors/snap/model_snapshots')).model_snapshots[0];
    expect(first).toMatchObject({ job_id: 'snap', retain: false });
    expect(first.description).toMatch(/job close/);
    await ok('POST', '/_ml/anomaly_detectors/snap/_open');
    await post('snap', part2);
    await ok('POST', '/_ml/anomaly_detectors/snap/_flush', { advance_time: String(T0 + 401 * HOUR) });
    await fails('POST', `/_ml/anomaly_detectors/snap/model_snapshots/${first.snapshot_id}/_revert`, {}, 409, 'Can only revert to a model snapshot when the job is closed.');
    await fails('POST', '/_ml/anomaly_detectors/snap/_reset', undefined, 409, 'Can only reset a job when it is closed.');
    const before = await records('snap');
    expect(before.some((r) => r.timestamp === T0 + 300 * HOUR)).toBe(true);
    await ok('POST', '/_ml/anomaly_detectors/snap/_close');
    const snaps = (await ok('GET', '/_ml/anomaly_detectors/snap/model_snapshots?sort=timestamp&desc=true')).model_snapshots;
    expect(snaps.length).toBe(2);
    const active = snaps[0].snapshot_id;
    expect((await ok('GET', `/_ml/anomaly_detectors/snap/model_snapshots/${first.snapshot_id}`)).model_snapshots[0].snapshot_id).toBe(first.snapshot_id);
    await fails('GET', '/_ml/anomaly_detectors/snap/model_snapshots/999', undefined, 404, 'No model snapshot with id [999] exists for job [snap]');
    const upd = await ok('POST', `/_ml/anomaly_detectors/snap/model_snapshots/${first.snapshot_id}/_update`, { description: 'before the incidents', retain: true });
    expect(upd.model).toMatchObject({ description: 'before the incidents', retain: true });
    await fails('DELETE', `/_ml/anomaly_detectors/snap/model_snapshots/${active}`, undefined, 400, `Model snapshot '${active}' is the active snapshot for job 'snap', so cannot be deleted`);

    // revert to the first snapshot: the results after it go, the job resumes from it
    const rev = await ok('POST', `/_ml/anomaly_detectors/snap/model_snapshots/${first.snapshot_id}/_revert`, { delete_intervening_results: true });
    expect(rev.model.snapshot_id).toBe(first.snapshot_id);
    expect((await records('snap')).filter((r) => r.timestamp >= T0 + 280 * HOUR)).toEqual([]);
    const stats = (await ok('GET', '/_ml/anomaly_detectors/snap/_stats')).jobs[0];
    expect(stats.data_counts.latest_record_timestamp).toBeLessThan(T0 + 280 * HOUR);
    // the abandoned snapshot can now be deleted
    await ok('DELETE', `/_ml/anomaly_detectors/snap/model_snapshots/${active}`);
    // feeding the same data again gives the same results
    await ok('POST', '/_ml/anomaly_detectors/snap/_open');
    await post('snap', part2);
    await ok('POST', '/_ml/anomaly_detectors/snap/_flush', { advance_time: String(T0 + 401 * HOUR) });
    const again = await records('snap');
    const key = (rs: any[]) => rs.map((r) => [r.timestamp, r.initial_record_score]);
    expect(key(again)).toEqual(key(before));
    await ok('POST', '/_ml/anomaly_detectors/snap/_close');

    // reset: model, results and model-change annotations go, user annotations only on request
    const note = await ok('POST', '/_vigil/anomaly_detectors/snap/annotations', { annotation: 'deploy', timestamp: T0 + 100 * HOUR });
    await ok('POST', '/_ml/anomaly_detectors/snap/_reset');
    expect(await records('snap')).toEqual([]);
    expect((await ok('GET', '/_ml/anomaly_detectors/snap/model_snapshots')).count).toBe(0);
    const s2 = (await ok('GET', '/_ml/anomaly_detectors/snap/_stats')).jobs[0];
    expect(s2.data_counts.processed_record_count).toBe(0);
    expect((await ok('GET', '/_ml/anomaly_detectors/snap')).jobs[0].analysis_config.bucket_span).toBe('1h');
    expect((await ok('GET', '/_vigil/anomaly_detectors/snap/annotations')).annotations.map((a: any) => a.annotation_id)).toEqual([note.annotation_id]);
    await ok('POST', '/_ml/anomaly_detectors/snap/_reset?delete_user_annotations=true');
    expect((await ok('GET', '/_vigil/anomaly_detectors/snap/annotations')).count).toBe(0);
    // the job works again from scratch
    await ok('POST', '/_ml/anomaly_detectors/snap/_open');
    await post('snap', part1.slice(0, 50));
    await ok('POST', '/_ml/anomaly_detectors/snap/_close');
  });

  it('retention keeps what model_snapshot_retention_days and daily_model_snapshot_retention_after_days say', () => {
    const snap = (id: string, t: number, retain = false): ModelSnapshotRecord => ({ job_id: 'j', snapshot_id: id, timestamp: t, description: '', retain, min_version: '7.0.0', snapshot_doc_count: 1, wal_seq: 0, data_counts: {} });
    const t = Date.UTC(2025, 0, 20, 12);
    const snaps = [
      snap('1', t - 12 * DAY), // older than 10 days: deleted
      snap('2', t - 11 * DAY, true), // retained
      snap('3', t - 5 * DAY), // first of its day: kept
      snap('4', t - 5 * DAY + 3 * HOUR), // second of that day, beyond 1 day: deleted
      snap('5', t - 3 * HOUR), // within a day of the newest: kept
      snap('6', t - 2 * HOUR),
      snap('7', t),
    ];
    expect(snapshotsToDelete(snaps, { model_snapshot_retention_days: 10, daily_model_snapshot_retention_after_days: 1 }, '7').sort()).toEqual(['1', '4']);
    expect(snapshotsToDelete(snaps, { model_snapshot_retention_days: 10, daily_model_snapshot_retention_after_days: 1 }, '1').sort()).toEqual(['4']);
  });

  it('results_retention_days drops results older than that before the latest bucket', async () => {
    await job('keep2', { results_retention_days: 2, analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v' }] } });
    await ok('POST', '/_ml/anomaly_detectors/keep2/_open');
    await post('keep2', hostSeries(24 * 6, ['h']));
    await ok('POST', '/_ml/anomaly_detectors/keep2/_close'); // snapshot → retention
    const buckets = (await ok('GET', '/_ml/anomaly_detectors/keep2/results/buckets?size=1000')).buckets;
    const latest = Math.max(...buckets.map((b: any) => b.timestamp));
    expect(Math.min(...buckets.map((b: any) => b.timestamp))).toBeGreaterThanOrEqual(latest - 2 * DAY);
  });
});

describe('lazy open', () => {
  it('a job over the open-jobs cap waits in opening with allow_lazy_open, and opens when another closes', async () => {
    const g = await harness({ engine: anomalyJobEngine, service: { maxOpenJobs: 1 } });
    try {
      const put = (id: string, lazy: boolean) =>
        g.app.inject({ method: 'PUT', url: `/_ml/anomaly_detectors/${id}`, headers: JSON9, payload: JSON.stringify({ allow_lazy_open: lazy, analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] }, data_description: { time_field: 't', time_format: 'epoch_ms' } }) });
      for (const [id, lazy] of [['one', false], ['two', true], ['three', false]] as const) expect((await put(id, lazy)).statusCode).toBe(200);
      const open = (id: string) => g.app.inject({ method: 'POST', url: `/_ml/anomaly_detectors/${id}/_open` });
      expect((await open('one')).json()).toMatchObject({ opened: true });
      expect((await open('two')).json()).toEqual({ opened: true, node: '' });
      const refused = await open('three');
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error.reason).toMatch(/max_open_jobs/);
      const st = (await g.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/two/_stats' })).json().jobs[0];
      expect(st.state).toBe('opening');
      expect(st.assignment_explanation).toMatch(/Waiting for capacity/);
      const data = await g.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/two/_data', headers: NDJSON9, payload: '{"t":1}\n' });
      expect(data.statusCode).toBe(409);
      await g.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/one/_close' });
      expect((await g.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/two/_stats' })).json().jobs[0].state).toBe('opened');
    } finally {
      await g.close();
    }
  });
});

describe('interim results', () => {
  it('flush with calc_interim gives the current bucket as interim; the final bucket replaces it', async () => {
    await job('interim', { analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v' }] } });
    await ok('POST', '/_ml/anomaly_detectors/interim/_open');
    const docs = hostSeries(200, ['h'], [['h', 199, 600]]);
    await post('interim', docs);
    await ok('POST', '/_ml/anomaly_detectors/interim/_flush', { calc_interim: true });
    const last = T0 + 199 * HOUR;
    const interim = await bucketAt('interim', last);
    expect(interim.is_interim).toBe(true);
    expect(interim.anomaly_score).toBeGreaterThan(0);
    expect((await records('interim', { start: last })).every((r) => r.is_interim)).toBe(true);
    const excluded = await ok('GET', `/_ml/anomaly_detectors/interim/results/buckets?exclude_interim=true&start=${last}`);
    expect(excluded.count).toBe(0);
    await post('interim', [{ t: T0 + 200 * HOUR, host: 'h', v: 100 }]);
    const final = (await ok('GET', `/_ml/anomaly_detectors/interim/results/buckets?start=${last}&end=${last + HOUR}`)).buckets;
    expect(final).toHaveLength(1);
    expect(final[0].is_interim).toBe(false);
    expect(final[0].anomaly_score).toBeGreaterThan(0);
    expect((await records('interim', { start: last })).every((r) => !r.is_interim)).toBe(true);
  });
});

describe('annotations', () => {
  it('user annotations: create, list by range, update, delete, with clear errors', async () => {
    await job('notes', { analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] } });
    const a = await ok('POST', '/_vigil/anomaly_detectors/notes/annotations', { annotation: 'release 4.2', timestamp: T0, end_timestamp: T0 + HOUR, username: 'ana' });
    expect(a).toMatchObject({ job_id: 'notes', annotation: 'release 4.2', type: 'annotation', event: 'user', create_username: 'ana', timestamp: T0, end_timestamp: T0 + HOUR });
    await ok('POST', '/_vigil/anomaly_detectors/notes/annotations', { annotation: 'later', timestamp: T0 + DAY });
    expect((await ok('GET', `/_vigil/anomaly_detectors/notes/annotations?start=${T0 + HOUR / 2}&end=${T0 + 2 * HOUR}`)).annotations.map((x: any) => x.annotation)).toEqual(['release 4.2']);
    const u = await ok('PUT', `/_vigil/anomaly_detectors/notes/annotations/${a.annotation_id}`, { annotation: 'release 4.2.1' });
    expect(u).toMatchObject({ annotation: 'release 4.2.1', create_username: 'ana' });
    await fails('PUT', `/_vigil/anomaly_detectors/notes/annotations/${a.annotation_id}`, { colour: 'red' }, 400, '[annotation] unknown field [colour]');
    await fails('POST', '/_vigil/anomaly_detectors/notes/annotations', { timestamp: T0 }, 400, 'Field [annotation] cannot be null');
    await fails('POST', '/_vigil/anomaly_detectors/ghost/annotations', { annotation: 'x', timestamp: T0 }, 404, "No known job with id 'ghost'");
    await ok('DELETE', `/_vigil/anomaly_detectors/notes/annotations/${a.annotation_id}`);
    await fails('DELETE', `/_vigil/anomaly_detectors/notes/annotations/${a.annotation_id}`, undefined, 404, /No annotation with id/);
  });

  it('model changes become annotations: a seasonal component learned, a level shift', async () => {
    await job('changes', { analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v' }] } });
    await ok('POST', '/_ml/anomaly_detectors/changes/_open');
    const docs = hostSeries(24 * 14, ['h']).map((d, i) => (i >= 24 * 10 ? { ...d, v: d.v + 200 } : d));
    await post('changes', docs);
    await ok('POST', '/_ml/anomaly_detectors/changes/_close');
    const notes = (await ok('GET', '/_vigil/anomaly_detectors/changes/annotations?event=model_change')).annotations;
    expect(notes.some((n: any) => /new seasonal component: daily/.test(n.annotation))).toBe(true);
    expect(notes.some((n: any) => /level shift/.test(n.annotation) && n.timestamp >= T0 + 24 * 10 * HOUR)).toBe(true);
    expect(notes[0]).toMatchObject({ job_id: 'changes', type: 'annotation', event: 'model_change', detector_index: 0, create_username: '_xpack' });
  });
});

describe('validation', () => {
  it('_validate and _validate/detector answer with Elastic messages', async () => {
    expect(await ok('POST', '/_ml/anomaly_detectors/_validate', { analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] }, data_description: { time_field: 't' } })).toEqual({ acknowledged: true });
    await fails('POST', '/_ml/anomaly_detectors/_validate', { analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] } }, 400, 'A data_description must be set');
    await fails('POST', '/_ml/anomaly_detectors/_validate/detector', { function: 'mean' }, 400, 'Unless a count or temporal function is used one of field_name, by_field_name or over_field_name must be set');
    await fails('POST', '/_ml/anomaly_detectors/_validate/detector', { function: 'mean', by_field_name: 'b' }, 400, "field_name must be set when the 'mean' function is used");
    await fails('POST', '/_ml/anomaly_detectors/_validate/detector', { function: 'mean', field_name: 'x', custom_rules: [{ actions: ['skip_result'] }] }, 400, 'Invalid detector rule: at least scope or a condition is required');
    expect(await ok('POST', '/_ml/anomaly_detectors/_validate/detector', { function: 'mean', field_name: 'x', by_field_name: 'y' })).toEqual({ acknowledged: true });
  });

  it('suggests a bucket span from a sample of documents', async () => {
    const docs = Array.from({ length: 2000 }, (_, i) => ({ ts: T0 + i * 60_000, v: i % 10 }));
    const s = await ok('POST', '/_vigil/anomaly_detectors/_suggest_bucket_span', { docs, time_field: 'ts', function: 'mean' });
    expect(s.resolution).toBe('1m');
    expect(s.bucket_span).toMatch(/^\d+[smhd]$/);
    expect(s.reason.length).toBeGreaterThan(10);
    await fails('POST', '/_vigil/anomaly_detectors/_suggest_bucket_span', { docs: [{ ts: 'x' }], time_field: 'ts' }, 400, /need at least two documents/);
  });
});

describe('sensitivity', () => {
  it('custom_settings.vigil_sensitivity moves scores without retraining and is updatable', async () => {
    await fails('PUT', '/_ml/anomaly_detectors/sens-bad', { custom_settings: { vigil_sensitivity: 'extreme' }, analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] }, data_description: { time_field: 't' } }, 400, /vigil_sensitivity must be one of \[low, medium, high\]/);
    const docs = hostSeries(300, ['h'], [['h', 250, 25], ['h', 280, 25]]);
    const top = async (id: string, from: number, to: number) => Math.max(0, ...(await records(id, { start: T0 + from * HOUR, end: T0 + to * HOUR })).map((r) => r.record_score));
    for (const s of ['low', 'medium', 'high']) {
      await job(`sens-${s}`, { custom_settings: { vigil_sensitivity: s }, analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v' }] } });
      await ok('POST', `/_ml/anomaly_detectors/sens-${s}/_open`);
      await post(`sens-${s}`, docs.slice(0, 270));
    }
    const lo = await top('sens-low', 240, 260);
    const mid = await top('sens-medium', 240, 260);
    const hi = await top('sens-high', 240, 260);
    expect(mid).toBeGreaterThan(0);
    expect(hi).toBeGreaterThan(mid);
    expect(lo).toBeLessThan(mid);
    // _update on the open job: from now on the low job scores as high does
    const upd = await ok('POST', '/_ml/anomaly_detectors/sens-low/_update', { custom_settings: { vigil_sensitivity: 'high' } });
    expect(upd.custom_settings).toEqual({ vigil_sensitivity: 'high' });
    for (const s of ['low', 'high']) {
      await post(`sens-${s}`, docs.slice(270));
      await ok('POST', `/_ml/anomaly_detectors/sens-${s}/_flush`, { advance_time: String(T0 + 301 * HOUR) });
    }
    expect(await top('sens-low', 275, 290)).toBeCloseTo(await top('sens-high', 275, 290), 0);
  });
});

describe('durability of controls', () => {
  it('a calendar change made while a job is open is replayed at the same point after a crash', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { MemoryStore } = await import('../../store/memory-store.js');
    const { ControlStore } = await import('../../store/control-store.js');
    const { JobService } = await import('../jobs/job-service.js');
    const { attachControl } = await import('./control-service.js');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-control-'));
    try {
      const g = await harness({ engine: anomalyJobEngine, service: { walDir: join(dir, 'wal') } });
      const control = ControlStore.open(join(dir, 'control'));
      const ctl = attachControl(g.service, control);
      await g.service.putJob('crashy', { analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v' }] }, data_description: { time_field: 't', time_format: 'epoch_ms' } });
      await g.service.openJob('crashy');
      const docs = hostSeries(300, ['h'], [['h', 250, 500], ['h', 260, 500]]);
      const body = (d: object[]) => Buffer.from(ndjsonOf(d));
      await g.service.postData('crashy', body(docs.slice(0, 200)));
      await ctl.putCalendar('late', { job_ids: ['crashy'] });
      await ctl.postEvents('late', { events: [{ description: 'window', start_time: T0 + 249 * HOUR, end_time: T0 + 252 * HOUR }] });
      await g.service.postData('crashy', body(docs.slice(200)));
      await g.service.flushJob('crashy', { advanceTime: T0 + 301 * HOUR });
      const first = (await g.store.queryResults({ jobIds: ['crashy'], resultType: 'record', size: 1000, sort: 'timestamp' })).docs;
      expect(first.some((r) => r.timestamp === T0 + 250 * HOUR)).toBe(false); // inside the event
      expect(first.some((r) => r.timestamp === T0 + 260 * HOUR)).toBe(true);
      // "crash": a new service on a fresh store with the job record, the same WAL and control files
      const store2 = new MemoryStore();
      const rec = (await g.store.getJob('crashy'))!;
      await store2.createJob({ ...rec, runtime: { state: 'opened', data_counts: {} } });
      const s2 = new JobService({ store: store2, engine: anomalyJobEngine, walDir: join(dir, 'wal') });
      attachControl(s2, ControlStore.open(join(dir, 'control')));
      expect((await s2.recover()).reopened).toEqual(['crashy']);
      const again = (await store2.queryResults({ jobIds: ['crashy'], resultType: 'record', size: 1000, sort: 'timestamp' })).docs;
      expect(again.map((r) => [r.timestamp, r.initial_record_score])).toEqual(first.map((r) => [r.timestamp, r.initial_record_score]));
      await s2.shutdown();
      await g.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
