/**
 * Files uploaded through the UI's job wizard: kept on disk (so "data already posted" can be picked
 * again), analysed into field statistics, bucketed into a preview series with a suggested bucket
 * span, and turned into `_data` documents for a job. HTTP-free; routes.ts exposes it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VigilError } from '../../core/errors.js';
import { bucketSeries, findMissingRuns, inferResolution, parseFunction, suggestBucketSpan } from '../../core/bucket/index.js';
import { fieldStats, numberOf, readUploadTable, type FieldStats, type UploadTable } from './upload-table.js';

/**
 * Who uploaded a file: the principal's user name (an API key's is its owner's) and, for a
 * principal limited to job groups, those groups. Absent on uploads made without authentication
 * installed and on uploads stored before it was recorded.
 */
export interface UploadOwner {
  username: string;
  job_groups?: string[];
}

export interface UploadMeta {
  upload_id: string;
  file_name: string;
  bytes: number;
  uploaded: number;
  format: UploadTable['format'];
  rows: number;
  malformed_rows: number;
  bad_time_rows: number;
  time_field: string;
  time_format: string;
  earliest: number | null;
  latest: number | null;
  fields: FieldStats[];
  /** Suggested for a `mean`/`count` detector over the whole file. */
  suggested_bucket_span: string;
  suggested_bucket_span_reason: string;
  /** A numeric field to analyse, and the keyword fields with few values (split candidates). */
  suggested_field: string | null;
  uploaded_by?: UploadOwner;
}

export interface PreviewRequest {
  function?: string;
  field_name?: string;
  /** Split (partition or by) field: one series per value, the most frequent first. */
  split_field_name?: string;
  bucket_span?: string;
  max_series?: number;
}

export interface PreviewSeries {
  name: string;
  records: number;
  /** Bucket values; null for a missing bucket. */
  values: (number | null)[];
}

export interface PreviewResult {
  function: string;
  bucket_span: string;
  bucket_span_ms: number;
  suggested_bucket_span: string;
  suggested_bucket_span_reason: string;
  start: number;
  buckets: number;
  series: PreviewSeries[];
  split_values: number;
  /** Runs of empty buckets (start, end epoch ms) in the series shown. */
  missing: { series: string; start: number; end: number }[];
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** Elastic time value ("15m", "1h", "90s") → ms. */
export function spanToMs(text: string): number {
  const m = /^\s*(\d+)\s*(ms|s|m|h|d|w)\s*$/.exec(text);
  if (!m || Number(m[1]) <= 0) throw new VigilError('BAD_DURATION', `bucket_span [${text}] is not a time value such as 5m, 1h or 1d`);
  return Number(m[1]) * UNITS[m[2]];
}

/** ms → the shortest Elastic time value ("5m"). */
export function msToSpan(ms: number): string {
  for (const u of ['d', 'h', 'm', 's'] as const) if (ms % UNITS[u] === 0) return `${ms / UNITS[u]}${u}`;
  return `${ms}ms`;
}

const ID = /^[a-z0-9][a-z0-9_-]{0,80}$/;

export class UploadStore {
  private cache = new Map<string, UploadTable>();

  constructor(
    private readonly dir: string,
    private readonly maxCached = 2,
  ) {}

  private path(id: string, ext: 'data' | 'json'): string {
    if (!ID.test(id)) throw new VigilError('FILE_NOT_FOUND', `No upload with id [${id}]`);
    return join(this.dir, `${id}.${ext}`);
  }

  private remember(id: string, t: UploadTable): void {
    this.cache.delete(id);
    this.cache.set(id, t);
    while (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value as string);
  }

  async table(id: string): Promise<UploadTable> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const meta = await this.meta(id);
    let raw: Buffer;
    try {
      raw = await readFile(this.path(id, 'data'));
    } catch {
      throw new VigilError('FILE_NOT_FOUND', `No upload with id [${id}]`);
    }
    const t = readUploadTable(raw, { timeField: meta.time_field, timeFormat: meta.time_format });
    this.remember(id, t);
    return t;
  }

  /** Stores and analyses a file; throws (and keeps nothing) when it cannot be read as a table. */
  async add(fileName: string, raw: Buffer, o: { timeField?: string; timeFormat?: string; owner?: UploadOwner } = {}): Promise<UploadMeta> {
    const t = readUploadTable(raw, o);
    const stem = fileName.toLowerCase().replace(/\.[a-z0-9]+$/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'upload';
    const id = `${stem}-${randomBytes(3).toString('hex')}`;
    const meta: UploadMeta = { ...analyse(id, fileName, raw.length, t), ...(o.owner ? { uploaded_by: o.owner } : {}) };
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.path(id, 'data'), raw);
    await writeFile(this.path(id, 'json'), JSON.stringify(meta));
    this.remember(id, t);
    return meta;
  }

  async meta(id: string): Promise<UploadMeta> {
    try {
      return JSON.parse(await readFile(this.path(id, 'json'), 'utf8')) as UploadMeta;
    } catch (e) {
      if (e instanceof VigilError) throw e;
      throw new VigilError('FILE_NOT_FOUND', `No upload with id [${id}]`);
    }
  }

  /** The uploads (without their field statistics), newest first; with `visible`, only those it accepts. */
  async list(visible: (m: UploadMeta) => boolean = () => true): Promise<Omit<UploadMeta, 'fields'>[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: Omit<UploadMeta, 'fields'>[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      try {
        const m = await this.meta(n.slice(0, -5));
        if (!visible(m)) continue;
        const { fields: _fields, ...rest } = m;
        out.push(rest);
      } catch {
        // a half-written upload: skip it
      }
    }
    return out.sort((a, b) => b.uploaded - a.uploaded);
  }

  async preview(id: string, req: PreviewRequest): Promise<PreviewResult> {
    return previewOf(await this.table(id), req);
  }
}

function sortedFinite(times: Float64Array): Float64Array {
  return times.filter((x) => Number.isFinite(x)).sort();
}

function suggest(times: Float64Array, fn: string, series: number): { spanMs: number; reason: string } {
  const sorted = sortedFinite(times);
  if (sorted.length < 2) return { spanMs: 3_600_000, reason: 'too few records to tell the data’s resolution; 1h is a neutral default' };
  const resolution = Math.max(1000, inferResolution(sorted));
  const s = suggestBucketSpan({ resolutionMs: resolution, count: sorted.length, durationMs: sorted[sorted.length - 1] - sorted[0], function: fn, series });
  return { spanMs: s.spanMs, reason: s.reason };
}

function analyse(id: string, fileName: string, bytes: number, t: UploadTable): UploadMeta {
  const fields = fieldStats(t);
  let lo = Infinity;
  let hi = -Infinity;
  let bad = 0;
  for (const x of t.times) {
    if (!Number.isFinite(x)) bad++;
    else {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  if (bad === t.rows) {
    throw new VigilError('NO_USABLE_DATA', `no record has a time that parses in field [${t.timeField}] (format ${t.timeFormat}); fields: ${t.fields.join(', ')}`);
  }
  const numeric = fields.filter((f) => f.type === 'number');
  const named = numeric.find((f) => /^(value|count|requests|metric|y|val|amount|total)$/i.test(f.name));
  const field = (named ?? numeric[0])?.name ?? null;
  const s = suggest(t.times, field ? 'mean' : 'count', 1);
  return {
    upload_id: id,
    file_name: fileName,
    bytes,
    uploaded: Date.now(),
    format: t.format,
    rows: t.rows,
    malformed_rows: t.malformed,
    bad_time_rows: bad,
    time_field: t.timeField,
    time_format: t.timeFormat,
    earliest: lo === Infinity ? null : lo,
    latest: hi === -Infinity ? null : hi,
    fields,
    suggested_bucket_span: msToSpan(s.spanMs),
    suggested_bucket_span_reason: s.reason,
    suggested_field: field,
  };
}

/** The bucketed series a detector would see, per split value (most frequent first). */
export function previewOf(t: UploadTable, req: PreviewRequest): PreviewResult {
  const fn = (req.function ?? 'mean').trim();
  let spec;
  try {
    spec = parseFunction(fn);
  } catch (e) {
    throw new VigilError('INVALID_ARGUMENT', (e as Error).message);
  }
  const field = req.field_name || undefined;
  if (spec.needsField && !field) throw new VigilError('INVALID_ARGUMENT', `Unless a count or temporal function is used one of field_name, by_field_name or over_field_name must be set`);
  if (field && !t.columns.has(field)) throw new VigilError('FIELD_NOT_FOUND', `field [${field}] is not in the file; fields: ${t.fields.join(', ')}`);
  const split = req.split_field_name || undefined;
  if (split && !t.columns.has(split)) throw new VigilError('FIELD_NOT_FOUND', `field [${split}] is not in the file; fields: ${t.fields.join(', ')}`);
  const maxSeries = Math.max(1, Math.min(10, req.max_series ?? 5));

  // rows per series
  const groups = new Map<string, number[]>();
  const splitCol = split ? t.columns.get(split)! : null;
  for (let i = 0; i < t.rows; i++) {
    if (!Number.isFinite(t.times[i])) continue;
    const key = splitCol ? splitCol[i] : 'all';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  const ordered = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  const suggestion = suggest(t.times, fn, Math.max(1, groups.size));
  const spanMs = req.bucket_span ? spanToMs(req.bucket_span) : suggestion.spanMs;

  let tmin = Infinity;
  let tmax = -Infinity;
  for (const x of t.times) {
    if (!Number.isFinite(x)) continue;
    if (x < tmin) tmin = x;
    if (x > tmax) tmax = x;
  }
  const first = Math.floor(tmin / spanMs);
  const n = Math.floor(tmax / spanMs) - first + 1;
  if (n > 2_000_000) throw new VigilError('INVALID_ARGUMENT', `bucket_span [${msToSpan(spanMs)}] makes ${n} buckets over this file; choose a longer span`);
  const start = first * spanMs;

  const valueCol = field ? t.columns.get(field)! : null;
  const series: PreviewSeries[] = [];
  const missing: { series: string; start: number; end: number }[] = [];
  for (const [name, rows] of ordered.slice(0, maxSeries)) {
    const times = new Float64Array(rows.length);
    const values = spec.valueKind === 'number' ? new Float64Array(rows.length) : null;
    const cats: (string | undefined)[] | undefined = spec.valueKind === 'string' ? new Array(rows.length) : undefined;
    rows.forEach((r, k) => {
      times[k] = t.times[r];
      if (values) values[k] = valueCol ? numberOf(valueCol[r]) : NaN;
      if (cats) cats[k] = valueCol && valueCol[r] !== '' ? valueCol[r] : undefined;
    });
    const b = bucketSeries(times, values, spanMs, spec, { categories: cats });
    // align every series on the file's first bucket
    const out: (number | null)[] = new Array(n).fill(spec.emptyIsZero ? 0 : null);
    const offset = Math.round((b.start - start) / spanMs);
    for (let i = 0; i < b.values.length; i++) {
      const v = b.values[i];
      out[offset + i] = Number.isFinite(v) ? v : null;
    }
    {
      const full = new Float64Array(n).fill(NaN);
      const counts = new Float64Array(n);
      for (let i = 0; i < b.values.length; i++) {
        full[offset + i] = b.values[i];
        counts[offset + i] = b.counts[i];
      }
      for (const r of findMissingRuns(full, start, spanMs, { counts }).runs) missing.push({ series: name, start: r.start, end: r.end });
    }
    series.push({ name, records: rows.length, values: out });
  }
  return {
    function: fn,
    bucket_span: msToSpan(spanMs),
    bucket_span_ms: spanMs,
    suggested_bucket_span: msToSpan(suggestion.spanMs),
    suggested_bucket_span_reason: suggestion.reason,
    start,
    buckets: n,
    series,
    split_values: groups.size,
    missing,
  };
}

/** The fields a job reads from each document, from its Elastic job JSON. */
export interface JobFields {
  timeField: string;
  timeFormat: string;
  numeric: Set<string>;
  text: Set<string>;
}

export function jobFieldsOf(job: Record<string, unknown>): JobFields {
  const ac = (job.analysis_config ?? {}) as { detectors?: Record<string, unknown>[]; influencers?: string[] };
  const dd = (job.data_description ?? {}) as { time_field?: string; time_format?: string };
  const numeric = new Set<string>();
  const text = new Set<string>();
  for (const d of ac.detectors ?? []) {
    const fn = String(d.function ?? '');
    if (typeof d.field_name === 'string') (/distinct_count|^dc$|info_content|rare|freq_rare/.test(fn) ? text : numeric).add(d.field_name);
    for (const k of ['by_field_name', 'over_field_name', 'partition_field_name']) if (typeof d[k] === 'string') text.add(d[k] as string);
  }
  for (const f of ac.influencers ?? []) if (!numeric.has(f)) text.add(f);
  return { timeField: dd.time_field ?? 'time', timeFormat: dd.time_format ?? 'epoch_ms', numeric, text };
}

/** Cuts the table into NDJSON bodies of `batch` documents holding the job's fields. */
export function* ndjsonBatches(t: UploadTable, f: JobFields, batch = 20_000): Generator<{ body: string; docs: number }> {
  const timeText = t.columns.get(t.timeField)!;
  const cols = [...f.numeric, ...f.text].map((name) => ({ name, col: t.columns.get(name), numeric: f.numeric.has(name) }));
  const missing = cols.filter((c) => !c.col).map((c) => c.name);
  if (missing.length) throw new VigilError('FIELD_NOT_FOUND', `the job reads field(s) [${missing.join(', ')}] that the file does not have; fields: ${t.fields.join(', ')}`);
  const epochMs = f.timeFormat === 'epoch_ms';
  let lines: string[] = [];
  for (let i = 0; i < t.rows; i++) {
    const doc: Record<string, unknown> = {};
    if (epochMs) {
      if (!Number.isFinite(t.times[i])) continue;
      doc[f.timeField] = t.times[i];
    } else doc[f.timeField] = timeText[i];
    for (const c of cols) {
      const v = c.col![i];
      if (v === '') continue;
      doc[c.name] = c.numeric ? numberOf(v) : v;
      if (c.numeric && !Number.isFinite(doc[c.name] as number)) doc[c.name] = v;
    }
    lines.push(JSON.stringify(doc));
    if (lines.length >= batch) {
      yield { body: lines.join('\n') + '\n', docs: lines.length };
      lines = [];
    }
  }
  if (lines.length) yield { body: lines.join('\n') + '\n', docs: lines.length };
}
