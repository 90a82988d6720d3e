/**
 * Limits other than the body size (fastify's bodyLimit) and open jobs (the jobs service's
 * max_open_jobs): the request rate per principal (token buckets), the number of jobs and the
 * entities per job (a JobGuard the jobs service calls), and concurrent historical runs (a
 * RunLimiter the upload route and datafeeds use). Each refusal names the setting to raise.
 */
import { VigilError } from '../../core/errors.js';
import type { OpsLimits } from './config.js';

/** Token buckets keyed by principal: `rate` tokens per second, at most `burst` stored. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Takes a token; returns 0 when allowed, else the seconds until one is available. */
  take(key: string): number {
    if (this.rate <= 0) return 0;
    const now = this.clock();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 100_000) this.sweep(now);
      this.buckets.set(key, (b = { tokens: this.burst, at: now }));
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.rate));
  }

  /** The seconds until `take(key)` would be allowed (0: now), without taking a token. */
  wait(key: string): number {
    if (this.rate <= 0) return 0;
    const b = this.buckets.get(key);
    if (!b) return 0;
    const tokens = Math.min(this.burst, b.tokens + ((this.clock() - b.at) / 1000) * this.rate);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.rate));
  }

  /** Drops full buckets (idle principals) so the map stays small. */
  private sweep(now: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.rate >= this.burst) this.buckets.delete(k);
  }
}

/** A counting semaphore for long runs: `tryAcquire` refuses at the limit, `acquire` queues. */
export class RunLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    readonly max: number,
    private readonly what = 'limits.max_concurrent_historical_runs',
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** A release function, or a LIMIT_EXCEEDED error when `max` runs are going. */
  tryAcquire(label = 'historical run'): () => void {
    if (this.running >= this.max) {
      throw new VigilError('LIMIT_EXCEEDED', `cannot start the ${label}: ${this.running} historical runs are going and ${this.what} is ${this.max}; retry when one has finished`);
    }
    this.running++;
    return this.releaser();
  }

  /** Waits for a free slot (datafeed look-backs queue, as in the seed's `max_parallel_…` settings). */
  async acquire(): Promise<() => void> {
    if (this.running < this.max) {
      this.running++;
      return this.releaser();
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next(); // the slot passes to the next waiter
      else this.running--;
    };
  }
}

interface DetectorFields {
  partition_field_name?: string;
  by_field_name?: string;
  over_field_name?: string;
}

function fieldValue(doc: Record<string, unknown>, name: string): unknown {
  if (name in doc) return doc[name];
  let cur: unknown = doc;
  for (const part of name.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Checks the jobs service calls (see JobService's `guard` option): job creation against
 * limits.max_jobs and each `_data` batch against limits.max_entities_per_job.
 *
 * Entities are the distinct values of a job's partition, by and over fields. The guard remembers
 * the values it has admitted per job since the job was opened in this process; after a restart it
 * starts from the engine's own counts (model_size_stats total_*_field_count), so a value the job
 * already knew may count again until the guard has seen it — the limit can refuse a little early
 * after a restart, never late.
 */
export class JobGuard {
  private readonly seen = new Map<string, Set<string>>();
  constructor(private readonly limits: Pick<OpsLimits, 'max_jobs' | 'max_entities_per_job'>) {}

  beforeCreate(existingJobs: number): void {
    if (existingJobs >= this.limits.max_jobs) {
      throw new VigilError('LIMIT_EXCEEDED', `cannot create another job: ${existingJobs} jobs exist and limits.max_jobs is ${this.limits.max_jobs}; delete jobs or raise the limit`);
    }
  }

  beforeData(job: { job_id: string; config: unknown; stats: () => Record<string, unknown> }, docs: Record<string, unknown>[]): void {
    const detectors = ((job.config as { analysis_config?: { detectors?: DetectorFields[] } }).analysis_config?.detectors ?? []) as DetectorFields[];
    const fields = new Set<string>();
    for (const d of detectors) for (const f of [d.partition_field_name, d.by_field_name, d.over_field_name]) if (f) fields.add(f);
    if (fields.size === 0) return;
    let seen = this.seen.get(job.job_id);
    if (!seen) this.seen.set(job.job_id, (seen = new Set()));
    const fresh = new Set<string>();
    for (const doc of docs) {
      if (doc === null || typeof doc !== 'object') continue;
      for (const f of fields) {
        const v = fieldValue(doc, f);
        if (v === undefined || v === null) continue;
        const key = `${f}\u0000${typeof v === 'string' ? v : JSON.stringify(v)}`;
        if (!seen.has(key)) fresh.add(key);
      }
    }
    if (fresh.size === 0) return;
    // the engine's counts only matter when the guard may not know every value (after a restart)
    let known = seen.size;
    if (known + fresh.size > this.limits.max_entities_per_job) {
      const stats = job.stats();
      const engineCount = ['total_partition_field_count', 'total_by_field_count', 'total_over_field_count'].reduce((s, k) => s + (Number(stats[k]) || 0), 0);
      known = Math.max(known, engineCount);
    }
    if (known + fresh.size > this.limits.max_entities_per_job) {
      throw new VigilError(
        'LIMIT_EXCEEDED',
        `[${job.job_id}] the batch brings ${fresh.size} new entities (values of ${[...fields].join(', ')}) to a job that has ${known}; limits.max_entities_per_job is ${this.limits.max_entities_per_job}. Nothing of this batch was processed`,
      );
    }
    for (const k of fresh) seen.add(k);
  }

  forget(jobId: string): void {
    this.seen.delete(jobId);
  }
}
