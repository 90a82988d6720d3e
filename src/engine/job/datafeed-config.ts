/**
 * A job's `datafeed_config`: validated for shape with Elastic's rules and stored; running datafeeds
 * against external stores is not part of the engine. Defaults are Elastic's (query match_all,
 * scroll_size 1000, chunking auto, delayed-data check on).
 */
import { invalid } from './job-error.js';
import { StrictReader, type JsonObject } from './strict-reader.js';
import { formatTimeValue, parseTimeValue } from './units.js';
import { isValidId } from './ids.js';

export interface DatafeedConfig {
  datafeed_id: string;
  job_id: string;
  indices: string[];
  query: JsonObject;
  aggregations?: JsonObject;
  chunking_config: { mode: 'auto' | 'manual' | 'off'; time_span?: string };
  delayed_data_check_config: { enabled: boolean; check_window?: string };
  frequency?: string;
  query_delay?: string;
  scroll_size: number;
  script_fields?: JsonObject;
  runtime_mappings?: JsonObject;
  indices_options?: JsonObject;
  max_empty_searches?: number;
  /** Vigil extension: where the data lives when it is not the embedded store (see src/sources/datafeed). */
  vigil_source?: JsonObject;
}

const FIELDS = [
  'datafeed_id',
  'feed_id',
  'job_id',
  'indices',
  'indexes',
  'query',
  'aggregations',
  'aggs',
  'chunking_config',
  'delayed_data_check_config',
  'frequency',
  'query_delay',
  'scroll_size',
  'script_fields',
  'runtime_mappings',
  'indices_options',
  'max_empty_searches',
  'vigil_source',
];

/**
 * Validates a `datafeed_config` given with a job.
 *
 * @param jobId the job's id (the datafeed's job_id defaults to it and must match it).
 * @param bucketSpanMs the job's bucket span, for the delayed-data check window rules.
 */
export function validateDatafeedConfig(body: unknown, jobId: string, bucketSpanMs: number): DatafeedConfig {
  const r = new StrictReader('datafeed_config', body, FIELDS);
  const datafeedId = r.string('datafeed_id') ?? r.string('feed_id') ?? jobId;
  if (!isValidId(datafeedId)) {
    throw invalid(
      `Invalid datafeed_id; '${datafeedId}' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric`,
    );
  }
  const job = r.string('job_id');
  if (job !== undefined && job !== jobId) throw invalid(`datafeed job_id [${job}] does not equal job id [${jobId}}`);
  const indices = r.stringArray('indices') ?? r.stringArray('indexes');
  if (!indices || indices.length === 0) throw invalid('datafeed_config.indices must be set: an array of index names');
  if (indices.some((i) => i.trim() === '')) throw invalid('datafeed_config.indices cannot contain empty strings');
  const out: DatafeedConfig = {
    datafeed_id: datafeedId,
    job_id: jobId,
    indices,
    query: r.object('query') ?? { match_all: { boost: 1.0 } },
    chunking_config: { mode: 'auto' },
    delayed_data_check_config: { enabled: true },
    scroll_size: 1000,
  };
  const aggs = r.object('aggregations') ?? r.object('aggs');
  if (aggs) out.aggregations = aggs;
  const chunking = r.object('chunking_config');
  if (chunking) {
    const c = new StrictReader('chunking_config', chunking, ['mode', 'time_span']);
    const mode = c.string('mode');
    if (mode !== 'auto' && mode !== 'manual' && mode !== 'off') {
      throw invalid(`Invalid mode value '${String(mode)}' in datafeed configuration`);
    }
    const span = c.string('time_span');
    if (mode === 'manual') {
      if (span === undefined) throw invalid('Invalid time_span value \'null\' in datafeed configuration');
      if (!(parseTimeValue(span, 'time_span') > 0)) throw invalid(`Invalid time_span value '${span}' in datafeed configuration`);
      out.chunking_config = { mode, time_span: span };
    } else {
      if (span !== undefined) throw invalid(`Invalid time_span value '${span}' in datafeed configuration`);
      out.chunking_config = { mode };
    }
  }
  const delayed = r.object('delayed_data_check_config');
  if (delayed) {
    const d = new StrictReader('delayed_data_check_config', delayed, ['enabled', 'check_window']);
    const enabled = d.bool('enabled');
    if (enabled === undefined) throw invalid('delayed_data_check_config.enabled must be set');
    const windowText = d.string('check_window');
    out.delayed_data_check_config = { enabled };
    if (windowText !== undefined) {
      const w = parseTimeValue(windowText, 'check_window');
      if (enabled && w <= bucketSpanMs) {
        throw invalid(
          `delayed_data_check_config: check_window [${formatTimeValue(w)}] must be greater than the bucket_span [${formatTimeValue(bucketSpanMs)}]`,
        );
      }
      if (enabled && w > 10_000 * bucketSpanMs) {
        throw invalid(
          `delayed_data_check_config: check_window [${formatTimeValue(w)}] must be less than 10,000x the bucket_span [${formatTimeValue(bucketSpanMs)}]`,
        );
      }
      out.delayed_data_check_config.check_window = windowText;
    }
  }
  for (const name of ['frequency', 'query_delay'] as const) {
    const t = r.string(name);
    if (t === undefined) continue;
    const ms = parseTimeValue(t, name);
    if (name === 'frequency' && ms <= 0) throw invalid(`Invalid frequency value '${t}' in datafeed configuration`);
    if (name === 'query_delay' && ms < 0) throw invalid(`Invalid query_delay value '${t}' in datafeed configuration`);
    out[name] = t;
  }
  const scroll = r.long('scroll_size');
  if (scroll !== undefined) {
    if (scroll < 0) throw invalid(`Invalid scroll_size value '${scroll}' in datafeed configuration`);
    out.scroll_size = scroll;
  }
  const scriptFields = r.object('script_fields');
  if (scriptFields) {
    if (out.aggregations) throw invalid('script_fields cannot be used in combination with aggregations');
    out.script_fields = scriptFields;
  }
  const runtime = r.object('runtime_mappings');
  if (runtime) out.runtime_mappings = runtime;
  const indicesOptions = r.object('indices_options');
  if (indicesOptions) out.indices_options = indicesOptions;
  const maxEmpty = r.long('max_empty_searches');
  if (maxEmpty !== undefined) {
    if (maxEmpty === -1) {
      // Elastic: -1 unsets it
    } else if (maxEmpty <= 0) {
      throw invalid(`Invalid max_empty_searches value '${maxEmpty}' in datafeed configuration`);
    } else {
      out.max_empty_searches = maxEmpty;
    }
  }
  // checked in full when the datafeed is created from it (src/server/datafeeds)
  const source = r.object('vigil_source');
  if (source) out.vigil_source = source;
  return out;
}
