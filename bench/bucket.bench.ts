/**
 * Bucketing throughput: records per second through the streaming bucketizer (one series, and 1 000
 * partitions sharing one clock) and the batch `bucketSeries`. Target: ≥ 10 M records/s for mean and
 * count. Prints the median of 3 runs. Not run by tests; run it compiled (`node dist/bench/bucket.bench.js`
 * after `npm run build`), or bundled:
 * `npx esbuild bench/bucket.bench.ts --bundle --platform=node --format=esm --outfile=/tmp/bucket.bench.js && node /tmp/bucket.bench.js`.
 */
import { bucketSeries, createBucketizer } from '../src/core/bucket/bucketizer.js';

export interface BucketBenchRow {
  name: string;
  records: number;
  /** Median of the runs, records per second. */
  recordsPerSecond: number;
  /** Buckets emitted per run (0 for the batch cases). */
  buckets: number;
  /** Median wall time of one run, ms. */
  ms: number;
}

export interface BucketBenchOptions {
  /** Records per run (default 2 000 000). */
  records?: number;
  /** Runs per case; the median is reported (default 3). */
  runs?: number;
  /** Print a table (default true). */
  print?: boolean;
}

/** Runs the bucketing benchmark and returns one row per case. */
export function benchBucket(options: BucketBenchOptions = {}): BucketBenchRow[] {
  const n = options.records ?? 2_000_000;
  const runs = options.runs ?? 3;
  const print = options.print ?? true;

  // One series: 10 records per second with jitter, values a noisy sine; a 1m span holds ~600 records.
  // 1000 partitions: each reports every 10 s (100 records/s in all), so a 1m bucket holds ~6
  // records per partition (Elastic's advice: several records per bucket); a sparser variant at 0.6
  // records per bucket per partition shows the cost of emitting a bucket per partition.
  const times = new Float64Array(n);
  const partTimes = new Float64Array(n);
  const sparseTimes = new Float64Array(n);
  const values = new Float64Array(n);
  const t0 = 1_700_000_000_000;
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const jitter = seed % 5;
    times[i] = t0 + i * 100 + jitter * 10;
    partTimes[i] = t0 + i * 10 + jitter;
    sparseTimes[i] = times[i];
    values[i] = Math.sin(i / 5000) * 10 + seed / 4294967296;
  }
  const keys: string[] = [];
  for (let p = 0; p < 1000; p++) keys.push(`host-${p}`);
  // The partition of each record, as a source would hand it over (already-made strings).
  const partOf: string[] = new Array(n);
  for (let i = 0; i < n; i++) partOf[i] = keys[i % 1000];

  let sink = 0;
  let emitted = 0;
  const onBucket = (_p: string | null, t: number, v: number, c: number): void => {
    sink += c + (v === v ? v : 0) + t * 0;
    emitted++;
  };

  const cases: { name: string; run: () => void }[] = [];
  for (const fn of ['mean', 'count'] as const) {
    cases.push({
      name: `stream ${fn}, 1 series`,
      run: () => {
        const b = createBucketizer({ spanMs: 60_000, function: fn, latencyMs: 1000, onBucket });
        for (let i = 0; i < n; i++) b.add(times[i], values[i]);
        b.flush();
      },
    });
    cases.push({
      name: `stream ${fn}, 1000 partitions`,
      run: () => {
        const b = createBucketizer({ spanMs: 60_000, function: fn, latencyMs: 1000, partitioned: true, onBucket });
        for (let i = 0; i < n; i++) b.add(partTimes[i], values[i], undefined, partOf[i]);
        b.flush();
      },
    });
  }
  cases.push({
    name: 'stream mean, 1000 sparse partitions',
    run: () => {
      const b = createBucketizer({ spanMs: 60_000, function: 'mean', latencyMs: 1000, partitioned: true, onBucket });
      for (let i = 0; i < n; i++) b.add(sparseTimes[i], values[i], undefined, partOf[i]);
      b.flush();
    },
  });
  cases.push({
    name: 'stream median, 1 series',
    run: () => {
      const b = createBucketizer({ spanMs: 60_000, function: 'median', latencyMs: 1000, onBucket });
      for (let i = 0; i < n; i++) b.add(times[i], values[i]);
      b.flush();
    },
  });
  for (const fn of ['mean', 'count'] as const) {
    cases.push({
      name: `batch bucketSeries ${fn}`,
      run: () => {
        const s = bucketSeries(times, values, 60_000, fn);
        sink += s.values[0];
      },
    });
  }

  const rows: BucketBenchRow[] = [];
  for (const c of cases) {
    emitted = 0;
    c.run(); // warm-up
    const buckets = emitted;
    const ms: number[] = [];
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      c.run();
      ms.push(performance.now() - start);
    }
    ms.sort((a, b) => a - b);
    const med = ms[ms.length >> 1];
    rows.push({ name: c.name, records: n, recordsPerSecond: (n / med) * 1000, buckets, ms: med });
  }
  if (print) {
    console.log(`bucketing, ${n.toLocaleString('en')} records, median of ${runs} runs (checksum ${sink.toFixed(0).slice(-6)})`);
    for (const r of rows) {
      const perBucket = r.buckets > 0 ? `  ${(r.records / r.buckets).toFixed(1).padStart(6)} records/bucket` : '';
      console.log(`  ${r.name.padEnd(36)} ${(r.recordsPerSecond / 1e6).toFixed(1).padStart(6)} M records/s  ${r.ms.toFixed(1).padStart(8)} ms${perBucket}`);
    }
  }
  return rows;
}

// Run when executed directly (the compiled or bundled file given to node).
if (process.argv.slice(1).some((a) => /bucket\.bench\.[jt]s$/.test(a))) benchBucket();
