import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { SEVERITY_COLOURS } from '../../core/score/severity.js';
import { chooseFont, resetFontChoice } from './fonts.js';
import { syntheticSeries } from './sample-series.js';
import { buildChartOption, MAX_PANELS } from './option.js';
import { chartFormatOf, renderChart, svgOf, writeChart } from './render.js';
import type { ChartSeries } from './types.js';

/** Minimal XML well-formedness check: every tag closed in order, attributes quoted. */
function assertWellFormed(xml: string): void {
  const body = xml.replace(/<\?xml[^>]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  const stack: string[] = [];
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (self) continue;
    if (close) expect(stack.pop()).toBe(name);
    else stack.push(name);
  }
  expect(stack).toEqual([]);
  // no stray '<' that the tag pattern could not read
  const tags = [...body.matchAll(/<[^>]*>/g)].length;
  const read = [...body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g)].length;
  expect(read).toBe(tags);
}

function small(): ChartSeries {
  const n = 48;
  const times = new Float64Array(n).map((_, i) => Date.UTC(2024, 0, 1) + i * 3_600_000);
  const typical = new Float64Array(n).map((_, i) => 10 + Math.sin(i / 4));
  const actual = typical.map((v, i) => v + ((i * 37) % 7) / 10 - 0.3);
  actual[20] = NaN;
  actual[21] = NaN;
  actual[30] = 25;
  actual[31] = 1;
  actual[40] = 18;
  return {
    title: 'small',
    times,
    actual,
    typical,
    lower: typical.map((v) => v - 2),
    upper: typical.map((v) => v + 2),
    anomalies: [
      { time: times[30], value: 25, score: 91, label: 'spike' },
      { time: times[31], value: 1, score: 60 },
      { time: times[40], value: 18, score: 35 },
      { time: times[10], value: actual[10], score: 10 },
    ],
    valueLabel: 'count',
  };
}

function actualPath(svg: string): string {
  const paths = [...svg.matchAll(/<path d="([^"]*)" fill="none"[^>]*stroke="#2b6cb0"/g)].map((m) => m[1]);
  // the longest is the data line (the legend icon is tiny)
  return paths.sort((a, b) => b.length - a.length)[0] ?? '';
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-chart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SVG', () => {
  it('is well-formed and has the band, the line and the markers', async () => {
    const svg = await renderChart(small(), 'svg');
    assertWellFormed(svg);
    expect(() => new Resvg(svg)).not.toThrow();
    expect(svg).toMatch(/^<svg[^>]*width="1200"[^>]*height="460"/);
    expect(svg).toContain('fill="rgb(112,160,214)"'); // the 95 % band
    expect(actualPath(svg).length).toBeGreaterThan(100);
    expect(svg).toContain('stroke="#6b93c4"'); // typical
    expect(svg).toContain('small');
    expect(svg).toContain('4 anomalies: 1 critical, 1 major, 1 minor, 1 warning');
    expect(svg).toContain('95% bounds');
  });

  it('breaks the actual line at missing buckets', async () => {
    const s = small();
    const svg = await renderChart(s, 'svg');
    const moves = actualPath(svg).match(/M/g) ?? [];
    expect(moves.length).toBe(2); // one gap → two segments
    const noGaps = { ...s, actual: s.actual.map((v) => (Number.isNaN(v) ? 10 : v)) };
    expect(actualPath(await renderChart(noGaps, 'svg')).match(/M/g)).toHaveLength(1);
  });

  it('colours anomaly markers by severity', async () => {
    const svg = await renderChart(small(), 'svg');
    for (const sev of ['critical', 'major', 'minor', 'warning'] as const) {
      // one marker plus one legend icon per severity
      expect(svg.split(`fill="${SEVERITY_COLOURS[sev]}"`).length - 1).toBe(2);
    }
  });

  it('shades missing data', async () => {
    const svg = await renderChart(small(), 'svg');
    expect(svg).toMatch(/fill="rgb\(120,120,120\)" fill-opacity="0.14"/);
    expect(svg).toContain('Missing data');
  });

  it('draws several panels, capped', async () => {
    const many = Array.from({ length: MAX_PANELS + 3 }, (_, i) => ({ ...small(), title: `host-${i}` }));
    const svg = await renderChart(many, 'svg');
    assertWellFormed(svg);
    expect(svg).toContain('host-0');
    expect(svg).toContain(`host-${MAX_PANELS - 1}`);
    expect(svg).not.toContain(`host-${MAX_PANELS}<`);
    expect(svg).toContain(`Showing ${MAX_PANELS} of ${MAX_PANELS + 3} series`);
  });

  it('draws a forecast with its bands', async () => {
    const svg = await renderChart(syntheticSeries({ points: 200, forecastPoints: 48 }), 'svg');
    expect(svg).toContain('Forecast 80%');
    expect(svg).toContain('stroke="#8a4fbf"');
    expect(svg).toMatch(/fill="rgb\(138,79,191\)" fill-opacity="0.22"/);
  });

  it('copes with edge cases: one point, all missing, no model', async () => {
    const one: ChartSeries = { title: 'one', times: new Float64Array([0]), actual: new Float64Array([1]), anomalies: [] };
    assertWellFormed(await renderChart(one, 'svg'));
    const none: ChartSeries = { title: 'none', times: new Float64Array([0, 1]), actual: new Float64Array([NaN, NaN]), anomalies: [] };
    assertWellFormed(await renderChart(none, 'svg'));
    expect(await renderChart(none, 'svg')).toContain('No anomalies');
    await expect(renderChart([], 'svg')).rejects.toThrow(/at least one series/);
  });
});

describe('PNG', () => {
  function pngSize(png: Buffer): [number, number] {
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    return [png.readUInt32BE(16), png.readUInt32BE(20)];
  }

  it('has the PNG signature and the asked size', async () => {
    const png = await renderChart(small(), 'png', { width: 800, height: 300 });
    expect(pngSize(png)).toEqual([800, 300]);
    expect(png.length).toBeGreaterThan(5_000);
  });

  it.skipIf(chooseFont().source === null)('draws text when a font is found (none here: install fonts-dejavu-core)', () => {
    const built = buildChartOption(small(), { width: 600, height: 300, interactive: false });
    const svg = svgOf(built, 600, 300);
    const dark = (font: ConstructorParameters<typeof Resvg>[1]) => {
      const px = new Resvg(svg, font).render().pixels;
      let n = 0;
      // the title area, top-left 200 × 30 px
      for (let y = 8; y < 38; y++) for (let x = 10; x < 210; x++) if (px[(y * 600 + x) * 4] < 128) n++;
      return n;
    };
    expect(dark({ font: chooseFont().font })).toBeGreaterThan(100);
    expect(dark({ font: { loadSystemFonts: false } })).toBe(0);
  });

  it('still renders, with a warning, when no font is available', async () => {
    const saved = process.env.VIGIL_CHART_FONT;
    process.env.VIGIL_CHART_FONT = 'none';
    resetFontChoice();
    try {
      const warnings: string[] = [];
      const png = await renderChart(small(), 'png', { warn: (m) => warnings.push(m) });
      expect(pngSize(png)).toEqual([1200, 460]);
      expect(warnings.join()).toMatch(/no font/);
    } finally {
      if (saved === undefined) delete process.env.VIGIL_CHART_FONT;
      else process.env.VIGIL_CHART_FONT = saved;
      resetFontChoice();
    }
  });
});

describe('writeChart', () => {
  it('chooses the format by extension', async () => {
    for (const [name, check] of [
      ['a.png', (b: Buffer) => b[1] === 0x50],
      ['a.svg', (b: Buffer) => b.toString('utf8', 0, 4) === '<svg'],
      ['a.html', (b: Buffer) => b.toString('utf8', 0, 15) === '<!doctype html>'],
    ] as const) {
      const path = join(dir, name);
      const r = await writeChart(path, small());
      const bytes = readFileSync(path);
      expect(r.bytes).toBe(bytes.length);
      expect(check(bytes)).toBe(true);
    }
  });

  it('refuses other extensions', async () => {
    expect(() => chartFormatOf('chart.jpg')).toThrow(/\.png, \.svg or \.html/);
    await expect(writeChart(join(dir, 'chart'), small())).rejects.toThrow(/\.png, \.svg or \.html/);
  });

  it('rejects absurd sizes', async () => {
    await expect(renderChart(small(), 'svg', { width: 10 })).rejects.toThrow(/out of range/);
  });
});

describe('many anomalies', () => {
  it('keeps static output bounded and every anomaly in the HTML', async () => {
    const s = syntheticSeries({ points: 100_000, stepMs: 60_000, anomalies: 20_000 });
    const svg = await renderChart(s, 'svg');
    expect(svg.length).toBeLessThan(4_000_000);
    const built = buildChartOption(s, { width: 1200, height: 500, interactive: true });
    const markers = (built.option.series as { id: string; data: unknown[] }[])
      .filter((x) => x.id.includes('-anomaly-'))
      .reduce((n, x) => n + x.data.length, 0);
    expect(markers).toBe(20_000);
    expect(built.anomalies).toHaveLength(20_000);
  }, 30_000);

  it('merges only markers of one severity on the same pixel', () => {
    const s = small();
    const n = 1500;
    s.anomalies = Array.from({ length: n }, (_, i) => ({ time: s.times[10], value: 10, score: i % 2 ? 90 : 30 }));
    s.anomalies.push({ time: s.times[40], value: 18, score: 95 });
    const built = buildChartOption(s, { width: 1200, height: 460, interactive: false });
    const data = (id: string) => (built.option.series as { id: string; data: { value: number[] }[] }[]).find((x) => x.id === id)?.data ?? [];
    expect(data('p0-anomaly-critical')).toHaveLength(2);
    expect(data('p0-anomaly-minor')).toHaveLength(1);
    expect(built.anomalies).toHaveLength(n + 1);
  });
});

describe('large series', () => {
  it('renders 1 M points fast and small, keeping every anomaly', async () => {
    const big = syntheticSeries({ points: 1_000_000, stepMs: 60_000, anomalies: 400 });
    const built = buildChartOption(big, { width: 1200, height: 440, interactive: false });
    const markers = (built.option.series as { id: string; data: unknown[] }[])
      .filter((s) => s.id.includes('-anomaly-'))
      .reduce((n, s) => n + s.data.length, 0);
    expect(markers).toBe(400);
    for (const s of built.option.series as { data: unknown[] }[]) expect(s.data.length).toBeLessThan(20_000);

    let t = performance.now();
    const png = await renderChart(big, 'png');
    const pngMs = performance.now() - t;
    t = performance.now();
    const svg = await renderChart(big, 'svg');
    const svgMs = performance.now() - t;
    console.log(`1M points: PNG ${pngMs.toFixed(0)} ms (${png.length} B), SVG ${svgMs.toFixed(0)} ms (${svg.length} B)`);
    expect(pngMs).toBeLessThan(10_000);
    expect(svg.length).toBeLessThan(3_000_000);
    // the extremes survive the downsampling
    let top = -Infinity;
    for (const v of big.actual) if (v > top) top = v;
    const line = (built.option.series as { id: string; data: [number, number | null][] }[]).find((s) => s.id === 'p0-actual');
    expect(Math.max(...line!.data.map((d) => d[1] ?? -Infinity))).toBe(Number(top.toPrecision(8)));
  }, 60_000);
});
