import { Script, createContext, runInContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { syntheticSeries } from './sample-series.js';
import { echartsBrowserSource, formatNumber } from './html.js';
import { buildChartOption } from './option.js';
import { renderChart, svgOf } from './render.js';

function scripts(html: string): { attrs: string; body: string }[] {
  return [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => ({ attrs: m[1], body: m[2] }));
}

describe('HTML chart', () => {
  it('is self-contained: no external scripts, styles or images', async () => {
    const html = await renderChart(syntheticSeries({ forecastPoints: 24 }), 'html');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script[^>]*\ssrc\s*=/i);
    expect(html).not.toMatch(/<link[^>]*href\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<img[^>]*src\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
    // ECharts is inlined, and it compiles
    const inline = scripts(html).find((s) => s.body.length > 500_000);
    expect(inline).toBeDefined();
    expect(() => new Script(inline!.body)).not.toThrow();
    expect(echartsBrowserSource().length).toBeGreaterThan(500_000);
  });

  it('embeds the data, zoom and tooltip settings', async () => {
    const s = syntheticSeries({ points: 500 });
    const html = await renderChart(s, 'html');
    const json = scripts(html).find((x) => x.attrs.includes('vigil-option'))!;
    const option = JSON.parse(json.body);
    expect(option.dataZoom.map((d: { type: string }) => d.type)).toEqual(['inside', 'slider']);
    expect(option.tooltip.trigger).toBe('axis');
    const actual = option.series.find((x: { id: string }) => x.id === 'p0-actual');
    expect(actual.data).toHaveLength(500);
    expect(actual.data.some((d: [number, number | null]) => d[1] === null)).toBe(true); // gaps
    const markers = option.series.filter((x: { id: string }) => x.id.includes('-anomaly-'));
    expect(markers.reduce((n: number, x: { data: unknown[] }) => n + x.data.length, 0)).toBe(s.anomalies.length);
  });

  it('has an option ECharts accepts (slider, toolbox, several panels)', () => {
    const built = buildChartOption([syntheticSeries({ points: 400 }), syntheticSeries({ points: 400, seed: 9, timeZone: 'America/New_York' })], {
      width: 1000,
      height: 600,
      interactive: true,
    });
    const svg = svgOf(built, 1000, 600);
    expect(svg).toContain('<svg');
    expect(built.option.dataZoom).toHaveLength(2);
  });

  it('lists anomalies in a table sorted by time', async () => {
    const s = syntheticSeries({ points: 500 });
    s.anomalies.reverse();
    s.anomalies[0].label = '<b>escaped</b>';
    const html = await renderChart(s, 'html');
    const table = html.slice(html.indexOf('<table id="anomalies">'), html.indexOf('</table>'));
    const rows = [...table.matchAll(/<tr data-row="\d+"><td class="t">([^<]+)<\/td>/g)].map((m) => m[1]);
    expect(rows).toHaveLength(s.anomalies.length);
    expect([...rows].sort()).toEqual(rows);
    expect(table).toContain('&lt;b&gt;escaped&lt;/b&gt;');
    expect(table).toContain('<th>Typical</th>');
    expect(table).toMatch(/critical/);
  });

  it('formats tooltips with time, actual, typical, bounds and score', async () => {
    const s = syntheticSeries({ points: 300 });
    const html = await renderChart(s, 'html');
    const parts = scripts(html);
    const byId = (id: string) => ({ textContent: parts.find((p) => p.attrs.includes(id))?.body ?? '' });
    let option: { series: { id: string; name: string; data: unknown[] }[] } | undefined;
    const chart = {
      setOption: (o: typeof option) => (option = o),
      convertToPixel: (_: unknown, v: number) => v / 1000,
      convertFromPixel: (_: unknown, px: number) => px * 1000,
      resize: () => {},
      dispatchAction: () => {},
    };
    const window: Record<string, unknown> = { addEventListener: () => {} };
    const context = createContext({
      window,
      document: {
        getElementById: (id: string) => (id === 'chart' ? {} : byId(id)),
        querySelectorAll: () => [],
      },
      echarts: { init: () => chart },
    });
    runInContext(parts[parts.length - 1].body, context);
    expect(option).toBeDefined();
    const fmt = window.vigilFormatTooltip as (p: unknown[]) => string;
    const a = s.anomalies[0];
    const series = option!.series;
    const param = (id: string, value: unknown[], data?: unknown) => ({
      seriesId: id,
      seriesName: series.find((x) => x.id === id)!.name,
      value,
      data: data ?? value,
      axisValue: a.time,
      axisIndex: 0,
      color: '#123456',
    });
    const anomalySeries = series.find((x) => x.id.includes('-anomaly-') && (x.data as { a: number }[]).some((d) => d.a === 0))!;
    const text = fmt([
      param('p0-actual', [a.time, a.value]),
      param('p0-typical', [a.time, 101.5]),
      param('p0-band-lower', [a.time, 90]),
      param('p0-band-upper', [a.time, 20, 110, 90]),
      param(anomalySeries.id, [a.time, a.value], (anomalySeries.data as { a: number }[]).find((d) => d.a === 0)),
    ]);
    expect(text).toContain('2024-03-'); // the time
    expect(text).toContain(`Actual: <b>${formatNumber(a.value)}</b>`);
    expect(text).toContain('Typical: <b>101.5</b>');
    expect(text).toContain('95% bounds: 90 – 110');
    expect(text).toMatch(/Anomaly (critical|major|minor|warning)<\/b>, score <b>[\d.]+<\/b>/);
    // an anomaly far from the pointer is not shown
    const far = fmt([{ ...param(anomalySeries.id, [a.time + 1e9, a.value], { a: 0 }) }]);
    expect(far).not.toContain('Anomaly');
  });
});
