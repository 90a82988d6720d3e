/**
 * analysis_config: bucket span, model prune window, latency, detectors, summary count field and
 * influencers, with Elastic's messages (categorization is refused); the fields an analysis reads.
 */
import { invalid } from '../job-error.js';
import { StrictReader, type JsonObject } from '../strict-reader.js';
import { formatTimeValue, parseTimeValue, timeValueText } from '../units.js';
import { DAY_MS, categorizationRefused, checkPruneWindow, emptyToUndefined, isEmpty } from './checks.js';
import { validateDetector, verifyFieldName } from './detectors.js';
import type { AnalysisConfig } from './types.js';

const ANALYSIS_FIELDS = [
  'bucket_span',
  'categorization_field_name',
  'categorization_filters',
  'categorization_analyzer',
  'per_partition_categorization',
  'latency',
  'summary_count_field_name',
  'detectors',
  'influencers',
  'multivariate_by_fields',
  'model_prune_window',
];

export function parseAnalysisConfig(body: JsonObject): AnalysisConfig {
  const r = new StrictReader('analysis_config', body, ANALYSIS_FIELDS);
  for (const f of ['categorization_field_name', 'categorization_filters', 'categorization_analyzer'] as const) {
    if (r.has(f)) throw categorizationRefused(f);
  }
  const ppc = r.object('per_partition_categorization');
  if (ppc) {
    const p = new StrictReader('per_partition_categorization', ppc, ['enabled', 'stop_on_warn']);
    if (p.bool('enabled') === true) throw categorizationRefused('per_partition_categorization');
    if (p.bool('stop_on_warn') === true) throw invalid('stop_on_warn cannot be true in per_partition_categorization when enabled is false');
  }
  const bucketSpanText = r.string('bucket_span') ?? '5m';
  const bucketSpanMs = parseTimeValue(bucketSpanText, 'bucket_span');
  if (bucketSpanMs <= 0) throw invalid(`bucket_span cannot be less or equal than 0. Value = ${formatTimeValue(bucketSpanMs)}`);
  if (bucketSpanMs % 1000 !== 0) throw invalid(`bucket_span has to be a multiple of 1s; actual was '${formatTimeValue(bucketSpanMs)}'`);

  const pruneText = r.string('model_prune_window');
  let prune = pruneText;
  if (pruneText !== undefined) {
    checkPruneWindow(parseTimeValue(pruneText, 'model_prune_window'), bucketSpanMs);
  } else {
    prune = timeValueText(Math.max(30 * DAY_MS, 20 * bucketSpanMs));
  }

  const latencyText = r.string('latency');
  if (latencyText !== undefined) {
    const ms = parseTimeValue(latencyText, 'latency');
    if (ms < 0) throw invalid(`latency cannot be less than 0. Value = ${formatTimeValue(ms)}`);
    if (ms % 1000 !== 0) throw invalid(`latency has to be a multiple of 1s; actual was '${formatTimeValue(ms)}'`);
  }

  const detectorBodies = r.objectArray('detectors');
  if (!detectorBodies || detectorBodies.length === 0) throw invalid('No detectors configured');
  const detectors = detectorBodies.map((d, i) => validateDetector(d, i));
  const summaryCountField = emptyToUndefined(r.string('summary_count_field_name'));
  verifyFieldName(summaryCountField);
  if (summaryCountField !== undefined && detectors.some((d) => d.function === 'metric')) {
    throw invalid("The 'metric' function cannot be used in jobs that will take pre-summarized input");
  }
  const influencers = r.stringArray('influencers') ?? [];
  for (const inf of influencers) if (inf === 'mlcategory') throw categorizationRefused('mlcategory');
  const multivariate = r.bool('multivariate_by_fields');

  const config: AnalysisConfig = {
    bucket_span: bucketSpanText,
    detectors,
    influencers,
    model_prune_window: prune as string,
  };
  if (latencyText !== undefined) config.latency = latencyText;
  if (summaryCountField !== undefined) config.summary_count_field_name = summaryCountField;
  if (multivariate !== undefined) config.multivariate_by_fields = multivariate;

  // nested term fields may not clash (a and a.b)
  const terms = [...termFields(config)].sort();
  for (let i = 1; i < terms.length; i++) {
    if (terms[i].startsWith(`${terms[i - 1]}.`)) {
      throw invalid(`Fields [${terms[i - 1]}] and [${terms[i]}] cannot both be used in the same analysis_config`);
    }
  }
  return config;
}

/** by, over and partition fields of every detector, plus the influencers. */
function termFields(a: Pick<AnalysisConfig, 'detectors' | 'influencers'>): Set<string> {
  const s = new Set<string>();
  for (const d of a.detectors) {
    for (const f of [d.by_field_name, d.over_field_name, d.partition_field_name]) if (!isEmpty(f)) s.add(f);
  }
  for (const i of a.influencers) if (i !== '') s.add(i);
  return s;
}

/** Every field the analysis reads (term fields, field_name of each detector, summary count field). */
export function analysisFieldNames(a: AnalysisConfig): string[] {
  const s = termFields(a);
  for (const d of a.detectors) if (!isEmpty(d.field_name)) s.add(d.field_name);
  if (!isEmpty(a.summary_count_field_name)) s.add(a.summary_count_field_name);
  return [...s].sort();
}
