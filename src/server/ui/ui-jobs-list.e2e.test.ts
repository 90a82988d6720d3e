/**
 * The jobs list with many jobs, in Chromium against a real server (buildApp on 127.0.0.1 port 0):
 * the page's requests do not grow with the number of jobs (it made two results requests per job,
 * 7.5 s for 252 jobs), and each row shows its job's newest and highest bucket scores, '—' for a
 * job without results. Skipped, saying why, when /usr/bin/chromium is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { MemoryStore } from '../../store/memory-store.js';
import type { ResultDoc } from '../../store/store.js';
import { buildApp } from '../app.js';
import { JobService } from '../jobs/job-service.js';
import { fakeEngine } from '../test-kit/fake-engine.js';
import { haveChromium, openChromiumPage } from './test-kit/chromium.js';
import { ensureUiBuilt } from './test-kit/ui-build.js';

const chromiumThere = haveChromium('ui-jobs-list.e2e');

const N = 60;
const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const id = (j: number): string => `list-${String(j).padStart(2, '0')}`;
/** Job j's bucket scores (every seventh job has none), one bucket an hour from a job-dependent start. */
const scoresOf = (j: number): number[] => (j % 7 === 3 ? [] : Array.from({ length: 5 + (j % 4) }, (_, b) => ((j * 37 + b * 53) % 997) / 10));

describe.skipIf(!chromiumThere)('jobs list in Chromium with many jobs', { timeout: 180_000 }, () => {
  let browser: Browser;
  let page: Page;
  let close: () => Promise<void>;
  let url: string;

  beforeAll(async () => {
    ensureUiBuilt();
    const store = new MemoryStore();
    const service = new JobService({ store, engine: fakeEngine });
    const app = buildApp({ service });
    for (let j = 0; j < N; j++) {
      const res = await app.inject({ method: 'PUT', url: `/_ml/anomaly_detectors/${id(j)}`, payload: { analysis_config: { bucket_span: '1h', detectors: [{ function: 'count' }] }, data_description: { time_field: 't' } } });
      if (res.statusCode !== 200) throw new Error(res.body);
      const docs: ResultDoc[] = scoresOf(j).map((score, b) => ({ job_id: id(j), result_type: 'bucket', timestamp: T0 + (j + b) * HOUR, bucket_span: 3600, anomaly_score: score, initial_anomaly_score: score, event_count: 1, is_interim: false }));
      if (docs.length) await store.writeResults(id(j), docs);
    }
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    close = async () => {
      await app.close();
      await service.shutdown();
      await store.close();
    };
    ({ browser, page } = await openChromiumPage());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await close?.();
  });

  it(`loads ${N} jobs with a few requests, not two per job, and shows each job's latest and highest score`, async () => {
    const requests: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (!path.startsWith('/app')) requests.push(`${r.method()} ${path}`);
    });
    await page.goto(`${url}/app/#/jobs`);
    await page.waitForFunction((n) => document.querySelectorAll('tr[data-job]').length === n, N);
    // the jobs, their stats, the server's operations, the scores: 4 whatever the number of jobs
    expect(requests.filter((r) => r.includes('/results/'))).toEqual([]);
    expect(requests.length).toBeLessThanOrEqual(5);
    const rows = await page.$$eval('tr[data-job]', (trs) =>
      trs.map((tr) => {
        const td = tr.querySelectorAll('td');
        return { job: tr.getAttribute('data-job'), latest: td[7].textContent, latestTitle: td[7].getAttribute('title'), max: td[8].textContent };
      }),
    );
    expect(rows.map((r) => r.job)).toEqual(Array.from({ length: N }, (_, j) => id(j)));
    for (let j = 0; j < N; j++) {
      const s = scoresOf(j);
      if (s.length === 0) expect(rows[j]).toEqual({ job: id(j), latest: '—', latestTitle: '', max: '—' });
      else {
        expect(rows[j]).toMatchObject({ job: id(j), latest: String(Math.round(s[s.length - 1])), max: String(Math.round(Math.max(...s))) });
        expect(rows[j].latestTitle).not.toBe('');
      }
    }
  });
});
