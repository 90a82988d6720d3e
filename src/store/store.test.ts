import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from './duckdb-store.js';
import { MemoryStore } from './memory-store.js';
import { storeContract } from './test-kit/store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-store-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeContract('memory', async () => new MemoryStore());
storeContract('duckdb', async () => DuckDbStore.open(join(dir, `s${n++}.duckdb`)));

describe('DuckDbStore', () => {
  it('keeps jobs, results and snapshots across a reopen', async () => {
    const path = join(dir, 'reopen.duckdb');
    const a = await DuckDbStore.open(path);
    await a.createJob({ job_id: 'j', config: { x: 1 }, groups: [], create_time: 1, runtime: { state: 'opened' } });
    await a.writeResults('j', [{ job_id: 'j', result_type: 'bucket', timestamp: 1000, bucket_span: 60, anomaly_score: 5, is_interim: false }]);
    await a.putSnapshot({ job_id: 'j', snapshot_id: '1', timestamp: 1, description: '', retain: false, min_version: '8', snapshot_doc_count: 1, wal_seq: 7, data_counts: {} }, 'state');
    await a.close();
    const b = await DuckDbStore.open(path);
    expect((await b.getJob('j'))?.runtime.state).toBe('opened');
    expect((await b.queryResults({ jobIds: ['j'], resultType: 'bucket' })).docs[0].anomaly_score).toBe(5);
    expect(await b.getSnapshotState('j', '1')).toBe('state');
    // the cached newest timestamp is rebuilt: an older document still replaces its twin
    await b.writeResults('j', [{ job_id: 'j', result_type: 'bucket', timestamp: 1000, bucket_span: 60, anomaly_score: 9, is_interim: false }]);
    expect((await b.queryResults({ jobIds: ['j'], resultType: 'bucket' })).docs.map((d) => d.anomaly_score)).toEqual([9]);
    await b.close();
  });
});
