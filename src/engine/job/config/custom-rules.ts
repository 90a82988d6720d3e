/**
 * Detectors' custom_rules: parsing a rule (actions, scope, conditions) with Elastic's messages,
 * checking it against its detector, and the filters a job's rules refer to.
 */
import type { FunctionInfo } from '../functions.js';
import { invalid, parseError } from '../job-error.js';
import { StrictReader, type JsonObject } from '../strict-reader.js';
import { isEmpty } from './checks.js';
import type { AppliesTo, DetectionRule, FilterRef, JobConfig, RuleAction, RuleOperator } from './types.js';

export function parseRule(body: JsonObject): DetectionRule {
  const r = new StrictReader('detection_rule', body, ['actions', 'scope', 'conditions']);
  const actionNames = r.stringArray('actions');
  const actions: RuleAction[] = [];
  for (const a of actionNames ?? ['skip_result']) {
    const lower = a.toLowerCase();
    if (lower !== 'skip_result' && lower !== 'skip_model_update') {
      throw parseError('[detection_rule] failed to parse field [actions]', {
        type: 'illegal_argument_exception',
        reason: `Invalid rule action [${a}]; valid actions: skip_result, skip_model_update`,
      });
    }
    if (!actions.includes(lower)) actions.push(lower);
  }
  if (actions.length === 0) throw invalid('Invalid detector rule: at least one action is required');
  const rule: DetectionRule = { actions };
  const scopeBody = r.object('scope');
  if (scopeBody && Object.keys(scopeBody).length > 0) {
    const scope: Record<string, FilterRef> = {};
    for (const [field, ref] of Object.entries(scopeBody)) {
      const f = new StrictReader('filter_ref', ref, ['filter_id', 'filter_type']);
      const filterId = f.string('filter_id');
      if (filterId === undefined) throw parseError('[filter_ref] Required [filter_id]');
      const type = (f.string('filter_type') ?? 'include').toLowerCase();
      if (type !== 'include' && type !== 'exclude') {
        throw parseError('[filter_ref] failed to parse field [filter_type]', {
          type: 'illegal_argument_exception',
          reason: `filter_type must be include or exclude; got [${type}]`,
        });
      }
      scope[field] = { filter_id: filterId, filter_type: type };
    }
    rule.scope = scope;
  }
  const conditionsBody = r.objectArray('conditions');
  if (conditionsBody && conditionsBody.length > 0) {
    rule.conditions = conditionsBody.map((c) => {
      const cr = new StrictReader('rule_condition', c, ['applies_to', 'operator', 'value']);
      const missing = ['applies_to', 'operator', 'value'].filter((k) => !cr.has(k));
      if (missing.length > 0) throw parseError(`[rule_condition] Required [${missing.join(', ')}]`);
      const appliesTo = (cr.string('applies_to') as string).toLowerCase();
      if (!['actual', 'typical', 'diff_from_typical', 'time'].includes(appliesTo)) {
        throw parseError('[rule_condition] failed to parse field [applies_to]', {
          type: 'illegal_argument_exception',
          reason: `applies_to must be one of [actual, typical, diff_from_typical, time]; got [${appliesTo}]`,
        });
      }
      const operator = (cr.string('operator') as string).toLowerCase();
      if (!['gt', 'gte', 'lt', 'lte'].includes(operator)) {
        throw parseError('[rule_condition] failed to parse field [operator]', {
          type: 'illegal_argument_exception',
          reason: `operator must be one of [gt, gte, lt, lte]; got [${operator}]`,
        });
      }
      return { applies_to: appliesTo as AppliesTo, operator: operator as RuleOperator, value: cr.double('value') as number };
    });
  }
  if (!rule.scope && !rule.conditions) throw invalid('Invalid detector rule: at least scope or a condition is required');
  return rule;
}

export function validateRuleForDetector(rule: DetectionRule, info: FunctionInfo, by?: string, over?: string, partition?: string): void {
  if (info.timeConditionsOnly && rule.conditions?.some((c) => c.applies_to !== 'time')) {
    throw invalid(`Invalid detector rule: function ${info.name} only supports conditions that apply to time`);
  }
  if (rule.scope) {
    const available = [by, over, partition].filter((f): f is string => !isEmpty(f)).sort();
    for (const field of Object.keys(rule.scope)) {
      if (available.includes(field)) continue;
      if (available.length === 0) {
        throw invalid(`Invalid detector rule: scope field '${field}' is invalid; detector has no available fields for scoping`);
      }
      throw invalid(`Invalid detector rule: scope field '${field}' is invalid; select from [${available.join(', ')}]`);
    }
  }
}

/** Filter ids the job's custom rules refer to (the server checks they exist). */
export function referencedFilters(config: JobConfig): string[] {
  const ids = new Set<string>();
  for (const d of config.analysis_config.detectors) {
    for (const rule of d.custom_rules) for (const ref of Object.values(rule.scope ?? {})) ids.add(ref.filter_id);
  }
  return [...ids].sort();
}
