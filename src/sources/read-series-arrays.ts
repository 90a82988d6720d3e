/**
 * Reads a whole series into two typed arrays (time, value), for commands that need the history in
 * memory (forecasting, training). Streaming stays the default everywhere else (`readSeries`).
 */
import { VigilError } from '../core/errors.js';
import { readSeries, type ReadSeriesOptions, type SeriesInput } from './read-series.js';
import { formatInputReport, type InputReport } from './input-report.js';

export interface SeriesArrays {
  times: Float64Array;
  values: Float64Array;
  report: InputReport;
}

/**
 * All accepted rows of `input`; NO_USABLE_DATA (with the bad rows, when there were any) when there is
 * none. `name` is used in the message. Callers report `report`'s bad rows: they are not dropped silently.
 */
export async function readSeriesArrays(input: SeriesInput, name: string, options: ReadSeriesOptions = {}): Promise<SeriesArrays> {
  const reader = readSeries(input, { valueKind: 'number', ...options });
  const tChunks: Float64Array[] = [];
  const vChunks: Float64Array[] = [];
  let total = 0;
  for await (const batch of reader) {
    tChunks.push(batch.time.subarray(0, batch.n));
    vChunks.push(batch.value.subarray(0, batch.n));
    total += batch.n;
  }
  if (total === 0) {
    const report = reader.report;
    throw new VigilError('NO_USABLE_DATA', `${name}: no row with a valid time and value${report.badRows ? `:\n${formatInputReport(report)}` : ''}`);
  }
  const times = new Float64Array(total);
  const values = new Float64Array(total);
  let at = 0;
  for (let i = 0; i < tChunks.length; i++) {
    times.set(tChunks[i], at);
    values.set(vChunks[i], at);
    at += tChunks[i].length;
  }
  return { times, values, report: reader.report };
}
