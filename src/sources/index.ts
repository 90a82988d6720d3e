/** Where series data comes from: streamed file/stdin/stream readers and their bad-row report. */
export { readSeries, type InputFormat, type ReadSeriesOptions, type SeriesReader, type SeriesSchema } from './read-series.js';
export type { SeriesBatch } from './series-batch.js';
export type { SeriesInput } from './byte-source.js';
export type { ValueKind } from './choose-fields.js';
export { chooseFields, type FieldChoice, type FieldChoiceOptions } from './choose-fields.js';
export { formatInputReport, BAD_ROW_KINDS, type BadRowKind, type BadRowSample, type BadRowTally, type InputReport } from './input-report.js';
export { parseNumberBytes } from './parse-number.js';
