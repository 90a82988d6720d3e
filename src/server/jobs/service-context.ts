/**
 * What the parts of the jobs service share (job-catalog, job-lifecycle, job-data, model-snapshots,
 * bucket-feed, job-stats): the store, the engine, the write-ahead-log folder, the clock and limits,
 * the open jobs and those waiting for capacity, one queue per job, the hooks and the logger; and the
 * options of JobService that set them.
 */
import { join } from 'node:path';
import { VigilError } from '../../core/errors.js';
import type { JobConfig, JobControls, ValidateJobOptions } from '../../engine/job/index.js';
import type { JobRecord, Store } from '../../store/store.js';
import type { EngineFactory } from './engine-port.js';
import { Serial, type OpenJob } from './open-job.js';

/** What src/server/control adds to the job life cycle (filters, calendars, annotations). */
export interface JobHooks {
  /** Filters and scheduled events in force for a job. */
  controlsFor?(jobId: string, config: JobConfig): Promise<JobControls>;
  /** Checks a configuration before it is stored (filters that custom rules refer to exist). */
  checkConfig?(config: JobConfig): Promise<void>;
  /** Model-change annotations the engine produced (stored by id: replays rewrite them). */
  onAnnotations?(jobId: string, docs: Record<string, unknown>[]): Promise<void>;
  /** A job was reset (annotations: model-change ones, and user ones when asked) or reverted (those after `after`). */
  onWipe?(jobId: string, o: { after?: number; userAnnotations: boolean }): Promise<void>;
  /** A job was deleted (Elastic takes it out of its calendars). */
  onDelete?(jobId: string): Promise<void>;
}

export interface NodeInfo {
  id: string;
  name: string;
  ephemeral_id: string;
  transport_address: string;
  attributes: Record<string, string>;
}

export type ServiceLog = { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };

export interface JobServiceOptions {
  store: Store;
  engine: EngineFactory;
  /** Root of the per-job write-ahead logs; without it nothing is durable (tests, in-memory use). */
  walDir?: string;
  clock?: () => number;
  node?: NodeInfo;
  log?: ServiceLog;
  maxOpenJobs?: number;
  /** Limits checked before a job is created and before a `_data` batch is accepted (src/server/security/limits.ts JobGuard). */
  guard?: JobGuard;
  /** Snapshot after this many WAL records since the last one (default 1000). */
  snapshotEveryOps?: number;
  /** Snapshot after this many WAL bytes since the last one (default 64 MiB). */
  snapshotEveryBytes?: number;
  /** Wall-time snapshot interval when the job sets no background_persist_interval (default 3 h). */
  snapshotIntervalMs?: number;
  /** Snapshots kept per job (default 3). */
  snapshotsKept?: number;
  validateOptions?: ValidateJobOptions;
}

/** Checks of configured limits; each throws a VigilError naming the limit. */
export interface JobGuard {
  beforeCreate(existingJobs: number): void;
  beforeData(job: { job_id: string; config: unknown; stats: () => Record<string, unknown> }, docs: Record<string, unknown>[]): void;
  forget(jobId: string): void;
}

const DEFAULT_NODE: NodeInfo = {
  id: 'vigil-node',
  name: 'vigil',
  ephemeral_id: 'vigil',
  transport_address: '127.0.0.1:9300',
  attributes: {},
};

export class ServiceContext {
  readonly store: Store;
  readonly engine: EngineFactory;
  readonly walDir: string | undefined;
  readonly clock: () => number;
  readonly node: NodeInfo;
  log: ServiceLog;
  readonly opts: Required<Pick<JobServiceOptions, 'maxOpenJobs' | 'snapshotEveryOps' | 'snapshotEveryBytes' | 'snapshotIntervalMs' | 'snapshotsKept'>>;
  readonly validateOptions: ValidateJobOptions;
  readonly guard: JobGuard | undefined;
  hooks: JobHooks = {};
  readonly open = new Map<string, OpenJob>();
  readonly queues = new Map<string, Serial>();
  /** Serialises job creation/deletion (id uniqueness against groups). */
  readonly catalog = new Serial();
  /** Jobs opened lazily, waiting for capacity (allow_lazy_open), in arrival order. */
  readonly waiting: string[] = [];
  stopping = false;

  constructor(o: JobServiceOptions) {
    this.store = o.store;
    this.engine = o.engine;
    this.walDir = o.walDir;
    this.clock = o.clock ?? Date.now;
    this.node = o.node ?? DEFAULT_NODE;
    this.log = o.log ?? { info() {}, warn() {}, error() {} };
    this.opts = {
      maxOpenJobs: o.maxOpenJobs ?? 512,
      snapshotEveryOps: o.snapshotEveryOps ?? 1000,
      snapshotEveryBytes: o.snapshotEveryBytes ?? 64 * 2 ** 20,
      snapshotIntervalMs: o.snapshotIntervalMs ?? 3 * 3_600_000,
      snapshotsKept: o.snapshotsKept ?? 3,
    };
    this.validateOptions = o.validateOptions ?? {};
    this.guard = o.guard;
  }

  /** The job's queue: its posts, flushes, updates, snapshots and closes run one after another. */
  queue(jobId: string): Serial {
    let q = this.queues.get(jobId);
    if (!q) this.queues.set(jobId, (q = new Serial()));
    return q;
  }

  checkRunning(): void {
    if (this.stopping) throw new VigilError('SHUTTING_DOWN', 'the server is shutting down');
  }

  async requireJob(jobId: string): Promise<JobRecord> {
    const rec = await this.store.getJob(jobId);
    if (!rec) throw new VigilError('RESOURCE_NOT_FOUND', `No known job with id '${jobId}'`);
    return rec;
  }

  openJobOrConflict(jobId: string): OpenJob {
    const job = this.open.get(jobId);
    if (!job || job.closing) throw new VigilError('JOB_STATE_CONFLICT', `Cannot perform requested action because job [${jobId}] is not open`);
    return job;
  }

  /** Runs `fn` on the open job inside its queue; a job that is not open: 409, Elastic's "Cannot perform requested action because job [id] is not open". */
  async withOpenJob<T>(jobId: string, fn: (job: OpenJob) => Promise<T>): Promise<T> {
    this.checkRunning();
    if (!this.open.has(jobId)) {
      await this.requireJob(jobId);
      this.openJobOrConflict(jobId);
    }
    return this.queue(jobId).run(() => fn(this.openJobOrConflict(jobId)));
  }

  /** Whether the job is open, waiting to open, or recorded as opened or opening (revert and reset want it closed). */
  isInUse(rec: JobRecord): boolean {
    const jobId = rec.job_id;
    return this.open.has(jobId) || this.waiting.includes(jobId) || rec.runtime.state === 'opened' || rec.runtime.state === 'opening';
  }

  /** Takes the job off the waiting list; whether it was on it. */
  dropWaiting(jobId: string): boolean {
    const i = this.waiting.indexOf(jobId);
    if (i >= 0) this.waiting.splice(i, 1);
    return i >= 0;
  }

  walPath(jobId: string): string {
    return join(this.walDir as string, jobId);
  }
}
