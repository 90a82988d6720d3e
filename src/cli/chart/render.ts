/**
 * Rendering charts for `vigil detect --chart` and `vigil forecast --chart`: SVG via ECharts'
 * server-side renderer, PNG via resvg, HTML as one self-contained interactive page.
 */
import * as echarts from 'echarts';
import { Resvg } from '@resvg/resvg-js';
import { chartFormatOf, writeOutputFile } from '../output.js';
import { chooseFont } from './fonts.js';
import { renderHtmlPage } from './html.js';
import { buildChartOption, type BuiltChart } from './option.js';
import type { ChartFormat, ChartOptions, ChartSeries } from './types.js';

export { chartFormatOf } from '../output.js';

export const DEFAULT_WIDTH = 1200;

/** Default height: 460 px for one panel, 240 px per panel (plus header) for several. */
export function defaultHeight(panels: number, interactive: boolean): number {
  const base = panels <= 1 ? 460 : 56 + panels * 240;
  return base + (interactive ? 46 : 0);
}

function size(input: ChartSeries | ChartSeries[], options: ChartOptions | undefined, interactive: boolean) {
  const n = Array.isArray(input) ? Math.min(input.length, 12) : 1;
  const width = Math.round(options?.width ?? DEFAULT_WIDTH);
  const height = Math.round(options?.height ?? defaultHeight(n, interactive));
  if (!(width >= 200 && width <= 20_000 && height >= 150 && height <= 40_000)) {
    throw new RangeError(`chart size ${width}×${height} out of range (200–20000 × 150–40000 px)`);
  }
  return { width, height };
}

/** Renders a built option to an SVG string with ECharts' SSR renderer. */
export function svgOf(built: BuiltChart, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  const option = { ...built.option };
  option.xAxis = (built.option.xAxis as { axisLabel: { labels?: string[]; customValues?: number[] } }[]).map((x) => {
    const { labels, ...axisLabel } = x.axisLabel;
    if (!labels || !axisLabel.customValues) return x;
    const byValue = new Map(axisLabel.customValues.map((v, i) => [v, labels[i]]));
    return { ...x, axisLabel: { ...axisLabel, formatter: (v: number) => byValue.get(v) ?? '' } };
  });
  try {
    chart.setOption(option as echarts.EChartsOption);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/**
 * Renders one series (or several, one panel each, up to {@link MAX_PANELS}) as SVG text, PNG bytes
 * or a self-contained interactive HTML page.
 *
 * @example
 * const png = await renderChart({ title: 'count', times, actual, anomalies: [] }, 'png');
 */
export async function renderChart(
  input: ChartSeries | ChartSeries[],
  format: 'png',
  options?: ChartOptions,
): Promise<Buffer>;
export async function renderChart(
  input: ChartSeries | ChartSeries[],
  format: 'svg' | 'html',
  options?: ChartOptions,
): Promise<string>;
export async function renderChart(
  input: ChartSeries | ChartSeries[],
  format: ChartFormat,
  options?: ChartOptions,
): Promise<Buffer | string>;
export async function renderChart(
  input: ChartSeries | ChartSeries[],
  format: ChartFormat,
  options?: ChartOptions,
): Promise<Buffer | string> {
  if (format === 'html') {
    const { width, height } = size(input, options, true);
    const built = buildChartOption(input, { width, height, interactive: true });
    return renderHtmlPage(built, { height, title: Array.isArray(input) ? input[0]?.title ?? 'Vigil chart' : input.title });
  }
  if (format !== 'svg' && format !== 'png') throw new RangeError(`unknown chart format "${String(format)}" (svg, png or html)`);
  const { width, height } = size(input, options, false);
  const built = buildChartOption(input, { width, height, interactive: false });
  const svg = svgOf(built, width, height);
  if (format === 'svg') return svg;
  const font = chooseFont();
  if (font.source === null) {
    options?.warn?.('no font found for chart text (install fonts-dejavu-core or set VIGIL_CHART_FONT); drawing without text');
  }
  const png = new Resvg(svg, { font: font.font, fitTo: { mode: 'original' }, background: '#ffffff', logLevel: 'off' })
    .render()
    .asPng();
  return png;
}

/**
 * Renders and writes a chart, choosing the format by the file extension. Returns the format and
 * the number of bytes written.
 */
export async function writeChart(
  path: string,
  input: ChartSeries | ChartSeries[],
  options?: ChartOptions,
): Promise<{ format: ChartFormat; bytes: number }> {
  const format = chartFormatOf(path);
  const out = await renderChart(input, format, options);
  await writeOutputFile('--chart', path, out);
  return { format, bytes: typeof out === 'string' ? Buffer.byteLength(out) : out.length };
}
