/**
 * The crash test: the real server process (`node bin/vigil.js serve`) is killed with SIGKILL while
 * data is streaming in, restarted on the same data directory, fed the rest, and must end with the
 * same results and data counts as an uninterrupted run of the same data.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import type { ResultDoc } from '../store/store.js';
import { anomalyJobEngine } from './jobs/engine-adapter.js';
import { JobService } from './jobs/job-service.js';
import { ndjsonOf, webDocs } from './test-kit/web-data.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vigil-crash-'));
const children: ChildProcess[] = [];

beforeAll(() => {
  // the real server runs from dist/: build it when sources are newer (npm test has done it already)
  execFileSync(process.execPath, [join(root, 'scripts', 'ensure-ready.mjs')], { cwd: root, stdio: 'ignore' });
}, 300_000);
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(root, 'bin', 'vigil.js'), 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    cwd: root,
    env: { ...process.env, VIGIL_SNAPSHOT_EVERY_OPS: '4' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /at (http:\/\/[^ ]+) \(data/.exec(err);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

const JOB = {
  analysis_config: { bucket_span: '30m', detectors: [{ function: 'mean', field_name: 'bytes', partition_field_name: 'host' }, { function: 'count', by_field_name: 'response' }], influencers: ['host', 'clientip'] },
  data_description: { time_field: 'timestamp', time_format: 'epoch_ms' },
};

const docs = webDocs(48, 40);
const BATCH = 250;
const batches: string[] = [];
for (let i = 0; i < docs.length; i += BATCH) batches.push(ndjsonOf(docs.slice(i, i + BATCH)));

/** Results without what depends on the wall clock, in a stable order. */
function comparable(list: ResultDoc[]): string[] {
  return list.map((d) => JSON.stringify({ ...d, processing_time_ms: undefined })).sort();
}

async function http(url: string, method: string, path: string, body?: string, type = 'application/json'): Promise<any> {
  const r = await fetch(url + path, { method, body, headers: body === undefined ? {} : { 'content-type': type } });
  const json = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

describe('crash test (real server process, SIGKILL mid-stream)', () => {
  it('after kill -9 and restart, the open job resumes and ends with the results of an uninterrupted run', async () => {
    // the uninterrupted run, in process
    const refStore = new MemoryStore();
    const ref = new JobService({ store: refStore, engine: anomalyJobEngine, walDir: join(dir, 'ref-wal'), snapshotEveryOps: 1000 });
    await ref.putJob('crash', JOB);
    await ref.openJob('crash');
    for (const b of batches) await ref.postData('crash', Buffer.from(b));
    await ref.flushJob('crash', { calcInterim: true });
    const refCounts = (await ref.stats('crash'))[0].data_counts as Record<string, unknown>;
    const refAll = async (t: 'bucket' | 'record' | 'influencer') => comparable((await refStore.queryResults({ jobIds: ['crash'], resultType: t, size: 100_000 })).docs);

    // the crashed run
    const dataDir = join(dir, 'data');
    let { child, url } = await startServer(dataDir);
    await http(url, 'PUT', '/_ml/anomaly_detectors/crash', JSON.stringify(JOB));
    await http(url, 'POST', '/_ml/anomaly_detectors/crash/_open');
    const killAt = Math.floor(batches.length * 0.6);
    for (let i = 0; i < killAt; i++) await http(url, 'POST', '/_ml/anomaly_detectors/crash/_data', batches[i], 'application/x-ndjson');
    // one more batch in flight, then SIGKILL
    const inFlight = fetch(url + '/_ml/anomaly_detectors/crash/_data', { method: 'POST', body: batches[killAt], headers: { 'content-type': 'application/x-ndjson' } }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await inFlight;

    ({ child, url } = await startServer(dataDir));
    const stats = (await http(url, 'GET', '/_ml/anomaly_detectors/crash/_stats')).jobs[0];
    expect(stats.state).toBe('opened');
    const accepted = stats.data_counts.input_record_count as number;
    // whole batches only: killAt acknowledged, the one in flight either wholly in or wholly out
    expect([killAt * BATCH, (killAt + 1) * BATCH]).toContain(accepted);
    for (let i = accepted / BATCH; i < batches.length; i++) await http(url, 'POST', '/_ml/anomaly_detectors/crash/_data', batches[i], 'application/x-ndjson');
    await http(url, 'POST', '/_ml/anomaly_detectors/crash/_flush', JSON.stringify({ calc_interim: true }));

    const get = async (kind: string, key: string): Promise<string[]> => comparable((await http(url, 'POST', `/_ml/anomaly_detectors/crash/results/${kind}`, JSON.stringify({ page: { from: 0, size: 10_000 } })))[key]);
    const buckets = await get('buckets', 'buckets');
    expect(buckets.length).toBeGreaterThan(90);
    expect(buckets).toEqual(await refAll('bucket'));
    expect(await get('records', 'records')).toEqual(await refAll('record'));
    expect(await get('influencers', 'influencers')).toEqual(await refAll('influencer'));
    const counts = (await http(url, 'GET', '/_ml/anomaly_detectors/crash/_stats')).jobs[0].data_counts;
    const stable = (c: Record<string, unknown>) => ({ ...c, last_data_time: undefined, log_time: undefined });
    expect(stable(counts)).toEqual(stable(refCounts));

    // a graceful stop (SIGTERM) exits 0
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    await ref.shutdown();
  }, 120_000);
});
