/**
 * The official Elasticsearch clients (v8 and v9) drive a full job life cycle against a real
 * listening server (port 0 on 127.0.0.1, embedded DuckDB store in a temporary data directory).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as Client8 } from 'es8';
import { Client as Client9 } from 'es9';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './server.js';
import { fakeEngine } from './test-kit/fake-engine.js';
import { testServerConfig } from './test-kit/server-config.js';

const T0 = Date.UTC(2024, 0, 1);
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-client-'));
  const cfg = testServerConfig(dir);
  server = await startServer(cfg, { engine: fakeEngine, version: 'test' });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

type AnyClient = {
  ml: Record<string, (params: Record<string, unknown>) => Promise<any>>;
  info: () => Promise<any>;
  close: () => Promise<void>;
};

for (const [name, make] of [
  ['v8', () => new Client8({ node: server.url }) as unknown as AnyClient],
  ['v9', () => new Client9({ node: server.url }) as unknown as AnyClient],
] as const) {
  describe(`official client ${name}`, () => {
    it('drives create → open → data → flush → buckets/records/influencers → stats → close → delete', async () => {
      const es = make();
      const id = `client-${name}`;
      try {
        expect((await es.info()).tagline).toBe('You Know, for Search');
        const put = await es.ml.putJob({
          job_id: id,
          description: 'client test',
          analysis_config: { bucket_span: '5m', detectors: [{ function: 'count' }], influencers: [] },
          data_description: { time_field: 'time', time_format: 'epoch_ms' },
        });
        expect(put).toMatchObject({ job_id: id, job_type: 'anomaly_detector', analysis_config: { bucket_span: '5m' } });
        expect(await es.ml.openJob({ job_id: id })).toMatchObject({ opened: true });
        const data = Array.from({ length: 60 }, (_, i) => ({ time: T0 + i * 30_000, v: i }));
        const counts = await es.ml.postData({ job_id: id, data });
        expect(counts).toMatchObject({ job_id: id, processed_record_count: 60, bucket_count: 5 });
        expect(await es.ml.flushJob({ job_id: id, calc_interim: true })).toMatchObject({ flushed: true });
        const buckets = await es.ml.getBuckets({ job_id: id, exclude_interim: true, page: { from: 0, size: 3 }, sort: 'timestamp', desc: false });
        expect(buckets.count).toBe(5);
        expect(buckets.buckets.map((b: any) => b.timestamp)).toEqual([T0, T0 + 300_000, T0 + 600_000]);
        const records = await es.ml.getRecords({ job_id: id, record_score: 5, desc: true });
        expect(records.count).toBe(5);
        const influencers = await es.ml.getInfluencers({ job_id: id });
        expect(influencers).toEqual({ count: 0, influencers: [] });
        const stats = await es.ml.getJobStats({ job_id: id });
        expect(stats.jobs[0]).toMatchObject({ job_id: id, state: 'opened', data_counts: { processed_record_count: 60 } });
        expect(await es.ml.closeJob({ job_id: id })).toEqual({ closed: true });
        expect(await es.ml.deleteJob({ job_id: id })).toEqual({ acknowledged: true });
      } finally {
        await es.close();
      }
    });

    it('errors come back in Elastic’s shape and status', async () => {
      const es = make();
      try {
        const missing = await es.ml.getJobs({ job_id: 'no-such-job' }).catch((e: any) => e);
        expect(missing.meta?.statusCode).toBe(404);
        expect(missing.meta.body.error.type).toBe('resource_not_found_exception');
        expect(missing.message).toContain("No known job with id 'no-such-job'");
        const id = `dup-${name}`;
        const job = { job_id: id, analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] }, data_description: {} };
        await es.ml.putJob(job);
        const dup = await es.ml.putJob(job).catch((e: any) => e);
        expect(dup.meta.statusCode).toBe(400);
        expect(dup.meta.body.error.type).toBe('resource_already_exists_exception');
        const closed = await es.ml.postData({ job_id: id, data: [{ time: 1 }] }).catch((e: any) => e);
        expect(closed.meta.statusCode).toBe(409);
        expect(closed.meta.body.error.type).toBe('status_exception');
        await es.ml.deleteJob({ job_id: id });
      } finally {
        await es.close();
      }
    });
  });
}
