/** Charts for `vigil detect --chart` and `vigil forecast --chart`. */
export type { ChartAnomaly, ChartFormat, ChartForecast, ChartOptions, ChartSeries } from './types.js';
export { renderChart, writeChart, chartFormatOf, DEFAULT_WIDTH, defaultHeight } from './render.js';
export { MAX_PANELS, buildChartOption, markerSize } from './option.js';
export { downsampleLine, downsampleChannels, mergeRuns, missingRunsOf } from './downsample.js';
export { summariseAnomalies, countBySeverity } from './summary.js';
