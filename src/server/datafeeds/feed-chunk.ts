/**
 * One search of a running datafeed and what follows it: the chunk [a, b) read page by page and
 * posted to the job (the position, counters and per-bucket sent counts moving after each page the
 * job accepted, then a flush to the chunk's end), and the delayed-data check that searches the
 * check window again. The loop that calls them (look-back, live searches, retries) is
 * DatafeedService's.
 */
import { VigilError } from '../../core/errors.js';
import { aggregateRecords } from '../../sources/datafeed/aggregate-records.js';
import type { BucketPage, DatafeedSource, RecordPage, SearchPage } from '../../sources/datafeed/source.js';
import type { JobService } from '../jobs/job-service.js';
import { checkWindow, type FeedTiming } from './datafeed-config.js';
import type { DatafeedAnnotation, DatafeedRecord, DatafeedStore } from './datafeed-store.js';
import { pageToDocs, type FeedPlan } from './feed-plan.js';

/** A started datafeed's loop in this process. */
export interface Running {
  abort: AbortController;
  loop: Promise<void>;
  timer?: NodeJS.Timeout;
  source: DatafeedSource;
  plan: FeedPlan;
  spanMs: number;
  busy: Promise<void>;
}

/** What a feed needs of its service. */
export interface FeedDeps {
  jobs: JobService;
  store: DatafeedStore;
  clock: () => number;
  log: { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };
  afterPost?: (datafeedId: string, position: number) => void | Promise<void>;
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
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

/** Whether a search may be retried (the source is unavailable, or the server is stopping). */
export function isTransient(err: unknown): boolean {
  return err instanceof VigilError && (err.code === 'SOURCE_UNAVAILABLE' || err.code === 'SHUTTING_DOWN');
}

export async function feedChunk(deps: FeedDeps, rec: DatafeedRecord, r: Running, a: number, b: number, t: FeedTiming): Promise<void> {
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
    await deps.jobs.postData(rec.job_id, body, docs.every(jsonIdentity) ? docs : undefined);
    await deps.afterPost?.(rec.datafeed_id, rec.run!.position);
    // the job holds the page: advance past it (pages end on a bucket / millisecond boundary)
    let last: number;
    let sourceDocs = 0;
    // buckets that trimSent drops right after (behind the check window of the new position) are
    // not written: a 10 000-bucket historical page otherwise inserts and deletes 10 000 keys
    const keepFrom = (last: number): number => Math.max(rec.run!.position, Math.min(last, b)) - checkWindow(rec, t) - t.span;
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
    trimSent(rec, t);
    await deps.store.put(rec);
    mark = performance.now();
  }
  searchMs += performance.now() - mark;
  rec.counters.total_search_time_ms += searchMs;
  if (r.abort.signal.aborted) return;
  // the whole chunk was read: the job's time moves to its end (empty buckets are finalised)
  await deps.jobs.flushJob(rec.job_id, { advanceTime: b });
  rec.run!.position = b;
  rec.counters.last_error = undefined;
  await deps.store.put(rec);
  void t0;
}

export function trimSent(rec: DatafeedRecord, t: { span: number }): void {
  const keepFrom = rec.run!.position - checkWindow(rec, t) - t.span;
  for (const k of Object.keys(rec.sent)) if (Number(k) < keepFrom) delete rec.sent[k];
}

/** Counts the documents of the check window again and reports those that came too late. */
export async function checkDelayedData(deps: FeedDeps, rec: DatafeedRecord, r: Running, t: { span: number; frequency: number }, force = false): Promise<number> {
  const cfg = rec.config.delayed_data_check_config as { enabled: boolean } | undefined;
  if (cfg && !cfg.enabled) return 0;
  const now = deps.clock();
  if (!force && rec.counters.next_delayed_check !== undefined && now < rec.counters.next_delayed_check) return 0;
  rec.counters.next_delayed_check = now + Math.max(t.frequency, 15 * 60_000);
  const end = Math.floor(rec.run!.position / t.span) * t.span;
  const start = end - checkWindow(rec, t);
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
    deps.log.warn({ datafeed_id: rec.datafeed_id, missing, latest }, 'delayed data');
  }
  return missing;
}
