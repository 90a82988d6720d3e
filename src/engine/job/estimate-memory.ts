/**
 * Elastic's `_estimate_model_memory`: the model_memory_limit a job needs, from its analysis_config
 * and the cardinalities of its split fields — computed from what this engine really spends per
 * entity (a model of each detector is built and measured), not from Elastic's constants.
 */
import { validateJobConfig, type AnalysisConfig } from './config.js';
import { seriesModelOf } from './controls.js';
import { DetectorRunner } from './detector-runner.js';
import { invalid, parseError } from './job-error.js';
import { parseTimeValue } from './units.js';

const MIB = 1024 * 1024;
/** What every job holds besides its entities (normaliser, counts, buffers), bytes. */
const JOB_BASE_BYTES = 256 * 1024;
/** Per over member: its key in the population's member table and an open-bucket accumulator. */
const OVER_MEMBER_BYTES = 80 + 64 + 160;
/** Per rare value: its frequency entry. */
const RARE_VALUE_BYTES = 120;
/** Per influencer value seen in a bucket. */
const INFLUENCER_VALUE_BYTES = 96;

export interface EstimateRequest {
  analysis_config?: unknown;
  overall_cardinality?: Record<string, number>;
  max_bucket_cardinality?: Record<string, number>;
}

function cardinality(kind: 'overall' | 'bucket max', role: string, field: string, supplied: Record<string, number> | undefined): number {
  const v = supplied?.[field];
  if (v === undefined) throw invalid(`[${kind}] cardinality estimate required for [${role}] [${field}] but not supplied`);
  return v;
}

/**
 * @example
 * estimateModelMemory({
 *   analysis_config: { bucket_span: '5m', detectors: [{ function: 'mean', field_name: 'bytes', partition_field_name: 'host' }] },
 *   overall_cardinality: { host: 1000 },
 * }) // { model_memory_estimate: '29mb' }
 * @throws JobConfigError with Elastic's messages (analysis_config required, cardinality missing).
 */
export function estimateModelMemory(body: EstimateRequest): { model_memory_estimate: string } {
  if (body.analysis_config === undefined || body.analysis_config === null) throw invalid('[analysis_config] is required');
  for (const [name, map] of [['overall_cardinality', body.overall_cardinality], ['max_bucket_cardinality', body.max_bucket_cardinality]] as const) {
    if (map === undefined) continue;
    if (!map || typeof map !== 'object' || Array.isArray(map)) throw parseError(`[estimate_model_memory] failed to parse field [${name}]`);
    for (const [field, v] of Object.entries(map)) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw invalid(`[${name}] cardinality of [${field}] must be a non-negative integer; got [${JSON.stringify(v)}]`);
      }
    }
  }
  const config = validateJobConfig('estimate', { analysis_config: body.analysis_config, data_description: { time_field: '@timestamp_vigil_estimate' } });
  const a: AnalysisConfig = config.analysis_config;
  const span = parseTimeValue(a.bucket_span, 'bucket_span');
  const env = {
    jobId: 'estimate',
    bucketSpanMs: span,
    ringSize: 2,
    influencerFields: a.influencers,
    allowNewEntity: () => true,
    modelPlot: { enabled: false, terms: null },
    seriesModel: seriesModelOf(config), // what a job created with this analysis_config gets
  };
  let bytes = JOB_BASE_BYTES;
  for (const d of a.detectors) {
    const overall = body.overall_cardinality;
    const partitions = d.partition_field_name ? Math.max(1, cardinality('overall', 'partition_field_name', d.partition_field_name, overall)) : 1;
    const byValues = d.by_field_name ? Math.max(1, cardinality('overall', 'by_field_name', d.by_field_name, overall)) : 1;
    const runner = new DetectorRunner(d, env);
    if (runner.shape === 'rare') {
      bytes += partitions * (2048 + byValues * RARE_VALUE_BYTES);
    } else if (runner.shape === 'population') {
      const over = cardinality('overall', 'over_field_name', d.over_field_name as string, overall);
      bytes += partitions * byValues * 2048 + over * OVER_MEMBER_BYTES;
    } else {
      // each entity as it will be once its kept bucket values (three weeks, for _forecast) are full
      bytes += partitions * byValues * runner.newEntityBytes(true);
    }
  }
  for (const f of a.influencers) {
    const perBucket = body.max_bucket_cardinality?.[f] ?? 0;
    bytes += perBucket * INFLUENCER_VALUE_BYTES;
  }
  // 20 % headroom, whole MiB up, as Elastic rounds
  const mb = Math.max(1, Math.ceil((bytes * 1.2) / MIB));
  return { model_memory_estimate: `${mb}mb` };
}
