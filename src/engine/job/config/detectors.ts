/**
 * One detector: validation as `_validate/detector` and job creation do (function, fields, split
 * fields, custom rules), with Elastic's messages, and Elastic's default detector description.
 */
import { lookupFunction, type FunctionInfo } from '../functions.js';
import { invalid, parseError } from '../job-error.js';
import { StrictReader } from '../strict-reader.js';
import { categorizationRefused, emptyToUndefined, isEmpty } from './checks.js';
import { parseRule, validateRuleForDetector } from './custom-rules.js';
import type { DetectorConfig, ExcludeFrequent } from './types.js';

const DETECTOR_FIELDS = [
  'detector_description',
  'function',
  'field_name',
  'by_field_name',
  'over_field_name',
  'partition_field_name',
  'use_null',
  'exclude_frequent',
  'custom_rules',
  'detector_index',
];

/**
 * Validates one detector as `_validate/detector` and job creation do.
 *
 * @example
 * validateDetector({ function: 'mean', field_name: 'responsetime', by_field_name: 'airline' })
 * // { detector_description: 'mean(responsetime) by airline', function: 'mean', …, detector_index: 0 }
 * @throws JobConfigError with Elastic's message.
 */
export function validateDetector(body: unknown, detectorIndex = 0): DetectorConfig {
  const r = new StrictReader('detector', body, DETECTOR_FIELDS);
  const fnName = r.string('function');
  if (fnName === undefined || fnName === '') throw invalid('Unknown function \'null\'');
  const info = lookupFunction(fnName);
  if (!info) {
    throw parseError('[detector] failed to parse field [function]', { type: 'illegal_argument_exception', reason: `Unknown function '${fnName}'` });
  }
  const fieldName = emptyToUndefined(r.string('field_name'));
  const byField = emptyToUndefined(r.string('by_field_name'));
  const overField = emptyToUndefined(r.string('over_field_name'));
  const partitionField = emptyToUndefined(r.string('partition_field_name'));
  const useNull = r.bool('use_null') ?? false;
  const excludeText = r.string('exclude_frequent');
  let excludeFrequent: ExcludeFrequent | undefined;
  if (excludeText !== undefined) {
    const e = excludeText.toLowerCase();
    if (e !== 'all' && e !== 'none' && e !== 'by' && e !== 'over') {
      throw parseError('[detector] failed to parse field [exclude_frequent]', {
        type: 'illegal_argument_exception',
        reason: `exclude_frequent must be one of [all, none, by, over]; got [${excludeText}]`,
      });
    }
    excludeFrequent = e;
  }
  const rulesBody = r.objectArray('custom_rules') ?? [];
  const rules = rulesBody.map(parseRule);
  r.long('detector_index'); // accepted and ignored, as Elastic does

  checkDetectorRules(info, fieldName, byField, overField);
  for (const f of [fieldName, byField, overField, partitionField]) verifyFieldName(f);
  for (const rule of rules) validateRuleForDetector(rule, info, byField, overField, partitionField);
  checkDistinctSplitFields(byField, overField, partitionField);
  for (const f of [byField, overField, partitionField]) {
    if (f === 'mlcategory') throw categorizationRefused('mlcategory');
  }

  const detector: DetectorConfig = {
    detector_description: '',
    function: info.name,
    use_null: useNull,
    custom_rules: rules,
    detector_index: detectorIndex,
  };
  if (fieldName !== undefined) detector.field_name = fieldName;
  if (byField !== undefined) detector.by_field_name = byField;
  if (overField !== undefined) detector.over_field_name = overField;
  if (partitionField !== undefined) detector.partition_field_name = partitionField;
  if (excludeFrequent !== undefined) detector.exclude_frequent = excludeFrequent;
  const description = r.string('detector_description');
  detector.detector_description = description ?? defaultDetectorDescription(detector);
  return detector;
}

function checkDetectorRules(info: FunctionInfo, field?: string, by?: string, over?: string): void {
  if (isEmpty(field) && isEmpty(by) && isEmpty(over) && !info.countWithoutField) {
    throw invalid('Unless a count or temporal function is used one of field_name, by_field_name or over_field_name must be set');
  }
  if (isEmpty(field) && info.needsField) throw invalid(`field_name must be set when the '${info.name}' function is used`);
  if (!isEmpty(field) && !info.needsField) throw invalid(`field_name cannot be used with function '${info.name}'`);
  if (isEmpty(by) && info.needsBy) throw invalid(`by_field_name must be set when the '${info.name}' function is used`);
  if (isEmpty(over) && info.needsOver) throw invalid(`over_field_name must be set when the '${info.name}' function is used`);
  if (!isEmpty(over) && info.noOver) throw invalid(`over_field_name cannot be used with function '${info.name}'`);
}

function checkDistinctSplitFields(by?: string, over?: string, partition?: string): void {
  if (!isEmpty(partition)) {
    if (partition === by) throw invalid(`partition_field_name and by_field_name cannot be the same: '${partition}'`);
    if (partition === over) throw invalid(`partition_field_name and over_field_name cannot be the same: '${partition}'`);
  }
  if (!isEmpty(by) && by === over) throw invalid(`by_field_name and over_field_name cannot be the same: '${by}'`);
  if (by === 'count') throw invalid("'count' is not a permitted value for by_field_name");
  if (over === 'count') throw invalid("'count' is not a permitted value for over_field_name");
  if (by === 'by') throw invalid("'by' is not a permitted value for by_field_name");
  if (over === 'by') throw invalid("'by' is not a permitted value for over_field_name");
  if (by === 'over') throw invalid("'over' is not a permitted value for by_field_name");
  if (over === 'over') throw invalid("'over' is not a permitted value for over_field_name");
}

/** Field names cannot contain `"`, `\` or control characters, nor be `.`. */
export function verifyFieldName(field: string | undefined): void {
  if (field === undefined) return;
  // eslint-disable-next-line no-control-regex
  if (/["\\\u0000-\u001f\u007f-\u009f]/.test(field)) {
    throw invalid(`Invalid field name '${field}'. Field names including over, by and partition fields cannot contain any of these characters: ",\\`);
  }
  if (field === '.') throw invalid("Invalid field name '.'. Field names including over, by and partition fields cannot be '.'");
}

/** Elastic's DefaultDetectorDescription: `mean(responsetime) by airline`, `count partitionfield="response.keyword"`. */
export function defaultDetectorDescription(d: Pick<DetectorConfig, 'function' | 'field_name' | 'by_field_name' | 'over_field_name' | 'partition_field_name' | 'use_null' | 'exclude_frequent'>): string {
  let s = d.function;
  if (!isEmpty(d.field_name)) s += `(${quoteField(d.field_name)})`;
  if (!isEmpty(d.by_field_name)) s += ` by ${quoteField(d.by_field_name)}`;
  if (!isEmpty(d.over_field_name)) s += ` over ${quoteField(d.over_field_name)}`;
  if (d.use_null) s += ' usenull=true';
  if (!isEmpty(d.partition_field_name)) s += ` partitionfield=${quoteField(d.partition_field_name)}`;
  if (d.exclude_frequent !== undefined) s += ` excludefrequent=${d.exclude_frequent}`;
  return s;
}

function quoteField(field: string): string {
  if (/^\w*$/.test(field)) return field;
  return `"${field.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
