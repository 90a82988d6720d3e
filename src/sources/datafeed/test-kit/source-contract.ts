/**
 * The contract every datafeed source passes: the same documents are loaded into each store, and
 * the same searches must give the same records and the same buckets (computed here independently)
 * with the ordering guarantees of source.ts. A source that cannot hold a case (Prometheus has no
 * raw documents) says so through `caps`, and the case is skipped with that reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketRows, collectPages, type BucketAggregation, type DatafeedSource, type SearchPage } from '../source.js';

export interface ContractRow {
  /** Epoch ms. */
  ts: number;
  value: number | null;
  host: string;
}

/** 2 hosts × 8 hours of 1-minute rows (host b every other minute), a few null values, from 2024-03-01. */
export function contractRows(): ContractRow[] {
  const t0 = Date.UTC(2024, 2, 1);
  const rows: ContractRow[] = [];
  for (let i = 0; i < 480; i++) {
    const ts = t0 + i * 60_000 + 7_000;
    rows.push({ ts, value: i % 97 === 5 ? null : Math.round(100 * (10 + Math.sin(i / 30) * 3 + (i % 7))) / 100, host: 'a' });
    if (i % 2 === 0) rows.push({ ts: ts + 30_000, value: 50 + (i % 11), host: 'b' });
  }
  return rows;
}

export interface ContractSubject {
  source: DatafeedSource;
  /** Cases the source cannot answer, with the reason. */
  caps?: { records?: string; partition?: string; metrics?: string };
  /** The rows the store actually holds, when it cannot hold all (Prometheus has no null samples). */
  rows?: ContractRow[];
  close?(): Promise<void>;
}

function expectedBuckets(rows: ContractRow[], start: number, end: number, spanMs: number, partition: boolean, filter?: (r: ContractRow) => boolean) {
  const map = new Map<string, { time: number; partition?: string; n: number; sum: number; c: number; min: number; max: number }>();
  for (const r of rows) {
    if (r.ts < start || r.ts >= end || (filter && !filter(r))) continue;
    const b = Math.floor(r.ts / spanMs) * spanMs;
    const key = `${b}|${partition ? r.host : ''}`;
    let e = map.get(key);
    if (!e) map.set(key, (e = { time: b, ...(partition ? { partition: r.host } : {}), n: 0, sum: 0, c: 0, min: Infinity, max: -Infinity }));
    e.n++;
    if (r.value !== null) {
      e.c++;
      e.sum += r.value;
      e.min = Math.min(e.min, r.value);
      e.max = Math.max(e.max, r.value);
    }
  }
  return [...map.values()]
    .sort((a, b) => a.time - b.time || String(a.partition).localeCompare(String(b.partition)))
    .map((e) => ({
      time: e.time,
      doc_count: e.n,
      mean: e.c ? e.sum / e.c : NaN,
      total: e.c ? e.sum : NaN,
      lo: e.c ? e.min : NaN,
      hi: e.c ? e.max : NaN,
      ...(partition ? { partition: e.partition } : {}),
    }));
}

const AGG = (spanMs: number, partition: boolean): BucketAggregation => ({
  spanMs,
  metrics: [
    { name: 'mean', fn: 'avg', field: 'value' },
    { name: 'total', fn: 'sum', field: 'value' },
    { name: 'lo', fn: 'min', field: 'value' },
    { name: 'hi', fn: 'max', field: 'value' },
  ],
  ...(partition ? { partitionField: 'host' } : {}),
});

function close(a: number, b: number): boolean {
  return (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
}

function expectRowsClose(got: Record<string, unknown>[], want: Record<string, unknown>[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    for (const [k, v] of Object.entries(want[i])) {
      const g = got[i][k];
      if (typeof v === 'number') expect(close(g as number, v), `row ${i} ${k}: ${String(g)} vs ${v}`).toBe(true);
      else expect(g, `row ${i} ${k}`).toBe(v);
    }
  }
}

/**
 * Registers the contract for one source. `setup` loads `rows` into the store and returns the
 * source (time field `ts`, value field `value`, partition field `host`), or a skip reason.
 */
export function sourceContract(name: string, setup: (rows: ContractRow[]) => Promise<ContractSubject | { skip: string }>, o: { skipReason?: string } = {}): void {
  let rows = contractRows();
  const t0 = Date.UTC(2024, 2, 1);
  const d = describe.skipIf(o.skipReason !== undefined);
  d(`datafeed source contract: ${name}${o.skipReason ? ` — skipped: ${o.skipReason}` : ''}`, () => {
    let subject: ContractSubject | undefined;
    let skip: string | undefined;
    beforeAll(async () => {
      const s = await setup(rows);
      if ('skip' in s) skip = s.skip;
      else {
        subject = s;
        if (s.rows) rows = s.rows;
      }
    });
    afterAll(async () => {
      await subject?.source.close();
      await subject?.close?.();
    });
    const need = (cap?: keyof NonNullable<ContractSubject['caps']>): DatafeedSource | null => {
      if (skip) {
        console.warn(`${name}: skipped — ${skip}`);
        return null;
      }
      const reason = cap ? subject!.caps?.[cap] : undefined;
      if (reason) {
        console.warn(`${name}: case skipped — ${reason}`);
        return null;
      }
      return subject!.source;
    };

    it('buckets: count, avg, sum, min, max per 5-minute bucket, computed by the store', async () => {
      const src = need('metrics');
      if (!src) return;
      const start = t0 + 60 * 60_000;
      const end = t0 + 3 * 60 * 60_000;
      const pages = await collectPages(src.search({ start, end, aggregation: AGG(300_000, false) }));
      expectRowsClose(bucketRows(pages), expectedBuckets(rows, start, end, 300_000, false));
    });

    it('buckets per partition; pages never split a bucket', async () => {
      const src = need('partition');
      if (!src) return;
      const start = t0;
      const end = t0 + 8 * 60 * 60_000;
      const pages = await collectPages(src.search({ start, end, aggregation: AGG(600_000, true), pageSize: 5 }));
      expect(pages.length).toBeGreaterThan(3);
      const seen = new Set<number>();
      for (const p of pages) {
        if (p.kind !== 'buckets') throw new Error('expected buckets');
        const times = new Set(p.time);
        for (const t of times) {
          expect(seen.has(t), `bucket ${t} split across pages`).toBe(false);
        }
        for (const t of times) seen.add(t);
      }
      expectRowsClose(bucketRows(pages), expectedBuckets(rows, start, end, 600_000, true));
    });

    it('records in [start, end) in time order, time in epoch ms, paged without splitting a millisecond', async () => {
      const src = need('records');
      if (!src) return;
      const start = t0 + 30 * 60_000;
      const end = t0 + 90 * 60_000;
      const pages: SearchPage[] = await collectPages(src.search({ start, end, pageSize: 7 }));
      const docs = pages.flatMap((p) => (p.kind === 'records' ? p.docs : []));
      const want = rows.filter((r) => r.ts >= start && r.ts < end);
      expect(docs.length).toBe(want.length);
      const times = docs.map((x) => x[src.timeField] as number);
      expect(times).toEqual(want.map((r) => r.ts).sort((a, b) => a - b));
      expect(pages.length).toBeGreaterThan(5);
      const hosts = docs.map((x) => x.host).sort();
      expect(hosts).toEqual(want.map((r) => r.host).sort());
    });

    it('time bounds', async () => {
      const src = need();
      if (!src) return;
      const b = await src.timeBounds();
      expect(b.earliest).toBeLessThanOrEqual(rows[0].ts);
      expect(b.latest).toBeGreaterThanOrEqual(t0 + 479 * 60_000);
      const empty = await src.timeBounds({ start: t0 - 86_400_000, end: t0 - 3_600_000 });
      expect(empty.earliest).toBeNull();
    });

    it('fields name the time, value and partition fields', async () => {
      const src = need();
      if (!src) return;
      const f = await src.fields();
      const names = f.map((x) => x.name);
      expect(names).toEqual(expect.arrayContaining([src.timeField, 'value']));
    });
  });
}
