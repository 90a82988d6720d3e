/**
 * Bucketing in Vigil for sources (or requests) the store cannot aggregate: record pages in, bucket
 * pages out, with the same meaning as the pushed-down SQL / date_histogram (buckets aligned to the
 * epoch, per partition value, Elastic's metric names). Records are expected in time order; a
 * bucket is finished once a record one bucket later arrives, and a record for a finished bucket is
 * counted in `late` rather than silently merged.
 */
import { BucketPager, type BucketAggregation, type BucketPage, type SearchPage } from './source.js';

/** Reads a (possibly dotted) field of a document. */
export function getField(doc: Record<string, unknown>, field: string): unknown {
  if (field in doc) return doc[field];
  if (!field.includes('.')) return undefined;
  let cur: unknown = doc;
  for (const part of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A field value as a number (numbers and numeric strings), NaN otherwise. */
export function numberOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return NaN;
}

interface Acc {
  count: number;
  sum: Float64Array;
  n: Float64Array;
  min: Float64Array;
  max: Float64Array;
  values: number[][] | null;
  distinct: Set<string>[] | null;
}

export interface AggregateStats {
  /** Records that arrived for a bucket already handed out. */
  late: number;
}

/**
 * Turns record pages (time field in epoch ms) into bucket pages for `agg`. Bucket pages already
 * in the input pass through unchanged.
 */
export async function* aggregateRecords(
  pages: AsyncIterable<SearchPage>,
  agg: BucketAggregation,
  timeField: string,
  pageSize = 10_000,
  stats: AggregateStats = { late: 0 },
): AsyncGenerator<BucketPage> {
  const span = agg.spanMs;
  const m = agg.metrics;
  const names = m.map((x) => x.name);
  const pager = new BucketPager(pageSize, names, agg.partitionField !== undefined);
  const open = new Map<number, Map<string, Acc>>();
  let emittedUpTo = -Infinity; // buckets < this were handed out
  let newest = -Infinity;
  const needValues = m.some((x) => x.fn === 'median');
  const needDistinct = m.some((x) => x.fn === 'cardinality');
  const values = new Float64Array(m.length);
  const out: BucketPage[] = [];

  const emitBelow = (limit: number): void => {
    const keys = [...open.keys()].filter((k) => k < limit).sort((a, b) => a - b);
    for (const b of keys) {
      const parts = open.get(b)!;
      const pnames = [...parts.keys()].sort();
      for (const p of pnames) {
        const a = parts.get(p)!;
        for (let k = 0; k < m.length; k++) {
          const fn = m[k].fn;
          values[k] =
            fn === 'avg'
              ? a.n[k] > 0 ? a.sum[k] / a.n[k] : NaN
              : fn === 'sum'
                ? a.n[k] > 0 ? a.sum[k] : NaN
                : fn === 'min'
                  ? a.n[k] > 0 ? a.min[k] : NaN
                  : fn === 'max'
                    ? a.n[k] > 0 ? a.max[k] : NaN
                    : fn === 'value_count'
                      ? a.n[k]
                      : fn === 'median'
                        ? median(a.values![k])
                        : a.distinct![k].size;
        }
        const page = pager.push(b, a.count, values, agg.partitionField !== undefined ? p : null);
        if (page) out.push(page);
      }
      open.delete(b);
    }
    if (limit > emittedUpTo) emittedUpTo = limit;
  };

  for await (const page of pages) {
    if (page.kind === 'buckets') {
      yield page;
      continue;
    }
    for (const doc of page.docs) {
      const t = numberOf(doc[timeField]);
      if (!Number.isFinite(t)) continue;
      const b = Math.floor(t / span) * span;
      if (b < emittedUpTo) {
        stats.late++;
        continue;
      }
      if (b > newest) {
        newest = b;
        // everything more than one bucket behind the newest is finished
        if (open.size > 1) emitBelow(b - span);
      }
      const p = agg.partitionField !== undefined ? String(getField(doc, agg.partitionField) ?? '') : '';
      let parts = open.get(b);
      if (!parts) open.set(b, (parts = new Map()));
      let a = parts.get(p);
      if (!a) {
        a = {
          count: 0,
          sum: new Float64Array(m.length),
          n: new Float64Array(m.length),
          min: new Float64Array(m.length).fill(Infinity),
          max: new Float64Array(m.length).fill(-Infinity),
          values: needValues ? m.map(() => []) : null,
          distinct: needDistinct ? m.map(() => new Set<string>()) : null,
        };
        parts.set(p, a);
      }
      a.count++;
      for (let k = 0; k < m.length; k++) {
        const raw = getField(doc, m[k].field);
        if (raw === undefined || raw === null) continue;
        if (m[k].fn === 'cardinality') {
          a.n[k]++;
          a.distinct![k].add(String(raw));
          continue;
        }
        const v = numberOf(raw);
        if (!Number.isFinite(v)) continue;
        a.n[k]++;
        a.sum[k] += v;
        if (v < a.min[k]) a.min[k] = v;
        if (v > a.max[k]) a.max[k] = v;
        if (a.values) a.values[k].push(v);
      }
    }
    while (out.length) yield out.shift()!;
  }
  emitBelow(Infinity);
  const last = pager.cut();
  if (last) out.push(last);
  while (out.length) yield out.shift()!;
}

function median(v: number[]): number {
  if (v.length === 0) return NaN;
  v.sort((a, b) => a - b);
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}
