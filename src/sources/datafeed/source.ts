/**
 * The one interface every datafeed source implements — files, PostgreSQL, Prometheus-compatible
 * stores, Elasticsearch/OpenSearch and the embedded store's indices — and the page shapes a search
 * yields.
 *
 * A search covers a half-open time range `[start, end)` (epoch ms). Without `aggregation` it yields
 * raw documents ("records"); with one it yields pre-aggregated buckets: per bucket of
 * `aggregation.spanMs` (aligned to the epoch, as Elastic's date_histogram and the jobs' buckets
 * are) and per partition value, the document count and each requested metric. A source computes
 * the buckets in the store where it can (SQL `date_bin`/`GROUP BY`, PromQL `step`, a
 * `date_histogram`); where it cannot, `aggregateRecords` does it in Vigil from records, so every
 * source answers every request.
 *
 * Ordering contract (what lets a datafeed resume without losing or doubling data): pages come in
 * time order; a records page never splits documents that share a millisecond timestamp, and a
 * buckets page never splits one bucket's partitions across pages.
 */

/** A metric computed per bucket (Elastic's metric aggregation names). */
export type MetricFn = 'avg' | 'sum' | 'min' | 'max' | 'value_count' | 'median' | 'cardinality';

export const METRIC_FNS: readonly MetricFn[] = ['avg', 'sum', 'min', 'max', 'value_count', 'median', 'cardinality'];

export interface MetricSpec {
  /** Name of the metric in bucket pages and in the documents made of them (usually the field's name). */
  name: string;
  fn: MetricFn;
  /** Field (column, label) the metric reads. */
  field: string;
}

/** Bucketing pushed down to the store. */
export interface BucketAggregation {
  /** Bucket span, ms (buckets start at multiples of it since the epoch). */
  spanMs: number;
  metrics: MetricSpec[];
  /** One bucket per value of this field within each time bucket (Elastic's `terms` sub-aggregation). */
  partitionField?: string;
}

export interface SearchRequest {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
  aggregation?: BucketAggregation;
  /** Documents (or bucket rows) per page, Elastic's scroll_size; default 10 000. */
  pageSize?: number;
  signal?: AbortSignal;
}

/** Raw documents; the time field holds epoch ms (a number) whatever the store's type. */
export interface RecordPage {
  kind: 'records';
  docs: Record<string, unknown>[];
}

/** Pre-aggregated buckets as parallel arrays (one row per bucket and partition). */
export interface BucketPage {
  kind: 'buckets';
  n: number;
  /** Bucket start, epoch ms. */
  time: Float64Array;
  /** Documents in the bucket (and partition). */
  docCount: Float64Array;
  /** One array per metric name; NaN where the metric has no value (no documents with the field). */
  metrics: Record<string, Float64Array>;
  /** Partition values, when the aggregation has a partition field. */
  partition: string[] | null;
}

export type SearchPage = RecordPage | BucketPage;

export interface FieldInfo {
  name: string;
  type: 'date' | 'number' | 'keyword' | 'boolean' | 'unknown';
}

export interface TimeBounds {
  /** Epoch ms of the earliest and latest document, null when there is none. */
  earliest: number | null;
  latest: number | null;
}

export interface DatafeedSource {
  /** Short name for messages and stats: `postgres`, `prometheus`, `file`, `parquet`, `elasticsearch`, … */
  readonly kind: string;
  /** The time field of the documents the source yields. */
  readonly timeField: string;
  /**
   * Whether the store computes this aggregation itself. When false, `search` still answers with
   * buckets, computed by Vigil from the records (`aggregateRecords`).
   */
  pushesDown(agg: BucketAggregation): boolean;
  search(req: SearchRequest): AsyncIterable<SearchPage>;
  /** Earliest and latest document times, optionally within `[start, end)`. */
  timeBounds(range?: { start?: number; end?: number }): Promise<TimeBounds>;
  /** Fields the documents carry, with their types as far as the store knows them. */
  fields(): Promise<FieldInfo[]>;
  /** Releases connections and files. */
  close(): Promise<void>;
}

/** An empty buckets page with room for `n` rows. */
export function newBucketPage(n: number, metricNames: string[], partitioned: boolean): BucketPage {
  const metrics: Record<string, Float64Array> = {};
  for (const m of metricNames) metrics[m] = new Float64Array(n);
  return { kind: 'buckets', n, time: new Float64Array(n), docCount: new Float64Array(n), metrics, partition: partitioned ? new Array<string>(n) : null };
}

/** The first `n` rows of a page (a view, not a copy, of its arrays). */
export function slicePage(p: BucketPage, from: number, to: number): BucketPage {
  const metrics: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(p.metrics)) metrics[k] = v.subarray(from, to);
  return { kind: 'buckets', n: to - from, time: p.time.subarray(from, to), docCount: p.docCount.subarray(from, to), metrics, partition: p.partition ? p.partition.slice(from, to) : null };
}

/**
 * Accumulates bucket rows coming in time order and cuts them into pages that never split a bucket.
 * Sources push rows as they read them and yield `take()`.
 */
export class BucketPager {
  private page: BucketPage;
  private n = 0;
  readonly names: string[];

  constructor(
    private readonly size: number,
    metricNames: string[],
    private readonly partitioned: boolean,
  ) {
    this.names = metricNames;
    this.page = newBucketPage(size + 1024, metricNames, partitioned);
  }

  /** Appends one row; returns a finished page when `size` rows are held and the bucket changed. */
  push(time: number, docCount: number, values: ArrayLike<number>, partition: string | null): BucketPage | null {
    let out: BucketPage | null = null;
    if (this.n >= this.size && this.page.time[this.n - 1] !== time) out = this.cut();
    if (this.n === this.page.time.length) this.grow();
    const p = this.page;
    const i = this.n++;
    p.time[i] = time;
    p.docCount[i] = docCount;
    for (let k = 0; k < this.names.length; k++) p.metrics[this.names[k]][i] = values[k];
    if (p.partition) p.partition[i] = partition ?? '';
    return out;
  }

  private grow(): void {
    const old = this.page;
    const next = newBucketPage(old.time.length * 2, this.names, this.partitioned);
    next.time.set(old.time);
    next.docCount.set(old.docCount);
    for (const k of this.names) next.metrics[k].set(old.metrics[k]);
    if (old.partition && next.partition) for (let i = 0; i < this.n; i++) next.partition[i] = old.partition[i];
    this.page = next;
  }

  /** Hands out what is held (null when nothing). */
  cut(): BucketPage | null {
    if (this.n === 0) return null;
    const out = slicePage(this.page, 0, this.n);
    out.partition = this.page.partition ? this.page.partition.slice(0, this.n) : null;
    this.page = newBucketPage(this.size + 1024, this.names, this.partitioned);
    this.n = 0;
    return out;
  }
}

/**
 * Cuts documents (in time order) into record pages that never split one millisecond: a page is
 * handed out once it holds `size` documents and the next one has a later timestamp.
 */
export class RecordPager {
  private docs: Record<string, unknown>[] = [];
  private lastMs = NaN;

  constructor(private readonly size: number) {}

  push(doc: Record<string, unknown>, timeMs: number): RecordPage | null {
    let out: RecordPage | null = null;
    const ms = Math.floor(timeMs);
    if (this.docs.length >= this.size && ms !== this.lastMs) out = this.cut();
    this.docs.push(doc);
    this.lastMs = ms;
    return out;
  }

  cut(): RecordPage | null {
    if (this.docs.length === 0) return null;
    const out: RecordPage = { kind: 'records', docs: this.docs };
    this.docs = [];
    return out;
  }
}

/** Reads a search to the end into one list of pages (tests, previews). */
export async function collectPages(it: AsyncIterable<SearchPage>): Promise<SearchPage[]> {
  const out: SearchPage[] = [];
  for await (const p of it) out.push(p);
  return out;
}

/** Converts bucket pages into plain rows (tests, previews). */
export function bucketRows(pages: SearchPage[]): { time: number; doc_count: number; partition?: string; [metric: string]: number | string | undefined }[] {
  const rows: { time: number; doc_count: number; partition?: string; [metric: string]: number | string | undefined }[] = [];
  for (const p of pages) {
    if (p.kind !== 'buckets') continue;
    for (let i = 0; i < p.n; i++) {
      const r: { time: number; doc_count: number; partition?: string; [metric: string]: number | string | undefined } = { time: p.time[i], doc_count: p.docCount[i] };
      for (const [k, v] of Object.entries(p.metrics)) r[k] = v[i];
      if (p.partition) r.partition = p.partition[i];
      rows.push(r);
    }
  }
  return rows;
}
