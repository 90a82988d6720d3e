/**
 * The web UI in Firefox (issue 8: "works in current Chromium and Firefox"): Debian's firefox-esr
 * driven by puppeteer-core over WebDriver BiDi (no browser download) against a real `vigil serve`
 * (startServer) on 127.0.0.1 port 0 with a temporary data directory. A partitioned job is created
 * and fed through the HTTP API (`PUT`, `_open`, `_data`, `_flush`), then the jobs list, the Single
 * Metric Viewer (the uPlot canvas draws, the anomalies table has rows) and the Anomaly Explorer
 * (swim lanes) are opened, with no uncaught page errors. Writes test-artifacts/ui/firefox-viewer.png.
 * Skipped, saying why, when /usr/bin/firefox-esr is not installed (CI's .ci/run installs it).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { loadConfig } from '../config.js';
import { startServer, type RunningServer } from '../server.js';
import { JSON9, NDJSON9 } from '../test-kit/harness.js';
import { latencyCsv } from './test-kit/latency-csv.js';
import { ensureUiBuilt } from './test-kit/ui-build.js';

const FIREFOX = process.env.VIGIL_FIREFOX ?? '/usr/bin/firefox-esr';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'ui');
const haveFirefox = existsSync(FIREFOX);
if (!haveFirefox) console.warn(`ui.firefox.e2e: skipped — ${FIREFOX} is not installed (apt-get install firefox-esr; CI's .ci/run installs it)`);

const JOB = 'ff-latency';

describe.skipIf(!haveFirefox)('web UI in Firefox (end to end, WebDriver BiDi)', { timeout: 120_000 }, () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const errors: string[] = [];

  const api = async (method: string, path: string, body?: string, headers: Record<string, string> = JSON9): Promise<unknown> => {
    const r = await fetch(`${server.url}${path}`, { method, headers, body });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : {};
  };

  beforeAll(async () => {
    ensureUiBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'vigil-ui-firefox-'));
    const cfg = loadConfig({ cwd: dir, env: {}, flags: { host: '127.0.0.1', port: '0', data_dir: join(dir, 'data'), log_level: 'silent' } });
    server = await startServer(cfg, { version: 'e2e-firefox' });
    // a job split by host, fed the three hosts' latency (a spike on web-2) through the HTTP API
    await api('PUT', `/_ml/anomaly_detectors/${JOB}`, JSON.stringify({
      description: 'Firefox e2e: mean latency per host',
      analysis_config: {
        bucket_span: '30m',
        detectors: [{ function: 'mean', field_name: 'latency_ms', partition_field_name: 'host', detector_description: 'mean(latency_ms) per host' }],
        influencers: ['host'],
      },
      data_description: { time_field: 'timestamp', time_format: 'epoch_ms' },
      model_plot_config: { enabled: true },
    }));
    await api('POST', `/_ml/anomaly_detectors/${JOB}/_open`);
    const lines = latencyCsv().text.trim().split('\n').slice(1).map((l) => {
      const [ts, host, , v] = l.split(',');
      return JSON.stringify({ timestamp: Date.parse(ts), host, latency_ms: Number(v) });
    });
    for (let i = 0; i < lines.length; i += 3000) await api('POST', `/_ml/anomaly_detectors/${JOB}/_data`, lines.slice(i, i + 3000).join('\n') + '\n', NDJSON9);
    await api('POST', `/_ml/anomaly_detectors/${JOB}/_flush`, JSON.stringify({ calc_interim: true }));

    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, defaultViewport: { width: 1440, height: 900 } });
    page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => errors.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
  }, 90_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) await page.screenshot({ path: join(ARTIFACTS, `failed-firefox-${ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`) as `${string}.png`, fullPage: true }).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the job', async () => {
    await page.goto(`${server.url}/app/#/jobs`);
    const row = await page.waitForSelector(`tr[data-job="${JOB}"]`);
    expect(await row!.evaluate((e) => e.textContent)).toContain('opened');
  });

  it('draws the Single Metric Viewer with its anomalies', async () => {
    await page.goto(`${server.url}/app/#/viewer/${JOB}`);
    await page.waitForSelector('.main-chart canvas');
    // a partitioned job opens on its most anomalous entity: the spike on web-2
    await page.waitForFunction(() => location.hash.includes('entity=web-2'));
    await page.waitForSelector('.anomalies-table tbody tr');
    const rows = await page.$$eval('.anomalies-table tbody tr', (trs) => trs.map((t) => t.textContent ?? ''));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]).toMatch(/critical|major/);
    await page.waitForSelector('.chart-card[aria-busy="false"]');
    // the uPlot canvas has pixels drawn on it (not a blank or zero-sized canvas)
    await page.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>('.main-chart canvas');
      if (!c || c.width === 0 || c.height === 0) return false;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < d.length; i += 4 * 7) if (d[i] !== 0) painted++;
      return painted > 200;
    });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'firefox-viewer.png') as `${string}.png`, fullPage: true });
  });

  it('renders the Anomaly Explorer’s swim lanes', async () => {
    await page.goto(`${server.url}/app/#/explorer?jobs=${JOB}&view_by=host`);
    await page.waitForSelector('.swimlane .cell.has');
    const labels = await page.$$eval('.lane-label', (els) => els.map((e) => e.textContent ?? ''));
    expect(labels).toContain('Overall');
    expect(labels.some((l) => l.includes('web-2'))).toBe(true);
    expect(await page.$$eval('.swimlane .cell.has', (els) => els.length)).toBeGreaterThan(0);
  });

  it('had no uncaught page errors', () => {
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
