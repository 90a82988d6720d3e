/**
 * A stand-in job engine for server tests: counts documents per bucket and reports each finished
 * bucket and one record per bucket with a made-up score (the event count, later renormalised
 * against the largest count seen), and interim buckets on flush. Deterministic and serialisable,
 * so durability tests can compare runs. Not a model.
 */
import type { JobConfig } from '../../engine/job/index.js';
import { jobSettings } from '../../engine/job/index.js';
import { resultId } from '../../store/result-id.js';
import type { ResultDoc } from '../../store/store.js';
import { emptyDataCounts, type DataCounts } from '../jobs/data-counts.js';
import type { DrainedResults, EngineFactory, EngineJob, EngineOptions, FlushOptions, ScoreUpdate } from '../jobs/engine-port.js';

interface FakeState {
  current: number | undefined;
  count: number;
  buckets: number;
  latest: number | undefined;
  counts: DataCounts;
  kept: { id: string; timestamp: number; count: number; score: number }[];
  maxCount: number;
  interimOut: boolean;
}

const emptyDrain = (): DrainedResults => ({ clearInterim: false, buckets: [], records: [], influencers: [], modelPlots: [] });

export class FakeEngineJob implements EngineJob {
  private out = emptyDrain();
  private readonly span: number;
  private readonly timeField: string;
  private readonly epochSeconds: boolean;
  private readonly s: FakeState;
  constructor(
    private config: JobConfig,
    private readonly options: EngineOptions = {},
    state?: FakeState,
  ) {
    this.span = jobSettings(config).bucketSpanMs;
    this.timeField = config.data_description.time_field ?? 'time';
    this.epochSeconds = (config.data_description.time_format ?? 'epoch') === 'epoch';
    this.s = state ?? { current: undefined, count: 0, buckets: 0, latest: undefined, counts: emptyDataCounts(config.job_id), kept: [], maxCount: 1, interimOut: false };
  }

  private finish(upTo: number): void {
    while (this.s.current !== undefined && this.s.current + this.span <= upTo) {
      const ts = this.s.current;
      const score = Math.min(100, this.s.count);
      const bucket: ResultDoc = { job_id: this.config.job_id, result_type: 'bucket', timestamp: ts, bucket_span: this.span / 1000, anomaly_score: score, initial_anomaly_score: score, event_count: this.s.count, is_interim: false };
      const record: ResultDoc = { job_id: this.config.job_id, result_type: 'record', timestamp: ts, bucket_span: this.span / 1000, detector_index: 0, function: 'count', record_score: score, initial_record_score: score, probability: 1 / (1 + this.s.count), is_interim: false };
      this.out.buckets.push(bucket);
      this.out.records.push(record);
      if (this.s.interimOut) {
        this.out.clearInterim = true;
        this.s.interimOut = false;
      }
      this.s.kept.push({ id: resultId(record), timestamp: ts, count: this.s.count, score });
      this.s.maxCount = Math.max(this.s.maxCount, this.s.count);
      this.s.buckets++;
      this.s.counts.bucket_count++;
      this.s.counts.latest_bucket_timestamp = ts;
      this.s.count = 0;
      this.s.current = ts + this.span;
      if (this.s.current + this.span > upTo) this.s.current = undefined;
    }
  }

  postData(docs: Record<string, unknown>[], o: { inputBytes?: number }): void {
    const c = this.s.counts;
    for (const doc of docs) {
      c.input_record_count++;
      const raw = doc[this.timeField];
      if (raw === undefined) {
        c.missing_field_count++;
        continue;
      }
      const t = Number(raw) * (this.epochSeconds ? 1000 : 1);
      if (!Number.isFinite(t)) {
        c.invalid_date_count++;
        continue;
      }
      const b = Math.floor(t / this.span) * this.span;
      if (this.s.current !== undefined && b > this.s.current) this.finish(b);
      if (this.s.current === undefined) this.s.current = b;
      this.s.count++;
      c.processed_record_count++;
      if (c.earliest_record_timestamp === undefined) c.earliest_record_timestamp = t;
      c.latest_record_timestamp = t;
      this.s.latest = t;
    }
    c.input_bytes += o.inputBytes ?? 0;
    c.last_data_time = this.options.wallClock?.() ?? 0;
  }

  dataCounts(): Record<string, unknown> {
    return { ...this.s.counts };
  }

  flush(o: FlushOptions): { last_finalized_bucket_end?: number } {
    if (o.advanceTime !== undefined) this.finish(o.advanceTime);
    if (o.calcInterim && this.s.current !== undefined) {
      if (this.s.interimOut) this.out.clearInterim = true;
      this.out.buckets.push({ job_id: this.config.job_id, result_type: 'bucket', timestamp: this.s.current, bucket_span: this.span / 1000, anomaly_score: Math.min(100, this.s.count), initial_anomaly_score: Math.min(100, this.s.count), event_count: this.s.count, is_interim: true });
      this.s.interimOut = true;
    }
    return { last_finalized_bucket_end: this.s.current ?? (this.s.latest !== undefined ? Math.floor(this.s.latest / this.span) * this.span + this.span : 0) };
  }

  drainResults(): DrainedResults {
    const o = this.out;
    this.out = emptyDrain();
    return o;
  }

  renormalise(): ScoreUpdate[] {
    const ups: ScoreUpdate[] = [];
    for (const k of this.s.kept) {
      const s = Math.round((100 * k.count) / this.s.maxCount);
      if (s !== k.score) {
        k.score = s;
        ups.push({ id: k.id, result_type: 'record', timestamp: k.timestamp, record_score: s });
      }
    }
    return ups;
  }

  modelSizeStats(): Record<string, unknown> {
    return { model_bytes: 100, memory_status: 'ok', total_by_field_count: 1 };
  }
  timingStats(): Record<string, unknown> {
    return { bucket_count: this.s.buckets };
  }
  toState(): unknown {
    return { type: 'fake', version: 1, state: structuredClone(this.s) };
  }
}

export const fakeEngine: EngineFactory = {
  create: (config, options) => new FakeEngineJob(config, options),
  restore: (config, state, options) => new FakeEngineJob(config, options, structuredClone((state as { state: FakeState }).state)),
  resultId,
};
