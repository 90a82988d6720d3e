/**
 * The Store contract: one suite every Store implementation passes (the embedded DuckDB store, the
 * in-memory reference, and any scale-out backend later). Call it from a backend's test file with a
 * factory that returns a fresh, empty store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRecord, ModelSnapshotRecord, ResultDoc, Store } from '../store.js';

const T0 = Date.UTC(2024, 0, 1);
const SPAN = 300;

function job(id: string, groups: string[] = []): JobRecord {
  return { job_id: id, config: { job_id: id, groups }, groups, create_time: T0, runtime: { state: 'closed' } };
}

function bucket(jobId: string, i: number, score: number, interim = false): ResultDoc {
  return { job_id: jobId, result_type: 'bucket', timestamp: T0 + i * SPAN * 1000, bucket_span: SPAN, anomaly_score: score, initial_anomaly_score: score, is_interim: interim, event_count: i };
}

function record(jobId: string, i: number, entity: string, score: number, interim = false): ResultDoc {
  return {
    job_id: jobId,
    result_type: 'record',
    timestamp: T0 + i * SPAN * 1000,
    bucket_span: SPAN,
    detector_index: 0,
    function: 'mean',
    partition_field_name: 'host',
    partition_field_value: entity,
    record_score: score,
    initial_record_score: score,
    probability: 1 - score / 100,
    is_interim: interim,
  };
}

function snapshot(jobId: string, id: string, seq: number): ModelSnapshotRecord {
  return { job_id: jobId, snapshot_id: id, timestamp: T0 + seq, description: 'test', retain: false, min_version: '8.0.0', snapshot_doc_count: 1, wal_seq: seq, data_counts: { processed_record_count: seq } };
}

export function storeContract(name: string, make: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store | undefined;
    const open = async (): Promise<Store> => (store = await make());
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    it('creates, refuses a taken id, lists, saves and deletes jobs', async () => {
      const s = await open();
      expect(await s.createJob(job('b'))).toBe(true);
      expect(await s.createJob(job('a', ['g']))).toBe(true);
      expect(await s.createJob(job('a'))).toBe(false);
      expect((await s.listJobs()).map((j) => j.job_id)).toEqual(['a', 'b']);
      const a = (await s.getJob('a'))!;
      expect(a.groups).toEqual(['g']);
      a.runtime = { state: 'opened', open_time: 5, data_counts: { processed_record_count: 3 } };
      await s.saveJob(a);
      expect((await s.getJob('a'))!.runtime).toEqual({ state: 'opened', open_time: 5, data_counts: { processed_record_count: 3 } });
      await s.writeResults('a', [bucket('a', 0, 1)]);
      await s.putSnapshot(snapshot('a', 's1', 1), '{"x":1}');
      await s.deleteJob('a');
      expect(await s.getJob('a')).toBeUndefined();
      expect((await s.queryResults({ jobIds: ['a'], resultType: 'bucket' })).count).toBe(0);
      expect(await s.listSnapshots('a')).toEqual([]);
      expect(await s.getJob('b')).toBeDefined();
    });

    it('filters by time range, score and interim; pages and counts', async () => {
      const s = await open();
      await s.writeResults('j', Array.from({ length: 20 }, (_, i) => bucket('j', i, i * 5, i === 19)));
      const all = await s.queryResults({ jobIds: ['j'], resultType: 'bucket' });
      expect(all.count).toBe(20);
      expect(all.docs.map((d) => d.event_count)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      const ranged = await s.queryResults({ jobIds: ['j'], resultType: 'bucket', start: T0 + 5 * SPAN * 1000, end: T0 + 10 * SPAN * 1000 });
      expect(ranged.docs.map((d) => d.event_count)).toEqual([5, 6, 7, 8, 9]);
      const scored = await s.queryResults({ jobIds: ['j'], resultType: 'bucket', minScore: 80, excludeInterim: true });
      expect(scored.docs.map((d) => d.event_count)).toEqual([16, 17, 18]);
      const page = await s.queryResults({ jobIds: ['j'], resultType: 'bucket', sort: 'anomaly_score', desc: true, from: 2, size: 3 });
      expect(page.count).toBe(20);
      expect(page.docs.map((d) => d.event_count)).toEqual([17, 16, 15]);
      const one = await s.queryResults({ jobIds: ['j'], resultType: 'bucket', timestamp: T0 + 3 * SPAN * 1000 });
      expect(one.docs.map((d) => d.event_count)).toEqual([3]);
    });

    it('replaces documents by identity (final replaces interim, renormalised scores replace old ones)', async () => {
      const s = await open();
      await s.writeResults('j', [bucket('j', 0, 10), bucket('j', 1, 20, true), record('j', 1, 'h1', 30, true)]);
      await s.writeResults('j', [bucket('j', 1, 25), record('j', 1, 'h1', 35)], { deleteInterim: true });
      const b = await s.queryResults({ jobIds: ['j'], resultType: 'bucket' });
      expect(b.docs.map((d) => [d.anomaly_score, d.is_interim])).toEqual([
        [10, false],
        [25, false],
      ]);
      // renormalisation: an older document comes again with a new score
      await s.writeResults('j', [{ ...bucket('j', 0, 10), anomaly_score: 4 }]);
      const again = await s.queryResults({ jobIds: ['j'], resultType: 'bucket' });
      expect(again.docs.map((d) => [d.anomaly_score, d.initial_anomaly_score])).toEqual([
        [4, 10],
        [25, 25],
      ]);
      const r = await s.queryResults({ jobIds: ['j'], resultType: 'record' });
      expect(r.docs).toHaveLength(1);
      expect(r.docs[0].record_score).toBe(35);
      // within one batch, the last document of an identity wins
      await s.writeResults('j', [bucket('j', 5, 1), bucket('j', 5, 2)]);
      expect((await s.queryResults({ jobIds: ['j'], resultType: 'bucket', timestamp: bucket('j', 5, 0).timestamp })).docs.map((d) => d.anomaly_score)).toEqual([2]);
    });

    it('takes explicit ids and rewrites documents by id (renormalisation)', async () => {
      const s = await open();
      await s.writeResults('j', [bucket('j', 0, 10), record('j', 0, 'h1', 40)], { ids: ['b0', 'r0'] });
      const n = await s.updateResults('j', [
        { id: 'r0', timestamp: T0, apply: (d) => ({ ...d, record_score: 12 }) },
        { id: 'missing', timestamp: T0, apply: (d) => ({ ...d, record_score: 99 }) },
      ]);
      expect(n).toBe(1);
      const r = await s.queryResults({ jobIds: ['j'], resultType: 'record', minScore: 10 });
      expect(r.docs.map((d) => [d.record_score, d.initial_record_score])).toEqual([[12, 40]]);
      expect((await s.queryResults({ jobIds: ['j'], resultType: 'record', minScore: 20 })).count).toBe(0);
      // the same id written again replaces the document
      await s.writeResults('j', [{ ...bucket('j', 0, 10), anomaly_score: 3 }], { ids: ['b0'] });
      expect((await s.queryResults({ jobIds: ['j'], resultType: 'bucket' })).docs.map((d) => d.anomaly_score)).toEqual([3]);
    });

    it('deleteInterim removes interim results even with nothing new to write', async () => {
      const s = await open();
      await s.writeResults('j', [bucket('j', 0, 10), bucket('j', 1, 20, true)]);
      await s.writeResults('j', [], { deleteInterim: true });
      expect((await s.queryResults({ jobIds: ['j'], resultType: 'bucket' })).count).toBe(1);
    });

    it('sorts records by score, probability and entity; filters by partition; spans several jobs', async () => {
      const s = await open();
      await s.writeResults('a', [record('a', 0, 'h2', 50), record('a', 0, 'h1', 90), record('a', 1, 'h1', 70)]);
      await s.writeResults('b', [record('b', 0, 'h3', 60)]);
      const byScore = await s.queryResults({ jobIds: ['a', 'b'], resultType: 'record', sort: 'record_score', desc: true });
      expect(byScore.docs.map((d) => d.record_score)).toEqual([90, 70, 60, 50]);
      const byProb = await s.queryResults({ jobIds: ['a'], resultType: 'record', sort: 'probability' });
      expect(byProb.docs.map((d) => d.record_score)).toEqual([90, 70, 50]);
      const h1 = await s.queryResults({ jobIds: ['a'], resultType: 'record', partitionFieldValue: 'h1' });
      expect(h1.docs.map((d) => d.timestamp)).toEqual([T0, T0 + SPAN * 1000]);
      const byEntity = await s.queryResults({ jobIds: ['a'], resultType: 'record', sort: 'partition_field_value', desc: true });
      expect(byEntity.docs.map((d) => d.partition_field_value)).toEqual(['h2', 'h1', 'h1']);
      const scores = await s.bucketScores({ jobIds: ['a'] });
      expect(scores).toEqual([]);
    });

    it('returns bucket scores for overall buckets', async () => {
      const s = await open();
      await s.writeResults('a', [bucket('a', 0, 10), bucket('a', 1, 30, true)]);
      await s.writeResults('b', [bucket('b', 0, 20)]);
      expect(await s.bucketScores({ jobIds: ['a', 'b'] })).toEqual([
        { job_id: 'a', timestamp: T0, anomaly_score: 10, is_interim: false },
        { job_id: 'b', timestamp: T0, anomaly_score: 20, is_interim: false },
        { job_id: 'a', timestamp: T0 + SPAN * 1000, anomaly_score: 30, is_interim: true },
      ]);
      expect(await s.bucketScores({ jobIds: ['a', 'b'], excludeInterim: true })).toHaveLength(2);
    });

    it('summarises each job\'s newest bucket and highest bucket score as the top-1 bucket queries answer them', async () => {
      const s = await open();
      // what results/buckets answers per job, sorted by time, then by score, descending, size 1
      const expected = async (ids: string[]) => {
        const out = [];
        for (const id of [...new Set(ids)].sort()) {
          const top = (sort: 'timestamp' | 'anomaly_score') => s.queryResults({ jobIds: [id], resultType: 'bucket', sort, desc: true, size: 1 });
          const [latest, highest] = [(await top('timestamp')).docs[0], (await top('anomaly_score')).docs[0]];
          if (!latest) continue;
          out.push({ job_id: id, latest: { timestamp: latest.timestamp, anomaly_score: latest.anomaly_score, is_interim: latest.is_interim === true }, max_anomaly_score: highest.anomaly_score });
        }
        return out;
      };
      const check = async (ids: string[]) => {
        const got = await s.bucketSummaries(ids);
        expect(got).toEqual(await expected(ids));
        return got;
      };
      // tie: its highest score twice; interim: its newest bucket interim (and the highest score);
      // records-only: records but no buckets; span-tie: two buckets at its newest time (two spans)
      await s.writeResults('tie', [bucket('tie', 0, 40), bucket('tie', 1, 75.5), bucket('tie', 2, 10), bucket('tie', 3, 75.5), bucket('tie', 4, 3), record('tie', 4, 'h', 99)]);
      await s.writeResults('interim', [bucket('interim', 0, 20), bucket('interim', 1, 5)]);
      await s.writeResults('interim', [bucket('interim', 2, 90, true), record('interim', 2, 'h', 95, true)], { deleteInterim: true });
      await s.writeResults('records-only', [record('records-only', 0, 'h', 80)]);
      await s.writeResults('span-tie', [bucket('span-tie', 0, 30), bucket('span-tie', 5, 12), { ...bucket('span-tie', 5, 64), bucket_span: 60 }]);
      const all = ['tie', 'interim', 'records-only', 'span-tie', 'unknown'];
      expect(await check(all)).toEqual([
        { job_id: 'interim', latest: { timestamp: T0 + 2 * SPAN * 1000, anomaly_score: 90, is_interim: true }, max_anomaly_score: 90 },
        { job_id: 'span-tie', latest: expect.objectContaining({ timestamp: T0 + 5 * SPAN * 1000, is_interim: false }), max_anomaly_score: 64 },
        { job_id: 'tie', latest: { timestamp: T0 + 4 * SPAN * 1000, anomaly_score: 3, is_interim: false }, max_anomaly_score: 75.5 },
      ]);
      expect(await s.bucketSummaries([])).toEqual([]);
      expect(await s.bucketSummaries(['tie', 'tie'])).toHaveLength(1);
      // the final bucket replaces the interim one (and its score)
      await s.writeResults('interim', [bucket('interim', 2, 50)], { deleteInterim: true });
      expect((await check(['interim']))[0]).toEqual({ job_id: 'interim', latest: { timestamp: T0 + 2 * SPAN * 1000, anomaly_score: 50, is_interim: false }, max_anomaly_score: 50 });
      // retention: the older buckets (the highest score among them) deleted; a reset deletes them all
      expect(await s.deleteResults('tie', { end: T0 + 2 * SPAN * 1000 })).toBe(2);
      expect((await check(['tie']))[0].max_anomaly_score).toBe(75.5);
      await s.deleteResults('tie', { end: T0 + 4 * SPAN * 1000 });
      expect((await check(['tie']))[0]).toEqual({ job_id: 'tie', latest: { timestamp: T0 + 4 * SPAN * 1000, anomaly_score: 3, is_interim: false }, max_anomaly_score: 3 });
      await s.deleteResults('interim', {});
      await s.deleteJob('span-tie');
      expect(await check(all)).toEqual([{ job_id: 'tie', latest: { timestamp: T0 + 4 * SPAN * 1000, anomaly_score: 3, is_interim: false }, max_anomaly_score: 3 }]);
      // written again after the reset
      await s.writeResults('interim', [bucket('interim', 7, 1)]);
      expect(await check(all)).toHaveLength(2);
    });

    it('updates and deletes single snapshots, and deletes results by time range', async () => {
      const s = await open();
      await s.putSnapshot(snapshot('j', 's1', 1), 'one');
      await s.putSnapshot(snapshot('j', 's2', 2), 'two');
      expect(await s.updateSnapshot({ ...snapshot('j', 's1', 1), description: 'kept', retain: true })).toBe(true);
      expect(await s.updateSnapshot(snapshot('j', 'nope', 9))).toBe(false);
      const s1 = (await s.listSnapshots('j')).find((x) => x.snapshot_id === 's1');
      expect(s1).toMatchObject({ description: 'kept', retain: true });
      expect(await s.getSnapshotState('j', 's1')).toBe('one');
      expect(await s.deleteSnapshot('j', 's2')).toBe(true);
      expect(await s.deleteSnapshot('j', 's2')).toBe(false);
      expect((await s.listSnapshots('j')).map((x) => x.snapshot_id)).toEqual(['s1']);

      await s.writeResults('j', [bucket('j', 0, 1), bucket('j', 1, 2), bucket('j', 2, 3), record('j', 2, 'a', 50)]);
      expect(await s.deleteResults('j', { start: T0 + 2 * SPAN * 1000 })).toBe(2);
      expect((await s.queryResults({ jobIds: ['j'], resultType: 'bucket' })).docs.map((d) => d.anomaly_score)).toEqual([1, 2]);
      expect(await s.deleteResults('j', { end: T0 + SPAN * 1000 })).toBe(1);
      expect((await s.queryResults({ jobIds: ['j'], resultType: 'bucket' })).docs.map((d) => d.anomaly_score)).toEqual([2]);
      // a result written again after a deletion is stored again (the newest-timestamp cache follows)
      await s.writeResults('j', [bucket('j', 2, 7)]);
      expect((await s.queryResults({ jobIds: ['j'], resultType: 'bucket' })).docs.map((d) => d.anomaly_score)).toEqual([2, 7]);
      expect(await s.deleteResults('j', {})).toBe(2);
    });

    it('keeps snapshots newest first, returns their state and prunes old ones', async () => {
      const s = await open();
      await s.putSnapshot(snapshot('j', 's1', 1), 'one');
      await s.putSnapshot(snapshot('j', 's3', 3), 'three');
      await s.putSnapshot({ ...snapshot('j', 's2', 2), retain: true }, 'two');
      expect((await s.listSnapshots('j')).map((x) => x.snapshot_id)).toEqual(['s3', 's2', 's1']);
      expect(await s.getSnapshotState('j', 's3')).toBe('three');
      expect((await s.listSnapshots('j'))[0].data_counts).toEqual({ processed_record_count: 3 });
      await s.pruneSnapshots('j', 1);
      expect((await s.listSnapshots('j')).map((x) => x.snapshot_id)).toEqual(['s3', 's2']);
      expect(await s.getSnapshotState('j', 's1')).toBeUndefined();
    });

    it('keeps forecasts apart from results: put, list, page by entity, replace, delete, delete with the job', async () => {
      const s = await open();
      await s.createJob(job('j'));
      const stats = (id: string, created: number) => ({ job_id: 'j', result_type: 'model_forecast_request_stats', forecast_id: id, forecast_create_timestamp: created });
      const doc = (id: string, i: number, host: string): ResultDoc => ({
        job_id: 'j',
        result_type: 'model_forecast',
        forecast_id: id,
        timestamp: T0 + i * SPAN * 1000,
        bucket_span: SPAN,
        detector_index: 0,
        partition_field_name: 'host',
        partition_field_value: host,
        forecast_prediction: i,
        forecast_lower: i - 1,
        forecast_upper: i + 1,
      });
      await s.putForecast('j', stats('f2', 2), [doc('f2', 1, 'b'), doc('f2', 0, 'b'), doc('f2', 0, 'a')]);
      await s.putForecast('j', stats('f1', 1), [doc('f1', 0, 'a')]);
      expect((await s.listForecasts(['j'])).map((d) => d.forecast_id)).toEqual(['f1', 'f2']);
      const all = await s.queryForecast({ jobId: 'j', forecastId: 'f2' });
      expect(all.count).toBe(3);
      expect(all.docs.map((d) => `${d.timestamp - T0}:${d.partition_field_value}`)).toEqual(['0:a', '0:b', `${SPAN * 1000}:b`]);
      const b = await s.queryForecast({ jobId: 'j', forecastId: 'f2', partitionFieldValue: 'b', from: 1, size: 1 });
      expect([b.count, b.docs[0].forecast_prediction]).toEqual([2, 1]);
      expect((await s.queryForecast({ jobId: 'j', forecastId: 'f2', start: T0 + 1 })).count).toBe(1);
      expect((await s.queryResults({ jobIds: ['j'], resultType: 'bucket' })).count).toBe(0);
      await s.putForecast('j', stats('f2', 2), [doc('f2', 5, 'c')]);
      expect((await s.queryForecast({ jobId: 'j', forecastId: 'f2' })).docs.map((d) => d.partition_field_value)).toEqual(['c']);
      expect(await s.deleteForecasts('j', ['f1', 'nope'])).toBe(1);
      expect((await s.listForecasts(['j'])).map((d) => d.forecast_id)).toEqual(['f2']);
      expect((await s.queryForecast({ jobId: 'j', forecastId: 'f1' })).count).toBe(0);
      await s.deleteJob('j');
      expect(await s.listForecasts(['j'])).toEqual([]);
      expect((await s.queryForecast({ jobId: 'j', forecastId: 'f2' })).count).toBe(0);
    });
  });
}
