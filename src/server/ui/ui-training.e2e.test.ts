/**
 * End-to-end test of the training views in a real browser (Debian's Chromium driven by
 * playwright-core) against a real `vigil serve` on 127.0.0.1 port 0: a file uploaded through the
 * wizard's upload route, then the Training page creates and trains a small, seeded, fast model
 * (3 trials of a tiny dense network, a few epochs), follows it live, and shows the trials'
 * histogram, the loss curves, the chosen configuration and the test accuracy next to the default's;
 * then the model page makes it follow a job's series (data posted to the job reaches it, its
 * results are listed), deactivates it, and shows the server's refusal of a job at another span.
 * Writes test-artifacts/ui/training.png and training-activation.png. Skipped, saying why, when /usr/bin/chromium is missing.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../config.js';
import { startServer, type RunningServer } from '../server.js';
import { latencyCsv } from './test-kit/latency-csv.js';
import { haveChromium, openChromiumPage } from './test-kit/chromium.js';
import { ensureUiBuilt } from './test-kit/ui-build.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'ui');
const chromiumThere = haveChromium('ui-training.e2e');

/** A tiny search space and network (as core/neural/test-kit's tinySpec): seconds, not minutes. */
const FAST = {
  trialEpochs: 3,
  trialSamples: 300,
  epochSamples: 400,
  patience: 3,
  defaults: { kind: 'dense', window: 12, units: 8, layers: 1, learningRate: 3e-3, batchSize: 32, anchor: true, seasonalLag: 0 },
  space: { kinds: ['dense'], windows: [8, 12, 24], recurrentWindows: [8], units: [4, 8, 16], recurrentUnits: [4], layers: [1], recurrentLayers: [1], learningRates: [1e-3, 3e-3, 1e-2], batchSizes: [32, 64], anchors: [true, false], seasonalLags: [24] },
};

describe.skipIf(!chromiumThere)('training views in Chromium (end to end)', { timeout: 180_000 }, () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const errors: string[] = [];
  const savedEnv = process.env.VIGIL_UI_UPLOAD_DIR;

  beforeAll(async () => {
    ensureUiBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'vigil-ui-training-'));
    process.env.VIGIL_UI_UPLOAD_DIR = join(dir, 'uploads');
    const cfg = loadConfig({ cwd: dir, env: {}, flags: { host: '127.0.0.1', port: '0', data_dir: join(dir, 'data'), log_level: 'silent' } });
    server = await startServer(cfg, { version: 'e2e' });
    // a file uploaded as the job wizard does
    const res = await fetch(`${server.url}/_vigil/ui/uploads?file_name=latency.csv`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: latencyCsv().text });
    expect(res.status).toBe(200);
    ({ browser, page } = await openChromiumPage());
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
  }, 120_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) await page.screenshot({ path: join(ARTIFACTS, `failed-training-${ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}.png`), fullPage: true }).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (savedEnv === undefined) delete process.env.VIGIL_UI_UPLOAD_DIR;
    else process.env.VIGIL_UI_UPLOAD_DIR = savedEnv;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the empty list, then creates and trains a model and follows the run', async () => {
    await page.goto(`${server.url}/app/#/training`);
    await page.getByText('No trained models yet').waitFor();
    await page.getByRole('link', { name: 'Train a model' }).first().click();
    await page.waitForURL(/#\/training\/new/);
    // the uploaded file and its number field are picked
    await page.waitForFunction(() => (document.querySelector('select[aria-label="upload"]') as HTMLSelectElement | null)?.selectedOptions[0]?.textContent?.includes('latency.csv'));
    await page.waitForFunction(() => (document.querySelector('select[aria-label="field"]') as HTMLSelectElement | null)?.value === 'latency_ms');
    await page.locator('input[aria-label="bucket span"]').fill('1h');
    await page.locator('input[aria-label="model id"]').fill('latency-nn');
    await page.locator('input[aria-label="description"]').fill('mean latency, hourly');
    await page.locator('input[aria-label="trials"]').fill('3');
    await page.locator('input[aria-label="seed"]').fill('7');
    await page.locator('input[aria-label="max epochs"]').fill('12');
    await page.locator('textarea[aria-label="advanced options"]').fill(JSON.stringify(FAST));
    await page.getByRole('button', { name: 'Create and train' }).click();
    await page.waitForURL(/#\/training\/latency-nn\/[^/?]+$/);
    const bookmark = page.url();

    // live: the run ends completed, with every trial in the histogram, the chosen one highlighted
    await page.locator('[data-run-state="completed"]').waitFor({ timeout: 120_000 });
    await expect(page.locator('[data-testid="trials"] .trial-bar').count()).resolves.toBe(3);
    await expect(page.locator('[data-testid="trials"] .trial-bar[data-best="true"]').count()).resolves.toBe(1);
    // the loss curves (uPlot) with a number of epochs
    await page.locator('[data-testid="losses"] canvas').waitFor();
    expect(Number(((await page.locator('[data-testid="epochs"]').textContent()) ?? '').match(/\d+/)?.[0])).toBeGreaterThan(0);
    await expect(page.locator('[data-testid="losses"]').textContent()).resolves.toMatch(/best epoch \d+/);
    // the chosen configuration and the test accuracy against the default
    await expect(page.locator('[data-testid="config"]').textContent()).resolves.toMatch(/dense.*input window/s);
    const acc = (await page.locator('[data-testid="accuracy"] .accuracy-table').textContent()) ?? '';
    expect(acc).toMatch(/one-step MAE/);
    expect(acc).toMatch(/statistical default/);
    await expect(page.locator('.event-log').textContent()).resolves.toMatch(/trial 1 started[\s\S]*epoch 1:[\s\S]*state: completed/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'training.png'), fullPage: true });

    // the URL is a bookmark: a fresh load shows the same run
    await page.goto('about:blank');
    await page.goto(bookmark);
    await page.locator('[data-run-state="completed"] [data-testid="trials"] .trial-bar[data-best="true"]').waitFor();

    // the list shows the model trained, not active
    await page.goto(`${server.url}/app/#/training`);
    const row = page.locator('tr[data-model="latency-nn"]');
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    expect(text).toMatch(/trained/);
    expect(text).toMatch(/inactive/);
    expect(text).toMatch(/1h/);
    // #/training/<model> opens its last run
    await page.goto(`${server.url}/app/#/training/latency-nn`);
    await page.waitForURL(/#\/training\/latency-nn\/[^/?]+$/);
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });

  it('makes the trained model follow a job from its page, shows its results, deactivates it, and shows a refusal', async () => {
    const api = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
      const res = await fetch(`${server.url}${path}`, { method, headers: body === undefined ? undefined : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await res.json()) as Record<string, unknown>;
      expect(res.status, JSON.stringify(json)).toBe(200);
      return json;
    };
    // a job split by host at the model's span (1h), and one at another span
    const job = (span: string) => ({ analysis_config: { bucket_span: span, detectors: [{ function: 'mean', field_name: 'latency_ms', partition_field_name: 'host' }] }, data_description: { time_field: 'timestamp', time_format: 'epoch_ms' } });
    await api('PUT', '/_ml/anomaly_detectors/hosts-hourly', job('1h'));
    await api('POST', '/_ml/anomaly_detectors/hosts-hourly/_open');
    await api('PUT', '/_ml/anomaly_detectors/hosts-10m', job('10m'));

    await page.goto(`${server.url}/app/#/training/latency-nn`);
    await page.waitForURL(/#\/training\/latency-nn\/[^/?]+$/);
    const card = page.locator('[data-testid="activations"]');
    await card.getByText('Not active').waitFor();
    // the job at the model's span is picked; its detector is split by host: a partition value is asked for
    await page.waitForFunction(() => (document.querySelector('select[aria-label="job to follow"]') as HTMLSelectElement | null)?.value === 'hosts-hourly');
    await expect(page.locator('select[aria-label="detector"]').inputValue()).resolves.toBe('0');
    await page.locator('input[aria-label="partition value"]').fill('web-1');
    await page.getByRole('button', { name: 'Follow job' }).click();
    await page.locator('[data-testid="activated"]').waitFor();
    await expect(page.locator('[data-testid="activated"]').textContent()).resolves.toMatch(/active — job hosts-hourly · detector 0 · partition = web-1/);
    const row = card.locator('tr[data-activation][data-state="active"]');
    await row.waitFor();
    const aid = (await row.getAttribute('data-activation')) as string;
    await expect(row.locator('[data-testid="source"]').textContent()).resolves.toBe('job hosts-hourly · detector 0 · partition = web-1');
    const bookmark = page.url();
    // the models list shows it live
    await page.goto(`${server.url}/app/#/training`);
    await expect(page.locator('tr[data-model="latency-nn"]').textContent()).resolves.toMatch(/live/);

    // data posted to the job reaches the activation: 12 hours after the training data, a spike at 06:00 on web-1
    const start = Date.UTC(2024, 2, 25);
    const docs: string[] = [];
    for (let t = start; t < start + 12 * 3_600_000; t += 10 * 60_000) {
      const hour = (t - start) / 3_600_000;
      const v = 120 + 60 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI));
      docs.push(JSON.stringify({ timestamp: t, host: 'web-1', latency_ms: hour >= 6 && hour < 7 ? v * 6 : v }), JSON.stringify({ timestamp: t, host: 'web-2', latency_ms: v + 25 }));
    }
    const res = await fetch(`${server.url}/_ml/anomaly_detectors/hosts-hourly/_data`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: docs.join('\n') });
    expect(res.status, await res.clone().text()).toBe(200);
    await page.goto(bookmark);
    const live = page.locator(`[data-testid="activations"] tr[data-activation="${aid}"]`);
    await live.waitFor();
    // buckets 00:00 … 10:00 are final (11)
    await expect(live.locator('td.num').textContent()).resolves.toBe('11');
    // its results, opened as a bookmarkable parameter
    await live.getByRole('link', { name: 'Results' }).click();
    await page.waitForURL(new RegExp(`activation=${aid}`));
    const results = page.locator('[data-testid="activation-results"]');
    await results.locator('tbody tr').first().waitFor();
    const first = (await results.locator('tbody tr').first().textContent()) ?? '';
    expect(first).toMatch(/2024-03-25 06:00/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'training-activation.png'), fullPage: true });

    // deactivate from the UI
    await live.getByRole('button', { name: 'Deactivate' }).click();
    await page.waitForFunction((id) => {
      const r = document.querySelector(`[data-testid="activations"] tr[data-activation="${id}"]`);
      return !r || r.getAttribute('data-state') === 'stopped';
    }, aid);
    await expect(page.locator('[data-testid="activations"] button', { hasText: 'Deactivate' }).count()).resolves.toBe(0);
    const after = (await api('GET', `/_vigil/models/latency-nn/activations/${aid}`).catch(() => ({ state: 'gone' }))) as { state: string };
    expect(['stopped', 'gone']).toContain(after.state);

    // a job at another span is refused: the server's reason is shown
    await page.locator('select[aria-label="job to follow"]').selectOption('hosts-10m');
    await page.getByText('the job’s bucket span is 10m, the model’s 1h').waitFor();
    await page.locator('input[aria-label="partition value"]').fill('web-1');
    await page.getByRole('button', { name: 'Follow job' }).click();
    const refusal = page.locator('[data-testid="follow-job"] [role="alert"]');
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toMatch(/The server refused the activation.*bucket_span 10m.*the spans must be equal/s);
    await expect(page.locator('[data-testid="activations"] tr[data-state="active"]').count()).resolves.toBe(0);
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });

  it('cancels a running training and shows a server error as a message', async () => {
    await page.goto(`${server.url}/app/#/training/new?model=latency-nn`);
    await page.waitForFunction(() => (document.querySelector('select[aria-label="field"]') as HTMLSelectElement | null)?.value === 'latency_ms');
    await expect(page.locator('input[aria-label="model id"]').inputValue()).resolves.toBe('latency-nn');
    await page.locator('input[aria-label="bucket span"]').fill('10m');
    await page.locator('input[aria-label="trials"]').fill('10');
    await page.locator('input[aria-label="max epochs"]').fill('200');
    await page.locator('textarea[aria-label="advanced options"]').fill(JSON.stringify({ ...FAST, trialEpochs: 50, patience: 100 }));
    await page.getByRole('button', { name: /^Train$/ }).click();
    await page.waitForURL(/#\/training\/latency-nn\/[^/?]+$/);
    await page.getByRole('button', { name: 'Cancel training' }).click();
    await page.locator('[data-run-state="cancelled"]').waitFor({ timeout: 60_000 });
    // a missing run is an error message, not a blank page
    await page.goto(`${server.url}/app/#/training/latency-nn/no-such-run`);
    await page.getByText('Could not load the training run').waitFor();
  });
});
