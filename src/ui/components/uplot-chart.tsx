/** A uPlot chart that follows its container's width and takes new data without being rebuilt. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface UPlotProps {
  options: Omit<uPlot.Options, 'width'>;
  data: uPlot.AlignedData;
  /** Rebuild the chart when this changes (series layout); data alone only calls setData. */
  layoutKey: string;
  onCreate?: (u: uPlot) => void;
  class?: string;
}

export function UPlotChart({ options, data, layoutKey, onCreate, class: cls }: UPlotProps) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = host.current!;
    const u = new uPlot({ ...options, width: Math.max(200, el.clientWidth) } as uPlot.Options, data, el);
    chart.current = u;
    onCreate?.(u);
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: u.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      chart.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [layoutKey]);
  useEffect(() => {
    const u = chart.current;
    if (u && u.data !== data) u.setData(data, true);
  }, [data]);
  return <div ref={host} class={`uplot-host ${cls ?? ''}`} />;
}

/** UTC dates on time axes. */
export const utc = (ts: number): Date => uPlot.tzDate(new Date(ts), 'Etc/UTC');
