/** An open job in memory (its record, configuration, engine, write-ahead log and progress), and the queue that serialises its operations. */
import type { JobConfig, JobControls } from '../../engine/job/index.js';
import type { JobRecord } from '../../store/store.js';
import type { JobWal } from '../../store/wal.js';
import { emptyDataCounts, type DataCounts } from './data-counts.js';
import type { EngineJob } from './engine-port.js';

/** An open job in memory. */
export interface OpenJob {
  record: JobRecord;
  config: JobConfig;
  engine: EngineJob;
  wal: JobWal | undefined;
  counts: DataCounts;
  queue: Promise<unknown>;
  opsSinceSnapshot: number;
  lastSnapshotAt: number;
  lastSnapshotId: number;
  latestResultTime: number | undefined;
  closing: boolean;
  /** JSON of the controls last given to the engine ('' before any). */
  controls: string;
  /** Final buckets not yet handed to bucket listeners, and what listeners are still doing. */
  finalBuckets: number[];
  feeding: Promise<unknown>[];
}

/** Runs operations one after another. */
export class Serial {
  tail: Promise<unknown> = Promise.resolve();
  /** Operations queued or running (for the queue-length metric). */
  pending = 0;
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.pending++;
    const next = this.tail.then(fn, fn).finally(() => this.pending--);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** The engine's data counts of job `jobId`, every field present. */
export function engineCounts(jobId: string, engine: EngineJob): DataCounts {
  return { ...emptyDataCounts(jobId), ...engine.dataCounts() } as DataCounts;
}

/** The runtime fields of an open job's record. */
export function runtimeOf(job: OpenJob): Partial<JobRecord['runtime']> {
  return {
    data_counts: job.counts,
    model_size_stats: job.engine.modelSizeStats(),
    timing_stats: job.engine.timingStats(),
    model_snapshot_id: job.record.runtime.model_snapshot_id,
  };
}

/** An open job takes an updated configuration (its engine: rules and sensitivity). */
export function applyConfig(job: OpenJob, next: JobConfig): void {
  job.config = next;
  const e = job.engine as EngineJob & { updateConfig?: (c: JobConfig) => void };
  e.updateConfig?.(next);
}

/** An open job takes filters and scheduled events. */
export function applyControls(job: OpenJob, c: JobControls): void {
  job.controls = JSON.stringify(c);
  job.engine.setControls?.(c);
}
