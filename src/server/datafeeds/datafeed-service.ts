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
import { parseTimeValue, validateDatafeedConfig, type JobConfig } from '../../engine/job/index.js';
import { aggregateRecords } from '../../sources/datafeed/aggregate-records.js';
import { openSource, validateSourceSpec, type OpenSourceContext, type VigilSourceSpec } from '../../sources/datafeed/open-source.js';
import type { BucketPage, DatafeedSource, RecordPage, SearchPage } from '../../sources/datafeed/source.js';
import type { JobService } from '../jobs/job-service.js';
import { emptyCounters, type DatafeedAnnotation, type DatafeedRecord, type DatafeedStore } from './datafeed-store.js';
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

interface Running {
  abort: AbortController;
  loop: Promise<void>;
  timer?: NodeJS.Timeout;
  source: DatafeedSource;
  plan: FeedPlan;
  spanMs: number;
  busy: Promise<void>;
}

const CONFIG_FIELDS = ['datafeed_id', 'job_id', 'indices', 'query', 'aggregations', 'chunking_config', 'delayed_data_check_config', 'frequency', 'query_delay', 'scroll_size', 'script_fields', 'runtime_mappings', 'indices_options', 'max_empty_searches'];

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Whether JSON.parse(JSON.stringify(d)) gives `d` back: a plain object of strings and finite numbers (not -0). */
function jsonIdentity(d: Record<string, unknown>): boolean {
  if (Object.getPrototypeOf(d) !== Object.prototype) return false;
  for (const k in d) {
    const v = d[k];
    if (typeof v === 'string') continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || Object.is(v, -0)) return false;
  }
  return true;
}

function isTransient(err: unknown): boolean {
  return err instanceof VigilError && (err.code === 'SOURCE_UNAVAILABLE' || err.code === 'SHUTTING_DOWN');
}

function matchIds(expr: string | undefined, ids: string[], allowNoMatch: boolean, what = 'datafeed'): string[] {
  if (!expr || expr === '_all' || expr === '*') return ids;
  const out = new Set<string>();
  for (const part of expr.split(',')) {
    const p = part.trim();
    const re = new RegExp('^' + p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
    const hit = ids.filter((i) => re.test(i));
    if (hit.length === 0 && !p.includes('*')) throw new VigilError('RESOURCE_NOT_FOUND', `No ${what} with id [${p}] exists`);
    hit.forEach((h) => out.add(h));
  }
  if (out.size === 0 && !allowNoMatch) throw new VigilError('RESOURCE_NOT_FOUND', `No ${what} with id [${expr}] exists`);
  return ids.filter((i) => out.has(i));
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

  // -------------------------------------------------------------------------------------------
  // configuration

  /** Validates a datafeed body against its job (Elastic's rules) plus Vigil's `vigil_source`. */
  private async validate(id: string, body: Record<string, unknown>): Promise<{ config: Record<string, unknown>; job: JobConfig }> {
    const jobId = body.job_id;
    if (typeof jobId !== 'string' || jobId === '') throw new VigilError('INVALID_ARGUMENT', '[datafeed_config] job_id must be set');
    const job = await this.jobs.jobConfig(jobId);
    const { vigil_source: rawSource, ...rest } = body;
    const bucketSpanMs = parseTimeValue(job.analysis_config.bucket_span, 'bucket_span');
    const v = validateDatafeedConfig({ ...rest, datafeed_id: id, job_id: jobId }, jobId, bucketSpanMs) as unknown as Record<string, unknown>;
    const config: Record<string, unknown> = { ...v };
    if (rawSource !== undefined) config.vigil_source = validateSourceSpec(rawSource);
    planFeed(job, config as { aggregations?: Record<string, unknown> }); // refuses what cannot be fed
    return { config, job };
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
    const c = rec.config;
    const out: Record<string, unknown> = { datafeed_id: rec.datafeed_id, job_id: rec.job_id };
    for (const k of CONFIG_FIELDS) if (c[k] !== undefined && k !== 'datafeed_id' && k !== 'job_id') out[k] = c[k];
    out.query_delay ??= '60s';
    if (c.vigil_source !== undefined) out.vigil_source = c.vigil_source;
    return out;
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

  private timing(rec: DatafeedRecord, job: JobConfig, plan: FeedPlan): { span: number; queryDelay: number; frequency: number; chunk: number; scroll: number } {
    const c = rec.config;
    const bucketSpan = parseTimeValue(job.analysis_config.bucket_span, 'bucket_span');
    const span = plan.aggregation?.spanMs ?? bucketSpan;
    const queryDelay = c.query_delay !== undefined ? parseTimeValue(c.query_delay as string, 'query_delay') : 60_000;
    const frequency = c.frequency !== undefined ? parseTimeValue(c.frequency as string, 'frequency') : bucketSpan <= 120_000 ? bucketSpan : bucketSpan <= 1_200_000 ? bucketSpan / 2 : bucketSpan <= 43_200_000 ? 600_000 : 3_600_000;
    const cc = c.chunking_config as { mode: string; time_span?: string } | undefined;
    const chunk =
      cc?.mode === 'manual' ? parseTimeValue(cc.time_span!, 'time_span') : cc?.mode === 'off' ? Number.POSITIVE_INFINITY : plan.aggregation ? span * 100_000 : span * 1_000;
    return { span, queryDelay, frequency, chunk, scroll: (c.scroll_size as number | undefined) ?? 1000 };
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
  private async feedRange(rec: DatafeedRecord, r: Running, from: number, to: number, t: ReturnType<DatafeedService['timing']>, o: { retries: number; live?: boolean }): Promise<boolean> {
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

  private async feedChunk(rec: DatafeedRecord, r: Running, a: number, b: number, t: ReturnType<DatafeedService['timing']>): Promise<void> {
    const agg = r.plan.aggregation;
    const t0 = performance.now();
    rec.counters.search_count++;
    let pages: AsyncIterable<SearchPage> = r.source.search({ start: a, end: b, aggregation: agg, pageSize: agg ? Math.max(t.scroll, 10_000) : t.scroll, signal: r.abort.signal });
    if (agg && !r.source.pushesDown(agg)) pages = aggregateRecords(pages, agg, r.source.timeField, 10_000);
    let searchMs = 0;
    let mark = performance.now();
    for await (const page of pages) {
      searchMs += performance.now() - mark;
      const p0 = performance.now();
      const docs = pageToDocs(page as BucketPage | RecordPage, r.plan, r.source.timeField);
      if (docs.length === 0) {
        mark = performance.now();
        continue;
      }
      const body = Buffer.from(docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
      // documents of strings and finite numbers are what parsing their JSON gives back: the job
      // takes them as they are (the body still goes to its write-ahead log)
      await this.jobs.postData(rec.job_id, body, docs.every(jsonIdentity) ? docs : undefined);
      await this.o.afterPost?.(rec.datafeed_id, rec.run!.position);
      // the job holds the page: advance past it (pages end on a bucket / millisecond boundary)
      let last: number;
      let sourceDocs = 0;
      // buckets that trimSent drops right after (behind the check window of the new position) are
      // not written: a 10 000-bucket historical page otherwise inserts and deletes 10 000 keys
      const keepFrom = (last: number): number => Math.max(rec.run!.position, Math.min(last, b)) - this.checkWindow(rec, t) - t.span;
      if (page.kind === 'buckets') {
        last = page.time[page.n - 1] + t.span;
        const from = keepFrom(last);
        for (let i = 0; i < page.n; i++) {
          sourceDocs += page.docCount[i];
          if (page.time[i] < from) continue;
          const k = String(page.time[i]);
          rec.sent[k] = (rec.sent[k] ?? 0) + page.docCount[i];
        }
        rec.counters.bucket_count += new Set(page.time).size;
      } else {
        last = Math.floor((page.docs[page.docs.length - 1][r.source.timeField] as number) + 1e-3) + 1;
        sourceDocs = page.docs.length;
        const from = keepFrom(last);
        for (const d of page.docs) {
          const kt = Math.floor((d[r.source.timeField] as number) / t.span) * t.span;
          if (kt < from) continue;
          const k = String(kt);
          rec.sent[k] = (rec.sent[k] ?? 0) + 1;
        }
      }
      rec.run!.position = Math.max(rec.run!.position, Math.min(last, b));
      rec.counters.pages++;
      rec.counters.documents_posted += docs.length;
      rec.counters.source_documents += sourceDocs;
      rec.counters.seen_data = true;
      rec.counters.total_post_time_ms += performance.now() - p0;
      this.trimSent(rec, t);
      await this.store.put(rec);
      mark = performance.now();
    }
    searchMs += performance.now() - mark;
    rec.counters.total_search_time_ms += searchMs;
    if (r.abort.signal.aborted) return;
    // the whole chunk was read: the job's time moves to its end (empty buckets are finalised)
    await this.jobs.flushJob(rec.job_id, { advanceTime: b });
    rec.run!.position = b;
    rec.counters.last_error = undefined;
    await this.store.put(rec);
    void t0;
  }

  private checkWindow(rec: DatafeedRecord, t: { span: number }): number {
    const w = (rec.config.delayed_data_check_config as { check_window?: string } | undefined)?.check_window;
    return w ? parseTimeValue(w, 'check_window') : Math.max(2 * 3_600_000, 8 * t.span);
  }

  private trimSent(rec: DatafeedRecord, t: { span: number }): void {
    const keepFrom = rec.run!.position - this.checkWindow(rec, t) - t.span;
    for (const k of Object.keys(rec.sent)) if (Number(k) < keepFrom) delete rec.sent[k];
  }

  /** Counts the documents of the check window again and reports those that came too late. */
  async checkDelayedData(rec: DatafeedRecord, r: Running, t: { span: number; frequency: number }, force = false): Promise<number> {
    const cfg = rec.config.delayed_data_check_config as { enabled: boolean } | undefined;
    if (cfg && !cfg.enabled) return 0;
    const now = this.clock();
    if (!force && rec.counters.next_delayed_check !== undefined && now < rec.counters.next_delayed_check) return 0;
    rec.counters.next_delayed_check = now + Math.max(t.frequency, 15 * 60_000);
    const end = Math.floor(rec.run!.position / t.span) * t.span;
    const start = end - this.checkWindow(rec, t);
    const agg = { spanMs: t.span, metrics: [] };
    let pages: AsyncIterable<SearchPage> = r.source.search({ start, end, aggregation: agg, pageSize: 10_000 });
    if (!r.source.pushesDown(agg)) pages = aggregateRecords(pages, agg, r.source.timeField);
    const now2: Record<string, number> = {};
    try {
      for await (const p of pages) if (p.kind === 'buckets') for (let i = 0; i < p.n; i++) now2[String(p.time[i])] = (now2[String(p.time[i])] ?? 0) + p.docCount[i];
    } catch (err) {
      rec.counters.last_error = (err as Error).message;
      return 0;
    }
    rec.counters.delayed_checks++;
    let missing = 0;
    let latest: number | undefined;
    for (const [k, n] of Object.entries(now2)) {
      const diff = n - (rec.sent[k] ?? 0);
      if (diff > 0) {
        missing += diff;
        if (latest === undefined || Number(k) > latest) latest = Number(k);
        rec.sent[k] = n; // reported once
      }
    }
    if (missing > 0 && latest !== undefined) {
      rec.counters.missing_documents += missing;
      rec.counters.latest_missing_bucket = latest;
      const a: DatafeedAnnotation = {
        annotation: `Datafeed has missed ${missing} documents due to ingest latency, latest bucket with missing data is [${new Date(latest).toISOString()}]. Consider increasing query_delay`,
        create_time: now,
        timestamp: start,
        end_timestamp: latest + t.span,
        job_id: rec.job_id,
        type: 'annotation',
        event: 'delayed_data',
        create_username: '_xpack',
      };
      rec.annotations.push(a);
      if (rec.annotations.length > 1000) rec.annotations.splice(0, rec.annotations.length - 1000);
      this.log.warn({ datafeed_id: rec.datafeed_id, missing, latest }, 'delayed data');
    }
    return missing;
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

  private async finish(rec: DatafeedRecord, r: Running, closeJob: boolean, reason: string): Promise<void> {
    if (r.timer) clearTimeout(r.timer);
    this.running.delete(rec.datafeed_id);
    rec.state = 'stopped';
    rec.counters.stopped_reason = reason;
    await this.store.put(rec);
    await r.source.close().catch(() => undefined);
    if (closeJob) {
      try {
        if (rec.run?.end !== undefined) await this.jobs.flushJob(rec.job_id, { advanceTime: rec.run.end });
        await this.jobs.closeJobs(rec.job_id);
      } catch (err) {
        this.log.warn({ datafeed_id: rec.datafeed_id, err: String(err) }, 'could not close the job');
      }
    }
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
      .map((rec) => {
        const c = rec.counters;
        const running = this.running.get(rec.datafeed_id);
        const run = rec.run;
        const out: Record<string, unknown> = {
          datafeed_id: rec.datafeed_id,
          state: rec.state,
          assignment_explanation: '',
          timing_stats: {
            job_id: rec.job_id,
            search_count: c.search_count,
            bucket_count: c.bucket_count,
            total_search_time_ms: Math.round(c.total_search_time_ms),
            average_search_time_per_bucket_ms: c.bucket_count ? c.total_search_time_ms / c.bucket_count : null,
            exponential_average_search_time_per_hour_ms: c.search_count ? c.total_search_time_ms / c.search_count : 0,
          },
        };
        if (rec.state === 'started') {
          out.node = { id: this.jobs.node.id, name: this.jobs.node.name, ephemeral_id: this.jobs.node.ephemeral_id, transport_address: this.jobs.node.transport_address, attributes: {} };
          out.running_state = { real_time_configured: run?.end === undefined, real_time_running: run?.end === undefined && !!run?.lookback_done, ...(run ? { search_interval: { start_ms: run.start, end_ms: run.position } } : {}) };
        }
        const span = run?.end !== undefined ? run.end - run.start : undefined;
        out.vigil = {
          source: (rec.config.vigil_source as { type?: string } | undefined)?.type ?? 'embedded',
          pushed_down: running ? (running.plan.aggregation ? running.source.pushesDown(running.plan.aggregation) : false) : undefined,
          position: run?.position ?? null,
          progress: run
            ? {
                start: run.start,
                end: run.end ?? null,
                position: run.position,
                percent: span ? Math.min(100, Math.round((1000 * (run.position - run.start)) / span) / 10) : null,
              }
            : null,
          documents_posted: c.documents_posted,
          source_documents: c.source_documents,
          pages: c.pages,
          total_post_time_ms: Math.round(c.total_post_time_ms),
          empty_searches: c.empty_searches,
          last_error: c.last_error ?? null,
          last_error_time: c.last_error_time ?? null,
          stopped_reason: rec.state === 'stopped' ? (c.stopped_reason ?? null) : null,
          delayed_data: { checks: c.delayed_checks, missing_documents: c.missing_documents, latest_missing_bucket: c.latest_missing_bucket ?? null },
        };
        return out;
      });
  }

  async annotations(id: string): Promise<DatafeedAnnotation[]> {
    return (await this.require(id)).annotations;
  }
}
