/**
 * Data types for `vigil detect --chart` / `vigil forecast --chart`: one panel per series, in the
 * spirit of Elastic's Single Metric Viewer (actual line, model bounds, anomaly markers).
 */

/** One anomaly marker. `score` is the 0–100 record score; its severity picks the colour. */
export interface ChartAnomaly {
  /** Epoch ms (bucket start). */
  time: number;
  /** The actual value at the anomaly (y position of the marker). */
  value: number;
  /** Record score 0–100. */
  score: number;
  /** Optional free text shown in the tooltip and the HTML table. */
  label?: string;
}

/** A forecast continuing the series: mean with optional 80 % and 95 % intervals. */
export interface ChartForecast {
  times: Float64Array;
  mean: Float64Array;
  lower80?: Float64Array;
  upper80?: Float64Array;
  lower95?: Float64Array;
  upper95?: Float64Array;
}

/** One chart panel. All arrays indexed like `times`; NaN means "missing". */
export interface ChartSeries {
  title: string;
  subtitle?: string;
  /** Epoch ms of bucket starts, ascending. */
  times: Float64Array;
  /** Actual values; NaN = missing bucket (the line breaks there). */
  actual: Float64Array;
  /** Model's typical (expected) value. */
  typical?: Float64Array;
  /** Model's lower 95 % bound. */
  lower?: Float64Array;
  /** Model's upper 95 % bound. */
  upper?: Float64Array;
  anomalies: ChartAnomaly[];
  /**
   * Runs of missing data, shaded grey, as [start, end) epoch ms. When omitted they are derived
   * from NaN runs in `actual`; pass `[]` to shade nothing.
   */
  missingRuns?: { start: number; end: number }[];
  forecast?: ChartForecast;
  /** Y-axis name, e.g. "count" or "mean(latency_ms)". */
  valueLabel?: string;
  /**
   * IANA zone for the time axis and labels (default "UTC"). With several panels the first
   * series' zone applies to the whole chart.
   */
  timeZone?: string;
}

export type ChartFormat = 'svg' | 'png' | 'html';

export interface ChartOptions {
  /** Pixel width (default 1200). */
  width?: number;
  /** Pixel height; default 460 for one panel, 260 per panel otherwise. */
  height?: number;
  /** Called with human-readable warnings (e.g. no font found for PNG text). */
  warn?: (message: string) => void;
}
