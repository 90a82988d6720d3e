import { describe, expect, it } from 'vitest';
import { emptyRuleJobState, evaluateRule, resultsWindow, type AlertEvent, type JobView, type ResultLike, type RuleJobState } from './evaluate.js';
import { validateAlertRule, type AlertRule } from './rule.js';

const M = 60_000;
const SPAN = 5 * M;
const T0 = Date.UTC(2024, 0, 1);

function job(o: Partial<JobView> = {}): JobView {
  return { job_id: 'web', groups: ['prod'], bucket_span_ms: SPAN, state: 'opened', ...o };
}

function bucket(i: number, o: Record<string, unknown> = {}): ResultLike {
  return { job_id: 'web', result_type: 'bucket', timestamp: T0 + i * SPAN, bucket_span: SPAN / 1000, anomaly_score: 0, event_count: 10, is_interim: false, ...o };
}

function record(i: number, score: number, o: Record<string, unknown> = {}): ResultLike {
  return {
    job_id: 'web',
    result_type: 'record',
    timestamp: T0 + i * SPAN,
    bucket_span: SPAN / 1000,
    detector_index: 0,
    function: 'count',
    function_description: 'count',
    record_score: score,
    probability: 1e-6,
    actual: [50],
    typical: [10],
    is_interim: false,
    anomaly_score_explanation: { anomaly_type: 'spike', lower_confidence_bound: 5, typical_value: 10, upper_confidence_bound: 15 },
    ...o,
  };
}

/** Runs evaluations like the service does: a history of keys and the rule's state carried over. */
class Harness {
  history = new Map<string, AlertEvent>();
  state: RuleJobState = emptyRuleJobState();
  constructor(readonly rule: AlertRule) {}
  step(j: JobView, docs: ResultLike[], now: number): AlertEvent[] {
    const w = resultsWindow(this.rule, j, now);
    const visible = w ? docs.filter((d) => d.timestamp >= w.start && (w.types as string[]).includes(d.result_type)) : [];
    const out = evaluateRule({ rule: this.rule, job: j, docs: visible, now, state: this.state, isKnown: (k) => this.history.has(k) });
    this.state = out.state;
    for (const e of out.events) this.history.set(e.key, e);
    return out.events;
  }
}

describe('anomaly rules', () => {
  const rule = validateAlertRule('spikes', { jobs: ['web'], condition: { type: 'anomaly', result_type: 'record', severity: 'major' } });

  it('fires once per anomalous bucket at or above the severity, with actual, typical and explanation', () => {
    const h = new Harness(rule);
    const docs = [bucket(0), bucket(1), record(1, 60), bucket(2), record(2, 30)];
    const ev = h.step(job({ latest_bucket_time: T0 + 2 * SPAN }), docs, T0 + 3 * SPAN);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ kind: 'anomaly', phase: 'fired', severity: 'major', score: 60, actual: [50], typical: [10], event_time: T0 + SPAN, suppressed: false });
    expect(ev[0].explanation).toContain('count unusually high: 50 vs typical 10 (expected 5 … 15)');
    // the same results evaluated again (timer after hook, or a restart): nothing new
    expect(h.step(job({ latest_bucket_time: T0 + 2 * SPAN }), docs, T0 + 3 * SPAN)).toHaveLength(0);
  });

  it('ignores interim results by default and alerts on them only when asked', () => {
    const docs = [bucket(0), bucket(1, { is_interim: true }), record(1, 90, { is_interim: true })];
    expect(new Harness(rule).step(job({ latest_bucket_time: T0 }), docs, T0 + 2 * SPAN)).toHaveLength(0);
    const inc = validateAlertRule('i', { jobs: ['web'], condition: { type: 'anomaly', severity: 'major', include_interim: true } });
    const ev = new Harness(inc).step(job({ latest_bucket_time: T0 }), docs, T0 + 2 * SPAN);
    expect(ev).toHaveLength(1);
    expect(ev[0].is_interim).toBe(true);
  });

  it('interim then final of the same bucket alert once (same key)', () => {
    const inc = validateAlertRule('i', { jobs: ['web'], condition: { type: 'anomaly', severity: 'major', include_interim: true } });
    const h = new Harness(inc);
    expect(h.step(job({ latest_bucket_time: T0 }), [bucket(0), record(1, 90, { is_interim: true })], T0 + 2 * SPAN)).toHaveLength(1);
    expect(h.step(job({ latest_bucket_time: T0 + SPAN }), [bucket(0), bucket(1), record(1, 88)], T0 + 2 * SPAN)).toHaveLength(0);
  });

  it('one alert per bucket time when several records qualify; the top one leads', () => {
    const docs = [bucket(3), record(3, 55, { partition_field_name: 'host', partition_field_value: 'a' }), record(3, 80, { partition_field_name: 'host', partition_field_value: 'b' })];
    const ev = new Harness(rule).step(job({ latest_bucket_time: T0 + 3 * SPAN }), docs, T0 + 4 * SPAN);
    expect(ev).toHaveLength(1);
    expect(ev[0].score).toBe(80);
    expect(ev[0].entity).toEqual({ partition_field_name: 'host', partition_field_value: 'b' });
    expect(ev[0].details.results_at_time).toBe(2);
    expect(ev[0].explanation).toContain('host=b');
  });

  it('lookback: results older than the lookback before the newest bucket are not alerted (a backfill does not flood)', () => {
    const docs: ResultLike[] = [];
    for (let i = 0; i < 100; i++) docs.push(bucket(i), record(i, 80));
    const ev = new Harness(rule).step(job({ latest_bucket_time: T0 + 99 * SPAN }), docs, T0 + 100 * SPAN);
    expect(ev.map((e) => (e.event_time - T0) / SPAN)).toEqual([97, 98, 99]); // default lookback 2 spans
    const long = validateAlertRule('l', { jobs: ['web'], condition: { type: 'anomaly', severity: 'major', lookback: '1h' } });
    expect(new Harness(long).step(job({ latest_bucket_time: T0 + 99 * SPAN }), docs, T0 + 100 * SPAN)).toHaveLength(13);
  });

  it('bucket level uses anomaly_score and shows the top record of the bucket', () => {
    const b = validateAlertRule('b', { jobs: ['web'], condition: { type: 'anomaly', result_type: 'bucket', min_score: 70 } });
    const docs = [bucket(0, { anomaly_score: 72 }), record(0, 60), record(0, 71, { actual: [99] }), bucket(1, { anomaly_score: 69 })];
    const ev = new Harness(b).step(job({ latest_bucket_time: T0 + SPAN }), docs, T0 + 2 * SPAN);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ result_type: 'bucket', score: 72, actual: [99], typical: [10] });
  });

  it('influencer level', () => {
    const r = validateAlertRule('inf', { jobs: ['web'], condition: { type: 'anomaly', result_type: 'influencer', min_score: 50 } });
    const docs = [
      { job_id: 'web', result_type: 'influencer', timestamp: T0, influencer_field_name: 'clientip', influencer_field_value: '1.2.3.4', influencer_score: 77, is_interim: false },
      { job_id: 'web', result_type: 'influencer', timestamp: T0, influencer_field_name: 'clientip', influencer_field_value: '5.6.7.8', influencer_score: 20, is_interim: false },
    ] as ResultLike[];
    const ev = new Harness(r).step(job({ latest_bucket_time: T0 }), docs, T0 + SPAN);
    expect(ev).toHaveLength(1);
    expect(ev[0].entity).toEqual({ influencer_field_name: 'clientip', influencer_field_value: '1.2.3.4' });
    expect(ev[0].explanation).toBe('influencer clientip=1.2.3.4 scored 77');
  });

  it('min_count in a window', () => {
    const r = validateAlertRule('c', { jobs: ['web'], condition: { type: 'anomaly', severity: 'minor', min_count: 3, window: '30m', lookback: '1h' } });
    const h = new Harness(r);
    const docs = [record(0, 30), record(2, 30)];
    expect(h.step(job({ latest_bucket_time: T0 + 2 * SPAN }), docs, T0 + 3 * SPAN)).toHaveLength(0);
    docs.push(record(4, 40));
    const ev = h.step(job({ latest_bucket_time: T0 + 4 * SPAN }), docs, T0 + 5 * SPAN);
    expect(ev).toHaveLength(1);
    expect(ev[0].event_time).toBe(T0 + 4 * SPAN);
    expect(ev[0].details.count_in_window).toBe(3);
    // the window has moved on: bucket 0 is now outside (20 min window ending at 9 = 6..9) — record 9 alone does not fire
    docs.push(record(12, 40));
    expect(h.step(job({ latest_bucket_time: T0 + 12 * SPAN }), docs, T0 + 13 * SPAN)).toHaveLength(0);
  });

  it('suppression: repeats within the period are recorded as suppressed, not sent; after it, alerts again', () => {
    const r = validateAlertRule('s', { jobs: ['web'], condition: { type: 'anomaly', severity: 'major', lookback: '1d' }, suppress_for: '30m' });
    const h = new Harness(r);
    const docs = [record(0, 80)];
    expect(h.step(job({ latest_bucket_time: T0 }), docs, T0 + SPAN).map((e) => e.suppressed)).toEqual([false]);
    docs.push(record(2, 80), record(5, 90));
    expect(h.step(job({ latest_bucket_time: T0 + 5 * SPAN }), docs, T0 + 6 * SPAN).map((e) => e.suppressed)).toEqual([true, true]);
    docs.push(record(6, 80)); // 30 min after the last one sent
    expect(h.step(job({ latest_bucket_time: T0 + 6 * SPAN }), docs, T0 + 7 * SPAN).map((e) => e.suppressed)).toEqual([false]);
  });

  it('a disabled rule produces nothing', () => {
    const r = validateAlertRule('d', { jobs: ['web'], enabled: false, condition: { type: 'anomaly' } });
    expect(new Harness(r).step(job({ latest_bucket_time: T0 }), [record(0, 100)], T0 + SPAN)).toHaveLength(0);
  });
});

describe('no_data rules', () => {
  const rule = validateAlertRule('down', { jobs: ['web'], condition: { type: 'no_data', buckets: 2 } });

  it('an outage fires exactly one alert and, when data returns, one recovery', () => {
    const h = new Harness(rule);
    const last = T0 + 10 * SPAN;
    const all: AlertEvent[] = [];
    // the timer ticks every minute; no data after `last`
    for (let now = last; now < last + 60 * M; now += M) all.push(...h.step(job({ latest_record_timestamp: last }), [], now));
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ kind: 'no_data', phase: 'fired', event_time: last, severity: 'critical' });
    expect(all[0].detected_at).toBe(last + 2 * SPAN); // exactly when the silence reached 2 bucket spans
    expect(all[0].explanation).toContain('has received no data for 10m (2 bucket spans of 5m)');
    // data again
    const back = last + 61 * M;
    for (let now = back; now < back + 10 * M; now += M) all.push(...h.step(job({ latest_record_timestamp: back }), [], now));
    expect(all.map((e) => e.phase)).toEqual(['fired', 'recovered']);
    expect(all[1]).toMatchObject({ kind: 'no_data', event_time: last, severity: 'ok' });
    expect(all[1].key).not.toBe(all[0].key);
  });

  it('a second outage is a new alert', () => {
    const h = new Harness(rule);
    expect(h.step(job({ latest_record_timestamp: T0 }), [], T0 + 3 * SPAN)).toHaveLength(1);
    expect(h.step(job({ latest_record_timestamp: T0 + 4 * SPAN }), [], T0 + 4 * SPAN)).toHaveLength(1); // recovery
    const ev = h.step(job({ latest_record_timestamp: T0 + 4 * SPAN }), [], T0 + 7 * SPAN);
    expect(ev.map((e) => [e.phase, e.event_time])).toEqual([['fired', T0 + 4 * SPAN]]);
  });

  it('does not fire for a closed job, nor before any data', () => {
    expect(new Harness(rule).step(job({ state: 'closed', latest_record_timestamp: T0 }), [], T0 + 100 * SPAN)).toHaveLength(0);
    expect(new Harness(rule).step(job({}), [], T0 + 100 * SPAN)).toHaveLength(0);
  });

  it('a job reopened after being closed gets a full threshold from its opening before no_data fires (its datafeed catches up first)', () => {
    const h = new Harness(rule);
    const last = T0;
    const opened = T0 + 12 * 3_600_000; // closed overnight, opened again 12 h later
    expect(h.step(job({ state: 'closed', latest_record_timestamp: last }), [], opened - M)).toHaveLength(0);
    expect(h.step(job({ latest_record_timestamp: last, opened_at: opened }), [], opened + 5_000)).toHaveLength(0);
    expect(h.step(job({ latest_record_timestamp: last, opened_at: opened }), [], opened + 2 * SPAN - M)).toHaveLength(0);
    // still nothing two bucket spans after the opening: a real silence
    const ev = h.step(job({ latest_record_timestamp: last, opened_at: opened }), [], opened + 2 * SPAN);
    expect(ev.map((e) => [e.phase, e.event_time])).toEqual([['fired', last]]);
    expect(ev[0].details).toMatchObject({ opened_at: new Date(opened).toISOString() });
    // data received after the opening (even with old record times): the record time counts again
    const h2 = new Harness(rule);
    expect(h2.step(job({ latest_record_timestamp: last, last_data_time: opened + M, opened_at: opened }), [], opened + 2 * M)).toHaveLength(1);
  });

  it('delay and arrival_time reference', () => {
    const r = validateAlertRule('d', { jobs: ['web'], condition: { type: 'no_data', buckets: 1, delay: '2m', reference: 'arrival_time' } });
    const h = new Harness(r);
    const j = job({ latest_record_timestamp: T0 - 86_400_000, last_data_time: T0 });
    expect(h.step(j, [], T0 + SPAN + M)).toHaveLength(0);
    expect(h.step(j, [], T0 + SPAN + 2 * M)).toHaveLength(1);
  });

  it('state lost but history kept: no repeat; recovery still follows', () => {
    const h = new Harness(rule);
    expect(h.step(job({ latest_record_timestamp: T0 }), [], T0 + 3 * SPAN)).toHaveLength(1);
    h.state = emptyRuleJobState();
    expect(h.step(job({ latest_record_timestamp: T0 }), [], T0 + 4 * SPAN)).toHaveLength(0);
    expect(h.step(job({ latest_record_timestamp: T0 + 5 * SPAN }), [], T0 + 5 * SPAN).map((e) => e.phase)).toEqual(['recovered']);
  });

  it('suppression covers flapping outages and their recoveries', () => {
    const r = validateAlertRule('f', { jobs: ['web'], condition: { type: 'no_data', buckets: 1 }, suppress_for: '1h' });
    const h = new Harness(r);
    const ev: AlertEvent[] = [];
    ev.push(...h.step(job({ latest_record_timestamp: T0 }), [], T0 + SPAN));
    ev.push(...h.step(job({ latest_record_timestamp: T0 + 2 * SPAN }), [], T0 + 2 * SPAN));
    ev.push(...h.step(job({ latest_record_timestamp: T0 + 2 * SPAN }), [], T0 + 3 * SPAN));
    ev.push(...h.step(job({ latest_record_timestamp: T0 + 4 * SPAN }), [], T0 + 4 * SPAN));
    expect(ev.map((e) => `${e.phase}:${e.suppressed}`)).toEqual(['fired:false', 'recovered:false', 'fired:true', 'recovered:true']);
  });
});

describe('missing_data_run rules', () => {
  const rule = validateAlertRule('gaps', { jobs: ['web'], condition: { type: 'missing_data_run', max_buckets: 2 } });

  it('fires once when a run of empty buckets exceeds N, recovers once when data returns', () => {
    const h = new Harness(rule);
    const docs: ResultLike[] = [bucket(0), bucket(1)];
    const all: AlertEvent[] = [];
    for (let i = 2; i <= 6; i++) {
      docs.push(bucket(i, { event_count: 0 }));
      all.push(...h.step(job({ latest_bucket_time: T0 + i * SPAN }), docs, T0 + (i + 1) * SPAN));
    }
    expect(all.map((e) => [e.phase, (e.event_time - T0) / SPAN])).toEqual([['fired', 2]]);
    expect(all[0].details.missing_buckets).toBe(3);
    docs.push(bucket(7));
    all.push(...h.step(job({ latest_bucket_time: T0 + 7 * SPAN }), docs, T0 + 8 * SPAN));
    all.push(...h.step(job({ latest_bucket_time: T0 + 7 * SPAN }), docs, T0 + 9 * SPAN));
    expect(all.map((e) => e.phase)).toEqual(['fired', 'recovered']);
    expect(all[1].explanation).toContain('after 5 missing buckets');
  });

  it('absent bucket slots count as missing; a gap seen at once fires and recovers together; short gaps do not', () => {
    const docs = [bucket(0), bucket(1), bucket(5), bucket(6), bucket(8)];
    const ev = new Harness(rule).step(job({ latest_bucket_time: T0 + 8 * SPAN }), docs, T0 + 9 * SPAN);
    expect(ev.map((e) => [e.phase, (e.event_time - T0) / SPAN])).toEqual([
      ['fired', 2],
      ['recovered', 2],
    ]);
  });

  it('interim empty buckets are not counted by default', () => {
    const docs = [bucket(0), bucket(1, { event_count: 0, is_interim: true }), bucket(2, { event_count: 0, is_interim: true }), bucket(3, { event_count: 0, is_interim: true })];
    expect(new Harness(rule).step(job({ latest_bucket_time: T0 }), docs, T0 + 4 * SPAN)).toHaveLength(0);
  });
});

describe('volume rules', () => {
  const rule = validateAlertRule('vol', { jobs: ['web'], condition: { type: 'volume', direction: 'low', buckets: 3 } });
  const low = (i: number, o: Record<string, unknown> = {}): ResultLike =>
    record(i, 40, { actual: [1], typical: [10], anomaly_score_explanation: { anomaly_type: 'dip', lower_confidence_bound: 6, upper_confidence_bound: 14 }, ...o });

  it('fires after M consecutive buckets below the bounds, recovers when back in range', () => {
    const h = new Harness(rule);
    const docs: ResultLike[] = [];
    const all: AlertEvent[] = [];
    for (let i = 0; i < 8; i++) {
      docs.push(bucket(i));
      if (i >= 2 && i <= 6) docs.push(low(i));
      all.push(...h.step(job({ latest_bucket_time: T0 + i * SPAN }), docs, T0 + (i + 1) * SPAN));
    }
    expect(all.map((e) => [e.kind, e.phase, (e.event_time - T0) / SPAN, (e.detected_at - T0) / SPAN])).toEqual([
      ['volume_low', 'fired', 2, 5],
      ['volume_low', 'recovered', 2, 8],
    ]);
    expect(all[0].explanation).toContain('below the expected range for 3 consecutive buckets');
  });

  it('two short runs do not fire; high values do not fire a low rule; model_plot bounds count', () => {
    const docs = [bucket(0), bucket(1), bucket(2), bucket(3), bucket(4), low(0), low(1), low(3), low(4), record(2, 50)];
    expect(new Harness(rule).step(job({ latest_bucket_time: T0 + 4 * SPAN }), docs, T0 + 5 * SPAN)).toHaveLength(0);
    const mp = (i: number): ResultLike => ({ job_id: 'web', result_type: 'model_plot', timestamp: T0 + i * SPAN, detector_index: 0, model_lower: 5, model_upper: 15, model_median: 10, actual: 2, is_interim: false });
    const ev = new Harness(rule).step(job({ latest_bucket_time: T0 + 4 * SPAN }), [bucket(0), bucket(1), bucket(2), bucket(3), bucket(4), mp(2), mp(3), mp(4)], T0 + 5 * SPAN);
    expect(ev.map((e) => e.phase)).toEqual(['fired']);
  });

  it('per series: partitions have their own runs and keys', () => {
    const a = { partition_field_name: 'host', partition_field_value: 'a' };
    const b = { partition_field_name: 'host', partition_field_value: 'b' };
    const docs = [bucket(0), bucket(1), bucket(2), low(0, a), low(1, a), low(2, a), low(0, b), low(1, b), low(2, b)];
    const ev = new Harness(rule).step(job({ latest_bucket_time: T0 + 2 * SPAN }), docs, T0 + 3 * SPAN);
    expect(ev).toHaveLength(2);
    expect(new Set(ev.map((e) => e.key)).size).toBe(2);
    expect(ev.map((e) => e.entity.partition_field_value).sort()).toEqual(['a', 'b']);
  });

  it('a long episode seen through a moving window fires once', () => {
    const r = validateAlertRule('v2', { jobs: ['web'], condition: { type: 'volume', direction: 'both', buckets: 2 } });
    const h = new Harness(r);
    const docs: ResultLike[] = [];
    const all: AlertEvent[] = [];
    for (let i = 0; i < 400; i++) {
      docs.push(bucket(i), low(i));
      all.push(...h.step(job({ latest_bucket_time: T0 + i * SPAN }), docs, T0 + (i + 1) * SPAN));
    }
    expect(all).toHaveLength(1); // 400 × 5 min > the 1-day window
  });
});

describe('resultsWindow', () => {
  it('names the result types and the earliest time each condition needs', () => {
    const j = job({ latest_bucket_time: T0 });
    expect(resultsWindow(validateAlertRule('a', { jobs: ['web'], condition: { type: 'anomaly', result_type: 'bucket' } }), j, T0)).toEqual({ types: ['bucket', 'record'], start: T0 - 4 * SPAN });
    expect(resultsWindow(validateAlertRule('a', { jobs: ['web'], condition: { type: 'no_data' } }), j, T0)).toBeNull();
    expect(resultsWindow(validateAlertRule('a', { jobs: ['web'], condition: { type: 'volume' } }), j, T0)?.types).toEqual(['bucket', 'record', 'model_plot']);
  });
});

describe('explanations', () => {
  it('one bucket span is singular', () => {
    const r = validateAlertRule('q', { jobs: ['web'], condition: { type: 'no_data', buckets: 1 } });
    const ev = new Harness(r).step(job({ latest_record_timestamp: T0, bucket_span_ms: 60_000 }), [], T0 + 60_500);
    expect(ev[0].explanation).toBe('job web has received no data for 1m (1 bucket span of 1m); newest record at 2024-01-01T00:00:00.000Z');
  });
});
