/**
 * Elastic's detector custom rules, evaluated: a rule applies when every one of its numeric
 * conditions holds (AND) and the result's entity is in scope (filters on by/over/partition field
 * values, include or exclude, with `*` wildcards); a detector's rules combine with OR. What applies
 * decides the actions: `skip_result` (the result is not written) and `skip_model_update` (the model
 * does not learn from the bucket). Pure: filters are passed in.
 */
import { VigilError } from '../../core/errors.js';

export type RuleAction = 'skip_result' | 'skip_model_update';
export type AppliesTo = 'actual' | 'typical' | 'diff_from_typical' | 'time';
export type RuleOperator = 'gt' | 'gte' | 'lt' | 'lte';

export interface RuleCondition {
  applies_to: AppliesTo;
  operator: RuleOperator;
  value: number;
}

export interface RuleScopeEntry {
  filter_id: string;
  filter_type?: 'include' | 'exclude';
}

export interface CustomRule {
  actions?: RuleAction[];
  scope?: Record<string, RuleScopeEntry>;
  conditions?: RuleCondition[];
}

/** What a rule is evaluated against: one bucket's result for one entity. */
export interface RuleContext {
  actual: number;
  typical: number;
  /** Bucket start, epoch ms (conditions on `time` are in epoch seconds, as Elastic's). */
  time: number;
  /** by/over/partition field name → value for this result. */
  fields: Record<string, string | null | undefined>;
}

export interface RuleDecision {
  skipResult: boolean;
  skipModelUpdate: boolean;
}

const ACTIONS = new Set<RuleAction>(['skip_result', 'skip_model_update']);
const APPLIES = new Set<AppliesTo>(['actual', 'typical', 'diff_from_typical', 'time']);
const OPS = new Set<RuleOperator>(['gt', 'gte', 'lt', 'lte']);

/**
 * Validates a detector's custom_rules against its fields (scope keys must be its by/over/partition
 * fields) and the filters that exist. Messages follow Elastic's wording where Elastic has one.
 */
export function validateCustomRules(rules: unknown, scopeFields: string[], filterExists: (id: string) => boolean): CustomRule[] {
  if (rules === undefined || rules === null) return [];
  if (!Array.isArray(rules)) throw new VigilError('INVALID_ARGUMENT', '[custom_rules] must be an array');
  return rules.map((raw, i) => {
    const where = `custom_rules[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new VigilError('INVALID_ARGUMENT', `[${where}] must be an object`);
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (!['actions', 'scope', 'conditions'].includes(k)) throw new VigilError('INVALID_ARGUMENT', `[detection_rule] unknown field [${k}]`);
    }
    const actions = (r.actions ?? ['skip_result']) as unknown;
    if (!Array.isArray(actions) || actions.length === 0 || actions.some((a) => !ACTIONS.has(a as RuleAction))) {
      throw new VigilError('INVALID_ARGUMENT', `[${where}.actions] must be a non-empty list of skip_result, skip_model_update`);
    }
    const conditions = (r.conditions ?? []) as unknown;
    if (!Array.isArray(conditions)) throw new VigilError('INVALID_ARGUMENT', `[${where}.conditions] must be an array`);
    const conds = conditions.map((c, j) => {
      const cc = c as Record<string, unknown>;
      if (!cc || typeof cc !== 'object') throw new VigilError('INVALID_ARGUMENT', `[${where}.conditions[${j}]] must be an object`);
      if (!APPLIES.has(cc.applies_to as AppliesTo)) throw new VigilError('INVALID_ARGUMENT', `[${where}.conditions[${j}].applies_to] must be one of actual, typical, diff_from_typical, time`);
      if (!OPS.has(cc.operator as RuleOperator)) throw new VigilError('INVALID_ARGUMENT', `[${where}.conditions[${j}].operator] must be one of gt, gte, lt, lte`);
      if (typeof cc.value !== 'number' || !Number.isFinite(cc.value)) throw new VigilError('INVALID_ARGUMENT', `[${where}.conditions[${j}].value] must be a number`);
      return { applies_to: cc.applies_to, operator: cc.operator, value: cc.value } as RuleCondition;
    });
    const scope = (r.scope ?? undefined) as Record<string, unknown> | undefined;
    const outScope: Record<string, RuleScopeEntry> = {};
    if (scope !== undefined) {
      if (!scope || typeof scope !== 'object' || Array.isArray(scope)) throw new VigilError('INVALID_ARGUMENT', `[${where}.scope] must be an object`);
      for (const [field, entry] of Object.entries(scope)) {
        if (!scopeFields.includes(field)) {
          throw new VigilError(
            'INVALID_ARGUMENT',
            `Invalid detector rule: scope field '${field}' is invalid; select from [${scopeFields.join(', ')}]`,
          );
        }
        const e = entry as Record<string, unknown>;
        if (!e || typeof e.filter_id !== 'string') throw new VigilError('INVALID_ARGUMENT', `[${where}.scope.${field}.filter_id] is required`);
        const type = (e.filter_type ?? 'include') as string;
        if (type !== 'include' && type !== 'exclude') throw new VigilError('INVALID_ARGUMENT', `[${where}.scope.${field}.filter_type] must be include or exclude`);
        if (!filterExists(e.filter_id)) throw new VigilError('INVALID_ARGUMENT', `No filter with id [${e.filter_id}] exists`);
        outScope[field] = { filter_id: e.filter_id, filter_type: type };
      }
    }
    if (conds.length === 0 && Object.keys(outScope).length === 0) {
      throw new VigilError('INVALID_ARGUMENT', 'Invalid detector rule: at least scope or a condition is required');
    }
    return { actions: actions as RuleAction[], ...(Object.keys(outScope).length ? { scope: outScope } : {}), ...(conds.length ? { conditions: conds } : {}) };
  });
}

/** Elastic filter items may hold `*` wildcards (prefix, suffix, infix). */
export function matchesFilter(value: string, items: readonly string[]): boolean {
  for (const item of items) {
    if (!item.includes('*')) {
      if (item === value) return true;
      continue;
    }
    const re = new RegExp('^' + item.split('*').map(escapeRe).join('.*') + '$');
    if (re.test(value)) return true;
  }
  return false;
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function conditionHolds(c: RuleCondition, ctx: RuleContext): boolean {
  let x: number;
  switch (c.applies_to) {
    case 'actual':
      x = ctx.actual;
      break;
    case 'typical':
      x = ctx.typical;
      break;
    case 'diff_from_typical':
      x = Math.abs(ctx.actual - ctx.typical);
      break;
    case 'time':
      x = ctx.time / 1000;
      break;
  }
  if (!Number.isFinite(x)) return false;
  switch (c.operator) {
    case 'gt':
      return x > c.value;
    case 'gte':
      return x >= c.value;
    case 'lt':
      return x < c.value;
    case 'lte':
      return x <= c.value;
  }
}

/** True when `rule` applies to this result. */
export function ruleApplies(rule: CustomRule, ctx: RuleContext, filterItems: (id: string) => readonly string[] | undefined): boolean {
  for (const c of rule.conditions ?? []) if (!conditionHolds(c, ctx)) return false;
  for (const [field, entry] of Object.entries(rule.scope ?? {})) {
    const value = ctx.fields[field];
    if (value === undefined || value === null) return false;
    const items = filterItems(entry.filter_id) ?? [];
    const inFilter = matchesFilter(value, items);
    if ((entry.filter_type ?? 'include') === 'include' ? !inFilter : inFilter) return false;
  }
  return true;
}

/** The actions that apply to a result: rules combine with OR. */
export function decideRules(rules: readonly CustomRule[], ctx: RuleContext, filterItems: (id: string) => readonly string[] | undefined): RuleDecision {
  const d = { skipResult: false, skipModelUpdate: false };
  for (const rule of rules) {
    if (!ruleApplies(rule, ctx, filterItems)) continue;
    for (const a of rule.actions ?? ['skip_result']) {
      if (a === 'skip_result') d.skipResult = true;
      else d.skipModelUpdate = true;
    }
  }
  return d;
}
