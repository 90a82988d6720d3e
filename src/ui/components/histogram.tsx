/** A small distribution chart (SVG bars) for the data visualizer. */
export function Histogram({ counts, width = 160, height = 36, color = '#5b8fd0' }: { counts: number[]; width?: number; height?: number; color?: string }) {
  const max = Math.max(1, ...counts);
  const w = width / counts.length;
  return (
    <svg class="histogram" width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-label="distribution">
      {counts.map((c, i) => {
        const h = c === 0 ? 0 : Math.max(1, (c / max) * (height - 2));
        return <rect key={i} x={i * w + 0.5} y={height - h} width={Math.max(1, w - 1)} height={h} fill={color} />;
      })}
    </svg>
  );
}
