import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';
import { AnomalyJob, resultId, validateJobConfig, type JobConfig, type JobResults, type RecordDoc } from './index.js';
import { updateJobConfig } from './config.js';

const H = 3_600_000;
const DAY = 24 * H;
const T0 = Date.UTC(2024, 0, 1); // a Monday

/** A job with a fixed clock, so results are deterministic. */
function makeJob(id: string, analysis: Record<string, unknown>, extra: Record<string, unknown> = {}): AnomalyJob {
  const config = validateJobConfig(id, {
    analysis_config: { bucket_span: '1h', ...analysis },
    data_description: { time_field: 'ts', time_format: 'epoch_ms' },
    ...extra,
  });
  return new AnomalyJob(config, { now: () => 0, wallClock: () => 0 });
}

function sortByTime<T extends { ts: number }>(docs: T[]): T[] {
  return docs.sort((a, b) => a.ts - b.ts);
}

/** Concatenates drains. */
function collect(job: AnomalyJob, into?: JobResults): JobResults {
  const r = job.drainResults();
  if (!into) return r;
  into.clearInterim ||= r.clearInterim;
  into.buckets.push(...r.buckets);
  into.records.push(...r.records);
  into.influencers.push(...r.influencers);
  into.modelPlots.push(...r.modelPlots);
  return into;
}

function top(records: RecordDoc[]): RecordDoc {
  return [...records].sort((a, b) => b.record_score - a.record_score || a.timestamp - b.timestamp)[0];
}

/**
 * Web logs: three hosts × two status codes, hourly rhythm; on day 8 at 14:00 host web-2 answers a
 * burst of 500s to one client (10.0.0.66).
 */
function webLogs(seed: number): { ts: number; host: { name: string }; status: string; client: string; bytes: number }[] {
  const rnd = new Random(seed);
  const docs: { ts: number; host: { name: string }; status: string; client: string; bytes: number }[] = [];
  const incident = T0 + 8 * DAY + 14 * H;
  for (let h = 0; h < 10 * 24; h++) {
    const start = T0 + h * H;
    const daily = 1 + 0.5 * Math.sin((2 * Math.PI * (h % 24)) / 24);
    for (const host of ['web-1', 'web-2', 'web-3']) {
      for (const status of ['200', '500']) {
        const rate = status === '200' ? 40 * daily : 2;
        const n = rnd.poisson(rate);
        for (let i = 0; i < n; i++) {
          docs.push({ ts: start + rnd.int(0, H - 1), host: { name: host }, status, client: `10.0.0.${rnd.int(1, 40)}`, bytes: 500 + rnd.int(0, 100) });
        }
      }
    }
    if (start === incident) {
      for (let i = 0; i < 120; i++) docs.push({ ts: start + rnd.int(0, H - 1), host: { name: 'web-2' }, status: '500', client: '10.0.0.66', bytes: 40 });
    }
  }
  return sortByTime(docs);
}

describe('AnomalyJob: life cycle with by, partition and influencers', () => {
  it('finds the burst with the right entity and influencer', () => {
    const job = makeJob('web', {
      detectors: [{ function: 'count', by_field_name: 'status', partition_field_name: 'host.name' }],
      influencers: ['host.name', 'client'],
    });
    const docs = webLogs(1);
    const counts = job.postData(docs, { inputBytes: 12345 });
    expect(counts.processed_record_count).toBe(docs.length);
    expect(counts.input_bytes).toBe(12345);
    expect(counts.out_of_order_timestamp_count).toBe(0);
    expect(counts.missing_field_count).toBe(0);
    expect(counts.processed_field_count).toBe(docs.length * 3);
    job.flush({ advanceTime: T0 + 10 * DAY });
    const res = job.drainResults();
    expect(res.buckets).toHaveLength(240);
    expect(res.buckets.every((b) => !b.is_interim && b.bucket_span === 3600 && b.result_type === 'bucket')).toBe(true);
    const best = top(res.records);
    expect(best).toMatchObject({
      timestamp: T0 + 8 * DAY + 14 * H,
      function: 'count',
      function_description: 'count',
      partition_field_name: 'host.name',
      partition_field_value: 'web-2',
      by_field_name: 'status',
      by_field_value: '500',
      is_interim: false,
      detector_index: 0,
    });
    expect(best.record_score).toBeGreaterThan(50);
    expect(best.initial_record_score).toBe(best.record_score);
    expect(best.actual![0]).toBeGreaterThan(100);
    expect(best.typical![0]).toBeLessThan(10);
    expect(best.influencers).toEqual([
      { influencer_field_name: 'host.name', influencer_field_values: ['web-2'] },
      { influencer_field_name: 'client', influencer_field_values: ['10.0.0.66'] },
    ]);
    expect(best.anomaly_score_explanation?.anomaly_type).toBe('spike');
    // the bucket: max-ish of its records, bucket influencers per field and bucket_time
    const bucket = res.buckets.find((b) => b.timestamp === best.timestamp)!;
    expect(bucket.anomaly_score).toBe(best.record_score);
    expect(bucket.bucket_influencers.map((b) => b.influencer_field_name)).toEqual(['client', 'host.name', 'bucket_time']);
    expect(bucket.event_count).toBeGreaterThan(200);
    // the influencer result with the highest score at that time is the client
    const infl = res.influencers.filter((i) => i.timestamp === best.timestamp && i.influencer_field_name === 'client');
    expect(infl).toHaveLength(1);
    expect(infl[0]).toMatchObject({ influencer_field_value: '10.0.0.66', client: '10.0.0.66' });
    expect(infl[0].influencer_score).toBe(best.record_score);
    // nothing else in the job scores anywhere near it
    const others = res.records.filter((r) => r !== best);
    expect(Math.max(0, ...others.map((r) => r.record_score))).toBeLessThan(best.record_score / 2);
    // stable ids
    expect(resultId(bucket)).toBe(`web_bucket_${bucket.timestamp}_3600`);
    const stats = job.modelSizeStats();
    expect(stats).toMatchObject({ total_partition_field_count: 3, total_by_field_count: 2, memory_status: 'ok', bucket_allocation_failures_count: 0 });
    expect(stats.model_bytes).toBeGreaterThan(0);
    expect(job.timingStats().bucket_count).toBe(240);
  });

  it('model plot gives bounds per entity and bucket when enabled', () => {
    const job = makeJob('plot', { detectors: [{ function: 'count', partition_field_name: 'host.name' }] }, { model_plot_config: { enabled: true, terms: 'web-1' } });
    job.postData(webLogs(2));
    const res = job.drainResults();
    expect(res.modelPlots.length).toBeGreaterThan(100);
    expect(new Set(res.modelPlots.map((p) => p.partition_field_value))).toEqual(new Set(['web-1']));
    const p = res.modelPlots[res.modelPlots.length - 1];
    expect(p.model_lower).toBeLessThanOrEqual(p.model_median);
    expect(p.model_median).toBeLessThanOrEqual(p.model_upper);
    expect(p.result_type).toBe('model_plot');
  });
});

describe('AnomalyJob: population analysis', () => {
  it('finds the client scanning URLs, with causes', () => {
    const job = makeJob('scan', {
      detectors: [{ function: 'high_distinct_count', field_name: 'url', over_field_name: 'clientip' }],
      influencers: ['clientip'],
    });
    const rnd = new Random(7);
    const docs: { ts: number; clientip: string; url: string }[] = [];
    for (let h = 0; h < 48; h++) {
      for (let c = 0; c < 30; c++) {
        const n = rnd.int(1, 6);
        for (let i = 0; i < n; i++) docs.push({ ts: T0 + h * H + rnd.int(0, H - 1), clientip: `192.168.1.${c}`, url: `/page/${rnd.int(1, 8)}` });
      }
      if (h === 40) for (let i = 0; i < 300; i++) docs.push({ ts: T0 + h * H + rnd.int(0, H - 1), clientip: '30.156.16.164', url: `/admin/${i}` });
    }
    job.postData(sortByTime(docs));
    job.flush({ advanceTime: T0 + 48 * H });
    const res = job.drainResults();
    const best = top(res.records);
    expect(best).toMatchObject({
      timestamp: T0 + 40 * H,
      over_field_name: 'clientip',
      over_field_value: '30.156.16.164',
      function: 'high_distinct_count',
      function_description: 'distinct_count',
      field_name: 'url',
    });
    expect(best.record_score).toBeGreaterThan(25);
    expect(best.causes).toHaveLength(1);
    expect(best.causes![0]).toMatchObject({ over_field_value: '30.156.16.164', actual: [300], function: 'high_distinct_count' });
    expect(best.causes![0].typical![0]).toBeLessThan(10);
    expect(best.influencers).toEqual([{ influencer_field_name: 'clientip', influencer_field_values: ['30.156.16.164'] }]);
    // no ordinary client is called out with a high score
    expect(res.records.filter((r) => r.over_field_value !== '30.156.16.164' && r.record_score > 25)).toEqual([]);
    expect(job.modelSizeStats().total_over_field_count).toBe(31);
  });

  it('groups causes by over value across by values', () => {
    const job = makeJob('pop-by', { detectors: [{ function: 'sum', field_name: 'bytes', by_field_name: 'dest', over_field_name: 'user' }] });
    const rnd = new Random(3);
    const docs: { ts: number; user: string; dest: string; bytes: number }[] = [];
    for (let h = 0; h < 60; h++) {
      for (let u = 0; u < 25; u++) {
        for (const dest of ['mail', 'web']) docs.push({ ts: T0 + h * H + rnd.int(0, H - 1), user: `u${u}`, dest, bytes: 1000 + rnd.normal() * 50 });
      }
      if (h === 50) {
        docs.push({ ts: T0 + h * H + 10, user: 'u7', dest: 'mail', bytes: 900_000 });
        docs.push({ ts: T0 + h * H + 20, user: 'u7', dest: 'web', bytes: 800_000 });
      }
    }
    job.postData(sortByTime(docs));
    job.flush({ advanceTime: T0 + 60 * H });
    const best = top(job.drainResults().records);
    expect(best.over_field_value).toBe('u7');
    expect(best.timestamp).toBe(T0 + 50 * H);
    expect(best.by_field_value).toBeUndefined();
    expect(best.causes!.map((c) => c.by_field_value).sort()).toEqual(['mail', 'web']);
  });
});

describe('AnomalyJob: interim and final results', () => {
  it('previews the open bucket as interim and replaces it with the final one', () => {
    const job = makeJob('interim', { detectors: [{ function: 'count' }] });
    const rnd = new Random(11);
    const docs: { ts: number }[] = [];
    for (let h = 0; h < 30; h++) for (let i = 0; i < 20 + rnd.int(0, 4); i++) docs.push({ ts: T0 + h * H + rnd.int(0, H - 1) });
    // the open hour 30 gets a burst in its first half
    for (let i = 0; i < 200; i++) docs.push({ ts: T0 + 30 * H + i * 1000 });
    job.postData(sortByTime(docs));
    const before = job.drainResults();
    expect(before.buckets).toHaveLength(30);
    const flush = job.flush({ calcInterim: true });
    expect(flush).toEqual({ flushed: true, last_finalized_bucket_end: T0 + 30 * H });
    const interim = job.drainResults();
    expect(interim.clearInterim).toBe(false);
    expect(interim.buckets).toHaveLength(1);
    expect(interim.buckets[0]).toMatchObject({ timestamp: T0 + 30 * H, is_interim: true, event_count: 200 });
    expect(interim.records).toHaveLength(1);
    expect(interim.records[0].is_interim).toBe(true);
    expect(interim.records[0].actual).toEqual([200]);
    // interim scoring changed nothing: the final bucket gets the same count and more
    job.postData([{ ts: T0 + 30 * H + 1_800_000 }, { ts: T0 + 31 * H + 5 }]);
    const final = job.drainResults();
    expect(final.clearInterim).toBe(true);
    expect(final.buckets).toHaveLength(1);
    expect(final.buckets[0]).toMatchObject({ timestamp: T0 + 30 * H, is_interim: false, event_count: 201 });
    expect(resultId(final.buckets[0])).toBe(resultId(interim.buckets[0]));
    expect(final.records[0].actual).toEqual([201]);
    expect(resultId(final.records[0])).toBe(resultId(interim.records[0]));
    // the next drain has nothing to clear
    job.postData([{ ts: T0 + 32 * H + 5 }]);
    expect(job.drainResults().clearInterim).toBe(false);
  });

  it('interim results not yet drained are dropped when the bucket becomes final', () => {
    const job = makeJob('interim2', { detectors: [{ function: 'count' }] });
    job.postData([{ ts: T0 }, { ts: T0 + 10 }]);
    job.flush({ calcInterim: true });
    job.postData([{ ts: T0 + H }]);
    const res = job.drainResults();
    expect(res.clearInterim).toBe(false);
    expect(res.buckets.map((b) => [b.timestamp, b.is_interim])).toEqual([[T0, false]]);
  });

  it('validates flush parameters with Elastic\'s messages', () => {
    const job = makeJob('flushp', { detectors: [{ function: 'count' }] });
    expect(() => job.flush({ start: 1 })).toThrow("Invalid flush parameters: unexpected 'start'.");
    expect(() => job.flush({ calcInterim: true, end: 1 })).toThrow("Invalid flush parameters: 'start' has not been specified.");
    expect(() => job.flush({ calcInterim: true, start: 10, end: 1 })).toThrow('Invalid time range');
    expect(() => job.flush({ advanceTime: 'soon' })).toThrow('cannot be parsed as a date');
    expect(job.flush({ advanceTime: '2024-01-01T05:00:00Z' }).last_finalized_bucket_end).toBe(T0 + 5 * H);
  });
});

describe('AnomalyJob: time, latency and data counts', () => {
  it('counts out-of-order records without latency', () => {
    const job = makeJob('ooo', { detectors: [{ function: 'count' }] });
    const c = job.postData([{ ts: T0 + 10 }, { ts: T0 + 5 }, { ts: T0 + 10 }, { ts: T0 + H + 1 }, { ts: T0 + 20 }]);
    expect(c.out_of_order_timestamp_count).toBe(2);
    expect(c.processed_record_count).toBe(3);
    expect(job.drainResults().buckets.map((b) => b.event_count)).toEqual([2]);
  });

  it('accepts late records within latency and finalises a bucket only after end + latency', () => {
    const job = makeJob('late', { detectors: [{ function: 'count' }], latency: '30m' });
    job.postData([{ ts: T0 + 10 }, { ts: T0 + H + 10 * 60_000 }, { ts: T0 + 50 * 60_000 }]);
    expect(job.dataCounts().out_of_order_timestamp_count).toBe(0);
    expect(job.drainResults().buckets).toHaveLength(0); // 01:10 < 01:00 + 30m? no: 01:10 < 01:30
    job.postData([{ ts: T0 + H + 31 * 60_000 }, { ts: T0 + 40 * 60_000 }]);
    const res = job.drainResults();
    expect(res.buckets.map((b) => [b.timestamp, b.event_count])).toEqual([[T0, 2]]);
    expect(job.dataCounts().out_of_order_timestamp_count).toBe(1);
    expect(job.flush({}).last_finalized_bucket_end).toBe(T0 + H);
  });

  it('counts invalid dates, missing fields, empty and sparse buckets, and reads nested fields and pattern times', () => {
    const config = validateJobConfig('counts', {
      analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'metrics.latency', by_field_name: 'service' }], summary_count_field_name: 'n' },
      data_description: { time_field: '@timestamp', time_format: "yyyy-MM-dd'T'HH:mm:ssX" },
    });
    const job = new AnomalyJob(config, { now: () => 0, wallClock: () => 42 });
    const docs: Record<string, unknown>[] = [];
    for (let h = 0; h < 12; h++) {
      for (let i = 0; i < 20; i++) {
        docs.push({ '@timestamp': new Date(T0 + h * H + i * 1000).toISOString().replace('.000', ''), metrics: { latency: 100 + i }, service: 'api', n: 2 });
      }
    }
    docs.push({ '@timestamp': 'yesterday', metrics: { latency: 1 }, service: 'api', n: 1 });
    docs.push({ '@timestamp': new Date(T0 + 12 * H).toISOString().replace('.000', ''), service: 'api', n: 1 }); // no latency
    // hour 13 is empty, hour 14 sparse
    docs.push({ '@timestamp': new Date(T0 + 14 * H).toISOString().replace('.000', ''), 'metrics.latency': 100, service: 'api', n: 1 });
    docs.push({ '@timestamp': new Date(T0 + 15 * H).toISOString().replace('.000', ''), metrics: { latency: 100 }, service: 'api', n: 1 });
    const c = job.postData(docs);
    expect(c.invalid_date_count).toBe(1);
    expect(c.missing_field_count).toBe(1);
    expect(c.processed_record_count).toBe(243);
    expect(c.input_record_count).toBe(244);
    expect(c.processed_field_count).toBe(243 * 3 - 1);
    expect(c.empty_bucket_count).toBe(1);
    expect(c.latest_empty_bucket_timestamp).toBe(T0 + 13 * H);
    expect(c.sparse_bucket_count).toBe(2); // hours 12 and 14 each hold one record
    expect(c.bucket_count).toBe(15);
    expect(c.earliest_record_timestamp).toBe(T0);
    expect(c.latest_record_timestamp).toBe(T0 + 15 * H);
    expect(c.latest_bucket_timestamp).toBe(T0 + 14 * H);
    expect(c.last_data_time).toBe(42);
    const res = job.drainResults();
    // summary counts weight event counts
    expect(res.buckets[0].event_count).toBe(40);
  });

  it('advance_time finalises empty buckets; skip_time skips them without results', () => {
    const job = makeJob('adv', { detectors: [{ function: 'count' }] });
    job.postData([{ ts: T0 + 5 }]);
    expect(job.flush({ advanceTime: T0 + 3 * H }).last_finalized_bucket_end).toBe(T0 + 3 * H);
    expect(job.drainResults().buckets.map((b) => b.event_count)).toEqual([1, 0, 0]);
    expect(job.flush({ skipTime: T0 + 10 * H }).last_finalized_bucket_end).toBe(T0 + 10 * H);
    job.postData([{ ts: T0 + 9 * H }, { ts: T0 + 10 * H + 5 }, { ts: T0 + 11 * H + 5 }]);
    expect(job.drainResults().buckets.map((b) => b.timestamp)).toEqual([T0 + 10 * H]);
    expect(job.dataCounts().out_of_order_timestamp_count).toBe(1);
  });

  it('latest_record_timestamp is the newest record, also one at the very time a flush advanced or skipped to', () => {
    for (const flush of [{ advanceTime: T0 + 3 * H }, { skipTime: T0 + 3 * H }]) {
      const job = makeJob('latest', { detectors: [{ function: 'count' }] });
      job.postData([{ ts: T0 + 5 }]);
      job.flush(flush);
      const c = job.postData([{ ts: T0 + 3 * H }]);
      expect(c.processed_record_count).toBe(1);
      expect(job.dataCounts().latest_record_timestamp).toBe(T0 + 3 * H);
    }
  });
});

describe('AnomalyJob: memory limit', () => {
  it('stops modelling new entities at the hard limit and counts the failures', () => {
    const job = makeJob('mem', { detectors: [{ function: 'mean', field_name: 'v', partition_field_name: 'host' }] }, { analysis_limits: { model_memory_limit: '1mb' } });
    const docs: { ts: number; host: string; v: number }[] = [];
    for (let h = 0; h < 3; h++) for (let e = 0; e < 2000; e++) docs.push({ ts: T0 + h * H + e, host: `h${e}`, v: e });
    job.postData(docs);
    const stats = job.modelSizeStats();
    expect(stats.memory_status).toBe('hard_limit');
    expect(stats.total_partition_field_count).toBeGreaterThan(10);
    expect(stats.total_partition_field_count).toBeLessThan(2000);
    expect(stats.bucket_allocation_failures_count).toBe(2);
    expect(stats.model_bytes_memory_limit).toBe(1024 * 1024);
    expect(stats.model_bytes).toBeLessThanOrEqual(1024 * 1024 * 1.05);
    // existing entities keep being analysed
    expect(job.dataCounts().processed_record_count).toBe(6000);
  });

  it('stays ok with room to spare', () => {
    const job = makeJob('mem-ok', { detectors: [{ function: 'mean', field_name: 'v', partition_field_name: 'host' }] });
    const docs: { ts: number; host: string; v: number }[] = [];
    for (let h = 0; h < 3; h++) for (let e = 0; e < 200; e++) docs.push({ ts: T0 + h * H + e, host: `h${e}`, v: e });
    job.postData(docs);
    expect(job.modelSizeStats()).toMatchObject({ memory_status: 'ok', total_partition_field_count: 200, bucket_allocation_failures_count: 0 });
  });
});

describe('AnomalyJob: renormalisation', () => {
  it('lowers earlier scores as anomalies crowd the window; initial scores stay', () => {
    const job = makeJob('renorm', { detectors: [{ function: 'count', partition_field_name: 'host' }] }, { renormalization_window_days: 30 });
    const rnd = new Random(5);
    const docs: { ts: number; host: string }[] = [];
    const hosts = 20;
    for (let h = 0; h < 24 * 14; h++) {
      for (let k = 0; k < hosts; k++) {
        // from day 3 on, one host after another has one big burst (every 4 hours)
        const burst = h >= 72 && (h - 72) % 4 === 0 && (h - 72) / 4 === k;
        const n = burst ? 400 : 20 + rnd.int(0, 4);
        for (let i = 0; i < n; i++) docs.push({ ts: T0 + h * H + rnd.int(0, H - 1), host: `h${k}` });
      }
    }
    job.postData(sortByTime(docs));
    const res = job.drainResults();
    const bursts = res.records.filter((r) => r.actual![0] >= 400).sort((a, b) => a.timestamp - b.timestamp);
    expect(bursts).toHaveLength(hosts);
    // the first burst was critical when it was the only one; later ones met a crowded window
    expect(bursts[0].initial_record_score).toBeGreaterThan(75);
    expect(bursts[hosts - 1].initial_record_score).toBeLessThan(bursts[0].initial_record_score);
    const updates = job.renormalise();
    const byId = new Map(res.records.map((r) => [resultId(r), r]));
    for (const u of updates) expect(u.result_type === 'bucket' || byId.has(u.id) || u.result_type === 'influencer').toBe(true);
    const update = updates.find((u) => u.id === resultId(bursts[0]));
    expect(update).toBeDefined();
    expect(update!.result_type === 'record' && update!.record_score).toBeLessThan(bursts[0].initial_record_score - 10);
    expect(bursts[0].record_score).toBe(bursts[0].initial_record_score);
    // its bucket moves with it
    expect(updates.some((u) => u.result_type === 'bucket' && u.timestamp === bursts[0].timestamp)).toBe(true);
    // and a second call has nothing new
    expect(job.renormalise()).toEqual([]);
  });
});

describe('AnomalyJob: state', () => {
  function scenario(): { config: JobConfig; docs: Record<string, unknown>[] } {
    const config = validateJobConfig('state', {
      analysis_config: {
        bucket_span: '1h',
        latency: '30m',
        detectors: [
          { function: 'count', by_field_name: 'status', partition_field_name: 'host.name' },
          { function: 'high_mean', field_name: 'bytes', partition_field_name: 'host.name' },
          { function: 'distinct_count', field_name: 'client', over_field_name: 'status' },
          { function: 'rare', by_field_name: 'client' },
        ],
        influencers: ['client', 'host.name'],
      },
      data_description: { time_field: 'ts', time_format: 'epoch_ms' },
      model_plot_config: { enabled: true },
    });
    return { config, docs: webLogs(9) };
  }

  it('a save → JSON → load round trip mid-bucket continues bit for bit', () => {
    const { config, docs } = scenario();
    const opts = { now: () => 0, wallClock: () => 0 };
    const whole = new AnomalyJob(config, opts);
    const cut = Math.floor(docs.length * 0.6);
    whole.postData(docs.slice(0, cut));
    const a = collect(whole);
    whole.postData(docs.slice(cut));
    whole.flush({ calcInterim: true });
    collect(whole, a);

    const first = new AnomalyJob(config, opts);
    first.postData(docs.slice(0, cut));
    const b = collect(first);
    const saved = JSON.parse(JSON.stringify(first.toState()));
    const second = AnomalyJob.fromState(config, saved, opts);
    second.postData(docs.slice(cut));
    second.flush({ calcInterim: true });
    collect(second, b);

    expect(b.records.length).toBeGreaterThan(0);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(second.dataCounts()).toEqual(whole.dataCounts());
    expect(second.modelSizeStats()).toEqual(whole.modelSizeStats());
    expect(second.renormalise()).toEqual(whole.renormalise());
    expect(JSON.stringify(second.toState())).toBe(JSON.stringify(whole.toState()));
  });

  it('refuses unknown state versions and mismatched configurations', () => {
    const { config } = scenario();
    const job = new AnomalyJob(config);
    const s = job.toState();
    expect(() => AnomalyJob.fromState(config, { ...s, version: 99 })).toThrow('version 99');
    expect(() => AnomalyJob.fromState(config, { ...s, type: 'other' })).toThrow('expected [anomaly_job]');
    const other = validateJobConfig('x', { analysis_config: { detectors: [{ function: 'count' }] }, data_description: {} });
    expect(() => AnomalyJob.fromState(other, s)).toThrow('4 detectors');
  });

  it('is deterministic', () => {
    const { config, docs } = scenario();
    const run = (): string => {
      const job = new AnomalyJob(config, { now: () => 0, wallClock: () => 0 });
      job.postData(docs);
      return JSON.stringify(job.drainResults());
    };
    expect(run()).toBe(run());
  });
});

describe('AnomalyJob: custom rules', () => {
  it('skip_result drops records whose conditions hold, and honours scopes with filters', () => {
    const body = (rules: unknown[]) => ({
      analysis_config: { bucket_span: '1h', detectors: [{ function: 'count', partition_field_name: 'host.name', by_field_name: 'status', custom_rules: rules }] },
      data_description: { time_field: 'ts', time_format: 'epoch_ms' },
    });
    const run = (rules: unknown[], filters?: Record<string, string[]>): RecordDoc[] => {
      const job = new AnomalyJob(validateJobConfig('rules', body(rules)), { now: () => 0, wallClock: () => 0, filters });
      job.postData(webLogs(1));
      return job.drainResults().records.filter((r) => r.record_score > 50);
    };
    expect(run([])).toHaveLength(1);
    expect(run([{ conditions: [{ applies_to: 'actual', operator: 'gt', value: 100 }] }])).toHaveLength(0);
    expect(run([{ conditions: [{ applies_to: 'actual', operator: 'lt', value: 100 }] }])).toHaveLength(1);
    expect(run([{ scope: { 'host.name': { filter_id: 'noisy' } } }], { noisy: ['web-*'] })).toHaveLength(0);
    expect(run([{ scope: { 'host.name': { filter_id: 'noisy', filter_type: 'exclude' } } }], { noisy: ['web-2'] })).toHaveLength(1);
  });
});

describe('custom_settings.vigil_model', () => {
  const M5 = 300_000;
  /** A spike every 4 hours, then every hour, at the same height (a change of rhythm, not of level). */
  function rhythm(): { ts: number; v: number }[] {
    const rng = new Random(1);
    return Array.from({ length: 4000 }, (_, i) => ({ ts: T0 + i * M5, v: 20 + rng.normal() + ((i < 3000 ? i % 48 === 0 : i % 12 === 0) ? 15 : 0) }));
  }
  function run(model: string | undefined): { job: AnomalyJob; records: RecordDoc[] } {
    const job = makeJob(`model-${model ?? 'none'}`, { bucket_span: '5m', detectors: [{ function: 'mean', field_name: 'v' }] }, model ? { custom_settings: { vigil_model: model } } : {});
    job.postData(rhythm());
    job.flush({ advanceTime: T0 + 4001 * M5 });
    return { job, records: collect(job).records.filter((r) => !r.is_interim) };
  }
  const after = (records: RecordDoc[]): RecordDoc[] => records.filter((r) => r.timestamp >= T0 + 3000 * M5 && r.timestamp < T0 + 3300 * M5);

  it('auto (the default) gives every series the point model and the shape detector: a change of rhythm the point model alone misses', () => {
    const point = run('point');
    const auto = run('auto');
    expect(Math.max(0, ...after(point.records).map((r) => r.initial_record_score))).toBeLessThan(25);
    expect(Math.max(0, ...after(auto.records).map((r) => r.initial_record_score))).toBeGreaterThanOrEqual(25);
    const state = JSON.stringify(auto.job.toState());
    expect(state).toContain('"type":"auto"');
    expect(state).toContain('"type":"matrix-profile"');
    expect(JSON.stringify(point.job.toState())).not.toContain('"type":"auto"');
    // no vigil_model: auto; `default` is the point model's older name
    expect(run(undefined).records).toEqual(auto.records.map((r) => ({ ...r, job_id: 'model-none' })));
    expect(run('default').records).toEqual(point.records.map((r) => ({ ...r, job_id: 'model-default' })));
  });

  it('a job created before auto became the default (no series_model stored) keeps the point model', () => {
    const config = validateJobConfig('legacy', { analysis_config: { bucket_span: '5m', detectors: [{ function: 'mean', field_name: 'v' }] }, data_description: { time_field: 'ts', time_format: 'epoch_ms' } });
    expect(config.series_model).toBe('auto');
    delete config.series_model; // as stored by earlier versions
    const job = new AnomalyJob(config, {});
    job.postData(rhythm());
    job.flush({ advanceTime: T0 + 4001 * M5 });
    expect(JSON.stringify(job.toState())).not.toContain('"type":"auto"');
    const point = run('point');
    expect(collect(job).records.filter((r) => !r.is_interim)).toEqual(point.records.map((r) => ({ ...r, job_id: 'legacy' })));
  });

  it('an update of custom_settings keeps the model of a job stored before series_model existed', () => {
    const base = { analysis_config: { bucket_span: '5m', detectors: [{ function: 'mean', field_name: 'v' }] }, data_description: { time_field: 'ts' } };
    for (const [asked, kept] of [['auto', 'auto'], [undefined, 'default']] as const) {
      const stored = validateJobConfig('legacy', asked ? { ...base, custom_settings: { vigil_model: asked } } : base);
      delete stored.series_model; // as stored before
      expect(updateJobConfig(stored, { custom_settings: { vigil_sensitivity: 'high' } }).series_model).toBe(kept);
      expect(updateJobConfig(stored, { custom_settings: null }).series_model).toBe(kept);
      expect(updateJobConfig(stored, { description: 'x' }).series_model).toBe(kept);
    }
  });

    it('is validated, and cannot be changed on an existing job', () => {
    const base = { analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] }, data_description: { time_field: 't' } };
    expect(() => validateJobConfig('bad', { ...base, custom_settings: { vigil_model: 'fancy' } })).toThrow(/vigil_model must be one of \[auto, point\]; got \["fancy"\]/);
    const pointJob = validateJobConfig('m', { ...base, custom_settings: { vigil_model: 'point' } });
    expect(pointJob.series_model).toBe('default');
    expect(() => updateJobConfig(pointJob, { custom_settings: { vigil_model: 'auto' } })).toThrow(/vigil_model cannot be changed on an existing job: its models are \[point\]; create a new job with \[auto\]/);
    // custom_settings without vigil_model keep the job's model; the same model again is accepted
    const updated = updateJobConfig(pointJob, { custom_settings: { vigil_sensitivity: 'high' } });
    expect(updated.custom_settings).toEqual({ vigil_sensitivity: 'high' });
    expect(updated.series_model).toBe('default');
    expect(updateJobConfig(pointJob, { custom_settings: { vigil_model: 'default' } }).custom_settings).toEqual({ vigil_model: 'default' });
    const plain = validateJobConfig('p', base);
    expect(plain.series_model).toBe('auto');
    expect(() => updateJobConfig(plain, { custom_settings: { vigil_model: 'point' } })).toThrow(/its models are \[auto\]; create a new job with \[point\]/);
    expect(updateJobConfig(plain, { custom_settings: { vigil_model: 'auto' } }).series_model).toBe('auto');
  });
});

describe('values a metric cannot read as numbers', () => {
  it('count as missing fields and are told (document index, field, value); the rest of the document is processed', () => {
    const job = makeJob('bad-values', { detectors: [{ function: 'mean', field_name: 'v', by_field_name: 'host' }] });
    const seen: [number, string, unknown, string][] = [];
    const docs = [
      { ts: T0, v: 1, host: 'a' },
      { ts: T0 + 1, v: 'x', host: 'a' }, // not a number
      { ts: T0 + 2, v: '12.5', host: 'a' }, // a numeric string is a number (as Elastic reads it)
      { ts: T0 + 3, v: true, host: 'a' },
      { ts: T0 + 4, v: 'NaN', host: 'b' },
      { ts: T0 + 5, host: 'b' }, // absent: missing, not invalid
      { ts: T0 + 6, v: null, host: 'b' },
    ];
    job.postData(docs, { onInvalidValue: (i, f, v, p) => seen.push([i, f, v, p]) });
    expect(seen).toEqual([
      [1, 'v', 'x', 'not_a_number'],
      [3, 'v', true, 'not_a_number'],
      [4, 'v', 'NaN', 'not_a_number'],
    ]);
    const c = job.dataCounts();
    expect(c.processed_record_count).toBe(7);
    expect(c.missing_field_count).toBe(5);
    expect(c.processed_field_count).toBe(7 * 2 - 5);
  });

  it('a time more than a year and 100 000 buckets after the newest is refused as a typo; skip_time or shorter gaps are taken', () => {
    const job = makeJob('jump', { bucket_span: '5m', detectors: [{ function: 'mean', field_name: 'v' }] });
    const seen: [number, string, unknown, string][] = [];
    const on = { onInvalidValue: (i: number, f: string, v: unknown, p: string) => seen.push([i, f, v, p]) };
    const typo = Date.UTC(2204, 0, 1);
    const t = performance.now();
    job.postData([{ ts: T0, v: 1 }, { ts: typo, v: 2 }, { ts: T0 + 300 * DAY, v: 3 }], on);
    expect(performance.now() - t).toBeLessThan(5_000); // not 19 M empty buckets
    expect(seen).toEqual([[1, 'ts', typo, 'time_jump']]);
    expect(job.dataCounts()).toMatchObject({ processed_record_count: 2, invalid_date_count: 1, latest_record_timestamp: T0 + 300 * DAY });
    expect(collect(job).buckets.length).toBeLessThan(300 * 288 + 10);
    // a flush that skips time moves the newest time: data there is taken
    job.flush({ skipTime: typo });
    job.postData([{ ts: typo + 60_000, v: 4 }], on);
    expect(seen.length).toBe(1);
    expect(job.dataCounts().processed_record_count).toBe(3);
  });

  it('a categorical field (distinct_count, by) is not read as a number', () => {
    const job = makeJob('words', { detectors: [{ function: 'distinct_count', field_name: 'word' }] });
    const seen: unknown[] = [];
    job.postData([{ ts: T0, word: 'hello' }], { onInvalidValue: (...a) => seen.push(a) });
    expect(seen).toEqual([]);
    expect(job.dataCounts().missing_field_count).toBe(0);
  });
});

describe('model plot of empty buckets', () => {
  it('a metric has no actual where the bucket held no value (missing, not 0); a count has a real 0', () => {
    const docs = Array.from({ length: 48 }, (_, h) => ({ ts: T0 + h * H, v: 10 })).filter((d) => d.ts < T0 + 20 * H || d.ts >= T0 + 23 * H);
    const plots = (fn: Record<string, unknown>): Map<number, number | undefined> => {
      const job = makeJob(`plot-${fn.function as string}`, { detectors: [fn] }, { model_plot_config: { enabled: true } });
      job.postData(docs);
      job.flush({ advanceTime: T0 + 48 * H });
      return new Map(collect(job).modelPlots.filter((p) => !p.is_interim).map((p) => [p.timestamp, p.actual]));
    };
    const mean = plots({ function: 'mean', field_name: 'v' });
    const count = plots({ function: 'count' });
    for (const h of [20, 21, 22]) {
      expect(mean.has(T0 + h * H)).toBe(true); // the bucket is plotted (bounds), without an actual
      expect(mean.get(T0 + h * H)).toBeUndefined();
      expect(count.get(T0 + h * H)).toBe(0);
    }
    expect(mean.get(T0 + 10 * H)).toBe(10);
    expect(count.get(T0 + 10 * H)).toBe(1);
  });
});

describe('an entity whose first record arrives late', () => {
  it('learns the earlier bucket too, as if the records had come in order (within the latency)', () => {
    const M5 = 300_000;
    const states = (['in order', 'late'] as const).map((order) => {
      const job = new AnomalyJob(
        validateJobConfig('l', { analysis_config: { bucket_span: '5m', latency: '20m', detectors: [{ function: 'mean', field_name: 'v', partition_field_name: 'p' }] }, data_description: { time_field: 'ts', time_format: 'epoch_ms' } }),
        { now: () => 0, wallClock: () => 0 },
      );
      const d0 = { ts: T0 + 1000, p: 'b', v: 5 };
      const d1 = { ts: T0 + M5 + 1000, p: 'b', v: 7 };
      job.postData(order === 'late' ? [d1, d0] : [d0, d1]);
      job.flush({ advanceTime: T0 + 10 * M5 });
      job.drainResults();
      return JSON.stringify(job.toState()).replace(/"(create|last|latest|earliest)[a-z_]*":\d+/g, '');
    });
    expect(states[1]).toEqual(states[0]);
  });
});
