import { describe, expect, it } from 'vitest';
import { decideRules, matchesFilter, validateCustomRules, type CustomRule } from './custom-rules.js';

const filters: Record<string, string[]> = { safe_domains: ['safe.com', '*.trusted.com'], hosts: ['web-1'] };
const items = (id: string): string[] | undefined => filters[id];
const ctx = (over: Partial<Parameters<typeof decideRules>[1]> = {}) => ({ actual: 5, typical: 10, time: Date.UTC(2024, 0, 1), fields: { domain: 'safe.com', host: 'web-2' }, ...over });

describe('custom rules', () => {
  it('skips results whose actual is below a threshold (conditions ANDed)', () => {
    const rules: CustomRule[] = [{ actions: ['skip_result'], conditions: [{ applies_to: 'actual', operator: 'lt', value: 10 }] }];
    expect(decideRules(rules, ctx(), items)).toEqual({ skipResult: true, skipModelUpdate: false });
    expect(decideRules(rules, ctx({ actual: 12 }), items).skipResult).toBe(false);
    const both: CustomRule[] = [{ conditions: [{ applies_to: 'actual', operator: 'gte', value: 1 }, { applies_to: 'diff_from_typical', operator: 'gt', value: 6 }] }];
    expect(decideRules(both, ctx(), items).skipResult).toBe(false); // |5 − 10| = 5 ≤ 6
    expect(decideRules(both, ctx({ actual: 2 }), items).skipResult).toBe(true); // default action skip_result
  });

  it('conditions on typical and on time (epoch seconds)', () => {
    const t = Date.UTC(2024, 0, 1) / 1000;
    const rules: CustomRule[] = [
      { actions: ['skip_model_update'], conditions: [{ applies_to: 'time', operator: 'gte', value: t }, { applies_to: 'time', operator: 'lt', value: t + 3600 }] },
    ];
    expect(decideRules(rules, ctx(), items)).toEqual({ skipResult: false, skipModelUpdate: true });
    expect(decideRules(rules, ctx({ time: Date.UTC(2024, 0, 1, 2) }), items).skipModelUpdate).toBe(false);
    expect(decideRules([{ conditions: [{ applies_to: 'typical', operator: 'lte', value: 10 }] }], ctx(), items).skipResult).toBe(true);
  });

  it('scopes by filter with include / exclude and wildcards; rules combine with OR', () => {
    const include: CustomRule[] = [{ actions: ['skip_result'], scope: { domain: { filter_id: 'safe_domains' } } }];
    expect(decideRules(include, ctx(), items).skipResult).toBe(true);
    expect(decideRules(include, ctx({ fields: { domain: 'api.trusted.com' } }), items).skipResult).toBe(true);
    expect(decideRules(include, ctx({ fields: { domain: 'evil.com' } }), items).skipResult).toBe(false);
    const exclude: CustomRule[] = [{ scope: { host: { filter_id: 'hosts', filter_type: 'exclude' } } }];
    expect(decideRules(exclude, ctx(), items).skipResult).toBe(true); // web-2 not in hosts
    expect(decideRules(exclude, ctx({ fields: { host: 'web-1' } }), items).skipResult).toBe(false);
    const either = [...include, { actions: ['skip_model_update'], conditions: [{ applies_to: 'actual', operator: 'gt', value: 100 }] }] as CustomRule[];
    expect(decideRules(either, ctx({ actual: 200, fields: { domain: 'evil.com' } }), items)).toEqual({ skipResult: false, skipModelUpdate: true });
  });

  it('matches wildcards at either end or in the middle', () => {
    expect(matchesFilter('abc.example.org', ['*.example.org'])).toBe(true);
    expect(matchesFilter('prod-db-7', ['prod-*-7'])).toBe(true);
    expect(matchesFilter('a.b', ['a*'])).toBe(true);
    expect(matchesFilter('xa.b', ['a*'])).toBe(false);
    expect(matchesFilter('a+b', ['a+b'])).toBe(true);
  });

  it('validates rules with clear messages', () => {
    const exists = (id: string): boolean => id in filters;
    expect(validateCustomRules([{ conditions: [{ applies_to: 'actual', operator: 'lt', value: 3 }] }], [], exists)[0].actions).toEqual(['skip_result']);
    expect(() => validateCustomRules([{}], [], exists)).toThrow(/at least scope or a condition/);
    expect(() => validateCustomRules([{ scope: { airline: { filter_id: 'hosts' } } }], ['host'], exists)).toThrow(/scope field 'airline' is invalid; select from \[host\]/);
    expect(() => validateCustomRules([{ scope: { host: { filter_id: 'nope' } } }], ['host'], exists)).toThrow(/No filter with id \[nope\]/);
    expect(() => validateCustomRules([{ conditions: [{ applies_to: 'actual', operator: 'eq', value: 3 }] }], [], exists)).toThrow(/operator/);
    expect(() => validateCustomRules([{ actions: ['delete'], conditions: [{ applies_to: 'actual', operator: 'lt', value: 3 }] }], [], exists)).toThrow(/actions/);
    expect(() => validateCustomRules([{ foo: 1 }], [], exists)).toThrow(/unknown field \[foo\]/);
  });
});
