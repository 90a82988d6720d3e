/**
 * Datafeeds: Elastic's datafeed life cycle over the jobs service. A started datafeed reads its
 * source in time order and posts what it reads to its job through the same `_data` / `_flush`
 * path as any client (write-ahead-logged by the jobs service):
 *
 * - historical (`end` given): chunk by chunk (`chunking_config`) from `start` to `end`, then the
 *   job is flushed and closed and the datafeed stops;
 * - live (no `end`): the look-back up to now − `query_delay`, then every `frequency` the range
 *   since the last search up to now − `query_delay` (whole buckets), each followed by a flush that
 *   advances the job's time; `max_empty_searches` stops a datafeed that never saw data;
 * - delayed data (`delayed_data_check_config`): now and then the document counts of the buckets of
 *   the check window behind the processed time are searched again and compared with what was
 *   posted; documents that arrived too late are reported in an annotation and in `_stats`.
 *
 * Exactly once: `run.position` says that every document before it was posted; it moves only at
 * page boundaries (pages never split a bucket or a millisecond) after the job accepted the page,
 * and it is persisted. After a crash between the job accepting a page and the position being
 * written, the job's own latest record time (its write-ahead log has the page) moves the position
 * past that page, so a resumed datafeed neither skips nor repeats a bucket. A source that is
 * unavailable is retried (live: at the next search; historical: with back-off) from the position.
 */
import { VigilError } from '../../core/errors.js';
import type { JobConfig } from '../../engine/job/index.js';
import { aggregateRecords } from '../../sources/datafeed/aggregate-records.js';
import { openSource, type OpenSourceContext, type VigilSourceSpec } from '../../sources/datafeed/open-source.js';
import type { BucketPage, DatafeedSource, RecordPage, SearchPage } from '../../sources/datafeed/source.js';
import type { JobService } from '../jobs/job-service.js';
import { feedTiming, matchIds, renderDatafeed, validateDatafeed, type FeedTiming } from './datafeed-config.js';
import { datafeedStats } from './datafeed-stats.js';
import { emptyCounters, type DatafeedAnnotation, type DatafeedRecord, type DatafeedStore } from './datafeed-store.js';
import { checkDelayedData, feedChunk, isTransient, sleep, type FeedDeps, type Running } from './feed-chunk.js';
import { pageToDocs, planFeed, type FeedPlan } from './feed-plan.js';

export interface DatafeedServiceOptions {
  jobs: JobService;
  store: DatafeedStore;
  clock?: () => number;
  /** Opens the embedded store's indices (server). */
  embedded?: OpenSourceContext['embedded'];
  /** Replaces openSource (tests). */
  openSource?: (spec: VigilSourceSpec | undefined, ctx: OpenSourceContext) => DatafeedSource;
  /** false: live searches run only through `tick()` (tests with a fake clock). Default true. */
  schedule?: boolean;
  /** First retry delay of a historical search whose source is unavailable (default 1 s, doubling to 30 s). */
  retryDelayMs?: number;
  /** Historical retries before the datafeed stops (default 10). */
  maxRetries?: number;
  /** Called when the job has accepted a page, before the datafeed records it (tests crash here). */
  afterPost?: (datafeedId: string, position: number) => void | Promise<void>;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };
  env?: NodeJS.ProcessEnv;
}

export class DatafeedService {
  private readonly jobs: JobService;
  private readonly store: DatafeedStore;
  private readonly clock: () => number;
  private readonly running = new Map<string, Running>();
  private readonly o: DatafeedServiceOptions;
  private stopping = false;

  constructor(o: DatafeedServiceOptions) {
    this.o = o;
    this.jobs = o.jobs;
    this.store = o.store;
    this.clock = o.clock ?? Date.now;
  }

  private get log(): NonNullable<DatafeedServiceOptions['log']> {
    return this.o.log ?? { info() {}, warn() {}, error() {} };
  }

  private get feedDeps(): FeedDeps {
    return { jobs: this.jobs, store: this.store, clock: this.clock, log: this.log, afterPost: (id, position) => this.o.afterPost?.(id, position) };
  }

  // -------------------------------------------------------------------------------------------
  // configuration

  /** Validates a datafeed body against its job (Elastic's rules) plus Vigil's `vigil_source`. */
  private async validate(id: string, body: Record<string, unknown>): Promise<{ config: Record<string, unknown>; job: JobConfig }> {
    return validateDatafeed(this.jobs, id, body);
  }

  /** Creates the datafeeds that jobs carry in their `datafeed_config`, once. */
  private async syncFromJobs(): Promise<void> {
    const have = new Set((await this.store.list()).map((r) => r.datafeed_id));
    for (const id of await this.jobs.expand('_all')) {
      let job: JobConfig;
      try {
        job = await this.jobs.jobConfig(id);
      } catch {
        continue;
      }
      const df = job.datafeed_config as unknown as Record<string, unknown> | undefined;
      if (!df || have.has(df.datafeed_id as string)) continue;
      const rec: DatafeedRecord = { datafeed_id: df.datafeed_id as string, job_id: id, config: { ...df, job_id: id }, state: 'stopped', counters: emptyCounters(), annotations: [], sent: {} };
      await this.store.put(rec);
      have.add(rec.datafeed_id);
    }
  }

  private async require(id: string): Promise<DatafeedRecord> {
    await this.syncFromJobs();
    const r = await this.store.get(id);
    if (!r) throw new VigilError('RESOURCE_NOT_FOUND', `No datafeed with id [${id}] exists`);
    return r;
  }

  render(rec: DatafeedRecord): Record<string, unknown> {
    return renderDatafeed(rec);
  }

  async put(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    await this.syncFromJobs();
    if (!/^[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?$/.test(id)) {
      throw new VigilError('INVALID_ARGUMENT', `Invalid datafeed_id; '${id}' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric`);
    }
    if (await this.store.get(id)) throw new VigilError('RESOURCE_EXISTS', `A datafeed with id [${id}] already exists`);
    const { config } = await this.validate(id, body);
    const jobId = config.job_id as string;
    const other = (await this.store.list()).find((r) => r.job_id === jobId);
    if (other) throw new VigilError('RESOURCE_EXISTS', `A datafeed [${other.datafeed_id}] already exists for job [${jobId}]`);
    const rec: DatafeedRecord = { datafeed_id: id, job_id: jobId, config, state: 'stopped', counters: emptyCounters(), annotations: [], sent: {} };
    await this.store.put(rec);
    return this.render(rec);
  }

  async get(expr: string | undefined, allowNoMatch = true): Promise<Record<string, unknown>[]> {
    await this.syncFromJobs();
    const all = await this.store.list();
    const ids = matchIds(expr, all.map((r) => r.datafeed_id), allowNoMatch);
    return all.filter((r) => ids.includes(r.datafeed_id)).map((r) => this.render(r));
  }

  async update(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const rec = await this.require(id);
    if (rec.state === 'started') throw new VigilError('DATAFEED_STATE_CONFLICT', `Cannot update datafeed [${id}] while its state is started`);
    if (body.job_id !== undefined && body.job_id !== rec.job_id) throw new VigilError('INVALID_ARGUMENT', `Datafeed's job_id cannot be changed.`);
    const merged: Record<string, unknown> = { ...rec.config, ...body, job_id: rec.job_id };
    for (const [k, v] of Object.entries(body)) if (v === null) delete merged[k];
    const { config } = await this.validate(id, merged);
    rec.config = config;
    await this.store.put(rec);
    return this.render(rec);
  }

  async delete(id: string, force: boolean): Promise<void> {
    const rec = await this.require(id);
    if (rec.state === 'started') {
      if (!force) throw new VigilError('DATAFEED_STATE_CONFLICT', `Cannot delete datafeed [${id}] while its state is started`);
      await this.stop(id, { force: true });
    }
    await this.store.delete(id);
    // a datafeed made from its job's datafeed_config would otherwise be made again at the next call
    await this.jobs.dropDatafeedConfig(rec.job_id, id);
  }

  /** The datafeeds of these jobs. */
  private async ofJobs(jobIds: readonly string[]): Promise<DatafeedRecord[]> {
    await this.syncFromJobs();
    const jobs = new Set(jobIds);
    return (await this.store.list()).filter((r) => jobs.has(r.job_id));
  }

  /**
   * Elastic's close job: the datafeeds of the jobs being closed are stopped first (a datafeed
   * left running would fail at its next post, or feed the job again once re-opened).
   */
  async stopForJobs(jobIds: readonly string[], o: { force?: boolean } = {}): Promise<void> {
    const ids = (await this.ofJobs(jobIds)).filter((r) => r.state === 'started' || this.running.has(r.datafeed_id)).map((r) => r.datafeed_id);
    if (ids.length > 0) await this.stop(ids.join(','), { force: o.force, allowNoMatch: true });
  }

  /** Elastic's delete job: the job's datafeed is deleted first, with the same `force`. */
  async deleteForJob(jobId: string, force: boolean): Promise<void> {
    for (const r of await this.ofJobs([jobId])) await this.delete(r.datafeed_id, force);
  }

  // -------------------------------------------------------------------------------------------
  // running

  private sourceFor(rec: DatafeedRecord, job: JobConfig): DatafeedSource {
    const c = rec.config;
    const ctx: OpenSourceContext = {
      indices: c.indices as string[],
      query: c.query as Record<string, unknown> | undefined,
      timeField: job.data_description.time_field ?? 'time',
      runtimeMappings: c.runtime_mappings as Record<string, unknown> | undefined,
      env: this.o.env,
      embedded: this.o.embedded,
    };
    return (this.o.openSource ?? openSource)(c.vigil_source as VigilSourceSpec | undefined, ctx);
  }

  private timing(rec: DatafeedRecord, job: JobConfig, plan: FeedPlan): FeedTiming {
    return feedTiming(rec, job, plan);
  }

  /** Where a resumed feed continues: past its persisted position and past what the job holds. */
  private async resumePosition(rec: DatafeedRecord, plan: FeedPlan, span: number): Promise<number> {
    const pos = rec.run?.position ?? -Infinity;
    const stats = (await this.jobs.stats(rec.job_id))[0] as { data_counts?: { latest_record_timestamp?: number } } | undefined;
    const latest = stats?.data_counts?.latest_record_timestamp;
    if (typeof latest !== 'number') return pos;
    const after = plan.aggregation ? Math.round(latest / span) * span + span : Math.floor(latest + 1e-3) + 1;
    return Math.max(pos, after);
  }

  async start(id: string, o: { start?: number; end?: number } = {}): Promise<{ started: boolean; node: string }> {
    if (this.stopping) throw new VigilError('SHUTTING_DOWN', 'the server is shutting down');
    const rec = await this.require(id);
    if (rec.state === 'started' || this.running.has(id)) throw new VigilError('DATAFEED_STATE_CONFLICT', `cannot start datafeed [${id}] because it has already been started`);
    if (!this.jobs.isOpen(rec.job_id)) throw new VigilError('DATAFEED_STATE_CONFLICT', `cannot start datafeed [${id}] because job [${rec.job_id}] is closed; open it first`);
    if (o.start !== undefined && o.end !== undefined && o.end <= o.start) throw new VigilError('INVALID_ARGUMENT', `start [${o.start}] must be earlier than end [${o.end}]`);
    const job = await this.jobs.jobConfig(rec.job_id);
    const plan = planFeed(job, rec.config as { aggregations?: Record<string, unknown> });
    const source = this.sourceFor(rec, job);
    const t = this.timing(rec, job, plan);
    let start = o.start;
    if (start === undefined) {
      const resumed = await this.resumePosition({ ...rec, run: undefined }, plan, t.span);
      if (Number.isFinite(resumed)) start = resumed;
      else {
        const b = await source.timeBounds({ end: o.end }).catch((err: unknown) => {
          void source.close();
          throw err;
        });
        start = b.earliest ?? this.clock() - t.queryDelay;
      }
    }
    const aligned = plan.aggregation ? Math.floor(start / t.span) * t.span : start;
    const end = o.end === undefined ? undefined : plan.aggregation ? Math.floor(o.end / t.span) * t.span : o.end;
    rec.state = 'started';
    rec.run = { start: aligned, ...(end !== undefined ? { end } : {}), position: aligned, started_at: this.clock(), lookback_done: false };
    rec.counters = { ...emptyCounters(), missing_documents: rec.counters.missing_documents, latest_missing_bucket: rec.counters.latest_missing_bucket, delayed_checks: rec.counters.delayed_checks };
    await this.store.put(rec);
    this.launch(rec, source, plan);
    this.log.info({ datafeed_id: id, job_id: rec.job_id, start: aligned, end: end ?? null }, 'datafeed started');
    return { started: true, node: this.jobs.node.id };
  }

  private launch(rec: DatafeedRecord, source: DatafeedSource, plan: FeedPlan): void {
    const abort = new AbortController();
    const spanMs = plan.aggregation?.spanMs ?? 0;
    const r: Running = { abort, source, plan, spanMs, loop: Promise.resolve(), busy: Promise.resolve() };
    this.running.set(rec.datafeed_id, r);
    r.loop = this.lookback(rec.datafeed_id, r).catch((err: unknown) => this.log.error({ datafeed_id: rec.datafeed_id, err: String(err) }, 'datafeed failed'));
  }

  /** Resumes datafeeds that were started when the server stopped. */
  async recover(): Promise<string[]> {
    await this.syncFromJobs();
    const resumed: string[] = [];
    for (const rec of await this.store.list()) {
      if (rec.state !== 'started' || this.running.has(rec.datafeed_id)) continue;
      try {
        await this.jobs.openJob(rec.job_id);
        const job = await this.jobs.jobConfig(rec.job_id);
        const plan = planFeed(job, rec.config as { aggregations?: Record<string, unknown> });
        const t = this.timing(rec, job, plan);
        rec.run!.position = await this.resumePosition(rec, plan, t.span);
        await this.store.put(rec);
        this.launch(rec, this.sourceFor(rec, job), plan);
        resumed.push(rec.datafeed_id);
        this.log.info({ datafeed_id: rec.datafeed_id, position: rec.run!.position }, 'datafeed resumed');
      } catch (err) {
        this.log.error({ datafeed_id: rec.datafeed_id, err: String(err) }, 'could not resume datafeed');
        rec.state = 'stopped';
        rec.counters.last_error = (err as Error).message;
        rec.counters.stopped_reason = 'could not resume';
        await this.store.put(rec);
      }
    }
    return resumed;
  }

  private async lookback(id: string, r: Running): Promise<void> {
    const rec = (await this.store.get(id))!;
    const job = await this.jobs.jobConfig(rec.job_id);
    const t = this.timing(rec, job, r.plan);
    const run = rec.run!;
    if (run.end !== undefined) {
      const ok = await this.feedRange(rec, r, run.position, run.end, t, { retries: this.o.maxRetries ?? 10 });
      if (!ok) return;
      await this.finish(rec, r, true, 'historical run complete');
      return;
    }
    const target = Math.floor((this.clock() - t.queryDelay) / t.span) * t.span;
    if (run.position < target) {
      const ok = await this.feedRange(rec, r, run.position, target, t, { retries: this.o.maxRetries ?? 10, live: true });
      if (!ok) return;
    }
    rec.run!.lookback_done = true;
    await this.store.put(rec);
    if (this.o.schedule !== false && !r.abort.signal.aborted) this.scheduleNext(id, r, t.frequency);
  }

  private scheduleNext(id: string, r: Running, frequency: number): void {
    r.timer = setTimeout(() => {
      r.loop = this.liveSearch(id).finally(() => {
        if (!r.abort.signal.aborted && this.running.get(id) === r) this.scheduleNext(id, r, frequency);
      });
    }, frequency);
    r.timer.unref();
  }

  /** One live search (the scheduler calls it every `frequency`; tests call it directly). */
  async tick(id: string): Promise<void> {
    const r = this.running.get(id);
    if (!r) return;
    await r.loop.catch(() => undefined);
    await this.liveSearch(id);
  }

  private async liveSearch(id: string): Promise<void> {
    const r = this.running.get(id);
    if (!r) return;
    const rec = await this.store.get(id);
    if (!rec || rec.state !== 'started' || !rec.run || rec.run.end !== undefined || r.abort.signal.aborted) return;
    const job = await this.jobs.jobConfig(rec.job_id);
    const t = this.timing(rec, job, r.plan);
    const target = Math.floor((this.clock() - t.queryDelay) / t.span) * t.span;
    const before = rec.counters.source_documents;
    if (target > rec.run.position) {
      const ok = await this.feedRange(rec, r, rec.run.position, target, t, { retries: 0, live: true });
      if (!ok) return;
    }
    if (rec.counters.source_documents === before) {
      rec.counters.empty_searches++;
      const max = rec.config.max_empty_searches as number | undefined;
      if (max !== undefined && !rec.counters.seen_data && rec.counters.empty_searches >= max) {
        await this.finish(rec, r, true, `no data after ${max} empty searches (max_empty_searches)`);
        return;
      }
    } else rec.counters.empty_searches = 0;
    await this.checkDelayedData(rec, r, t);
    await this.store.put(rec);
  }

  /** Reads [from, to) in chunks and posts it; false when the feed stopped (error or stop). */
  private async feedRange(rec: DatafeedRecord, r: Running, from: number, to: number, t: FeedTiming, o: { retries: number; live?: boolean }): Promise<boolean> {
    let attempt = 0;
    while (rec.run!.position < to && !r.abort.signal.aborted) {
      const a = rec.run!.position;
      const b = Math.min(to, a + t.chunk);
      try {
        await this.feedChunk(rec, r, a, b, t);
        attempt = 0;
      } catch (err) {
        rec.counters.last_error = (err as Error).message;
        rec.counters.last_error_time = this.clock();
        await this.store.put(rec);
        if (isTransient(err) && (err as VigilError).code === 'SHUTTING_DOWN') return false; // stays started: resumes at the next start
        if (isTransient(err) && o.live && o.retries === 0) {
          this.log.warn({ datafeed_id: rec.datafeed_id, err: String(err) }, 'datafeed search failed; retrying at the next search');
          return false;
        }
        if (isTransient(err) && attempt < o.retries) {
          attempt++;
          const delay = Math.min(30_000, (this.o.retryDelayMs ?? 1000) * 2 ** (attempt - 1));
          this.log.warn({ datafeed_id: rec.datafeed_id, attempt, delay, err: String(err) }, 'datafeed search failed; retrying');
          await sleep(delay, r.abort.signal);
          continue;
        }
        await this.finish(rec, r, false, `stopped after an error: ${(err as Error).message}`);
        return false;
      }
    }
    return !r.abort.signal.aborted;
  }

  private feedChunk(rec: DatafeedRecord, r: Running, a: number, b: number, t: FeedTiming): Promise<void> {
    return feedChunk(this.feedDeps, rec, r, a, b, t);
  }



  /** Counts the documents of the check window again and reports those that came too late. */
  checkDelayedData(rec: DatafeedRecord, r: Running, t: { span: number; frequency: number }, force = false): Promise<number> {
    return checkDelayedData(this.feedDeps, rec, r, t, force);
  }

  /** Runs the delayed-data check now (tests, and `POST _ml/datafeeds/<id>/_vigil/check_delayed_data`). */
  async checkDelayedDataNow(id: string): Promise<number> {
    const r = this.running.get(id);
    const rec = await this.require(id);
    if (!r || !rec.run) throw new VigilError('DATAFEED_STATE_CONFLICT', `datafeed [${id}] is not started`);
    const job = await this.jobs.jobConfig(rec.job_id);
    const n = await this.checkDelayedData(rec, r, this.timing(rec, job, r.plan), true);
    await this.store.put(rec);
    return n;
  }

  /**
   * Ends a run: the job is flushed and closed (closeJob) before the datafeed reads as stopped, so
   * that a client that sees `stopped` finds the job closed with all its results, and may re-open it
   * and start the next range at once (a close still pending would close the job under that run).
   */
  private async finish(rec: DatafeedRecord, r: Running, closeJob: boolean, reason: string): Promise<void> {
    if (r.timer) clearTimeout(r.timer);
    await r.source.close().catch(() => undefined);
    if (closeJob) {
      try {
        if (rec.run?.end !== undefined) await this.jobs.flushJob(rec.job_id, { advanceTime: rec.run.end });
        await this.jobs.closeJobs(rec.job_id);
      } catch (err) {
        this.log.warn({ datafeed_id: rec.datafeed_id, err: String(err) }, 'could not close the job');
      }
    }
    if (this.running.get(rec.datafeed_id) === r) this.running.delete(rec.datafeed_id);
    rec.state = 'stopped';
    rec.counters.stopped_reason = reason;
    await this.store.put(rec);
    this.log.info({ datafeed_id: rec.datafeed_id, reason }, 'datafeed stopped');
  }

  async stop(expr: string, o: { force?: boolean; allowNoMatch?: boolean } = {}): Promise<{ stopped: boolean }> {
    await this.syncFromJobs();
    const all = await this.store.list();
    const ids = matchIds(expr, all.map((x) => x.datafeed_id), o.allowNoMatch ?? true);
    for (const id of ids) {
      const r = this.running.get(id);
      if (r) {
        r.abort.abort();
        if (r.timer) clearTimeout(r.timer);
        await r.loop.catch(() => undefined);
        this.running.delete(id);
        await r.source.close().catch(() => undefined);
      }
      const rec = await this.store.get(id);
      if (rec && rec.state !== 'stopped') {
        rec.state = 'stopped';
        rec.counters.stopped_reason = 'stopped by request';
        await this.store.put(rec);
      }
    }
    return { stopped: true };
  }

  /** Waits until a datafeed's current work is done (historical runs: until they stop). */
  async settle(id: string): Promise<void> {
    for (;;) {
      const r = this.running.get(id);
      if (!r) return;
      const loop = r.loop;
      await loop.catch(() => undefined);
      if (this.running.get(id) !== r || r.loop === loop) return;
    }
  }

  /** Stops the loops without changing the stored state: started datafeeds resume at the next start. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const [, r] of this.running) {
      r.abort.abort();
      if (r.timer) clearTimeout(r.timer);
    }
    await Promise.all([...this.running.values()].map((r) => r.loop.catch(() => undefined)));
    for (const r of this.running.values()) await r.source.close().catch(() => undefined);
    this.running.clear();
  }

  // -------------------------------------------------------------------------------------------
  // preview and stats

  /** The documents the job would receive (at most `size`), from the datafeed's start. */
  async preview(id: string | undefined, body: Record<string, unknown> = {}, o: { start?: number; end?: number; size?: number } = {}): Promise<Record<string, unknown>[]> {
    let rec: DatafeedRecord;
    let job: JobConfig;
    if (id) {
      rec = await this.require(id);
      job = await this.jobs.jobConfig(rec.job_id);
    } else {
      const df = (body.datafeed_config ?? {}) as Record<string, unknown>;
      const jobId = (df.job_id as string | undefined) ?? ((body.job_config as Record<string, unknown> | undefined)?.job_id as string | undefined);
      if (!jobId) throw new VigilError('INVALID_ARGUMENT', 'preview needs a datafeed id, or datafeed_config with job_id');
      const v = await this.validate('preview', { ...df, job_id: jobId });
      job = v.job;
      rec = { datafeed_id: 'preview', job_id: jobId, config: v.config, state: 'stopped', counters: emptyCounters(), annotations: [], sent: {} };
    }
    const plan = planFeed(job, rec.config as { aggregations?: Record<string, unknown> });
    const source = this.sourceFor(rec, job);
    try {
      const t = this.timing(rec, job, plan);
      let start = o.start;
      if (start === undefined) start = (await source.timeBounds({ end: o.end })).earliest ?? this.clock() - t.queryDelay;
      const end = o.end ?? Math.max(start + 1, this.clock());
      const size = o.size ?? 100;
      const out: Record<string, unknown>[] = [];
      let pages: AsyncIterable<SearchPage> = source.search({ start: plan.aggregation ? Math.floor(start / t.span) * t.span : start, end, aggregation: plan.aggregation, pageSize: Math.min(size, 10_000) });
      if (plan.aggregation && !source.pushesDown(plan.aggregation)) pages = aggregateRecords(pages, plan.aggregation, source.timeField);
      for await (const p of pages) {
        for (const d of pageToDocs(p as BucketPage | RecordPage, plan, source.timeField)) {
          out.push(d);
          if (out.length >= size) return out;
        }
      }
      return out;
    } finally {
      await source.close().catch(() => undefined);
    }
  }

  async stats(expr: string | undefined, allowNoMatch = true): Promise<Record<string, unknown>[]> {
    await this.syncFromJobs();
    const all = await this.store.list();
    const ids = matchIds(expr, all.map((r) => r.datafeed_id), allowNoMatch);
    return all
      .filter((r) => ids.includes(r.datafeed_id))
      .map((rec) => datafeedStats(rec, this.running.get(rec.datafeed_id), this.jobs.node));
  }

  async annotations(id: string): Promise<DatafeedAnnotation[]> {
    return (await this.require(id)).annotations;
  }
}
