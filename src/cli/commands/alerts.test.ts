import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertService } from '../../server/alerting/alert-service.js';
import { startHttpReceiver, type HttpReceiver } from '../../server/alerting/test-kit/receivers.js';
import { buildApp } from '../../server/app.js';
import { JobService } from '../../server/jobs/job-service.js';
import { fakeEngine } from '../../server/test-kit/fake-engine.js';
import { MemoryStore } from '../../store/memory-store.js';
import { runCli } from '../test-kit.js';

let dir: string;
let app: FastifyInstance;
let alerts: AlertService;
let url: string;
let hook: HttpReceiver;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-cli-alerts-'));
  hook = await startHttpReceiver();
  const service = new JobService({ store: new MemoryStore(), engine: fakeEngine });
  await service.putJob('web', { analysis_config: { bucket_span: '1m', detectors: [{ function: 'count' }] }, data_description: { time_field: 'time' } });
  await service.openJob('web');
  await service.postData('web', Buffer.from(JSON.stringify({ time: Math.floor(Date.now() / 1000) - 600 }) + '\n'));
  alerts = await AlertService.open({ dir, jobs: (await import('../../server/alerting/jobs-port.js')).jobServicePort(service), timers: false });
  app = buildApp({ service, alerts });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await alerts.close(100);
  await hook.close();
  rmSync(dir, { recursive: true, force: true });
});

const vigil = (...argv: string[]) => runCli(argv, { cwd: dir });

describe('vigil alerts', () => {
  it('puts a rule, lists rules and the alerts with their delivery status', async () => {
    const put = await vigil('alerts', 'put', 'web-down', '--url', url, '--body', JSON.stringify({ jobs: ['web'], condition: { type: 'no_data', buckets: 2 }, actions: [{ type: 'webhook', url: hook.url }] }));
    expect(put.err).toBe('');
    expect(put.code).toBe(0);
    expect(put.out).toContain('Created alert rule web-down.');
    await alerts.evaluate();
    await alerts.idle();
    const list = await vigil('alerts', '--url', url);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/Alert rules \(1\):\nrule\s+jobs\s+condition\s+actions\s+enabled\nweb-down\s+web\s+no data for 2 buckets\s+webhook http:\/\/127\.0\.0\.1:\d+\/hook\s+yes/);
    expect(list.out).toMatch(/Recent alerts \(1 of 1\):\ndetected\s+status\s+rule\s+job\s+alert\s+event time\s+attempts\s+explanation\n\S+Z\s+delivered\s+web-down\s+web\s+no_data critical\s+\S+Z\s+1\s+job web has received no data for 10m/);
    const json = JSON.parse((await vigil('alerts', 'history', '--url', url, '--format', 'json', '--status', 'delivered')).out);
    expect(json.count).toBe(1);
  });

  it('says clearly when the server cannot be reached or refuses', async () => {
    const down = await vigil('alerts', '--url', 'http://127.0.0.1:1');
    expect(down.code).toBe(1);
    expect(down.err).toContain('cannot reach the Vigil server at http://127.0.0.1:1');
    const bad = await vigil('alerts', 'put', 'x', '--url', url, '--body', '{"jobs":["web"],"condition":{"type":"nope"}}');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('[condition.type] must be one of');
    const usage = await vigil('alerts', 'frobnicate', '--url', url);
    expect(usage.code).toBe(2);
  });
});
