/**
 * Builds the (JSON-safe) ECharts option for one or more chart panels: model bounds as a shaded
 * band, typical line, actual line with gaps, missing-data shading, forecast with 80/95 % bands and
 * severity-coloured anomaly markers. Used both for server-side SVG/PNG and for the HTML page
 * (where the browser adds the tooltip formatter). Contains no functions, so it can be serialised.
 */
import { SEVERITY_COLOURS, severityOf, type Severity } from '../../core/score/severity.js';
import { downsampleChannels, downsampleLine, mergeRuns, missingRunsOf } from './downsample.js';
import { countBySeverity, summariseAnomalies } from './summary.js';
import { timeTicks } from './time-axis.js';
import { formatWallClock, makeTimeShift, shiftTimes, type TimeShift } from './time-zone.js';
import type { ChartAnomaly, ChartSeries } from './types.js';

/**
 * Static charts merge same-severity anomaly markers that fall on the same pixel when a panel has
 * more anomalies than this (the interactive chart keeps every marker for zooming).
 */
export const DEDUPE_ABOVE = 1000;

/** Above this many markers of one severity a static chart draws them as one path. */
export const LARGE_MARKERS = 2000;

/** Most panels drawn in one chart; further series are summarised in the header. */
export const MAX_PANELS = 12;

export const CHART_COLOURS = {
  actual: '#2b6cb0',
  typical: '#6b93c4',
  band: 'rgba(112, 160, 214, 0.26)',
  bandLegend: '#c2d8ef',
  forecast: '#8a4fbf',
  forecast80: 'rgba(138, 79, 191, 0.22)',
  forecast95: 'rgba(138, 79, 191, 0.11)',
  missing: 'rgba(120, 120, 120, 0.14)',
  missingLegend: '#dcdcdc',
  text: '#343741',
  subtext: '#69707d',
  axis: '#98a2b3',
  grid: '#eef0f3',
} as const;

/** Series names as they appear in the legend and tooltip. */
export const NAMES = {
  actual: 'Actual',
  typical: 'Typical',
  bounds: '95% bounds',
  missing: 'Missing data',
  forecast: 'Forecast',
  forecast80: 'Forecast 80%',
  forecast95: 'Forecast 95%',
} as const;

const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'Critical',
  major: 'Major',
  minor: 'Minor',
  warning: 'Warning',
  none: 'Unscored',
};
/** Drawing order, lowest first, so critical markers sit on top. */
const DRAW_ORDER: Severity[] = ['none', 'warning', 'minor', 'major', 'critical'];

export interface LayoutOptions {
  width: number;
  height: number;
  /** HTML page: tooltip, data zoom, more detail kept for zooming. */
  interactive: boolean;
}

/** One anomaly as listed in the HTML table and tooltip. */
export interface AnomalyRow {
  panel: number;
  series: string;
  time: number;
  /** `time` shifted to the panel's wall clock (the chart's x coordinate). */
  shifted: number;
  /** Wall-clock time in the panel's zone, "YYYY-MM-DD HH:mm:ss". */
  wall: string;
  severity: Severity;
  score: number;
  actual: number;
  typical: number | null;
  lower: number | null;
  upper: number | null;
  label?: string;
}

export interface BuiltChart {
  option: Record<string, unknown>;
  anomalies: AnomalyRow[];
  panels: { title: string; timeZone: string; summary: string }[];
  /** Panels not drawn because of {@link MAX_PANELS}. */
  omitted: number;
}

type Point = [number, number | null];

function round(v: number): number | null {
  if (!Number.isFinite(v)) return null;
  return v === 0 ? 0 : Number(v.toPrecision(8));
}

function points(times: Float64Array, values: Float64Array): Point[] {
  const out: Point[] = new Array(times.length);
  for (let i = 0; i < times.length; i++) out[i] = [times[i], round(values[i])];
  return out;
}

/** Index of the bucket containing t (last times[i] ≤ t), or -1. */
export function bucketIndex(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  if (hi < 0 || t < times[0]) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid] <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function valueAt(arr: Float64Array | undefined, i: number): number | null {
  if (!arr || i < 0 || i >= arr.length) return null;
  const v = arr[i];
  return Number.isFinite(v) ? v : null;
}

function extent(s: ChartSeries): [number, number] {
  let lo = s.times.length ? s.times[0] : NaN;
  let hi = s.times.length ? s.times[s.times.length - 1] : NaN;
  const f = s.forecast?.times;
  if (f && f.length) {
    lo = Number.isNaN(lo) ? f[0] : Math.min(lo, f[0]);
    hi = Number.isNaN(hi) ? f[f.length - 1] : Math.max(hi, f[f.length - 1]);
  }
  for (const a of s.anomalies) {
    if (!(a.time >= lo)) lo = a.time;
    if (!(a.time <= hi)) hi = a.time;
  }
  if (Number.isNaN(lo)) return [0, 1];
  return hi > lo ? [lo, hi] : [lo - 1, lo + 1];
}

function bandSeries(
  id: string,
  name: string,
  panel: number,
  times: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  fill: string,
  z: number,
): Record<string, unknown>[] {
  const lowerData: Point[] = new Array(times.length);
  const spanData: (number | null)[][] = new Array(times.length);
  for (let i = 0; i < times.length; i++) {
    const lo = round(lower[i]);
    const up = round(upper[i]);
    const ok = lo !== null && up !== null;
    lowerData[i] = [times[i], ok ? lo : null];
    // [time, upper - lower (stacked on lower), upper, lower] — the last two for the tooltip
    spanData[i] = ok ? [times[i], round(up - lo), up, lo] : [times[i], null, null, null];
  }
  const common = {
    type: 'line',
    name,
    xAxisIndex: panel,
    yAxisIndex: panel,
    stack: `${id}-p${panel}`,
    stackStrategy: 'all',
    showSymbol: false,
    symbol: 'none',
    silent: true,
    lineStyle: { opacity: 0, width: 0 },
    itemStyle: { color: fill },
    emphasis: { disabled: true },
    animation: false,
    z,
  };
  return [
    { ...common, id: `p${panel}-${id}-lower`, data: lowerData },
    { ...common, id: `p${panel}-${id}-upper`, data: spanData, areaStyle: { color: fill, opacity: 1 } },
  ];
}

/** Builds the option for up to {@link MAX_PANELS} panels. */
export function buildChartOption(input: ChartSeries | ChartSeries[], layout: LayoutOptions): BuiltChart {
  const all = Array.isArray(input) ? input : [input];
  if (all.length === 0) throw new RangeError('renderChart needs at least one series');
  const panels = all.slice(0, MAX_PANELS);
  const omitted = all.length - panels.length;
  const k = panels.length;
  const { width, height, interactive } = layout;
  const single = k === 1;

  const left = 16;
  const right = 28;
  const headerH = single ? 104 : omitted > 0 ? 62 : 44;
  const footerH = interactive ? 46 : 4;
  const panelTitleH = single ? 0 : 26;
  const axisH = 32;
  const per = Math.max(80, (height - headerH - footerH) / k);
  const plotWidth = Math.max(100, width - left - right - 60);
  const columns = Math.round(interactive ? Math.min(plotWidth * 6, 12_000) : plotWidth);

  const titles: Record<string, unknown>[] = [];
  const grids: Record<string, unknown>[] = [];
  const xAxes: Record<string, unknown>[] = [];
  const yAxes: Record<string, unknown>[] = [];
  const series: Record<string, unknown>[] = [];
  const rows: AnomalyRow[] = [];
  const panelInfo: BuiltChart['panels'] = [];
  const legendNames = new Set<string>();

  if (!single && omitted > 0) {
    titles.push({
      text: `Showing ${k} of ${all.length} series`,
      left,
      top: 10,
      textStyle: { fontSize: 14, fontWeight: 'bold', color: CHART_COLOURS.text },
    });
  }

  const chartZone = panels[0].timeZone ?? 'UTC';
  const chartShift = makeTimeShift(panels[0].timeZone);
  panels.forEach((s, p) => {
    // one zone per chart (the first series'), so linked panels line up in real time
    const zone = chartZone;
    const shift: TimeShift = chartShift;
    const summary = summariseAnomalies(s.anomalies);
    panelInfo.push({ title: s.title, timeZone: zone, summary });
    const [rawLo, rawHi] = extent(s);
    const range: [number, number] = [rawLo, rawHi];
    const top = headerH + p * per;
    const gridTop = top + panelTitleH;
    const gridHeight = Math.max(40, per - panelTitleH - axisH);

    const zoneNote = `times in ${zone}`;
    if (single) {
      titles.push({
        text: s.title,
        subtext: [s.subtitle, summary, zoneNote].filter(Boolean).join('  ·  '),
        left,
        top: 10,
        itemGap: 10,
        textStyle: { fontSize: 17, fontWeight: 'bold', color: CHART_COLOURS.text },
        subtextStyle: { fontSize: 12, color: CHART_COLOURS.subtext },
      });
    } else {
      // title left, details right-aligned: no text measuring needed (SSR measures only roughly)
      titles.push({
        text: [s.title, s.subtitle, s.valueLabel].filter(Boolean).join('  ·  '),
        left,
        top,
        textStyle: { fontSize: 13, fontWeight: 'bold', color: CHART_COLOURS.text },
      });
      titles.push({
        // anchored at its right end, so the renderer's width estimate cannot push it off the edge
        text: `${summary}  ·  ${zoneNote}`,
        left: width - right,
        textAlign: 'right',
        top: top + 1,
        textStyle: { fontSize: 11, fontWeight: 'normal', color: CHART_COLOURS.subtext },
      });
    }

    grids.push({ left, right, top: gridTop, height: gridHeight, containLabel: true });
    xAxes.push({
      type: 'time',
      gridIndex: p,
      min: shift(range[0]),
      max: shift(range[1]),
      axisLine: { onZero: false, lineStyle: { color: CHART_COLOURS.axis } },
      axisTick: { lineStyle: { color: CHART_COLOURS.axis } },
      axisLabel: { color: CHART_COLOURS.subtext, fontSize: 11, hideOverlap: true },
      splitLine: { show: false },
    });
    if (!interactive) {
      // regular ticks; labels attached by the SVG renderer (functions are not JSON)
      const ticks = timeTicks(shift(range[0]), shift(range[1]), Math.floor(plotWidth / 110));
      const x = xAxes[xAxes.length - 1] as { axisLabel: Record<string, unknown>; axisTick: Record<string, unknown> };
      x.axisLabel.customValues = ticks.values;
      x.axisTick.customValues = ticks.values;
      x.axisLabel.labels = ticks.labels;
      // keep labels at the very ends inside the chart
      if (ticks.values[0] - shift(range[0]) < ((shift(range[1]) - shift(range[0])) * 40) / plotWidth) x.axisLabel.alignMinLabel = 'left';
      if (shift(range[1]) - ticks.values[ticks.values.length - 1] < ((shift(range[1]) - shift(range[0])) * 40) / plotWidth) x.axisLabel.alignMaxLabel = 'right';
    }
    yAxes.push({
      type: 'value',
      gridIndex: p,
      scale: true,
      name: single ? s.valueLabel ?? '' : '',
      nameLocation: 'end',
      nameTextStyle: { color: CHART_COLOURS.subtext, fontSize: 11, align: 'left' },
      nameGap: 10,
      axisLine: { show: false },
      axisTick: { show: false },
      axisLabel: { color: CHART_COLOURS.subtext, fontSize: 11 },
      splitLine: { lineStyle: { color: CHART_COLOURS.grid } },
    });

    const times = shiftTimes(s.times, shift);
    // y extent of what is drawn, to find markers that would land on the same pixel
    let yLo = Infinity;
    let yHi = -Infinity;
    const see = (arr: Float64Array) => {
      for (let i = 0; i < arr.length; i++) {
        const v = arr[i];
        if (v < yLo) yLo = v;
        if (v > yHi) yHi = v;
      }
    };
    const sRange: [number, number] = [shift(range[0]), shift(range[1])];

    // 1. model bounds band
    if (s.lower && s.upper) {
      const b = downsampleChannels(
        times,
        [
          { values: s.lower, reduce: 'min' },
          { values: s.upper, reduce: 'max' },
        ],
        columns,
        sRange,
      );
      b.channels.forEach(see);
      series.push(...bandSeries('band', NAMES.bounds, p, b.times, b.channels[0], b.channels[1], CHART_COLOURS.band, 1));
      legendNames.add(NAMES.bounds);
    }
    // 2. typical
    if (s.typical) {
      const t = downsampleChannels(times, [{ values: s.typical, reduce: 'mean' }], columns, sRange);
      series.push({
        type: 'line',
        id: `p${p}-typical`,
        name: NAMES.typical,
        xAxisIndex: p,
        yAxisIndex: p,
        data: points(t.times, t.channels[0]),
        showSymbol: false,
        symbol: 'none',
        lineStyle: { color: CHART_COLOURS.typical, width: 1, type: 'dashed' },
        itemStyle: { color: CHART_COLOURS.typical },
        emphasis: { disabled: true },
        z: 2,
      });
      legendNames.add(NAMES.typical);
    }
    // 3. forecast
    const f = s.forecast;
    if (f && f.times.length) {
      const ft = shiftTimes(f.times, shift);
      for (const [lo, up, name, fill, id] of [
        [f.lower95, f.upper95, NAMES.forecast95, CHART_COLOURS.forecast95, 'f95'],
        [f.lower80, f.upper80, NAMES.forecast80, CHART_COLOURS.forecast80, 'f80'],
      ] as const) {
        if (!lo || !up) continue;
        const b = downsampleChannels(
          ft,
          [
            { values: lo, reduce: 'min' },
            { values: up, reduce: 'max' },
          ],
          columns,
          sRange,
        );
        b.channels.forEach(see);
        series.push(...bandSeries(id, name, p, b.times, b.channels[0], b.channels[1], fill, 1));
        legendNames.add(name);
      }
      const m = downsampleChannels(ft, [{ values: f.mean, reduce: 'mean' }], columns, sRange);
      series.push({
        type: 'line',
        id: `p${p}-forecast`,
        name: NAMES.forecast,
        xAxisIndex: p,
        yAxisIndex: p,
        data: points(m.times, m.channels[0]),
        showSymbol: m.times.length === 1,
        symbol: 'circle',
        symbolSize: 4,
        lineStyle: { color: CHART_COLOURS.forecast, width: 1.6 },
        itemStyle: { color: CHART_COLOURS.forecast },
        emphasis: { disabled: true },
        z: 3,
      });
      legendNames.add(NAMES.forecast);
    }
    // 4. missing-data shading
    const runs = s.missingRuns ?? missingRunsOf(s.times, s.actual);
    if (runs.length > 0) {
      const pxMs = (sRange[1] - sRange[0]) / Math.max(1, columns);
      const merged = mergeRuns(
        runs.map((r) => ({ start: shift(r.start), end: shift(r.end) })),
        pxMs,
      );
      series.push({
        type: 'line',
        id: `p${p}-missing`,
        name: NAMES.missing,
        xAxisIndex: p,
        yAxisIndex: p,
        data: [],
        itemStyle: { color: CHART_COLOURS.missingLegend },
        markArea: {
          silent: true,
          itemStyle: { color: CHART_COLOURS.missing },
          data: merged.map((r) => [{ xAxis: r.start }, { xAxis: Math.max(r.end, r.start + pxMs) }]),
        },
        z: 0,
      });
      legendNames.add(NAMES.missing);
    }
    // 5. actual line with gaps, plus dots for isolated points the line cannot show
    const a = downsampleLine(times, s.actual, columns, sRange);
    see(a.values);
    const actualData = points(a.times, a.values);
    series.push({
      type: 'line',
      id: `p${p}-actual`,
      name: NAMES.actual,
      xAxisIndex: p,
      yAxisIndex: p,
      data: actualData,
      showSymbol: false,
      symbol: 'none',
      connectNulls: false,
      lineStyle: { color: CHART_COLOURS.actual, width: 1.4 },
      itemStyle: { color: CHART_COLOURS.actual },
      emphasis: { disabled: true },
      z: 4,
    });
    legendNames.add(NAMES.actual);
    const isolated: Point[] = [];
    for (let i = 0; i < actualData.length; i++) {
      const v = actualData[i][1];
      if (v === null) continue;
      const prevGap = i === 0 || actualData[i - 1][1] === null;
      const nextGap = i === actualData.length - 1 || actualData[i + 1][1] === null;
      if (prevGap && nextGap) isolated.push(actualData[i]);
    }
    if (isolated.length > 0) {
      series.push({
        type: 'scatter',
        id: `p${p}-isolated`,
        name: NAMES.actual,
        xAxisIndex: p,
        yAxisIndex: p,
        data: isolated,
        symbol: 'circle',
        symbolSize: 3,
        itemStyle: { color: CHART_COLOURS.actual },
        silent: true,
        progressive: 0,
        large: false,
        z: 4,
      });
    }
    // 6. anomalies: one scatter per severity, never downsampled
    const bySeverity = new Map<Severity, { value: [number, number | null]; a: number }[]>();
    const sorted = [...s.anomalies].sort((x, y) => x.time - y.time);
    for (const an of sorted) if (Number.isFinite(an.value)) see(new Float64Array([an.value]));
    // Static charts with many anomalies: a marker is merged into another of the same severity
    // and at least its size drawn on the same pixel (visually lossless; keeps SVG/PNG bounded).
    const dedupe = !interactive && sorted.length > DEDUPE_ABOVE && yHi >= yLo;
    const cells = new Map<string, number>();
    const xScale = plotWidth / Math.max(1, sRange[1] - sRange[0]);
    const yScale = gridHeight / Math.max(1e-300, yHi - yLo);
    sorted.forEach((an: ChartAnomaly) => {
      const sev = severityOf(an.score);
      const i = bucketIndex(s.times, an.time);
      // a marker for an anomaly on a missing value sits on the typical value
      const y = Number.isFinite(an.value) ? an.value : valueAt(s.typical, i);
      rows.push({
        panel: p,
        series: s.title,
        time: an.time,
        shifted: shift(an.time),
        wall: formatWallClock(shift(an.time), true),
        severity: sev,
        score: an.score,
        actual: an.value,
        typical: valueAt(s.typical, i),
        lower: valueAt(s.lower, i),
        upper: valueAt(s.upper, i),
        ...(an.label !== undefined ? { label: an.label } : {}),
      });
      const list = bySeverity.get(sev) ?? [];
      const x = shift(an.time);
      if (dedupe && y !== null) {
        const key = `${sev}|${Math.round((x - sRange[0]) * xScale)}|${Math.round((y - yLo) * yScale)}`;
        const at = cells.get(key);
        if (at !== undefined) {
          if (an.score > rows[list[at].a].score) list[at] = { value: [x, y], a: rows.length - 1 };
          return;
        }
        cells.set(key, list.length);
      }
      list.push({ value: [x, y], a: rows.length - 1 });
      bySeverity.set(sev, list);
    });
    const counts = countBySeverity(s.anomalies);
    for (const sev of DRAW_ORDER) {
      const list = bySeverity.get(sev);
      if (!list || counts[sev] === 0) continue;
      const name = SEVERITY_LABEL[sev];
      // very many markers of one severity in a static chart: ECharts' "large" mode draws them as
      // one path (uniform size: the band's middle score), which keeps SVG small and PNG fast
      const large = !interactive && list.length > LARGE_MARKERS;
      const bandMid = { none: 0, warning: 12.5, minor: 37.5, major: 62.5, critical: 87.5 }[sev];
      series.push({
        type: 'scatter',
        id: `p${p}-anomaly-${sev}`,
        name,
        xAxisIndex: p,
        yAxisIndex: p,
        data: large
          ? list.map((d) => d.value)
          : list.map((d) => ({ value: d.value, a: d.a, symbolSize: markerSize(rows[d.a].score) })),
        symbol: 'circle',
        ...(large ? { symbolSize: markerSize(bandMid), large: true, largeThreshold: LARGE_MARKERS } : { large: false }),
        itemStyle: { color: SEVERITY_COLOURS[sev], opacity: 1, borderColor: 'rgba(40, 40, 40, 0.55)', borderWidth: large ? 0 : 0.8 },
        progressive: 0,
        z: 10 + DRAW_ORDER.indexOf(sev),
      });
      legendNames.add(name);
    }
  });


  const order = [
    NAMES.actual,
    NAMES.typical,
    NAMES.bounds,
    NAMES.forecast,
    NAMES.forecast80,
    NAMES.forecast95,
    NAMES.missing,
    ...[...DRAW_ORDER].reverse().map((s) => SEVERITY_LABEL[s]),
  ];
  const rectLike = new Set<string>([NAMES.bounds, NAMES.forecast80, NAMES.forecast95, NAMES.missing]);
  const legendColours: Record<string, string> = {
    [NAMES.bounds]: CHART_COLOURS.bandLegend,
    [NAMES.forecast80]: '#d6bfeb',
    [NAMES.forecast95]: '#ebdff5',
    [NAMES.missing]: CHART_COLOURS.missingLegend,
  };
  const legendData = order
    .filter((n) => legendNames.has(n))
    .map((n) => {
      if (rectLike.has(n)) return { name: n, icon: 'rect', itemStyle: { color: legendColours[n], opacity: 1 } };
      const sev = DRAW_ORDER.find((s) => SEVERITY_LABEL[s] === n);
      if (sev) return { name: n, icon: 'circle', itemStyle: { color: SEVERITY_COLOURS[sev] } };
      return { name: n };
    });

  const option: Record<string, unknown> = {
    animation: false,
    useUTC: true,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'sans-serif', color: CHART_COLOURS.text },
    title: titles,
    legend: {
      data: legendData,
      // a row of its own (left-aligned) so it never collides with a long title or subtitle
      top: single ? 62 : omitted > 0 ? 36 : 12,
      left,
      itemWidth: 16,
      itemHeight: 9,
      itemGap: 12,
      textStyle: { fontSize: 11, color: CHART_COLOURS.text },
    },
    grid: grids,
    xAxis: xAxes,
    yAxis: yAxes,
    series,
  };
  if (interactive) {
    const all = xAxes.map((_, i) => i);
    option.tooltip = {
      trigger: 'axis',
      axisPointer: { type: 'line', lineStyle: { color: '#888', type: 'dashed' } },
      confine: true,
      backgroundColor: 'rgba(255,255,255,0.97)',
      borderColor: '#ccd',
      textStyle: { fontSize: 12, color: CHART_COLOURS.text },
    };
    option.axisPointer = { link: [{ xAxisIndex: 'all' }] };
    option.dataZoom = [
      { type: 'inside', xAxisIndex: all, filterMode: 'none' },
      { type: 'slider', xAxisIndex: all, filterMode: 'none', bottom: 10, height: 24, showDataShadow: false },
    ];
    option.toolbox = {
      right: 8,
      top: 8,
      feature: { dataZoom: { yAxisIndex: 'none' }, restore: {}, saveAsImage: { title: 'PNG' } },
    };
  }
  return { option, anomalies: rows, panels: panelInfo, omitted };
}

/** Marker diameter in px: 6 at score 0 growing to 16 at score 100. */
export function markerSize(score: number): number {
  const s = Math.max(0, Math.min(100, Number.isFinite(score) ? score : 0));
  return Math.round((6 + s / 10) * 10) / 10;
}
