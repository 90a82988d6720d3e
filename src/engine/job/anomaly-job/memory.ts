/**
 * A job's model memory: model bytes counted per entity, the memory status (soft limit at 70 % of
 * model_memory_limit, hard limit at the limit: new entities are not modelled), the count of
 * buckets where entities were refused, and Elastic's model_size_stats document.
 */
import type { DetectorRunner } from '../detector-runner.js';

export const SOFT_LIMIT_RATIO = 0.7;

export type MemoryStatus = 'ok' | 'soft_limit' | 'hard_limit';

/** Elastic's model_size_stats document. */
export interface ModelSizeStats {
  job_id: string;
  result_type: 'model_size_stats';
  model_bytes: number;
  peak_model_bytes: number;
  model_bytes_exceeded: number;
  model_bytes_memory_limit: number;
  total_by_field_count: number;
  total_over_field_count: number;
  total_partition_field_count: number;
  bucket_allocation_failures_count: number;
  memory_status: MemoryStatus;
  assignment_memory_basis: 'model_memory_limit';
  categorized_doc_count: number;
  total_category_count: number;
  frequent_category_count: number;
  rare_category_count: number;
  dead_category_count: number;
  failed_category_count: number;
  categorization_status: 'ok';
  log_time: number;
  timestamp?: number;
}

/** What the job's state keeps of its memory (the layout of JobStateBody.memory). */
export interface MemoryState {
  bytes: number;
  peak: number;
  status: MemoryStatus;
  failures: number;
  statusTime: number;
  since: number;
}

export class MemoryAccount {
  state: MemoryState = { bytes: 0, peak: 0, status: 'ok', failures: 0, statusTime: 0, since: 0 };
  /** Estimated bytes of the entities added since the last exact count. */
  estimatedExtra = 0;
  private readonly newEntityCostMax: number;

  /**
   * @param limit model_memory_limit in bytes.
   * @param nextBucket the job's earliest bucket that is not final (NaN before any), the time of a status change.
   */
  constructor(
    private readonly runners: readonly DetectorRunner[],
    private readonly limit: number,
    private readonly nextBucket: () => number,
  ) {
    this.newEntityCostMax = Math.max(1000, ...runners.map((r) => r.newEntityBytes()));
  }

  /** Whether a new entity may be modelled (its estimated cost is counted when it may). */
  allowNewEntity(): boolean {
    if (this.state.status === 'hard_limit') return false;
    const limit = this.limit;
    const cost = this.newEntityCostMax;
    if (this.state.bytes + this.estimatedExtra + cost > limit) {
      this.setStatus('hard_limit');
      return false;
    }
    this.estimatedExtra += cost;
    return true;
  }

  private setStatus(status: MemoryStatus): void {
    if (this.state.status !== status) {
      this.state.status = status;
      const next = this.nextBucket();
      this.state.statusTime = Number.isNaN(next) ? 0 : next;
    }
  }

  /**
   * Model bytes are counted exactly every 32 buckets, and every bucket once memory is above half
   * the limit; in between, new entities are added at their estimated cost (counting every model
   * every bucket cost a fifth of the engine's time).
   */
  update(force: boolean): void {
    const limit = this.limit;
    const m = this.state;
    m.since++;
    if (!force && m.since < 32 && m.bytes + this.estimatedExtra < 0.5 * limit && m.status === 'ok') return;
    m.since = 0;
    let bytes = 0;
    for (const r of this.runners) bytes += r.memoryBytes();
    m.bytes = bytes;
    this.estimatedExtra = 0;
    if (bytes > m.peak) m.peak = bytes;
    // hard_limit stays until memory has come well below the limit (pruning), as in Elastic
    if (m.status === 'hard_limit' && bytes > SOFT_LIMIT_RATIO * limit) return;
    this.setStatus(bytes >= limit ? 'hard_limit' : bytes >= SOFT_LIMIT_RATIO * limit ? 'soft_limit' : 'ok');
  }

  /** A bucket became final; `refused`: new entities not modelled in it for memory. */
  bucketFinalized(refused: number): void {
    if (refused > 0) this.state.failures++;
    this.update(false);
  }

  /** Elastic's model_size_stats from the last count (see {@link update}); `timestamp`: the start of the last final bucket, when there is one. */
  sizeStats(jobId: string, logTime: number, timestamp: number | undefined): ModelSizeStats {
    let by = 0;
    let over = 0;
    let partition = 0;
    for (const r of this.runners) {
      const c = r.counts();
      by += c.by;
      over += c.over;
      partition += c.partition;
    }
    const limit = this.limit;
    const out: ModelSizeStats = {
      job_id: jobId,
      result_type: 'model_size_stats',
      model_bytes: this.state.bytes,
      peak_model_bytes: this.state.peak,
      model_bytes_exceeded: Math.max(0, this.state.bytes - limit),
      model_bytes_memory_limit: limit,
      total_by_field_count: by,
      total_over_field_count: over,
      total_partition_field_count: partition,
      bucket_allocation_failures_count: this.state.failures,
      memory_status: this.state.status,
      assignment_memory_basis: 'model_memory_limit',
      categorized_doc_count: 0,
      total_category_count: 0,
      frequent_category_count: 0,
      rare_category_count: 0,
      dead_category_count: 0,
      failed_category_count: 0,
      categorization_status: 'ok',
      log_time: logTime,
    };
    if (timestamp !== undefined) out.timestamp = timestamp;
    return out;
  }
}
