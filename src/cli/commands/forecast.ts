/**
 * `vigil forecast FILE --horizon 7d|N`: reads a timestamp,value file (CSV, NDJSON or JSON; gzip is
 * detected), buckets it on its own resolution (or --bucket-span) with the mean, forecasts the next
 * steps with calibrated 80 % / 95 % intervals and prints a table, JSON or CSV, optionally a chart.
 */
import { parseArgs } from 'node:util';
import { bucketSeries } from '../../core/bucket/bucketizer.js';
import { inferResolution } from '../../core/bucket/span.js';
import { VigilError } from '../../core/errors.js';
import { createForecaster, listModels, modelNames } from '../../core/forecast/registry.js';
import type { Forecast, ForecasterOptions } from '../../core/forecast/types.js';
import { formatDuration, parseDuration } from '../../core/time/duration.js';
import { formatInputReport } from '../../sources/input-report.js';
import { readSeriesArrays } from '../../sources/read-series-arrays.js';
import { columns } from '../columns.js';
import { EXIT_OK, type Command, type CommandIO } from '../command.js';
import { checkChartPath, checkOutputPath, writeOutputFile } from '../output.js';

const USAGE = `Usage: vigil forecast FILE|- --horizon 7d|N [options]

Forecasts a time series file (CSV, NDJSON or a JSON array with a timestamp and a value).

  --horizon H              how far: a duration (7d, 12h) or a number of steps
  --model NAME             forecasting model (default auto); one of:
${listModels().map((m) => `                             ${m.name.padEnd(8)} ${m.summary}`).join('\n')}
  --period P               seasonal period(s): durations (1d,7d) or step counts (24,168);
                           default: detected from the data (the calendar cycles of the
                           bucket span — day, week, year — each tested for significance)
  --levels L               interval levels in percent (default 80,95)
  --events T,…             times of known events (holidays, outages; ISO 8601): excluded from
                           fitting; future ones get the past events' mean effect with --event-effect
  --event-effect           add the mean effect of past events at future event times
  --bucket-span DUR        resample to this span with the mean (default: the data's resolution)
  --time-field NAME        timestamp field (default: detected)
  --value-field NAME       value field (default: detected)
  --time-format FMT        auto | iso8601 | epoch | epoch_ms | a pattern
  --time-zone ZONE         zone of timestamps without one (default UTC)
  --format F               table | json | csv (default table)
  --output PATH            write the forecast to PATH instead of stdout
  --chart PATH             write a chart of history and forecast (.png, .svg or .html)
  -h, --help

Exit codes: 0 ok, 1 error, 2 usage.`;

function parseSteps(text: string, spanMs: number, what: string): number {
  if (/^\d+$/.test(text.trim())) {
    const n = Number(text);
    if (n < 1) throw new VigilError('USAGE', `${what} must be at least 1, got ${text}`);
    return n;
  }
  const ms = parseDuration(text);
  const steps = Math.round(ms / spanMs);
  if (steps < 1) throw new VigilError('USAGE', `${what} ${text} is shorter than one step (${formatDuration(spanMs)})`);
  return steps;
}

export interface ForecastRow {
  time: string;
  mean: number;
  [bound: string]: number | string;
}

function rowsOf(times: Float64Array, f: Forecast): ForecastRow[] {
  const rows: ForecastRow[] = [];
  for (let j = 0; j < f.mean.length; j++) {
    const row: ForecastRow = { time: new Date(times[j]).toISOString(), mean: f.mean[j] };
    for (const iv of f.intervals) {
      row[`lower${iv.level}`] = iv.lower[j];
      row[`upper${iv.level}`] = iv.upper[j];
    }
    rows.push(row);
  }
  return rows;
}

function fmt(v: number | string): string {
  if (typeof v === 'string') return v;
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toPrecision(6) : String(Math.round(v * 1e4) / 1e4);
}

const command: Command = {
  name: 'forecast',
  summary: 'forecast a time series file with 80/95 % intervals (table, JSON, CSV, chart)',
  usage: USAGE,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        horizon: { type: 'string' },
        model: { type: 'string', default: 'auto' },
        period: { type: 'string' },
        levels: { type: 'string' },
        events: { type: 'string' },
        'event-effect': { type: 'boolean' },
        'bucket-span': { type: 'string' },
        'time-field': { type: 'string' },
        'value-field': { type: 'string' },
        'time-format': { type: 'string' },
        'time-zone': { type: 'string' },
        format: { type: 'string', default: 'table' },
        output: { type: 'string' },
        chart: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(USAGE + '\n');
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new VigilError('USAGE', `expected one FILE (or - for stdin), got ${positionals.length}`);
    if (!values.horizon) throw new VigilError('USAGE', '--horizon is required (a duration such as 7d, or a number of steps)');
    const format = values.format;
    if (format !== 'table' && format !== 'json' && format !== 'csv') throw new VigilError('USAGE', `--format must be table, json or csv, got ${format}`);
    const model = values.model!;
    if (!modelNames().includes(model)) throw new VigilError('UNKNOWN_MODEL', `unknown forecasting model [${model}]; known: ${modelNames().join(', ')}`);
    const levels = values.levels ? values.levels.split(',').map(Number) : [80, 95];
    if (levels.some((l) => !(l > 0 && l < 100))) throw new VigilError('USAGE', `--levels must be percentages in (0, 100), got ${values.levels}`);
    const spanGiven = values['bucket-span'] ? parseDuration(values['bucket-span']) : undefined;
    if (values.output !== undefined) checkOutputPath('--output', values.output);
    if (values.chart !== undefined) checkChartPath('--chart', values.chart);

    const file = positionals[0];
    const { times, values: vals, report } = await readSeriesArrays(file === '-' ? io.stdin : file, file, {
      timeField: values['time-field'],
      valueField: values['value-field'],
      timeFormat: values['time-format'],
      timeZone: values['time-zone'],
    });
    if (report.badRows) io.stderr.write(formatInputReport(report) + '\n'); // bad rows are counted and named, never dropped silently
    const total = times.length;
    const spanMs = spanGiven ?? (total >= 2 ? inferResolution(times) : 60_000);
    const buckets = bucketSeries(times, vals, spanMs, 'mean');
    const y = buckets.values;
    const h = parseSteps(values.horizon, spanMs, '--horizon');
    // the bucket span is the prior for period detection: its calendar cycles are the candidates
    const options: ForecasterOptions = { stepMs: spanMs };
    if (values.period) options.period = values.period.split(',').map((p) => parseSteps(p, spanMs, '--period'));
    if (values.events) {
      options.events = values.events.split(',').map((s) => {
        const t = Date.parse(s.trim());
        if (!Number.isFinite(t)) throw new VigilError('USAGE', `--events: not a time: ${JSON.stringify(s)}`);
        return Math.floor((t - buckets.start) / spanMs);
      });
      options.eventEffect = values['event-effect'] ?? false;
    }
    const forecaster = createForecaster(model, options);
    const f = forecaster.fit(y).predict(h, levels);
    const n = y.length;
    const fTimes = new Float64Array(h);
    for (let j = 0; j < h; j++) fTimes[j] = buckets.start + (n + j) * spanMs;
    const rows = rowsOf(fTimes, f);

    let text: string;
    if (format === 'json') {
      text = JSON.stringify({ model, bucketSpan: formatDuration(spanMs), history: n, horizon: h, forecast: rows }, null, 2) + '\n';
    } else if (format === 'csv') {
      const keys = Object.keys(rows[0]);
      text = [keys.join(','), ...rows.map((r) => keys.map((k) => (typeof r[k] === 'number' ? String(r[k]) : r[k])).join(','))].join('\n') + '\n';
    } else {
      const keys = Object.keys(rows[0]);
      const cells = rows.map((r) => keys.map((k) => fmt(r[k])));
      text = `model ${model}, ${n} points at ${formatDuration(spanMs)}, horizon ${h} steps (${formatDuration(h * spanMs)})\n` + columns([keys, ...cells]) + '\n';
    }
    if (values.output) await writeOutputFile('--output', values.output, text);
    else io.stdout.write(text);

    if (values.chart) {
      const { writeChart } = await import('../chart/index.js');
      const histTimes = new Float64Array(n);
      for (let i = 0; i < n; i++) histTimes[i] = buckets.start + i * spanMs;
      const iv80 = f.intervals.find((i) => i.level === 80);
      const iv95 = f.intervals.find((i) => i.level === 95);
      const written = await writeChart(values.chart, {
        title: `${file} — forecast (${model})`,
        times: histTimes,
        actual: y,
        anomalies: [],
        forecast: { times: fTimes, mean: f.mean, lower80: iv80?.lower, upper80: iv80?.upper, lower95: iv95?.lower, upper95: iv95?.upper },
      });
      io.stderr.write(`chart: ${values.chart} (${written.format}, ${written.bytes} bytes)\n`);
    }
    return EXIT_OK;
  },
};

export default command;
