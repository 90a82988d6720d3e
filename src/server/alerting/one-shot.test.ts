import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/test-kit.js';
import { oneShotEvents } from './one-shot.js';
import { startHttpReceiver, type HttpReceiver } from './test-kit/receivers.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
let hook: HttpReceiver;
beforeEach(async () => {
  hook = await startHttpReceiver();
});
afterEach(async () => hook.close());

const vigil = (...argv: string[]) => runCli(argv, { cwd: root });

describe('vigil detect --alert-webhook', () => {
  it('posts one alert per major-or-above anomaly and per missing-data run of the example', async () => {
    const r = await vigil('detect', join(root, 'examples', 'web-requests.csv'), '--no-progress', '--alert-webhook', hook.url);
    expect(r.code).toBe(0);
    const bodies = hook.received.map((x) => x.body);
    const anomalies = bodies.filter((b) => b.kind === 'anomaly');
    const runs = bodies.filter((b) => b.kind === 'missing_data_run');
    expect(anomalies.length).toBeGreaterThanOrEqual(2);
    for (const a of anomalies) {
      expect(['major', 'critical']).toContain(a.severity);
      expect(a).toMatchObject({ rule: { rule_id: 'detect' }, job_id: 'web-requests.csv', phase: 'fired' });
      expect(Array.isArray(a.actual) && Array.isArray(a.typical)).toBe(true);
    }
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ time: '2024-01-18T13:00:00.000Z', details: { missing_buckets: 24 } });
    expect(r.err).toContain(`alerts: ${bodies.length} of ${bodies.length} sent to ${hook.url} (${anomalies.length} anomal`);
    // the same file again: the same keys (a receiver drops the repeats)
    const keys = hook.received.map((x) => x.headers['idempotency-key']);
    await vigil('detect', join(root, 'examples', 'web-requests.csv'), '--no-progress', '--alert-webhook', hook.url);
    expect(hook.received.slice(keys.length).map((x) => x.headers['idempotency-key'])).toEqual(keys);
  });

  it('retries a failing receiver, and exits 1 when an alert cannot be delivered', async () => {
    const input = { file: 'x.csv', spanMs: 60_000, functionName: 'count', field: null, partitionField: null, anomalies: [], missingRuns: [{ partition: null, start: 0, length: 3 }] };
    const { sendOneShotAlerts } = await import('./one-shot.js');
    hook.failNext(2);
    expect(await sendOneShotAlerts({ ...input, url: hook.url, retryMs: 5 })).toMatchObject({ sent: 1, failed: [] });
    expect(hook.received.map((x) => x.status)).toEqual([503, 503, 200]);
    hook.failAlways(true);
    const r = await sendOneShotAlerts({ ...input, url: hook.url, retryMs: 5, attempts: 2 });
    expect(r.sent).toBe(0);
    expect(r.failed[0].error).toContain('HTTP 500');
    await expect(sendOneShotAlerts({ ...input, url: 'ftp://x' })).rejects.toThrow('--alert-webhook must be an http(s) URL');
  });

  it('minor anomalies are not sent', () => {
    const ev = oneShotEvents({
      url: 'http://x',
      file: '-',
      spanMs: 60_000,
      functionName: 'mean',
      field: 'v',
      partitionField: 'host',
      anomalies: [
        { time: 0, partition: 'a', score: 49.9, actual: 1, typical: 2, lower: 1.5, upper: 2.5, kind: 'dip', explanation: 'x' },
        { time: 60_000, partition: 'b', score: 50, actual: 9, typical: 2, lower: 1.5, upper: 2.5, kind: 'spike', explanation: 'y' },
      ],
      missingRuns: [],
    });
    expect(ev.map((e) => [e.severity, e.job_id, e.entity.partition_field_value])).toEqual([['major', 'stdin', 'b']]);
  });
});
