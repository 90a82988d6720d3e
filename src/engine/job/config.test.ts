import { describe, expect, it } from 'vitest';
import {
  JobConfigError,
  defaultDetectorDescription,
  jobSettings,
  referencedFilters,
  toElasticJob,
  updateJobConfig,
  validateDetector,
  validateJobConfig,
  type JobConfig,
} from './index.js';

const seedRequest = {
  description: 'Total sum of requests',
  analysis_config: {
    bucket_span: '10m',
    detectors: [{ detector_description: 'Sum of total', function: 'sum', field_name: 'total' }],
  },
  data_description: { time_field: 'timestamp', time_format: 'epoch_ms' },
};

function minimal(extra: Record<string, unknown> = {}, analysis: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    analysis_config: { bucket_span: '5m', detectors: [{ function: 'count' }], ...analysis },
    data_description: {},
    ...extra,
  };
}

/** The thrown JobConfigError (fails the test when nothing is thrown). */
function errorOf(fn: () => unknown): JobConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(JobConfigError);
    return e as JobConfigError;
  }
  throw new Error('expected an error');
}

function messageOf(fn: () => unknown): string {
  return errorOf(fn).message;
}

describe('validateJobConfig: Elastic examples', () => {
  it('accepts seed 003 and renders Elastic\'s response', () => {
    const config = validateJobConfig('total-requests', seedRequest);
    const job = toElasticJob(config, { create_time: 1562352500629, job_version: '8.0.0' });
    expect(job).toEqual({
      job_id: 'total-requests',
      job_type: 'anomaly_detector',
      job_version: '8.0.0',
      description: 'Total sum of requests',
      create_time: 1562352500629,
      analysis_config: {
        bucket_span: '10m',
        detectors: [{ detector_description: 'Sum of total', function: 'sum', field_name: 'total', detector_index: 0 }],
        influencers: [],
        model_prune_window: '30d',
      },
      analysis_limits: { model_memory_limit: '1024mb', categorization_examples_limit: 4 },
      data_description: { time_field: 'timestamp', time_format: 'epoch_ms' },
      model_snapshot_retention_days: 10,
      daily_model_snapshot_retention_after_days: 1,
      results_index_name: 'shared',
      allow_lazy_open: false,
    });
    // the key order of Elastic's response
    expect(Object.keys(job).slice(0, 6)).toEqual(['job_id', 'job_type', 'job_version', 'description', 'create_time', 'analysis_config']);
  });

  it('accepts the tutorial jobs with Elastic\'s default descriptions', () => {
    const low = validateJobConfig('low_request_rate', {
      analysis_config: { bucket_span: '1h', detectors: [{ function: 'low_count' }] },
      data_description: { time_field: 'timestamp' },
    });
    expect(low.analysis_config.detectors[0].detector_description).toBe('low_count');
    const codes = validateJobConfig('response_code_rates', {
      analysis_config: {
        bucket_span: '1h',
        detectors: [{ function: 'count', partition_field_name: 'response.keyword' }],
        influencers: ['clientip', 'response.keyword'],
      },
      data_description: { time_field: 'timestamp' },
    });
    expect(codes.analysis_config.detectors[0].detector_description).toBe('count partitionfield="response.keyword"');
    const scan = validateJobConfig('url_scanning', {
      analysis_config: {
        bucket_span: '1h',
        detectors: [{ function: 'high_distinct_count', field_name: 'url.keyword', over_field_name: 'clientip' }],
        influencers: ['clientip'],
      },
      data_description: { time_field: 'timestamp' },
    });
    expect(scan.analysis_config.detectors[0].detector_description).toBe('high_distinct_count("url.keyword") over clientip');
  });

  it('fills defaults: bucket_span 5m, time field "time", epoch, lazy open false', () => {
    const c = validateJobConfig('j', { analysis_config: { detectors: [{ function: 'count' }] }, data_description: {} });
    expect(c.analysis_config.bucket_span).toBe('5m');
    expect(c.data_description).toEqual({ time_field: 'time', time_format: 'epoch' });
    expect(c.allow_lazy_open).toBe(false);
    expect(c.groups).toEqual([]);
    expect(jobSettings(c)).toEqual({
      bucketSpanMs: 300_000,
      latencyMs: 0,
      modelPruneWindowMs: 30 * 86_400_000,
      modelMemoryLimitBytes: 1024 * 1024 * 1024,
      renormalizationWindowMs: 30 * 86_400_000,
    });
  });

  it('accepts the whole configuration of seed 003', () => {
    const c = validateJobConfig(
      'full-job',
      {
        job_id: 'full-job',
        description: 'everything',
        groups: ['web', 'prod'],
        allow_lazy_open: true,
        analysis_config: {
          bucket_span: '15m',
          summary_count_field_name: 'doc_count',
          influencers: ['host.name', 'user'],
          model_prune_window: '45d',
          multivariate_by_fields: false,
          per_partition_categorization: { enabled: false },
          detectors: [
            {
              function: 'mean',
              field_name: 'responsetime',
              by_field_name: 'airline',
              partition_field_name: 'region',
              use_null: true,
              exclude_frequent: 'by',
              custom_rules: [
                { actions: ['skip_result'], conditions: [{ applies_to: 'actual', operator: 'lt', value: 10 }] },
                { scope: { airline: { filter_id: 'safe_airlines' } } },
              ],
            },
            { function: 'rare', by_field_name: 'status' },
            { function: 'freq_rare', by_field_name: 'url', over_field_name: 'clientip' },
            { function: 'info_content', field_name: 'query', over_field_name: 'host.name' },
            { function: 'time_of_day', by_field_name: 'process' },
            { function: 'time_of_week' },
            { function: 'lat_long', field_name: 'location', by_field_name: 'user' },
            { function: 'high_dc', field_name: 'port', over_field_name: 'src' },
            { function: 'low_nzc', by_field_name: 'error' },
            { function: 'varp', field_name: 'bytes' },
          ],
        },
        analysis_limits: { model_memory_limit: '2gb', categorization_examples_limit: 2 },
        data_description: { format: 'json', time_field: '@timestamp', time_format: "yyyy-MM-dd'T'HH:mm:ssX" },
        model_plot_config: { enabled: true, terms: 'AAL,JBU' },
        renormalization_window_days: 14,
        background_persist_interval: '2h',
        model_snapshot_retention_days: 7,
        daily_model_snapshot_retention_after_days: 2,
        results_retention_days: 90,
        results_index_name: 'flights',
        custom_settings: { custom_urls: [{ url_name: 'x', url_value: 'http://x' }] },
        datafeed_config: { indices: ['flights-*'], query: { match_all: {} }, frequency: '150s', scroll_size: 500 },
      },
      {},
    );
    const d = c.analysis_config.detectors;
    expect(d.map((x) => x.detector_index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(d[0].detector_description).toBe('mean(responsetime) by airline usenull=true partitionfield=region excludefrequent=by');
    expect(d[0].custom_rules[1]).toEqual({ actions: ['skip_result'], scope: { airline: { filter_id: 'safe_airlines', filter_type: 'include' } } });
    expect(d[7].function).toBe('high_distinct_count');
    expect(d[8].function).toBe('low_non_zero_count');
    expect(c.analysis_limits).toEqual({ model_memory_limit: '2048mb', categorization_examples_limit: 2 });
    expect(c.results_index_name).toBe('custom-flights');
    expect(c.model_plot_config).toEqual({ enabled: true, annotations_enabled: true, terms: 'AAL,JBU' });
    expect(c.datafeed_config).toMatchObject({ datafeed_id: 'full-job', job_id: 'full-job', indices: ['flights-*'], scroll_size: 500, chunking_config: { mode: 'auto' } });
    expect(referencedFilters(c)).toEqual(['safe_airlines']);
    const s = jobSettings(c);
    expect(s.latencyMs).toBe(0);
    expect(s.renormalizationWindowMs).toBe(14 * 86_400_000);
    const job = toElasticJob(c, { create_time: 1 });
    const detectors = (job.analysis_config as { detectors: Record<string, unknown>[] }).detectors;
    expect(detectors[0].use_null).toBe(true);
    expect(detectors[1]).not.toHaveProperty('use_null');
    expect(detectors[1]).not.toHaveProperty('custom_rules');
    expect(job.groups).toEqual(['web', 'prod']);
    // the rendered job is plain JSON
    expect(JSON.parse(JSON.stringify(job))).toEqual(job);
  });

  it('accepts numbers as MiB and byte units for model_memory_limit, rounding down to MiB', () => {
    expect(validateJobConfig('j', minimal({ analysis_limits: { model_memory_limit: 512 } })).analysis_limits.model_memory_limit).toBe('512mb');
    expect(validateJobConfig('j', minimal({ analysis_limits: { model_memory_limit: '1536kb' } })).analysis_limits.model_memory_limit).toBe('1mb');
    expect(validateJobConfig('j', minimal({ analysis_limits: { model_memory_limit: '1GB' } })).analysis_limits.model_memory_limit).toBe('1024mb');
    expect(validateJobConfig('j', minimal({}), { maxModelMemoryLimit: '512mb' }).analysis_limits.model_memory_limit).toBe('512mb');
  });

  it('reads latency in whole seconds', () => {
    expect(jobSettings(validateJobConfig('j', minimal({}, { latency: '30s' }))).latencyMs).toBe(30_000);
  });

  it('derives model_prune_window from long bucket spans', () => {
    expect(validateJobConfig('j', minimal({}, { bucket_span: '2d' })).analysis_config.model_prune_window).toBe('40d');
  });
});

describe('validateJobConfig: Elastic\'s errors', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ['bad id', () => validateJobConfig('Bad_Id', minimal()), "Invalid job_id; 'Bad_Id' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric"],
    ['id ending in -', () => validateJobConfig('job-', minimal()), "Invalid job_id; 'job-'"],
    ['id starting in _', () => validateJobConfig('_job', minimal()), "Invalid job_id; '_job'"],
    ['id with a slash', () => validateJobConfig('a/b', minimal()), "Invalid job_id; 'a/b'"],
    ['id too long', () => validateJobConfig('a'.repeat(65), minimal()), 'The job id cannot contain more than 64 characters.'],
    ['inconsistent id', () => validateJobConfig('a', minimal({ job_id: 'b' })), "Inconsistent job_id; 'b' specified in the body differs from 'a' specified as a URL argument"],
    ['unknown field', () => validateJobConfig('j', minimal({ foo: 1 })), '[job_details] unknown field [foo]'],
    ['unknown analysis field', () => validateJobConfig('j', minimal({}, { foo: 1 })), '[analysis_config] unknown field [foo]'],
    ['unknown detector field', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', fieldname: 'x' }] })), '[detector] unknown field [fieldname]'],
    ['unknown data_description field', () => validateJobConfig('j', minimal({ data_description: { timefield: 'x' } })), '[data_description] unknown field [timefield]'],
    ['unknown limits field', () => validateJobConfig('j', minimal({ analysis_limits: { memory: 1 } })), '[analysis_limits] unknown field [memory]'],
    ['unknown model plot field', () => validateJobConfig('j', minimal({ model_plot_config: { enabled: true, x: 1 } })), '[model_plot_config] unknown field [x]'],
    ['unknown datafeed field', () => validateJobConfig('j', minimal({ datafeed_config: { indices: ['a'], x: 1 } })), '[datafeed_config] unknown field [x]'],
    ['wrong type description', () => validateJobConfig('j', minimal({ description: { a: 1 } })), "[job_details] description doesn't support values of type: START_OBJECT"],
    ['wrong type analysis_config', () => validateJobConfig('j', { analysis_config: 'x', data_description: {} }), "[job_details] analysis_config doesn't support values of type: VALUE_STRING"],
    ['wrong type detectors', () => validateJobConfig('j', minimal({}, { detectors: 'count' })), "[analysis_config] detectors doesn't support values of type: VALUE_STRING"],
    ['wrong type boolean', () => validateJobConfig('j', minimal({ allow_lazy_open: 'yes' })), '[job_details] failed to parse field [allow_lazy_open]'],
    ['wrong type long', () => validateJobConfig('j', minimal({ model_snapshot_retention_days: 'ten' })), '[job_details] failed to parse field [model_snapshot_retention_days]'],
    ['wrong type groups', () => validateJobConfig('j', minimal({ groups: [{}] })), "[job_details] groups doesn't support values of type: START_OBJECT"],
    ['missing analysis_config', () => validateJobConfig('j', { data_description: {} }), 'An analysis_config must be set'],
    ['missing data_description', () => validateJobConfig('j', { analysis_config: { detectors: [{ function: 'count' }] } }), 'A data_description must be set'],
    ['no detectors', () => validateJobConfig('j', minimal({}, { detectors: [] })), 'No detectors configured'],
    ['missing detectors', () => validateJobConfig('j', { analysis_config: { bucket_span: '5m' }, data_description: {} }), 'No detectors configured'],
    ['unknown function', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'average' }] })), '[detector] failed to parse field [function]'],
    ['bucket_span without unit', () => validateJobConfig('j', minimal({}, { bucket_span: '300' })), 'failed to parse setting [bucket_span] with value [300] as a time value: unit is missing or unrecognized'],
    ['bucket_span as a number', () => validateJobConfig('j', minimal({}, { bucket_span: 300 })), 'failed to parse setting [bucket_span] with value [300] as a time value: unit is missing or unrecognized'],
    ['bucket_span fractional', () => validateJobConfig('j', minimal({}, { bucket_span: '1.5h' })), 'failed to parse [1.5h], fractional time values are not supported'],
    ['bucket_span zero', () => validateJobConfig('j', minimal({}, { bucket_span: '0s' })), 'bucket_span cannot be less or equal than 0. Value = 0ms'],
    ['bucket_span sub-second', () => validateJobConfig('j', minimal({}, { bucket_span: '1500ms' })), "bucket_span has to be a multiple of 1s; actual was '1.5s'"],
    ['latency sub-second', () => validateJobConfig('j', minimal({}, { latency: '500ms' })), "latency has to be a multiple of 1s; actual was '500ms'"],
    ['latency bad', () => validateJobConfig('j', minimal({}, { latency: 'soon' })), 'failed to parse setting [latency] with value [soon] as a time value'],
    ['prune window not a multiple', () => validateJobConfig('j', minimal({}, { bucket_span: '1h', model_prune_window: '90m' })), 'model_prune_window [1.5h] must be a multiple of bucket_span [1h]'],
    ['prune window too short', () => validateJobConfig('j', minimal({}, { bucket_span: '1h', model_prune_window: '1h' })), 'model_prune_window [1h] must be at least 2 times greater than bucket_span [1h]'],
    ['field_name missing', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'mean', by_field_name: 'a' }] })), "field_name must be set when the 'mean' function is used"],
    ['no field at all', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'mean' }] })), 'Unless a count or temporal function is used one of field_name, by_field_name or over_field_name must be set'],
    ['field_name forbidden', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', field_name: 'x' }] })), "field_name cannot be used with function 'count'"],
    ['field_name forbidden for rare', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'rare', field_name: 'x', by_field_name: 'y' }] })), "field_name cannot be used with function 'rare'"],
    ['rare needs by', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'rare', over_field_name: 'y' }] })), "by_field_name must be set when the 'rare' function is used"],
    ['freq_rare needs over', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'freq_rare', by_field_name: 'y' }] })), "over_field_name must be set when the 'freq_rare' function is used"],
    ['non_zero_count refuses over', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'non_zero_count', over_field_name: 'y' }] })), "over_field_name cannot be used with function 'non_zero_count'"],
    ['lat_long needs field', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'lat_long', by_field_name: 'y' }] })), "field_name must be set when the 'lat_long' function is used"],
    ['quote in field name', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'mean', field_name: 'a"b' }] })), `Invalid field name 'a"b'. Field names including over, by and partition fields cannot contain any of these characters: ",\\`],
    ['dot field name', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', by_field_name: '.' }] })), "Invalid field name '.'. Field names including over, by and partition fields cannot be '.'"],
    ['partition = by', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', by_field_name: 'a', partition_field_name: 'a' }] })), "partition_field_name and by_field_name cannot be the same: 'a'"],
    ['partition = over', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', over_field_name: 'a', partition_field_name: 'a' }] })), "partition_field_name and over_field_name cannot be the same: 'a'"],
    ['by = over', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', by_field_name: 'a', over_field_name: 'a' }] })), "by_field_name and over_field_name cannot be the same: 'a'"],
    ['by = count', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', by_field_name: 'count' }] })), "'count' is not a permitted value for by_field_name"],
    ['over = by', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', over_field_name: 'by' }] })), "'by' is not a permitted value for over_field_name"],
    ['by = over keyword', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', by_field_name: 'over' }] })), "'over' is not a permitted value for by_field_name"],
    ['bad exclude_frequent', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', by_field_name: 'a', exclude_frequent: 'some' }] })), '[detector] failed to parse field [exclude_frequent]'],
    ['duplicate detectors', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count' }, { function: 'count' }] })), 'Duplicate detectors are not allowed: [count]'],
    ['rule without scope or condition', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', custom_rules: [{ actions: ['skip_result'] }] }] })), 'Invalid detector rule: at least scope or a condition is required'],
    ['rule condition on rare', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'rare', by_field_name: 'a', custom_rules: [{ conditions: [{ applies_to: 'actual', operator: 'gt', value: 1 }] }] }] })), 'Invalid detector rule: function rare only supports conditions that apply to time'],
    ['rule scope without fields', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', custom_rules: [{ scope: { host: { filter_id: 'f' } } }] }] })), "Invalid detector rule: scope field 'host' is invalid; detector has no available fields for scoping"],
    ['rule scope wrong field', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', by_field_name: 'b', partition_field_name: 'a', custom_rules: [{ scope: { host: { filter_id: 'f' } } }] }] })), "Invalid detector rule: scope field 'host' is invalid; select from [a, b]"],
    ['rule condition missing value', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', custom_rules: [{ conditions: [{ applies_to: 'actual', operator: 'gt' }] }] }] })), '[rule_condition] Required [value]'],
    ['rule bad operator', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', custom_rules: [{ conditions: [{ applies_to: 'actual', operator: 'eq', value: 1 }] }] }] })), '[rule_condition] failed to parse field [operator]'],
    ['rule bad action', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', custom_rules: [{ actions: ['drop'], conditions: [{ applies_to: 'actual', operator: 'gt', value: 1 }] }] }] })), '[detection_rule] failed to parse field [actions]'],
    ['summary count with metric', () => validateJobConfig('j', minimal({}, { summary_count_field_name: 'n', detectors: [{ function: 'metric', field_name: 'x' }] })), "The 'metric' function cannot be used in jobs that will take pre-summarized input"],
    ['time field analysed', () => validateJobConfig('j', minimal({ data_description: { time_field: 'ts' } }, { detectors: [{ function: 'mean', field_name: 'ts' }] })), 'data_description.time_field may not be used in the analysis_config'],
    ['nested clash', () => validateJobConfig('j', minimal({}, { influencers: ['host', 'host.name'] })), 'Fields [host] and [host.name] cannot both be used in the same analysis_config'],
    ['categorization refused', () => validateJobConfig('j', minimal({}, { categorization_field_name: 'message' })), 'log categorization is not supported by Vigil: remove [categorization_field_name]'],
    ['mlcategory refused', () => validateJobConfig('j', minimal({}, { detectors: [{ function: 'count', by_field_name: 'mlcategory' }] })), 'log categorization is not supported by Vigil: remove [mlcategory]'],
    ['categorization filters refused', () => validateJobConfig('j', minimal({}, { categorization_filters: ['x'] })), 'remove [categorization_filters]'],
    ['bad time format', () => validateJobConfig('j', minimal({ data_description: { time_format: 'HH:mm' } })), "Invalid Time format string 'HH:mm'"],
    ['bad data format', () => validateJobConfig('j', minimal({ data_description: { format: 'delimited' } })), 'only JSON is supported'],
    ['memory too low', () => validateJobConfig('j', minimal({ analysis_limits: { model_memory_limit: '500kb' } })), 'model_memory_limit must be at least 1 MiB. Value = 0'],
    ['memory without unit', () => validateJobConfig('j', minimal({ analysis_limits: { model_memory_limit: '12zb' } })), 'failed to parse setting [model_memory_limit] with value [12zb] as a size in bytes: unit is missing or unrecognized'],
    ['memory above max', () => validateJobConfig('j', minimal({ analysis_limits: { model_memory_limit: '4gb' } }), { maxModelMemoryLimit: '2gb' }), 'model_memory_limit [4096mb] must be less than the value of the xpack.ml.max_model_memory_limit setting [2048mb]'],
    ['negative examples', () => validateJobConfig('j', minimal({ analysis_limits: { categorization_examples_limit: -1 } })), 'categorization_examples_limit cannot be less than 0. Value = -1'],
    ['negative retention', () => validateJobConfig('j', minimal({ model_snapshot_retention_days: -1 })), 'model_snapshot_retention_days cannot be less than 0. Value = -1'],
    ['negative daily retention', () => validateJobConfig('j', minimal({ daily_model_snapshot_retention_after_days: -1 })), 'daily_model_snapshot_retention_after_days cannot be less than 0. Value = -1'],
    ['inconsistent retention', () => validateJobConfig('j', minimal({ model_snapshot_retention_days: 3, daily_model_snapshot_retention_after_days: 5 })), "The value of 'daily_model_snapshot_retention_after_days' [5] cannot be greater than 'model_snapshot_retention_days' [3]"],
    ['negative renormalization', () => validateJobConfig('j', minimal({ renormalization_window_days: -2 })), 'renormalization_window_days cannot be less than 0. Value = -2'],
    ['negative results retention', () => validateJobConfig('j', minimal({ results_retention_days: -2 })), 'results_retention_days cannot be less than 0. Value = -2'],
    ['persist interval too short', () => validateJobConfig('j', minimal({ background_persist_interval: '10m' })), 'background_persist_interval cannot be less than 3,600. Value = 600'],
    ['bad group', () => validateJobConfig('j', minimal({ groups: ['Bad Group'] })), "Invalid group id 'Bad Group'; must be non-empty string and may contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric"],
    ['group named like the job', () => validateJobConfig('j', minimal({ groups: ['j'] })), 'job and group names must be unique but job [j] and group [j] have the same name'],
    ['bad results index', () => validateJobConfig('j', minimal({ results_index_name: 'My Index' })), "Invalid results_index_name; 'My Index' can contain"],
    ['create_time at creation', () => validateJobConfig('j', minimal({ create_time: 1 })), 'The job is configured with fields [create_time] that are illegal to set at job creation'],
    ['model plot without enabled', () => validateJobConfig('j', minimal({ model_plot_config: { terms: 'a' } })), '[model_plot_config] Required [enabled]'],
    ['datafeed without indices', () => validateJobConfig('j', minimal({ datafeed_config: { query: {} } })), 'datafeed_config.indices must be set'],
    ['datafeed of another job', () => validateJobConfig('j', minimal({ datafeed_config: { job_id: 'k', indices: ['a'] } })), 'datafeed job_id [k] does not equal job id [j}'],
    ['datafeed with latency', () => validateJobConfig('j', minimal({ datafeed_config: { indices: ['a'] } }, { latency: '1m' })), 'A job configured with datafeed cannot support latency'],
    ['datafeed chunking', () => validateJobConfig('j', minimal({ datafeed_config: { indices: ['a'], chunking_config: { mode: 'sometimes' } } })), "Invalid mode value 'sometimes' in datafeed configuration"],
    ['datafeed check window', () => validateJobConfig('j', minimal({ datafeed_config: { indices: ['a'], delayed_data_check_config: { enabled: true, check_window: '1m' } } })), 'delayed_data_check_config: check_window [1m] must be greater than the bucket_span [5m]'],
    ['datafeed script fields with aggs', () => validateJobConfig('j', minimal({ datafeed_config: { indices: ['a'], aggregations: {}, script_fields: {} } })), 'script_fields cannot be used in combination with aggregations'],
    ['body not an object', () => validateJobConfig('j', [1]), '[job_details] Expected START_OBJECT but found [START_ARRAY]'],
  ];
  for (const [name, fn, message] of cases) {
    it(name, () => {
      const err = errorOf(fn);
      expect(err.message).toContain(message);
      expect(err.status).toBe(400);
    });
  }

  it('gives Elastic\'s error types', () => {
    expect(errorOf(() => validateJobConfig('j', minimal({ foo: 1 }))).type).toBe('x_content_parse_exception');
    expect(errorOf(() => validateJobConfig('Bad', minimal())).type).toBe('illegal_argument_exception');
    expect(errorOf(() => validateJobConfig('j', minimal({ groups: ['j'] }))).type).toBe('resource_already_exists_exception');
    const cause = errorOf(() => validateJobConfig('j', minimal({}, { detectors: [{ function: 'average' }] }))).causedBy;
    expect(cause).toEqual({ type: 'illegal_argument_exception', reason: "Unknown function 'average'" });
  });
});

describe('validateDetector', () => {
  it('returns the normalised detector with Elastic\'s default description', () => {
    expect(validateDetector({ function: 'mean', field_name: 'responsetime', by_field_name: 'airline' })).toEqual({
      detector_description: 'mean(responsetime) by airline',
      function: 'mean',
      field_name: 'responsetime',
      by_field_name: 'airline',
      use_null: false,
      custom_rules: [],
      detector_index: 0,
    });
    expect(validateDetector({ function: 'avg', field_name: 'a b', over_field_name: 'c-d' }).detector_description).toBe('avg("a b") over "c-d"');
    expect(defaultDetectorDescription({ function: 'time_of_day', use_null: false })).toBe('time_of_day');
  });

  it('refuses what jobs refuse', () => {
    expect(messageOf(() => validateDetector({ function: 'sum' }))).toContain('Unless a count or temporal function is used');
    expect(messageOf(() => validateDetector({ function: 'count', extra: 1 }))).toBe('[detector] unknown field [extra]');
  });
});

describe('updateJobConfig', () => {
  const base = (): JobConfig =>
    validateJobConfig('upd', {
      analysis_config: {
        bucket_span: '1h',
        detectors: [{ function: 'mean', field_name: 'x', by_field_name: 'host' }],
      },
      data_description: {},
      analysis_limits: { model_memory_limit: '100mb' },
    });

  it('applies the updatable fields and leaves the input alone', () => {
    const before = base();
    const after = updateJobConfig(before, {
      description: 'new',
      groups: ['ops'],
      detectors: [{ detector_index: 0, description: 'mean x', custom_rules: [{ scope: { host: { filter_id: 'safe', filter_type: 'exclude' } } }] }],
      model_plot_config: { enabled: true },
      analysis_limits: { model_memory_limit: '200mb' },
      background_persist_interval: '3h',
      renormalization_window_days: 5,
      results_retention_days: 30,
      model_snapshot_retention_days: 20,
      daily_model_snapshot_retention_after_days: 3,
      custom_settings: { a: 1 },
      allow_lazy_open: true,
      model_prune_window: '60d',
    });
    expect(before.description).toBeUndefined();
    expect(after).toMatchObject({
      description: 'new',
      groups: ['ops'],
      model_plot_config: { enabled: true, annotations_enabled: true },
      analysis_limits: { model_memory_limit: '200mb', categorization_examples_limit: 4 },
      background_persist_interval: '3h',
      renormalization_window_days: 5,
      results_retention_days: 30,
      model_snapshot_retention_days: 20,
      daily_model_snapshot_retention_after_days: 3,
      custom_settings: { a: 1 },
      allow_lazy_open: true,
    });
    expect(after.analysis_config.model_prune_window).toBe('60d');
    expect(after.analysis_config.detectors[0].detector_description).toBe('mean x');
    expect(after.analysis_config.detectors[0].custom_rules).toHaveLength(1);
    // null unsets
    expect(updateJobConfig(after, { results_retention_days: null }).results_retention_days).toBeUndefined();
  });

  it('refuses what Elastic refuses', () => {
    const c = base();
    expect(messageOf(() => updateJobConfig(c, { analysis_config: {} }))).toBe('[job_update] unknown field [analysis_config]');
    expect(messageOf(() => updateJobConfig(c, { data_description: {} }))).toBe('[job_update] unknown field [data_description]');
    expect(messageOf(() => updateJobConfig(c, { detectors: [{ detector_index: 3 }] }))).toBe('Supplied detector_index [3] is >= the number of detectors [1]');
    expect(messageOf(() => updateJobConfig(c, { detectors: [{ description: 'x' }] }))).toBe('[detector_update] Required [detector_index]');
    expect(messageOf(() => updateJobConfig(c, { analysis_limits: { model_memory_limit: '200mb' } }, { isOpen: true }))).toBe(
      'Cannot update analysis_limits while the job is open',
    );
    expect(messageOf(() => updateJobConfig(c, { analysis_limits: { model_memory_limit: '10mb' } }, { modelBytes: 50 * 1024 * 1024 }))).toBe(
      'Invalid update value for analysis_limits: model_memory_limit cannot be decreased below current usage; current usage [50mb], update had [10mb]',
    );
    expect(updateJobConfig(c, { analysis_limits: { model_memory_limit: '60mb' } }, { modelBytes: 50 * 1024 * 1024 }).analysis_limits.model_memory_limit).toBe('60mb');
    expect(messageOf(() => updateJobConfig(c, { groups: ['upd'] }))).toContain('job and group names must be unique');
    expect(messageOf(() => updateJobConfig(c, { daily_model_snapshot_retention_after_days: 11 }))).toContain("cannot be greater than 'model_snapshot_retention_days' [10]");
    expect(messageOf(() => updateJobConfig(c, { model_prune_window: '90m' }))).toContain('must be a multiple of bucket_span [1h]');
    expect(messageOf(() => updateJobConfig(c, { categorization_filters: ['x'] }))).toContain('log categorization is not supported');
    expect(messageOf(() => updateJobConfig(c, { detectors: [{ detector_index: 0, custom_rules: [{ scope: { nope: { filter_id: 'f' } } }] }] }))).toBe(
      "Invalid detector rule: scope field 'nope' is invalid; select from [host]",
    );
  });
});

describe('configs survive JSON', () => {
  it('a stored config round-trips through JSON unchanged', () => {
    const c = validateJobConfig('total-requests', seedRequest);
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });
  it('is deterministic', () => {
    expect(validateJobConfig('total-requests', seedRequest)).toEqual(validateJobConfig('total-requests', seedRequest));
  });
  it('isValidId examples', async () => {
    const { isValidId } = await import('./index.js');
    expect(['a', 'a1', 'a-b_c', '0'].map(isValidId)).toEqual([true, true, true, true]);
    expect(['', 'A', '-a', 'a-', 'a.b', 'a b', 'a/b', '..'].some(isValidId)).toBe(false);
  });
});
