import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../store/memory-store.js';
import type { Store } from '../../store/store.js';
import { fakeEngine } from '../test-kit/fake-engine.js';
import { JobService } from './job-service.js';

const root = mkdtempSync(join(tmpdir(), 'vigil-dur-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const T0 = Date.UTC(2024, 0, 1) / 1000;
const JOB = { analysis_config: { bucket_span: '5m', detectors: [{ function: 'count' }] }, data_description: { time_field: 'time' } };
// gaps vary so bucket counts grow now and then and earlier records get renormalised
const TIMES: number[] = [];
for (let i = 0, t = T0; i < 12 * 25; i++) TIMES.push((t += 1 + ((i * 7919) % 97) * (i > 200 ? 0.3 : 1)));
const batch = (k: number): Buffer => Buffer.from(TIMES.slice(k * 25, k * 25 + 25).map((time) => JSON.stringify({ time })).join('\n'));

function service(store: Store, walDir: string): JobService {
  return new JobService({ store, engine: fakeEngine, walDir, snapshotEveryOps: 3 });
}

async function everything(store: Store): Promise<unknown> {
  const all = async (t: 'bucket' | 'record') => (await store.queryResults({ jobIds: ['j'], resultType: t, size: 10_000 })).docs;
  return { buckets: await all('bucket'), records: await all('record') };
}

const stable = (c: Record<string, unknown>): Record<string, unknown> => {
  const { last_data_time: _a, log_time: _b, ...rest } = c;
  return rest;
};

describe('durability (in-process crash: the service is dropped without shutdown)', () => {
  it('a restarted service re-opens the job, replays the WAL after the snapshot and ends like an uninterrupted run', async () => {
    // uninterrupted
    const refStore = new MemoryStore();
    const ref = service(refStore, join(root, `w${n++}`));
    await ref.putJob('j', JOB);
    await ref.openJob('j');
    let refCounts: Record<string, unknown> = {};
    for (let k = 0; k < 12; k++) refCounts = await ref.postData('j', batch(k));
    await ref.flushJob('j', { calcInterim: true });

    // crashed after 7 batches (snapshots at 3 and 6; batch 7 only in the WAL)
    const store = new MemoryStore();
    const walDir = join(root, `w${n++}`);
    const a = service(store, walDir);
    await a.putJob('j', JOB);
    await a.openJob('j');
    for (let k = 0; k < 7; k++) await a.postData('j', batch(k));
    expect((await store.listSnapshots('j')).length).toBeGreaterThan(0);
    // a: gone, no shutdown

    const b = service(store, walDir);
    expect(await b.recover()).toMatchObject({ reopened: ['j'] });
    expect(b.isOpen('j')).toBe(true);
    const resumed = (await b.stats('j'))[0].data_counts as Record<string, unknown>;
    expect(resumed.processed_record_count).toBe(7 * 25);
    let counts: Record<string, unknown> = {};
    for (let k = 7; k < 12; k++) counts = await b.postData('j', batch(k));
    await b.flushJob('j', { calcInterim: true });
    expect(stable(counts)).toEqual(stable(refCounts));
    const final = (await everything(store)) as { records: { record_score: number; initial_record_score: number }[] };
    expect(final).toEqual(await everything(refStore));
    expect(final.records.some((r) => r.record_score !== r.initial_record_score)).toBe(true);
    await b.shutdown();
    await a.shutdown();
    await ref.shutdown();
  });

  it('a clean shutdown snapshots; a close persists; a force close keeps the data in the WAL', async () => {
    const store = new MemoryStore();
    const walDir = join(root, `w${n++}`);
    const a = service(store, walDir);
    await a.putJob('j', JOB);
    await a.openJob('j');
    await a.postData('j', batch(0));
    await a.closeJobs('j', { force: true });
    expect(await store.listSnapshots('j')).toHaveLength(0);
    await a.openJob('j');
    expect(((await a.stats('j'))[0].data_counts as Record<string, unknown>).processed_record_count).toBe(25);
    await a.postData('j', batch(1));
    await a.closeJobs('j');
    const snaps = await store.listSnapshots('j');
    expect(snaps).toHaveLength(1);
    expect(snaps[0].data_counts.processed_record_count).toBe(50);
    expect((await store.getJob('j'))?.runtime).toMatchObject({ state: 'closed', model_snapshot_id: snaps[0].snapshot_id });
    await a.openJob('j');
    await a.shutdown();
    const b = service(store, walDir);
    await b.recover();
    expect(((await b.stats('j'))[0].data_counts as Record<string, unknown>).processed_record_count).toBe(50);
    await b.shutdown();
  });
});
