/**
 * The Single Metric Viewer's chart: actual values, the model's bounds as a band, anomalies as
 * markers coloured by severity, missing-data runs and annotations shaded, a forecast with its
 * widening band; plus an overview strip below to pick the time range (drag), with drag-to-zoom and
 * double-click-to-reset on the main chart. uPlot draws 100 000+ points in a few milliseconds.
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type uPlot from 'uplot';
import { fmtNum, fmtTime, severityOf } from '../lib/format.js';
import { UPlotChart, utc } from './uplot-chart.js';

export interface SeriesData {
  time: Float64Array;
  actual: (number | null)[];
  lower: (number | null)[];
  upper: (number | null)[];
}

export interface ForecastData {
  time: number[];
  prediction: number[];
  lower: number[];
  upper: number[];
}

export interface Marker {
  time: number;
  value: number;
  score: number;
}

export interface Shade {
  start: number;
  end: number;
  label?: string;
}

export interface SeriesChartProps {
  series: SeriesData;
  forecast?: ForecastData;
  markers: Marker[];
  missing: Shade[];
  annotations: Shade[];
  /** The visible range (ms); undefined: everything. */
  range: { from?: number; to?: number };
  onRange: (from: number | undefined, to: number | undefined) => void;
  height?: number;
  onMarker?: (m: Marker) => void;
  /** What a drag on the chart does: zoom (default) or select a range (annotations). */
  dragMode?: 'zoom' | 'select';
  onSelectRange?: (from: number, to: number) => void;
}

const ACTUAL = '#1f5fa8';
const BAND = 'rgba(80, 140, 210, 0.18)';
const FORECAST = '#c77c02';
const FORECAST_BAND = 'rgba(245, 170, 40, 0.22)';

/** Merges model-plot and forecast times into one x axis with aligned columns. */
function align(s: SeriesData, f: ForecastData | undefined): uPlot.AlignedData {
  if (!f || f.time.length === 0) return [s.time as unknown as number[], s.actual, s.lower, s.upper];
  const xs: number[] = [];
  const cols: (number | null)[][] = [[], [], [], [], [], []];
  let i = 0;
  let j = 0;
  const n = s.time.length;
  const m = f.time.length;
  while (i < n || j < m) {
    const ti = i < n ? s.time[i] : Infinity;
    const tj = j < m ? f.time[j] : Infinity;
    const t = Math.min(ti, tj);
    xs.push(t);
    if (ti === t) {
      cols[0].push(s.actual[i]);
      cols[1].push(s.lower[i]);
      cols[2].push(s.upper[i]);
      i++;
    } else cols[0].push(null), cols[1].push(null), cols[2].push(null);
    if (tj === t) {
      cols[3].push(f.prediction[j]);
      cols[4].push(f.lower[j]);
      cols[5].push(f.upper[j]);
      j++;
    } else cols[3].push(null), cols[4].push(null), cols[5].push(null);
  }
  return [xs, ...cols];
}

function shadesPlugin(get: () => { missing: Shade[]; annotations: Shade[] }): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u) => {
        const { missing, annotations } = get();
        const ctx = u.ctx;
        const { top, height, left, width } = u.bbox;
        ctx.save();
        ctx.beginPath();
        ctx.rect(left, top, width, height);
        ctx.clip();
        ctx.fillStyle = 'rgba(120, 120, 120, 0.16)';
        for (const r of missing) {
          const x0 = u.valToPos(r.start, 'x', true);
          const x1 = u.valToPos(r.end, 'x', true);
          if (x1 < left || x0 > left + width) continue;
          ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
        }
        ctx.fillStyle = 'rgba(130, 90, 200, 0.14)';
        ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
        ctx.textAlign = 'left'; // uPlot leaves its axis settings on the context
        ctx.textBaseline = 'top';
        for (const a of annotations) {
          const x0 = u.valToPos(a.start, 'x', true);
          const x1 = u.valToPos(a.end, 'x', true);
          if (x1 < left || x0 > left + width) continue;
          ctx.fillStyle = 'rgba(130, 90, 200, 0.14)';
          ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
          if (a.label) {
            ctx.fillStyle = '#5b3a9e';
            ctx.fillText(a.label, Math.max(left, x0) + 4 * devicePixelRatio, top + 4 * devicePixelRatio);
          }
        }
        ctx.restore();
      },
    },
  };
}

function markersPlugin(get: () => Marker[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const ctx = u.ctx;
        const { left, top, width, height } = u.bbox;
        const xmin = u.scales.x.min ?? -Infinity;
        const xmax = u.scales.x.max ?? Infinity;
        ctx.save();
        ctx.beginPath();
        ctx.rect(left, top, width, height);
        ctx.clip();
        // low scores first so the worst are drawn on top
        for (const m of get()) {
          if (m.time < xmin || m.time > xmax || !Number.isFinite(m.value)) continue;
          const x = u.valToPos(m.time, 'x', true);
          const y = u.valToPos(m.value, 'y', true);
          const r = (m.score >= 75 ? 6 : m.score >= 50 ? 5 : 4) * devicePixelRatio;
          ctx.beginPath();
          ctx.arc(x, y, r, 0, 2 * Math.PI);
          ctx.fillStyle = severityOf(m.score).color;
          ctx.fill();
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.strokeStyle = '#fff';
          ctx.stroke();
        }
        ctx.restore();
      },
    },
  };
}

export function SeriesChart(p: SeriesChartProps) {
  const latest = useRef(p);
  latest.current = p;
  const main = useRef<uPlot | null>(null);
  const overview = useRef<uPlot | null>(null);
  /** Set just before a scale change the user asked for (drag, double-click, overview); others are not reported. */
  const userAction = useRef(false);
  const byUser = (u: uPlot, min: number, max: number): void => {
    userAction.current = true;
    u.setScale('x', { min, max });
    setTimeout(() => (userAction.current = false), 0); // the hook has run by then (it runs in a microtask)
  };
  const hasForecast = !!p.forecast && p.forecast.time.length > 0;
  const data = useMemo(() => align(p.series, p.forecast), [p.series, p.forecast]);
  const overviewData = useMemo<uPlot.AlignedData>(() => [data[0], data[1], ...(hasForecast ? [data[4]] : [])], [data, hasForecast]);
  const sorted = useMemo(() => [...p.markers].sort((a, b) => a.score - b.score), [p.markers]);
  const markersRef = useRef(sorted);
  markersRef.current = sorted;

  const dataRef = useRef(data);
  dataRef.current = data;
  const full = (): [number, number] => {
    const xs = dataRef.current[0] as number[];
    return [xs[0], xs[xs.length - 1]];
  };

  const selectOverview = (u: uPlot, from: number, to: number): void => {
    const [a, b] = full();
    if (from <= a && to >= b) {
      u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
      return;
    }
    const l = u.valToPos(from, 'x');
    const r = u.valToPos(to, 'x');
    u.setSelect({ left: l, width: Math.max(2, r - l), top: 0, height: u.bbox.height / devicePixelRatio }, false);
  };

  const applyRange = (): void => {
    const u = main.current;
    if (!u || (dataRef.current[0] as number[]).length === 0) return;
    const [a, b] = full();
    const from = latest.current.range.from ?? a;
    const to = latest.current.range.to ?? b;
    if (u.scales.x.min !== from || u.scales.x.max !== to) u.setScale('x', { min: from, max: to });
    if (overview.current) selectOverview(overview.current, from, to);
  };

  const height = p.height ?? 360;
  const mainOpts = useMemo<Omit<uPlot.Options, 'width'>>(
    () => ({
      height,
      ms: 1,
      tzDate: utc,
      cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 6 }, bind: { dblclick: () => () => null } },
      legend: { show: true, live: true },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#555', grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' } },
        { stroke: '#555', grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' }, size: 64, values: (_u, vals) => vals.map((v) => fmtNum(v, 3)) },
      ],
      series: [
        { label: 'time (UTC)', value: (_u, v) => (v == null ? '—' : fmtTime(v)) },
        { label: 'actual', stroke: ACTUAL, width: 1.25, spanGaps: false, value: (_u, v) => fmtNum(v) },
        { label: 'lower bound', stroke: 'rgba(80,140,210,0.45)', width: 0.5, value: (_u, v) => fmtNum(v) },
        { label: 'upper bound', stroke: 'rgba(80,140,210,0.45)', width: 0.5, value: (_u, v) => fmtNum(v) },
        ...(hasForecast
          ? [
              { label: 'forecast', stroke: FORECAST, width: 1.5, dash: [5, 3], value: (_u: uPlot, v: number | null) => fmtNum(v) },
              { label: 'forecast lower', stroke: 'rgba(245,170,40,0.6)', width: 0.5, value: (_u: uPlot, v: number | null) => fmtNum(v) },
              { label: 'forecast upper', stroke: 'rgba(245,170,40,0.6)', width: 0.5, value: (_u: uPlot, v: number | null) => fmtNum(v) },
            ]
          : []),
      ],
      bands: [{ series: [3, 2], fill: BAND }, ...(hasForecast ? [{ series: [6, 5] as [number, number], fill: FORECAST_BAND }] : [])],
      plugins: [shadesPlugin(() => latest.current), markersPlugin(() => markersRef.current)],
      hooks: {
        // a drag zooms, or selects a range to annotate
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
            if (latest.current.dragMode === 'select') latest.current.onSelectRange?.(Math.round(from), Math.round(to));
            else byUser(u, from, to);
          },
        ],
        setScale: [
          (u, key) => {
            if (key !== 'x' || !userAction.current) return;
            userAction.current = false;
            const [a, b] = full();
            const min = u.scales.x.min!;
            const max = u.scales.x.max!;
            const all = min <= a && max >= b;
            if (overview.current) selectOverview(overview.current, min, max);
            latest.current.onRange(all ? undefined : Math.round(min), all ? undefined : Math.round(max));
          },
        ],
        ready: [() => setTimeout(applyRange, 0)],
      },
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [hasForecast, height],
  );

  const overviewOpts = useMemo<Omit<uPlot.Options, 'width'>>(
    () => ({
      height: 64,
      ms: 1,
      tzDate: utc,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false }, y: false },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#777', size: 22, grid: { show: false }, ticks: { size: 3, stroke: '#ccc' }, font: '10px system-ui, sans-serif' },
        { show: false },
      ],
      series: [{}, { stroke: '#7d9cc4', width: 1, fill: 'rgba(125,156,196,0.15)' }, ...(hasForecast ? [{ stroke: FORECAST, width: 1 }] : [])],
      plugins: [shadesPlugin(() => ({ missing: latest.current.missing, annotations: [] })), markersPlugin(() => markersRef.current.filter((m) => m.score >= 50))],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            const m = main.current;
            if (m) byUser(m, from, to);
          },
        ],
        ready: [() => setTimeout(applyRange, 0)],
      },
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [hasForecast],
  );

  // keep the charts on the range the URL asks for
  queueMicrotask(applyRange);
  // shades and markers are drawn by plugins: draw again when they change
  useEffect(() => {
    main.current?.redraw(false);
    overview.current?.redraw(false);
  }, [p.annotations, p.missing, sorted]);

  const layout = `${hasForecast}:${height}`;
  return (
    <div class="series-chart">
      <UPlotChart
        class="main-chart"
        options={mainOpts}
        data={data}
        layoutKey={layout}
        onCreate={(u) => {
          main.current = u;
          u.over.addEventListener('dblclick', () => {
            const [a, b] = full();
            byUser(u, a, b);
          });
          u.over.addEventListener('click', (e) => {
            const onMarker = latest.current.onMarker;
            if (!onMarker) return;
            const rect = u.over.getBoundingClientRect();
            const x = e.clientX - rect.left;
            const y = e.clientY - rect.top;
            let best: Marker | undefined;
            let bestD = 10;
            for (const m of markersRef.current) {
              const dx = u.valToPos(m.time, 'x') - x;
              const dy = u.valToPos(m.value, 'y') - y;
              const d = Math.hypot(dx, dy);
              if (d < bestD) (bestD = d), (best = m);
            }
            if (best) onMarker(best);
          });
        }}
      />
      <div class="overview-label">
        {p.dragMode === 'select'
          ? 'Drag on the chart over the time range to annotate.'
          : 'Drag on the strip below to choose a time range; drag on the chart to zoom in; double-click the chart to see everything.'}
      </div>
      <UPlotChart class="overview-chart" options={overviewOpts} data={overviewData} layoutKey={`o${layout}`} onCreate={(u) => (overview.current = u)} />
    </div>
  );
}
