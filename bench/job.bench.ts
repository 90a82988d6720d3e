/**
 * The anomaly-detection job engine alone (no HTTP, no store): `_data` throughput into a `mean` job
 * partitioned by 1 000 entities with 5-minute buckets (target ≥ 250 000 records/s), and the model
 * memory of 10 000 entities in one job (target < 200 MB). Documents are built in memory first, as
 * the server hands them over after parsing. Not part of the tests.
 *
 * Run: `npm run build && node --expose-gc dist/bench/job.bench.js` (or through bench/run.ts).
 */
import { AnomalyJob } from '../src/engine/job/anomaly-job.js';
import { validateJobConfig } from '../src/engine/job/config.js';
import { Random } from '../src/core/random.js';

export interface JobBenchResult {
  records: number;
  entities: number;
  /** Median records per second over the runs. */
  recordsPerSecond: number;
  seconds: number[];
  /** Memory of the 10 000-entity job: the engine's own account and the heap measured. */
  memoryEntities: number;
  modelBytes: number;
  heapBytes: number;
}

const SPAN = 300_000;
const T0 = Date.UTC(2024, 0, 1);

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1];
}

function meanJob(id: string): AnomalyJob {
  const config = validateJobConfig(id, {
    analysis_config: { bucket_span: '5m', detectors: [{ function: 'mean', field_name: 'latency', partition_field_name: 'host' }], influencers: ['host'] },
    data_description: { time_field: 'timestamp', time_format: 'epoch_ms' },
    analysis_limits: { model_memory_limit: '4gb' },
  });
  return new AnomalyJob(config);
}

/** Documents: every entity reports once a minute (5 records per entity per bucket), in time order. */
function makeDocs(entities: number, buckets: number, perBucket: number, seed: number): Record<string, unknown>[] {
  const rnd = new Random(seed);
  const hosts = Array.from({ length: entities }, (_, i) => `host-${i}`);
  const docs: Record<string, unknown>[] = [];
  const step = SPAN / perBucket;
  for (let b = 0; b < buckets; b++) {
    for (let k = 0; k < perBucket; k++) {
      const t = T0 + b * SPAN + k * step;
      const daily = 1 + 0.3 * Math.sin((2 * Math.PI * b) / 288);
      for (let e = 0; e < entities; e++) docs.push({ timestamp: t, host: hosts[e], latency: (100 + e % 50) * daily + 5 * rnd.normal() });
    }
  }
  return docs;
}

export function benchJob(options: { entities?: number; buckets?: number; perBucket?: number; runs?: number; memoryEntities?: number; memoryBuckets?: number } = {}): JobBenchResult {
  const entities = options.entities ?? 1000;
  const buckets = options.buckets ?? 400;
  const perBucket = options.perBucket ?? 5;
  const runs = options.runs ?? 3;
  const docs = makeDocs(entities, buckets, perBucket, 1);
  const seconds: number[] = [];
  for (let r = 0; r < runs; r++) {
    const job = meanJob(`bench-${r}`);
    const t0 = performance.now();
    // posted in chunks as a server would, draining results after each
    const chunk = 10_000;
    for (let i = 0; i < docs.length; i += chunk) {
      job.postData(docs.slice(i, i + chunk));
      job.drainResults();
    }
    seconds.push((performance.now() - t0) / 1000);
  }
  // memory: 10 000 entities, a day of 5-minute buckets each so every model structure is allocated
  const memoryEntities = options.memoryEntities ?? 10_000;
  const memoryBuckets = options.memoryBuckets ?? 300;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const job = meanJob('bench-memory');
  const rnd = new Random(2);
  const hosts = Array.from({ length: memoryEntities }, (_, i) => `host-${i}`);
  for (let b = 0; b < memoryBuckets; b++) {
    const batch: Record<string, unknown>[] = [];
    for (let e = 0; e < memoryEntities; e++) batch.push({ timestamp: T0 + b * SPAN + e, host: hosts[e], latency: 100 + rnd.normal() });
    job.postData(batch);
    job.drainResults();
  }
  gc?.();
  const heapBytes = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - before;
  const modelBytes = job.modelSizeStats().model_bytes;
  return {
    records: docs.length,
    entities,
    recordsPerSecond: docs.length / median(seconds),
    seconds,
    memoryEntities,
    modelBytes,
    heapBytes,
  };
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const quick = process.env.BENCH_QUICK === '1';
  const r = benchJob(quick ? { buckets: 100, runs: 1, memoryEntities: 2000, memoryBuckets: 100 } : {});
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  console.log(
    `job engine: ${fmt(r.records)} records, mean × ${fmt(r.entities)} partitions, 5m buckets: ${fmt(r.recordsPerSecond)} records/s (median; ${r.seconds.map((s) => s.toFixed(2)).join(' / ')} s)`,
  );
  console.log(`job memory: ${fmt(r.memoryEntities)} entities → ${(r.modelBytes / 2 ** 20).toFixed(1)} MiB model bytes, ${(r.heapBytes / 2 ** 20).toFixed(1)} MiB heap measured`);
}
