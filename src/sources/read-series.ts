/**
 * Streamed reading of (time, value[, partition]) records from CSV, NDJSON or a JSON array — plain
 * or gzip — given as a path, "-" (stdin) or a stream, into typed-array batches.
 *
 * Memory stays constant whatever the input size: bytes are read in 1 MiB chunks, only the current
 * batch and one partial record are kept. The first chunk(s) are inspected to pick the format, the
 * CSV delimiter, the fields (when not named) and the timestamp format.
 *
 * Bad records are never dropped silently: each is counted by kind in `reader.report` with its
 * first positions and text (see input-report.ts). Records are passed on in input order; ones that
 * are older than the newest time seen by more than `latencyMs` are rejected as out_of_order, ones
 * within it are passed through unsorted (the bucketing layer keeps buckets open for the latency).
 *
 * @example
 * const reader = readSeries('metrics.csv.gz', { timeZone: 'Europe/Paris' });
 * for await (const batch of reader) for (let i = 0; i < batch.n; i++) use(batch.time[i], batch.value[i]);
 * console.error(formatInputReport(reader.report));
 */
import { VigilError } from '../core/errors.js';
import { makeTimestampParser, normalizeTimestampFormat } from '../core/time/parse-timestamp.js';
import { readBytes, type ByteSourceInfo, type SeriesInput } from './byte-source.js';
import { chooseFields, type FieldChoice, type ValueKind } from './choose-fields.js';
import { looksLikeCsvHeader } from './csv-header.js';
import { CsvScanner, detectDelimiter, readCsvTextRecord } from './csv-scanner.js';
import { newInputReport, type InputReport } from './input-report.js';
import { collectFieldNames, JsonArrayScanner, JsonRecordHandler, makeFieldGetter, NdjsonScanner, sampleText } from './json-scanner.js';
import { BatchSink, type SeriesBatch } from './series-batch.js';

export type { SeriesInput } from './byte-source.js';
export type { SeriesBatch } from './series-batch.js';
export type { ValueKind } from './choose-fields.js';

export type InputFormat = 'auto' | 'csv' | 'ndjson' | 'json';

export interface ReadSeriesOptions {
  /** 'auto' (default) looks at the first non-blank byte: '[' → json, '{' → ndjson, else csv. */
  format?: InputFormat;
  /** Field names; detected from the header/keys and sample values when omitted. */
  timeField?: string;
  valueField?: string;
  partitionField?: string;
  /** 'number' (default): value parsed as a number; 'string': kept as text in `category`; 'none': not read (counting). */
  valueKind?: ValueKind;
  /**
   * With valueKind 'number' and no valueField: when no field holds numbers, read no value ('none',
   * `schema().valueField` null) instead of failing with FIELD_NOT_FOUND. Default false.
   */
  valueOptional?: boolean;
  /** Timestamp format ('auto' default, 'iso8601', 'epoch', 'epoch_ms' or a pattern); see parse-timestamp.ts. */
  timeFormat?: string;
  /** IANA zone for timestamps without an offset; default UTC. */
  timeZone?: string;
  /**
   * Records older than the newest time seen by more than this are rejected (out_of_order); within
   * it they are passed through as they come (not reordered). Default Infinity: no check here.
   */
  latencyMs?: number;
  /** CSV delimiter; detected among , ; tab | when omitted. */
  delimiter?: string;
  /**
   * Whether the CSV's first record is a header. Default: decided from the records after it (see
   * csv-header.ts): a name where the column below holds timestamps makes it a header, a timestamp
   * there makes it data — then the columns are named column1, column2, … (as Elastic names them).
   */
  header?: boolean;
  /** Keep each accepted record's timestamp text verbatim in `batch.rawTime`. */
  keepRawTime?: boolean;
  /** Records per batch; default 65 536. */
  batchSize?: number;
  /** Records inspected for detection; default 500. */
  sampleRecords?: number;
  /** Longest record accepted; longer ones are malformed. Default 1 MiB. */
  maxRecordBytes?: number;
}

/** What the reader decided about the input (available after `schema()` or the first batch). */
export interface SeriesSchema {
  format: 'csv' | 'ndjson' | 'json' | null;
  compressed: boolean;
  delimiter: string | null;
  /** Header names (CSV) or keys seen in the sampled records (JSON, nested ones dotted). */
  fields: string[];
  timeField: string | null;
  valueField: string | null;
  partitionField: string | null;
  timeFormat: string | null;
}

export interface SeriesReader extends AsyncIterable<SeriesBatch> {
  /** Counts so far; complete once iteration has finished. */
  readonly report: InputReport;
  /**
   * Reads the head of the input and resolves format and fields (iteration does this itself).
   * Throws FIELD_NOT_FOUND, BAD_TIMESTAMP_FORMAT, UNKNOWN_TIME_ZONE or FILE_NOT_FOUND.
   */
  schema(): Promise<SeriesSchema>;
}

const DEFAULT_BATCH = 65_536;
const HEAD_BYTES = 1 << 20;

interface Scanner {
  push(chunk: Buffer, final: boolean): void;
}

/**
 * Opens `input` for streamed reading; nothing is read until `schema()` or iteration.
 * A reader can be iterated once.
 */
export function readSeries(input: SeriesInput, options: ReadSeriesOptions = {}): SeriesReader {
  return new Reader(input, options);
}

class Reader implements SeriesReader {
  readonly report: InputReport = newInputReport();
  private readonly info: ByteSourceInfo = { compressed: false };
  private chunks: AsyncGenerator<Buffer> | null = null;
  private prepared: Promise<SeriesSchema> | null = null;
  private head: Buffer = Buffer.alloc(0);
  private eof = false;
  private scanner: Scanner | null = null;
  private sink: BatchSink | null = null;
  private iterated = false;
  /** The value kind read: options.valueKind, or 'none' when valueOptional found no value field. */
  private valueKind: ValueKind;

  constructor(
    private readonly input: SeriesInput,
    private readonly options: ReadSeriesOptions,
  ) {
    const o = options;
    this.valueKind = o.valueKind ?? 'number';
    if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize > 0)) {
      throw new VigilError('INVALID_ARGUMENT', `batchSize must be a positive integer, got ${o.batchSize}`);
    }
    if (o.latencyMs !== undefined && !(o.latencyMs >= 0)) throw new VigilError('INVALID_ARGUMENT', `latencyMs must be ≥ 0, got ${o.latencyMs}`);
    if (o.delimiter !== undefined && o.delimiter.length !== 1) throw new VigilError('INVALID_ARGUMENT', `delimiter must be one character, got ${JSON.stringify(o.delimiter)}`);
    if (o.format !== undefined && !['auto', 'csv', 'ndjson', 'json'].includes(o.format)) {
      throw new VigilError('INVALID_ARGUMENT', `format must be auto, csv, ndjson or json, got ${o.format}`);
    }
    // Fail early on a bad zone or pattern, before any I/O.
    makeTimestampParser(o.timeFormat ?? 'auto', { timeZone: o.timeZone });
  }

  schema(): Promise<SeriesSchema> {
    this.prepared ??= this.prepare();
    return this.prepared;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SeriesBatch> {
    if (this.iterated) throw new VigilError('INVALID_ARGUMENT', 'a series reader can be iterated only once');
    this.iterated = true;
    await this.schema();
    const sink = this.sink;
    const scanner = this.scanner;
    if (!sink || !scanner) return; // empty input
    const live = typeof this.input !== 'string' || this.input === '-';
    try {
      if (this.eof) {
        scanner.push(this.head, true);
      } else {
        scanner.push(this.head, false);
        this.head = Buffer.alloc(0);
        yield* this.drain(sink);
        for (;;) {
          const r = await this.chunks!.next();
          if (r.done) break;
          this.report.bytes += r.value.length;
          this.report.inputBytes = this.info.rawBytes ?? this.report.bytes;
          scanner.push(r.value, false);
          if (live) sink.cut(); // a stream may be live: do not hold records back waiting for a full batch
          yield* this.drain(sink);
        }
        scanner.push(Buffer.alloc(0), true);
      }
      sink.cut();
      yield* this.drain(sink);
    } finally {
      this.report.minTime = sink.oldest === Infinity ? NaN : sink.oldest;
      this.report.maxTime = sink.newest === -Infinity ? NaN : sink.newest;
      await this.chunks?.return(undefined);
    }
  }

  private *drain(sink: BatchSink): Generator<SeriesBatch> {
    while (sink.ready.length) {
      const b = sink.ready.shift()!;
      this.report.rows += b.n;
      yield b;
    }
  }

  /** Reads the head, decides format and fields, builds the scanner. */
  private async prepare(): Promise<SeriesSchema> {
    const o = this.options;
    this.chunks = readBytes(this.input, this.info);
    const parts: Buffer[] = [];
    let bytes = 0;
    const wantLines = (o.sampleRecords ?? 500) + 2;
    let lines = 0;
    while (bytes < HEAD_BYTES && lines < wantLines) {
      const r = await this.chunks.next();
      if (r.done) {
        this.eof = true;
        break;
      }
      parts.push(r.value);
      bytes += r.value.length;
      for (let i = r.value.indexOf(10); i >= 0 && lines < wantLines; i = r.value.indexOf(10, i + 1)) lines++;
    }
    let head = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    this.report.bytes += head.length;
    this.report.inputBytes = this.info.rawBytes ?? this.report.bytes;
    this.report.compressed = this.info.compressed;
    if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) head = head.subarray(3);
    this.head = head;
    let first = 0;
    while (first < head.length && (head[first] === 32 || head[first] === 9 || head[first] === 10 || head[first] === 13)) first++;
    const format = o.format && o.format !== 'auto' ? o.format : first >= head.length ? null : head[first] === 0x5b ? 'json' : head[first] === 0x7b ? 'ndjson' : 'csv';
    this.report.format = format;
    const schema: SeriesSchema = {
      format,
      compressed: this.info.compressed,
      delimiter: null,
      fields: [],
      timeField: null,
      valueField: null,
      partitionField: null,
      timeFormat: null,
    };
    if (format === null) return schema; // empty input: no batches, no error
    if (format === 'csv') this.prepareCsv(schema);
    else this.prepareJson(schema, format);
    return schema;
  }

  private choose(schema: SeriesSchema, names: string[], samples: (name: string) => string[]): FieldChoice {
    const o = this.options;
    const choice = chooseFields(names, samples, {
      timeField: o.timeField,
      valueField: o.valueField,
      partitionField: o.partitionField,
      valueKind: o.valueKind,
      timeFormat: o.timeFormat === undefined ? undefined : normalizeTimestampFormat(o.timeFormat),
      timeZone: o.timeZone,
      valueOptional: o.valueOptional === true && this.valueKind === 'number' && o.valueField === undefined,
    });
    if (choice.valueField === null) this.valueKind = 'none';
    schema.fields = names;
    schema.timeField = choice.timeField;
    schema.valueField = choice.valueField;
    schema.partitionField = choice.partitionField;
    schema.timeFormat = choice.timeFormat;
    Object.assign(this.report, {
      timeField: choice.timeField,
      valueField: choice.valueField,
      partitionField: choice.partitionField,
      timeFormat: choice.timeFormat,
    });
    return choice;
  }

  private newSink(choice: FieldChoice): BatchSink {
    const o = this.options;
    this.sink = new BatchSink(o.batchSize ?? DEFAULT_BATCH, choice.partitionField !== null, this.valueKind === 'string', o.keepRawTime === true);
    return this.sink;
  }

  private prepareCsv(schema: SeriesSchema): void {
    const o = this.options;
    const head = this.head;
    const delimiter = o.delimiter ?? detectDelimiter(head);
    schema.delimiter = delimiter;
    this.report.delimiter = delimiter;
    // header: the first non-blank record
    let pos = 0;
    let line = 1;
    let header = readCsvTextRecord(head, pos, delimiter, this.eof);
    while (header && header.blank) {
      pos = header.next;
      line += header.lines;
      this.report.blankLines++;
      header = readCsvTextRecord(head, pos, delimiter, this.eof);
    }
    if (header === null) {
      throw new VigilError('PARSE_ERROR', `the CSV header is not complete within the first ${head.length} bytes`);
    }
    // samples: the records after the first
    const rows: string[][] = [];
    let p = header.next;
    const max = o.sampleRecords ?? 500;
    while (rows.length < max) {
      const r = readCsvTextRecord(head, p, delimiter, this.eof);
      if (r === null || r.next === p) break;
      p = r.next;
      if (!r.blank && !r.malformed) rows.push(r.fields);
    }
    const hasHeader =
      o.header ??
      looksLikeCsvHeader(header.fields, rows, { timeFormat: o.timeFormat, timeZone: o.timeZone, names: [o.timeField, o.valueField, o.partitionField] });
    const names = hasHeader ? header.fields.map((f) => f.trim()) : header.fields.map((_, k) => `column${k + 1}`);
    const dataStart = hasHeader ? header.next : pos;
    const dataLine = hasHeader ? line + header.lines : line;
    if (!hasHeader && !header.malformed) {
      rows.unshift(header.fields);
      if (rows.length > max) rows.pop();
    }
    const choice = this.choose(schema, names, (name) => {
      const k = names.indexOf(name);
      return rows.map((r) => r[k] ?? '');
    });
    const parseTime = makeTimestampParser(choice.timeFormat, { timeZone: o.timeZone });
    this.scanner = new CsvScanner(
      {
        delimiter,
        timeCol: names.indexOf(choice.timeField),
        valueCol: choice.valueField === null ? -1 : names.indexOf(choice.valueField),
        partitionCol: choice.partitionField === null ? -1 : names.indexOf(choice.partitionField),
        timeField: choice.timeField,
        valueField: choice.valueField,
        partitionField: choice.partitionField,
        valueKind: this.valueKind,
        keepRawTime: o.keepRawTime === true,
        parseTime,
        latencyMs: o.latencyMs ?? Infinity,
        maxRecordBytes: o.maxRecordBytes ?? 1 << 20,
      },
      this.newSink(choice),
      this.report,
      dataLine,
    );
    this.head = head.subarray(dataStart);
  }

  private prepareJson(schema: SeriesSchema, format: 'ndjson' | 'json'): void {
    const o = this.options;
    const max = o.sampleRecords ?? 500;
    const samples: Record<string, unknown>[] = [];
    // Sample with a throw-away scanner over the head, collecting parsed objects.
    const collector = {
      handleText(text: string): void {
        if (samples.length >= max) return;
        try {
          const v: unknown = JSON.parse(text);
          if (v !== null && typeof v === 'object' && !Array.isArray(v)) samples.push(v as Record<string, unknown>);
        } catch {
          /* counted when read for real */
        }
      },
    } as unknown as JsonRecordHandler;
    const scratchReport = newInputReport();
    const maxBytes = o.maxRecordBytes ?? 1 << 20;
    // Sample from at most the first MiB (the head may be a whole in-memory input).
    const sampleBytes = this.head.length > HEAD_BYTES ? this.head.subarray(0, HEAD_BYTES) : this.head;
    const sampleFinal = this.eof && sampleBytes.length === this.head.length;
    if (format === 'ndjson') new NdjsonScanner(collector, scratchReport, maxBytes).push(sampleBytes, sampleFinal);
    else new JsonArrayScanner(collector, scratchReport, maxBytes).push(sampleBytes, sampleFinal);
    const names: string[] = [];
    const seen = new Set<string>();
    for (const s of samples) collectFieldNames(s, names, seen);
    // A named field may also be a literal key containing dots, or absent from nested collection.
    const choice = this.choose(schema, names, (name) => {
      const get = makeFieldGetter(name);
      return samples.map((s) => sampleText(get(s)));
    });
    this.report.position = format === 'json' ? 'element' : 'line';
    const handler = new JsonRecordHandler(
      {
        timeField: choice.timeField,
        valueField: choice.valueField,
        partitionField: choice.partitionField,
        valueKind: this.valueKind,
        keepRawTime: o.keepRawTime === true,
        parseTime: makeTimestampParser(choice.timeFormat, { timeZone: o.timeZone }),
        latencyMs: o.latencyMs ?? Infinity,
        maxRecordBytes: maxBytes,
      },
      this.newSink(choice),
      this.report,
    );
    this.scanner = format === 'ndjson' ? new NdjsonScanner(handler, this.report, maxBytes) : new JsonArrayScanner(handler, this.report, maxBytes);
  }
}
