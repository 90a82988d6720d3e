/**
 * The web UI: build time (type-check and Vite bundle, median of 3) and bundle size (raw and
 * gzipped), from `scripts/build-ui.mjs --json`; then, where Debian's Chromium is installed, the
 * viewer chart's first render and zoom with 100 000 and 1 000 000 points (the app's `#/perf` page,
 * served by the real app on 127.0.0.1). Not run by tests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface UiBenchResult {
  buildMs: number[];
  typecheckMs: number[];
  totalBytes: number;
  gzipBytes: number;
  files: { path: string; bytes: number; gzip: number }[];
  chart: { points: number; renderMs: number; zoomMs: number; unzoomMs: number }[];
  chartSkipped?: string;
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchUi(o: { runs?: number; points?: number[]; print?: boolean } = {}): Promise<UiBenchResult> {
  const root = packageRoot();
  const runs = o.runs ?? 3;
  const builds: { typecheckMs: number; buildMs: number; totalBytes: number; gzipBytes: number; files: UiBenchResult['files'] }[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, [join(root, 'scripts', 'build-ui.mjs'), '--json'], { cwd: root, encoding: 'utf8' });
    builds.push(JSON.parse(out.trim().split('\n').pop()!));
  }
  const last = builds[builds.length - 1];
  const result: UiBenchResult = {
    buildMs: builds.map((b) => b.buildMs),
    typecheckMs: builds.map((b) => b.typecheckMs),
    totalBytes: last.totalBytes,
    gzipBytes: last.gzipBytes,
    files: last.files,
    chart: [],
  };
  const chromium = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) result.chartSkipped = `${chromium} is not installed`;
  else {
    const { buildApp } = await import('../src/server/app.js');
    const { JobService } = await import('../src/server/jobs/job-service.js');
    const { MemoryStore } = await import('../src/store/memory-store.js');
    const { anomalyJobEngine } = await import('../src/server/jobs/engine-adapter.js');
    const store = new MemoryStore();
    const service = new JobService({ store, engine: anomalyJobEngine });
    const app = buildApp({ service });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const { chromium: browserType } = await import('playwright-core');
    const browser = await browserType.launch({
      executablePath: chromium,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      for (const n of o.points ?? [100_000, 1_000_000]) {
        const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
        await page.goto(`http://127.0.0.1:${port}/app/#/perf?n=${n}`);
        await page.waitForFunction(() => (window as unknown as { __vigilPerf?: unknown }).__vigilPerf !== undefined, undefined, { timeout: 120_000 });
        result.chart.push((await page.evaluate(() => (window as unknown as { __vigilPerf: UiBenchResult['chart'][number] }).__vigilPerf))!);
        await page.close();
      }
    } finally {
      await browser.close();
      await app.close();
      await service.shutdown();
      await store.close();
    }
  }
  if (o.print ?? true) {
    const kib = (b: number): string => `${(b / 1024).toFixed(0)} KiB`;
    console.log(
      `web UI build: ${median(result.buildMs)} ms bundle + ${median(result.typecheckMs)} ms type-check (median of ${runs}); ` +
        `bundle ${kib(result.totalBytes)} (${kib(result.gzipBytes)} gzipped): ${result.files.map((f) => `${f.path} ${kib(f.bytes)}/${kib(f.gzip)} gz`).join(', ')}`,
    );
    if (result.chartSkipped) console.log(`web UI chart timing skipped: ${result.chartSkipped}`);
    for (const c of result.chart) console.log(`web UI chart, ${c.points.toLocaleString('en-US')} points in Chromium: first render ${c.renderMs} ms, zoom ${c.zoomMs} ms, back to all ${c.unzoomMs} ms`);
  }
  return result;
}
