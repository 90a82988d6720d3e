/**
 * A stand-in job engine for server tests: counts documents per bucket and reports each finished
 * bucket with a made-up score (the event count), one record per bucket, and interim buckets on
 * flush. Deterministic and serialisable, so durability tests can compare runs. Not a model.
 */
import type { JobConfig } from '../../engine/job/index.js';
import { jobSettings } from '../../engine/job/index.js';
import type { ResultDoc } from '../../store/store.js';
import type { DataCountsDelta, EngineFactory, EngineJob, FlushOptions } from '../jobs/engine-port.js';

interface FakeState {
  current: number | undefined;
  count: number;
  buckets: number;
  latest: number | undefined;
}

export class FakeEngineJob implements EngineJob {
  private out: ResultDoc[] = [];
  private readonly span: number;
  private readonly timeField: string;
  private readonly epochSeconds: boolean;
  constructor(
    private config: JobConfig,
    private s: FakeState = { current: undefined, count: 0, buckets: 0, latest: undefined },
  ) {
    this.span = jobSettings(config).bucketSpanMs;
    this.timeField = config.data_description.time_field ?? 'time';
    this.epochSeconds = (config.data_description.time_format ?? 'epoch') === 'epoch';
  }

  private finish(upTo: number): number {
    let done = 0;
    while (this.s.current !== undefined && this.s.current + this.span <= upTo) {
      const ts = this.s.current;
      this.out.push({ job_id: this.config.job_id, result_type: 'bucket', timestamp: ts, bucket_span: this.span / 1000, anomaly_score: Math.min(100, this.s.count), initial_anomaly_score: Math.min(100, this.s.count), event_count: this.s.count, is_interim: false });
      this.out.push({ job_id: this.config.job_id, result_type: 'record', timestamp: ts, bucket_span: this.span / 1000, detector_index: 0, function: 'count', record_score: Math.min(100, this.s.count), initial_record_score: Math.min(100, this.s.count), probability: 1 / (1 + this.s.count), is_interim: false });
      this.s.buckets++;
      done++;
      this.s.count = 0;
      this.s.current = ts + this.span;
      if (this.s.current + this.span > upTo) this.s.current = undefined;
    }
    return done;
  }

  postData(docs: unknown[]): DataCountsDelta {
    const d: DataCountsDelta = { processed_record_count: 0, invalid_date_count: 0, missing_field_count: 0, bucket_count: 0 };
    for (const doc of docs as Record<string, unknown>[]) {
      const raw = doc[this.timeField];
      if (raw === undefined) {
        d.missing_field_count!++;
        continue;
      }
      const t = Number(raw) * (this.epochSeconds ? 1000 : 1);
      if (!Number.isFinite(t)) {
        d.invalid_date_count!++;
        continue;
      }
      const b = Math.floor(t / this.span) * this.span;
      if (this.s.current !== undefined && b > this.s.current) d.bucket_count! += this.finish(b);
      if (this.s.current === undefined) this.s.current = b;
      this.s.count++;
      d.processed_record_count!++;
      if (d.earliest_record_timestamp === undefined) d.earliest_record_timestamp = t;
      d.latest_record_timestamp = t;
      this.s.latest = t;
    }
    return d;
  }

  flush(o: FlushOptions): { lastFinalizedBucketEnd?: number } {
    if (o.advanceTime !== undefined) this.finish(o.advanceTime);
    if (o.calcInterim && this.s.current !== undefined) {
      this.out.push({ job_id: this.config.job_id, result_type: 'bucket', timestamp: this.s.current, bucket_span: this.span / 1000, anomaly_score: Math.min(100, this.s.count), initial_anomaly_score: Math.min(100, this.s.count), event_count: this.s.count, is_interim: true });
    }
    return { lastFinalizedBucketEnd: this.s.current ?? (this.s.latest !== undefined ? Math.floor(this.s.latest / this.span) * this.span + this.span : 0) };
  }

  drainResults(): ResultDoc[] {
    const o = this.out;
    this.out = [];
    return o;
  }
  modelSizeStats(): Record<string, unknown> {
    return { model_bytes: 100, memory_status: 'ok', total_by_field_count: 1 };
  }
  timingStats(): Record<string, unknown> {
    return { bucket_count: this.s.buckets };
  }
  toState(): unknown {
    return { type: 'fake', version: 1, state: { ...this.s } };
  }
}

export const fakeEngine: EngineFactory = {
  create: (config) => new FakeEngineJob(config),
  restore: (config, state) => new FakeEngineJob(config, { ...(state as { state: FakeState }).state }),
};
