/**
 * `#/perf?n=200000`: the viewer's chart with n synthetic points, timed — first render and a zoom,
 * each to the next painted frame. The browser tests and `npm run bench -- ui` read the result
 * from `window.__vigilPerf`.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { SeriesChart, type Marker, type SeriesData } from '../components/series-chart.js';

declare global {
  interface Window {
    __vigilPerf?: { points: number; renderMs: number; zoomMs: number; unzoomMs: number };
  }
}

const frame = (): Promise<void> => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));

export function Perf({ params }: { params: URLSearchParams }) {
  const n = Math.max(10, Math.min(5_000_000, Number(params.get('n') ?? 100_000)));
  const [t0] = useState(() => performance.now());
  const [range, setRange] = useState<{ from?: number; to?: number }>({});
  const [result, setResult] = useState<Window['__vigilPerf']>();
  const data = useMemo(() => {
    const start = Date.UTC(2024, 0, 1);
    const span = 60_000;
    const time = new Float64Array(n);
    const actual: (number | null)[] = new Array(n);
    const lower: (number | null)[] = new Array(n);
    const upper: (number | null)[] = new Array(n);
    const markers: Marker[] = [];
    for (let i = 0; i < n; i++) {
      time[i] = start + i * span;
      const base = 100 + 40 * Math.sin((i / 1440) * 2 * Math.PI);
      const v = base + 8 * Math.sin(i * 12.9898) + (i % 9973 === 0 ? 80 : 0);
      actual[i] = v;
      lower[i] = base - 15;
      upper[i] = base + 15;
      if (i % 9973 === 0 && i > 0) markers.push({ time: time[i], value: v, score: 40 + (i % 60) });
    }
    return { series: { time, actual, lower, upper } as SeriesData, markers };
  }, [n]);

  useEffect(() => {
    void (async () => {
      await frame();
      const renderMs = performance.now() - t0;
      const xs = data.series.time;
      let t = performance.now();
      setRange({ from: xs[Math.floor(n * 0.4)], to: xs[Math.floor(n * 0.45)] });
      await frame();
      const zoomMs = performance.now() - t;
      t = performance.now();
      setRange({});
      await frame();
      const unzoomMs = performance.now() - t;
      const r = { points: n, renderMs: Math.round(renderMs), zoomMs: Math.round(zoomMs), unzoomMs: Math.round(unzoomMs) };
      window.__vigilPerf = r;
      setResult(r);
    })();
  }, []);

  return (
    <section class="page">
      <h1>Chart performance</h1>
      <p class="muted" data-testid="perf">
        {result ? `${result.points.toLocaleString('en-US')} points: first render ${result.renderMs} ms, zoom ${result.zoomMs} ms, back to all ${result.unzoomMs} ms (to the next painted frame)` : `Drawing ${n.toLocaleString('en-US')} points…`}
      </p>
      <div class="card chart-card">
        <SeriesChart series={data.series} markers={data.markers} missing={[]} annotations={[]} range={range} onRange={(f, to) => setRange({ from: f, to })} />
      </div>
    </section>
  );
}
