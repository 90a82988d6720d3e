/**
 * `vigil detect FILE`: anomalies in a CSV / NDJSON / JSON file (or stdin) in one command, with a
 * chart to look at. Streams the input (constant memory), buckets it with Elastic's functions, runs
 * one online model per partition and prints the anomalies, the missing-data runs and what went into
 * the model (bucket span and why, seasonality learned, bad rows and where they are).
 */
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseFunction } from '../../core/bucket/functions.js';
import { inferResolution, suggestBucketSpan } from '../../core/bucket/span.js';
import { DEFAULT_DETECTOR, listDetectors } from '../../core/detect/registry.js';
import { VigilError } from '../../core/errors.js';
import { formatDuration, parseDuration } from '../../core/time/duration.js';
import { SeriesDetection, type BucketResult } from '../../engine/series-detection.js';
import { JUMP_RULE_TEXT, maxJumpMs, rangeWithoutJumps } from '../../core/time/jump.js';
import { formatInputReport } from '../../sources/input-report.js';
import { readSeries } from '../../sources/read-series.js';
import { openSourceReader, splitSourceArgs } from '../../sources/datafeed/cli-source.js';
import type { SeriesBatch } from '../../sources/series-batch.js';
import { EXIT_ERROR, EXIT_OK, type Command, type CommandIO } from '../command.js';
import { checkChartPath, checkOutputPath, writeOutputFile } from '../output.js';
import { Progress } from '../progress.js';
import { ResultCollector } from '../detect/collect.js';
import { formatCsv, formatJson, formatNdjson, formatTable, isoTime, num, type DetectSummary } from '../detect/format.js';
import { PointsWriter } from '../detect/points.js';

const USAGE = `Usage: vigil detect FILE|- [options]

Finds anomalies in a time series file (CSV, NDJSON or a JSON array; gzip is detected).

Input:
  --source URL             read from a store instead of a file: postgres://… (--table T | --query SQL),
                           prometheus+http://… (--selector S | --query PROMQL), elasticsearch+https://…
                           (--index I [--query DSL]), a Parquet file, folder or glob; --start/--end;
                           with --bucket-span the store does the bucketing (see README, Datafeeds)
  --time-field NAME        timestamp field (default: detected)
  --value-field NAME       value field (alias --field; default: detected; none for count functions)
  --time-format FMT        auto | iso8601 | epoch | epoch_ms | epoch_us | epoch_ns, or a pattern
                           such as "yyyy-MM-dd HH:mm:ss"
  --time-zone ZONE         zone of timestamps without one (IANA name, default UTC)
  --input-format F         auto | csv | ndjson | json (default auto)
  --latency DUR            accept records up to DUR late (default 0)

Model:
  --function F             count, high_count, low_count, non_zero_count, distinct_count, mean, median,
                           min, max, sum, non_null_sum, varp, metric and their high_/low_ variants
                           (default mean, or count when there is no value field)
  --bucket-span DUR        e.g. 5m, 1h (default: suggested from the data and printed)
  --partition-field NAME   one model per value of this field
  --detector NAME          detector to use (default "auto": the point model "default" plus the
                           "matrix-profile" shape detector; see vigil eval --help)
  --sensitivity X          > 1 flags more readily, < 1 less (default 1)

Output:
  --format F               table | json | ndjson | csv (default table)
  --output PATH            write results to PATH instead of stdout
  --chart PATH             write a chart (.png, .svg or .html)
  --min-score N            table: list anomalies scoring at least N (default 25, i.e. minor and
                           above; json/ndjson/csv always hold every scored bucket)
  --all-buckets            json/ndjson/csv: every bucket, not only anomalies
  --points                 one CSV row per input row: timestamp,value,anomaly_score (score in [0, 1]),
                           the layout benchmark harnesses such as NAB read
  --no-progress            no progress bar
  --alert-webhook URL      POST one alert per anomalous event of severity major or above and one per
                           missing-data run to URL (JSON, with idempotency keys); exit 1 if one
                           cannot be delivered
  -h, --help

Exit codes: 0 ok, 1 error, 2 usage.`;

interface Options {
  timeField?: string;
  valueField?: string;
  timeFormat?: string;
  timeZone?: string;
  inputFormat: 'auto' | 'csv' | 'ndjson' | 'json';
  latencyMs: number;
  function?: string;
  bucketSpanMs?: number;
  partitionField?: string;
  detector: string;
  sensitivity: number;
  format: 'table' | 'json' | 'ndjson' | 'csv';
  output?: string;
  chart?: string;
  allBuckets: boolean;
  minScore: number;
  points: boolean;
  progress: boolean;
  alertWebhook?: string;
}

function parseOptions(argv: string[]): { file: string; options: Options } | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'time-field': { type: 'string' },
      'value-field': { type: 'string' },
      field: { type: 'string' },
      'time-format': { type: 'string' },
      'time-zone': { type: 'string' },
      'input-format': { type: 'string' },
      latency: { type: 'string' },
      function: { type: 'string' },
      'bucket-span': { type: 'string' },
      'partition-field': { type: 'string' },
      detector: { type: 'string' },
      sensitivity: { type: 'string' },
      format: { type: 'string', short: 'f' },
      output: { type: 'string', short: 'o' },
      chart: { type: 'string' },
      'all-buckets': { type: 'boolean' },
      'min-score': { type: 'string' },
      points: { type: 'boolean' },
      'no-progress': { type: 'boolean' },
      'alert-webhook': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new VigilError('USAGE', positionals.length === 0 ? 'a FILE (or - for stdin) is required' : `one FILE expected, got ${positionals.length}`);
  const format = (values.format ?? 'table') as Options['format'];
  if (!['table', 'json', 'ndjson', 'csv'].includes(format)) throw new VigilError('USAGE', `--format must be table, json, ndjson or csv, got [${format}]`);
  const inputFormat = (values['input-format'] ?? 'auto') as Options['inputFormat'];
  if (!['auto', 'csv', 'ndjson', 'json'].includes(inputFormat)) throw new VigilError('USAGE', `--input-format must be auto, csv, ndjson or json, got [${inputFormat}]`);
  const sensitivity = values.sensitivity === undefined ? 1 : Number(values.sensitivity);
  if (!(sensitivity > 0)) throw new VigilError('USAGE', `--sensitivity must be a positive number, got [${values.sensitivity}]`);
  if (values.function) parseFunction(values.function); // unknown function: a clear error now
  const minScore = values['min-score'] === undefined ? 25 : Number(values['min-score']);
  if (!(minScore >= 0 && minScore <= 100)) throw new VigilError('USAGE', `--min-score must be a number from 0 to 100, got [${values['min-score']}]`);
  // output paths are checked now, not after a long run
  if (values.output !== undefined) checkOutputPath('--output', values.output);
  if (values.chart !== undefined) checkChartPath('--chart', values.chart);
  const detector = values.detector ?? DEFAULT_DETECTOR;
  if (!listDetectors().some((d) => d.type === detector)) {
    throw new VigilError('USAGE', `unknown detector [${detector}]; known: ${listDetectors().map((d) => d.type).join(', ')}`);
  }
  return {
    file: positionals[0],
    options: {
      timeField: values['time-field'],
      valueField: values['value-field'] ?? values.field,
      timeFormat: values['time-format'],
      timeZone: values['time-zone'],
      inputFormat,
      latencyMs: values.latency ? parseDuration(values.latency) : 0,
      function: values.function,
      bucketSpanMs: values['bucket-span'] ? parseDuration(values['bucket-span']) : undefined,
      partitionField: values['partition-field'],
      detector,
      sensitivity,
      format,
      output: values.output,
      chart: values.chart,
      allBuckets: values['all-buckets'] ?? false,
      minScore,
      points: values.points ?? false,
      progress: !values['no-progress'],
      alertWebhook: values['alert-webhook'],
    },
  };
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { rest, source } = splitSourceArgs(argv); // --source URL and its options: src/sources/datafeed/cli-source.ts
  const parsed = parseOptions(source ? [...rest, source.label] : rest);
  if (parsed === 'help') {
    io.stdout.write(USAGE + '\n');
    return EXIT_OK;
  }
  const { file, options } = parsed;
  const started = performance.now();
  const fnGiven = options.function ? parseFunction(options.function) : null;
  const reader = source ? openSourceReader(source, { ...options, bucketSpanMs: options.bucketSpanMs }) : readSeries(file === '-' ? io.stdin : file, {
    timeField: options.timeField,
    valueField: options.valueField,
    partitionField: options.partitionField,
    timeFormat: options.timeFormat,
    timeZone: options.timeZone,
    format: options.inputFormat,
    valueKind: fnGiven ? fnGiven.valueKind : options.valueField ? 'number' : undefined,
    valueOptional: !fnGiven, // no --function: mean of the value field, or count when there is none
    keepRawTime: options.points,
  });
  const progress = options.progress ? new Progress(io.stderr, file === '-' ? null : file) : null;
  const iterator = reader[Symbol.asyncIterator]();

  // The first batch decides what the stream cannot know up front: the function (mean, or count
  // when there is no value field) and the bucket span (from the data's resolution).
  const first = await iterator.next();
  const firstBatch: SeriesBatch | null = first.done ? null : first.value;
  const report = reader.report;
  const fn = fnGiven ?? parseFunction(report.valueField ? 'mean' : 'count');
  let spanMs = options.bucketSpanMs;
  let spanReason: string | null = null;
  if (spanMs !== undefined && !options.points && firstBatch && firstBatch.n >= 2) {
    // the user chose; still say when the data suggests otherwise (bucket spans are hard to pick)
    const range = rangeWithoutJumps(firstBatch.time, firstBatch.n); // a typo's year must not make the data look sparse
    const duration = range.max - range.min;
    const s = suggestBucketSpan({ resolutionMs: inferResolution(firstBatch.time), count: firstBatch.n, durationMs: duration > 0 ? duration : undefined, function: fn });
    if (s.spanMs !== spanMs) spanReason = `${formatDuration(spanMs)} as given; the data suggests ${s.reason}`;
  }
  if (spanMs === undefined) {
    if (!firstBatch || firstBatch.n < 2) {
      spanMs = 60_000;
      spanReason = 'too few rows to infer the resolution; using 1m';
    } else {
      const resolution = inferResolution(firstBatch.time);
      if (options.points) {
        spanMs = resolution;
        spanReason = `${formatDuration(spanMs)}, the data's own resolution (one score per input row)`;
      } else {
        const range = rangeWithoutJumps(firstBatch.time, firstBatch.n);
        const duration = range.max - range.min;
        const s = suggestBucketSpan({ resolutionMs: resolution, count: firstBatch.n, durationMs: duration > 0 ? duration : undefined, function: fn });
        spanMs = s.spanMs;
        spanReason = `${s.reason} Pass --bucket-span to choose another.`;
      }
    }
  }

  const collector = new ResultCollector({ keepSeriesFor: options.chart || options.allBuckets ? 12 : 0, emptyIsZero: fn.emptyIsZero });
  const allBuckets: Record<string, unknown>[] | null = options.allBuckets && options.format !== 'table' ? [] : null;
  const points = options.points ? (options.output ? new PointsWriter(createWriteStream(options.output), spanMs, options.output) : new PointsWriter(io.stdout, spanMs)) : null;
  const detection = new SeriesDetection(
    {
      function: fn.name,
      bucketSpanMs: spanMs,
      latencyMs: options.latencyMs,
      partitioned: options.partitionField !== undefined,
      detector: options.detector,
      detectorSpec: options.sensitivity !== 1 ? { sensitivity: options.sensitivity } : undefined,
    },
    (r) => {
      collector.add(r);
      points?.onBucket(r);
      if (allBuckets) allBuckets.push(bucketJson(r));
    },
  );

  // a time far after every earlier one (2204 for 2024) is taken for a typo, as the jobs API does:
  // otherwise every empty bucket in between is stepped through and reported as missing data
  const maxJump = maxJumpMs(spanMs);
  let newest = NaN;
  const feed = (batch: SeriesBatch): void => {
    const { n, time, value, category, partition } = batch;
    for (let i = 0; i < n; i++) {
      if (time[i] - newest > maxJump) {
        noteJump(report, batch.line[i], batch.rawTime ? batch.rawTime[i] : isoTime(time[i]), newest);
        points?.onRow(batch, i, false);
        continue;
      }
      const ok = detection.add(time[i], value[i], category ? category[i] : undefined, partition ? partition[i] : undefined);
      if (!ok) {
        noteLate(report, batch.line[i], batch.rawTime ? batch.rawTime[i] : isoTime(time[i]));
      } else if (!(time[i] <= newest)) newest = time[i];
      points?.onRow(batch, i, ok);
    }
    progress?.update(report.inputBytes, report.rows); // input bytes: a .gz file's compressed size is the total
  };
  if (firstBatch) feed(firstBatch);
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    feed(next.value);
  }
  detection.flush();
  collector.finish();
  await points?.end();
  progress?.done();

  if (report.rows === 0) {
    throw new VigilError('NO_USABLE_DATA', `no usable rows in ${file}${report.badRows ? `:\n${formatInputReport(report)}` : ''}`);
  }
  if (options.points) return EXIT_OK;

  const seasonality = new Set<string>();
  let coldStart = 0;
  for (const p of detection.partitions()) {
    const d = detection.detectorOf(p) as { activePeriods?: () => number[]; coldStartBuckets: number } | undefined;
    if (!d) continue;
    coldStart = d.coldStartBuckets;
    for (const period of d.activePeriods?.() ?? []) seasonality.add(period === 86_400_000 ? 'daily' : period === 604_800_000 ? 'weekly' : formatDuration(period));
  }
  const summary: DetectSummary = {
    file,
    function: fn.name,
    field: report.valueField,
    partitionField: options.partitionField ?? null,
    bucketSpan: formatDuration(spanMs),
    bucketSpanReason: spanReason,
    detector: options.detector,
    rows: report.rows, // rows rejected as late are already moved to badRows (noteLate)
    badRows: report.badRows,
    buckets: collector.buckets,
    partitions: detection.partitions().length,
    coldStartBuckets: coldStart,
    seasonality: [...seasonality],
    modelBytes: detection.memoryBytes(),
    seconds: (performance.now() - started) / 1000,
  };

  let text: string;
  switch (options.format) {
    case 'json':
      text = formatJson(summary, collector, report, spanMs, allBuckets ?? undefined);
      break;
    case 'ndjson':
      text = allBuckets ? allBuckets.map((b) => JSON.stringify(b)).join('\n') + '\n' : formatNdjson(collector);
      break;
    case 'csv':
      text = allBuckets ? bucketsCsv(allBuckets) : formatCsv(collector);
      break;
    default:
      text = formatTable(summary, collector, report.badRows ? formatInputReport(report) : null, options.minScore);
  }
  if (options.output) await writeOutputFile('--output', options.output, text);
  else io.stdout.write(text);
  if (report.badRows && options.format !== 'table') io.stderr.write(formatInputReport(report) + '\n');

  if (options.chart) {
    const { writeChart } = await import('../chart/index.js');
    const panels = [...collector.series.entries()].map(([partition, cols]) => ({
      title: `${fn.name}${report.valueField ? `(${report.valueField})` : ''}${partition !== null ? ` — ${options.partitionField} = ${partition}` : ''}`,
      subtitle: `${file}, bucket span ${formatDuration(spanMs)}`,
      times: cols.view('time'),
      actual: cols.view('actual'),
      typical: cols.view('typical'),
      lower: cols.view('lower'),
      upper: cols.view('upper'),
      anomalies: collector.anomalies.filter((a) => a.partition === partition).map((a) => ({ time: a.time, value: a.actual, score: a.score, label: a.explanation })),
      missingRuns: collector.missingRuns.filter((r) => r.partition === partition).map((r) => ({ start: r.start, end: r.start + r.length * spanMs })),
      valueLabel: `${fn.name}${report.valueField ? `(${report.valueField})` : ''}`,
      timeZone: options.timeZone,
    }));
    await writeChart(options.chart, panels, { warn: (m: string) => io.stderr.write(`vigil detect: ${m}\n`) });
    io.stderr.write(`chart written to ${options.chart}\n`);
  }
  if (options.alertWebhook) {
    const { sendOneShotAlerts, reportOneShot } = await import('../../server/alerting/one-shot.js');
    const sent = await sendOneShotAlerts({ url: options.alertWebhook, file, spanMs, functionName: fn.name, field: report.valueField, partitionField: options.partitionField ?? null, anomalies: collector.anomalies, missingRuns: collector.missingRuns });
    io.stderr.write(reportOneShot(sent, options.alertWebhook));
    if (sent.failed.length > 0) return EXIT_ERROR;
  }
  return EXIT_OK;
}

/**
 * Records rejected by the bucketizer (older than the open buckets allow) are bad rows too: the
 * reader counted them as used, so they move from `rows` to `badRows` (processed = rows + badRows).
 */
/** A row far after every earlier one: a bad date (see MAX_JUMP_MS), moved from `rows` to `badRows`. */
function noteJump(report: ReturnType<typeof readSeries>['report'], line: number, text: string, newest: number): void {
  const tally = report.bad.bad_date;
  tally.count++;
  report.rows--;
  report.badRows++;
  if (tally.samples.length < 5) {
    tally.samples.push({ line, field: report.timeField, text: `${text} is ${JUMP_RULE_TEXT} after every earlier row (${isoTime(newest)}): taken for a typo` });
  }
}

function noteLate(report: ReturnType<typeof readSeries>['report'], line: number, text: string): void {
  const tally = report.bad.out_of_order;
  tally.count++;
  report.rows--;
  report.badRows++;
  if (tally.samples.length < 5) tally.samples.push({ line, field: report.timeField, text: `${text} is older than the buckets still open (beyond the latency window)` });
}

function bucketJson(r: Readonly<BucketResult>): Record<string, unknown> {
  return {
    timestamp: isoTime(r.time),
    ...(r.partition !== null ? { partition: r.partition } : {}),
    actual: Number.isFinite(r.actual) ? r.actual : null,
    typical: Number.isFinite(r.typical) ? r.typical : null,
    lower: Number.isFinite(r.lower) ? r.lower : null,
    upper: Number.isFinite(r.upper) ? r.upper : null,
    record_score: Math.round(r.score * 1000) / 1000,
    probability: r.probability,
    record_count: r.recordCount,
    kind: r.kind,
    learning: r.learning,
  };
}

function bucketsCsv(rows: Record<string, unknown>[]): string {
  const header = ['timestamp', 'partition', 'actual', 'typical', 'lower', 'upper', 'record_score', 'probability', 'record_count', 'kind', 'learning'];
  const lines = [header.join(',')];
  for (const r of rows) lines.push(header.map((h) => (r[h] === null || r[h] === undefined ? '' : typeof r[h] === 'number' ? num(r[h] as number) : String(r[h]))).join(','));
  return lines.join('\n') + '\n';
}

const command: Command = { name: 'detect', summary: 'find anomalies in a CSV/NDJSON/JSON time series (with a chart)', usage: USAGE, run };
export default command;
