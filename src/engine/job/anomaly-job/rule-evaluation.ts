/**
 * Detectors' custom rules applied to results: skip_result drops a record, skip_model_update keeps
 * a model from learning a bucket. A rule applies when every scope field's value is in (include) or
 * out of (exclude) its filter — items may have a `*` wildcard at either end — and every condition
 * on actual, typical, diff_from_typical or time (epoch seconds) holds.
 */
import type { BucketControl, PendingRecord } from '../detector-runner.js';
import type { DetectionRule, DetectorConfig } from '../config.js';
import type { RecordDoc } from '../results.js';

/** Filter items by filter_id. */
export type Filters = Record<string, readonly string[]>;

/** Whether a skip_result rule applies to the record. */
export function skippedByRule(rules: readonly DetectionRule[], rec: PendingRecord, filters: Filters): boolean {
  for (const rule of rules) {
    if (!rule.actions.includes('skip_result')) continue;
    if (ruleApplies(rule, rec.doc, filters)) return true;
  }
  return false;
}

/**
 * The detector's skip_model_update rules as BucketControl.skipUpdate for one bucket: told a series'
 * fields, actual and typical value, whether its model must not learn them (null: no such rule).
 */
export function modelUpdateRules(rules: readonly DetectionRule[], detector: DetectorConfig, bucket: number, filters: Filters): BucketControl['skipUpdate'] {
  const modelRules = rules.filter((r) => r.actions.includes('skip_model_update'));
  if (modelRules.length === 0) return null;
  return (fields, actual, typical) => modelRules.some((rule) => ruleApplies(rule, ruleDoc(detector, bucket, fields, actual, typical), filters));
}

/**
 * The same rules asked before the model has scored the bucket: whether one could apply, the
 * conditions on typical (and diff_from_typical) taken as met. False means the bucket is learned
 * whatever the model says, so it need not be copied first (null: no such rule).
 */
export function modelUpdateMayApply(rules: readonly DetectionRule[], detector: DetectorConfig, bucket: number, filters: Filters): BucketControl['mayskipUpdate'] {
  const modelRules = rules.filter((r) => r.actions.includes('skip_model_update'));
  if (modelRules.length === 0) return null;
  return (fields, actual) => modelRules.some((rule) => ruleApplies(rule, ruleDoc(detector, bucket, fields, actual, NaN), filters, true));
}

function ruleDoc(detector: DetectorConfig, bucket: number, fields: { partition: string | null; by: string | null; over: string | null }, actual: number, typical: number): RecordDoc {
  return {
    timestamp: bucket,
    actual: [actual],
    typical: [typical],
    partition_field_name: detector.partition_field_name,
    partition_field_value: fields.partition ?? undefined,
    by_field_name: detector.by_field_name,
    by_field_value: fields.by ?? undefined,
    over_field_name: detector.over_field_name,
    over_field_value: fields.over ?? undefined,
  } as unknown as RecordDoc;
}

/** `typicalUnknown`: conditions on typical and diff_from_typical count as met (see modelUpdateMayApply). */
function ruleApplies(rule: DetectionRule, doc: RecordDoc, filters: Filters, typicalUnknown = false): boolean {
  for (const [field, ref] of Object.entries(rule.scope ?? {})) {
    const value =
      field === doc.partition_field_name ? doc.partition_field_value : field === doc.by_field_name ? doc.by_field_value : field === doc.over_field_name ? doc.over_field_value : undefined;
    if (value === undefined) return false;
    const items = filters[ref.filter_id] ?? [];
    const inFilter = items.some((item) => globMatch(item, value));
    if (ref.filter_type === 'include' ? !inFilter : inFilter) return false;
  }
  for (const cond of rule.conditions ?? []) {
    if (typicalUnknown && (cond.applies_to === 'typical' || cond.applies_to === 'diff_from_typical')) continue;
    const actual = doc.actual?.[0];
    const typical = doc.typical?.[0];
    let x: number;
    switch (cond.applies_to) {
      case 'actual':
        x = actual ?? NaN;
        break;
      case 'typical':
        x = typical ?? NaN;
        break;
      case 'diff_from_typical':
        x = actual !== undefined && typical !== undefined ? Math.abs(actual - typical) : NaN;
        break;
      case 'time':
        x = doc.timestamp / 1000;
        break;
    }
    const ok = cond.operator === 'gt' ? x > cond.value : cond.operator === 'gte' ? x >= cond.value : cond.operator === 'lt' ? x < cond.value : x <= cond.value;
    if (!ok) return false;
  }
  return true;
}

function globMatch(pattern: string, value: string): boolean {
  const starts = pattern.startsWith('*');
  const ends = pattern.endsWith('*') && pattern.length > 1;
  const core = pattern.slice(starts ? 1 : 0, ends ? -1 : undefined);
  if (starts && ends) return value.includes(core);
  if (starts) return value.endsWith(core);
  if (ends) return value.startsWith(core);
  return value === pattern;
}
