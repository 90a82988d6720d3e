import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { HOUR, sineSeries, tinySpec } from '../../core/neural/test-kit.js';
import { testOps } from '../ops/context.js';
import { harness, type Harness } from '../test-kit/harness.js';

const dataDir = mkdtempSync(join(tmpdir(), 'vigil-models-'));
const open: Harness[] = [];
afterAll(async () => {
  for (const h of open) await h.close().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

async function app(): Promise<Harness> {
  const h = await harness({ app: { ops: testOps({ dataDir }) } });
  open.push(h);
  return h;
}

const s = sineSeries(900, 2, [860]);
const data = Array.from(s.values, (v, i) => [s.start + i * HOUR, v]);

describe('/_vigil/models', () => {
  test('create, preview, train, follow, activate live and historical, survive a restart, delete', async () => {
    const h = await app();
    const inj = (method: string, url: string, payload?: unknown) => h.app.inject({ method: method as 'GET', url, payload: payload as object });
    const spec = tinySpec('detect', { trials: 2 });
    const { type: _t, ...training } = spec;
    let r = await inj('PUT', '/_vigil/models/temp', { type: 'detect', description: 'hourly', training });
    expect(r.statusCode).toBe(200);
    r = await inj('PUT', '/_vigil/models/temp', { type: 'detect' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.type).toBe('resource_already_exists_exception');
    r = await inj('POST', '/_vigil/models/temp/_preview', { data });
    expect(r.json()).toMatchObject({ bucket_span_ms: HOUR, buckets: 900 });
    expect(r.json().reason).toMatch(/1h/);
    r = await inj('POST', '/_vigil/models/temp/_train', { data, bucket_span: '1h' });
    expect(r.statusCode).toBe(200);
    const runId = r.json().run_id as string;
    // follow until done
    let run = r.json();
    for (let k = 0; k < 600 && !['completed', 'failed', 'cancelled'].includes(run.state); k++) {
      await new Promise((res) => setTimeout(res, 50));
      run = (await inj('GET', `/_vigil/models/temp/runs/${runId}`)).json();
    }
    expect(run.state).toBe('completed');
    const trials = (await inj('GET', `/_vigil/models/temp/runs/${runId}/trials`)).json();
    expect(trials.trials).toHaveLength(2);
    expect(trials.trials.every((t: { score: number }) => t.score > 0)).toBe(true);
    const losses = (await inj('GET', `/_vigil/models/temp/runs/${runId}/losses`)).json();
    expect(losses.epochs.length).toBeGreaterThan(0);
    expect(losses.best.val_loss).toBe(Math.min(...losses.epochs.map((e: { val_loss: number }) => e.val_loss)));
    expect(existsSync(join(dataDir, 'models', 'temp', 'weights.bin'))).toBe(true);

    // historical over the last 100 buckets, then live with the same history: identical results
    const from = s.start + 800 * HOUR;
    r = await inj('POST', '/_vigil/models/temp/_activate', { mode: 'historical', data, from });
    const hist = r.json();
    let info = hist;
    for (let k = 0; k < 100 && info.state !== 'completed'; k++) {
      await new Promise((res) => setTimeout(res, 20));
      info = (await inj('GET', `/_vigil/models/temp/activations/${hist.activation_id}`)).json();
    }
    expect(info.state).toBe('completed');
    const hres = (await inj('GET', `/_vigil/models/temp/activations/${hist.activation_id}/results?model_plot=true`)).json();
    r = await inj('POST', '/_vigil/models/temp/_activate', { mode: 'live', data: data.slice(0, 800) });
    const live = r.json();
    expect(live.state).toBe('active');
    r = await inj('POST', `/_vigil/models/temp/activations/${live.activation_id}/_data`, { data: data.slice(800) });
    expect(r.statusCode).toBe(200);
    const lres = (await inj('GET', `/_vigil/models/temp/activations/${live.activation_id}/results?model_plot=true`)).json();
    expect(lres.model_plot).toEqual(hres.model_plot);
    expect(lres.records).toEqual(hres.records);
    expect(hres.model_plot).toHaveLength(100);
    r = await inj('POST', `/_vigil/models/temp/activations/${live.activation_id}/_deactivate`);
    expect(r.json().state).toBe('stopped');
    r = await inj('POST', `/_vigil/models/temp/activations/${live.activation_id}/_data`, { data: data.slice(0, 1) });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.type).toBe('status_exception');

    // a restart reads the model back from the data directory
    await h.close();
    open.splice(open.indexOf(h), 1);
    const h2 = await app();
    const m = (await h2.app.inject({ method: 'GET', url: '/_vigil/models/temp' })).json();
    expect(m.model.state).toBe('trained');
    expect(m.runs[0]).toMatchObject({ run_id: runId, state: 'completed' });
    r = await h2.app.inject({ method: 'POST', url: '/_vigil/models/temp/_activate', payload: { mode: 'historical', data, from } });
    const again = r.json();
    for (let k = 0, st = again.state; k < 200 && st !== 'completed'; k++) {
      await new Promise((res) => setTimeout(res, 20));
      st = (await h2.app.inject({ method: 'GET', url: `/_vigil/models/temp/activations/${again.activation_id}` })).json().state;
    }
    const ares = (await h2.app.inject({ method: 'GET', url: `/_vigil/models/temp/activations/${again.activation_id}/results?model_plot=true` })).json();
    expect(ares.model_plot).toEqual(hres.model_plot);
    r = await h2.app.inject({ method: 'DELETE', url: '/_vigil/models/temp' });
    expect(r.json()).toEqual({ acknowledged: true });
    r = await h2.app.inject({ method: 'GET', url: '/_vigil/models/temp' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.type).toBe('resource_not_found_exception');
    expect(existsSync(join(dataDir, 'models', 'temp'))).toBe(false);
  }, 60_000);
});
