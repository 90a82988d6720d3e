/**
 * Jobs service benchmark (`npm run bench -- server`), not run by the tests:
 * 1. `_data` end to end over HTTP on loopback into a `mean(value)` job partitioned by 1 000
 *    entities with 5-minute buckets (NDJSON bodies built before the clock starts; WAL fsync,
 *    engine, result writes and replies included) — target ≥ 250 000 records/s;
 * 2. results queries over 100 000 stored records (time range + record_score filter, sorted by
 *    record_score or timestamp, paged) — p50/p99 over HTTP, target p99 ≤ 50 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/server/config.js';
import { startServer } from '../src/server/server.js';
import type { EngineFactory } from '../src/server/jobs/engine-port.js';
import type { ResultDoc } from '../src/store/store.js';

export interface ServerBenchOptions {
  /** Records posted in part 1 (default 2 000 000). */
  records?: number;
  entities?: number;
  /** Records per `_data` request (default 20 000). */
  batch?: number;
  /** Stored records for part 2 (default 100 000). */
  storedRecords?: number;
  queries?: number;
  /** Engine to use (default the job engine). */
  engine?: EngineFactory;
  print?: boolean;
}

export interface ServerBenchResult {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  requests: number;
  buckets: number;
  resultsWritten: number;
  storedRecords: number;
  queryP50Ms: number;
  queryP99Ms: number;
  queryMaxMs: number;
}

const T0 = Date.UTC(2024, 0, 1);
const SPAN = 300_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function benchServer(o: ServerBenchOptions = {}): Promise<ServerBenchResult> {
  const records = o.records ?? 2_000_000;
  const entities = o.entities ?? 1000;
  const batch = o.batch ?? 20_000;
  const stored = o.storedRecords ?? 100_000;
  const queries = o.queries ?? 200;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-server-'));
  const cfg = { ...defaultConfig(dir), port: 0, port_explicit: true, data_dir: join(dir, 'data'), log_level: 'silent' as const };
  const server = await startServer(cfg, { engine: o.engine, version: 'bench' });
  const url = server.url;
  const call = async (method: string, path: string, body?: string, type = 'application/json'): Promise<any> => {
    const r = await fetch(url + path, { method, body, headers: body === undefined ? {} : { 'content-type': type } });
    const json = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  try {
    // ---- 1. ingest
    await call(
      'PUT',
      '/_ml/anomaly_detectors/bench-mean',
      JSON.stringify({
        analysis_config: { bucket_span: '5m', detectors: [{ function: 'mean', field_name: 'value', partition_field_name: 'entity' }] },
        analysis_limits: { model_memory_limit: '2gb' },
        data_description: { time_field: 'time', time_format: 'epoch_ms' },
      }),
    );
    await call('POST', '/_ml/anomaly_detectors/bench-mean/_open');
    // two records per entity per bucket, a daily pattern plus noise, a few spikes
    const perBucket = entities * 2;
    const bodies: string[] = [];
    let lines: string[] = [];
    let seed = 42;
    const rand = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (let i = 0; i < records; i++) {
      const b = Math.floor(i / perBucket);
      const e = i % entities;
      const t = T0 + b * SPAN + Math.floor(((i % perBucket) / perBucket) * SPAN);
      const daily = 100 + 30 * Math.sin((2 * Math.PI * (t % 86_400_000)) / 86_400_000);
      const spike = rand() < 0.0002 ? 400 : 0;
      lines.push(`{"time":${t},"entity":"e${e}","value":${(daily + (e % 17) + rand() * 10 + spike).toFixed(2)}}`);
      if (lines.length === batch) {
        bodies.push(lines.join('\n'));
        lines = [];
      }
    }
    if (lines.length) bodies.push(lines.join('\n'));
    const t0 = performance.now();
    let counts: any;
    for (const body of bodies) counts = await call('POST', '/_ml/anomaly_detectors/bench-mean/_data', body, 'application/x-ndjson');
    const seconds = (performance.now() - t0) / 1000;
    await call('POST', '/_ml/anomaly_detectors/bench-mean/_flush', JSON.stringify({ calc_interim: true }));
    const written = await call('GET', '/_ml/anomaly_detectors/bench-mean/results/records?size=0');
    const bucketsWritten = await call('GET', '/_ml/anomaly_detectors/bench-mean/results/buckets?size=0');

    // ---- 2. queries over `stored` record results of another job
    await call('PUT', '/_ml/anomaly_detectors/bench-query', JSON.stringify({ analysis_config: { bucket_span: '5m', detectors: [{ function: 'mean', field_name: 'value', partition_field_name: 'entity' }] }, data_description: {} }));
    const docs: ResultDoc[] = [];
    for (let i = 0; i < stored; i++) {
      const score = Math.round(rand() * rand() * 10000) / 100;
      docs.push({
        job_id: 'bench-query',
        result_type: 'record',
        timestamp: T0 + Math.floor(i / 10) * SPAN,
        bucket_span: 300,
        detector_index: 0,
        function: 'mean',
        function_description: 'mean',
        field_name: 'value',
        partition_field_name: 'entity',
        partition_field_value: `e${i % 1000}`,
        probability: Math.max(1e-300, (100 - score) / 100),
        multi_bucket_impact: 0,
        record_score: score,
        initial_record_score: score,
        typical: [100],
        actual: [100 + score],
        is_interim: false,
      });
    }
    for (let i = 0; i < docs.length; i += 10_000) await server.store.writeResults('bench-query', docs.slice(i, i + 10_000));
    const times: number[] = [];
    const lastTs = T0 + Math.floor(stored / 10) * SPAN;
    for (let k = 0; k < queries; k++) {
      const start = T0 + Math.floor(rand() * (lastTs - T0) * 0.7);
      const end = start + 7 * 86_400_000;
      const q =
        k % 3 === 0
          ? { start, end, record_score: 10, sort: 'record_score', desc: true, page: { from: (k % 5) * 100, size: 100 } }
          : k % 3 === 1
            ? { start, end, sort: 'timestamp', page: { from: 0, size: 100 } }
            : { record_score: 50, page: { from: 0, size: 500 } };
      const q0 = performance.now();
      await call('POST', '/_ml/anomaly_detectors/bench-query/results/records', JSON.stringify(q));
      times.push(performance.now() - q0);
    }
    times.sort((a, b) => a - b);
    const out: ServerBenchResult = {
      records,
      seconds,
      recordsPerSecond: records / seconds,
      requests: bodies.length,
      buckets: Number(counts?.bucket_count ?? 0),
      resultsWritten: Number(written.count) + Number(bucketsWritten.count),
      storedRecords: stored,
      queryP50Ms: percentile(times, 50),
      queryP99Ms: percentile(times, 99),
      queryMaxMs: times[times.length - 1],
    };
    if (o.print !== false) {
      const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
      console.log(
        `jobs server: _data into mean(value) by 1,000 partitions, 5m buckets: ${fmt(out.recordsPerSecond)} records/s end to end over HTTP (${fmt(records)} records in ${out.requests} requests, ${seconds.toFixed(2)} s, ${fmt(out.buckets)} buckets, ${fmt(out.resultsWritten)} results)`,
      );
      console.log(`jobs server: results/records queries over ${fmt(stored)} records: p50 ${out.queryP50Ms.toFixed(1)} ms, p99 ${out.queryP99Ms.toFixed(1)} ms, max ${out.queryMaxMs.toFixed(1)} ms (${queries} queries)`);
    }
    return out;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
