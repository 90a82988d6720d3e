import { describe, expect, it } from 'vitest';
import { modelUpdateMayApply, modelUpdateRules } from './rule-evaluation.js';
import type { DetectorConfig, DetectionRule } from '../config.js';

const detector = { function: 'mean', field_name: 'v', partition_field_name: 'host' } as unknown as DetectorConfig;
const fields = (host: string) => ({ partition: host, by: null, over: null });
const T = Date.UTC(2024, 0, 1);

describe('skip_model_update rules asked before the model scores a bucket', () => {
  const rules: DetectionRule[] = [
    { actions: ['skip_model_update'], scope: { host: { filter_id: 'batch', filter_type: 'include' } }, conditions: [{ applies_to: 'actual', operator: 'gt', value: 100 }, { applies_to: 'diff_from_typical', operator: 'gt', value: 10 }] },
  ] as unknown as DetectionRule[];
  const filters = { batch: ['b*'] };
  const may = modelUpdateMayApply(rules, detector, T, filters)!;
  const applies = modelUpdateRules(rules, detector, T, filters)!;

  it('decides the scope and the conditions on actual, and takes those on typical as met', () => {
    expect(may(fields('web1'), 500)).toBe(false); // out of scope: never skipped, no copy needed
    expect(may(fields('b1'), 50)).toBe(false); // actual ≤ 100: never skipped
    expect(may(fields('b1'), 500)).toBe(true); // depends on typical
    expect(applies(fields('b1'), 500, 495)).toBe(false);
    expect(applies(fields('b1'), 500, 400)).toBe(true);
  });

  it('never says no where the rule applies (the copy is only skipped when it cannot)', () => {
    for (const host of ['b1', 'web1']) for (const actual of [0, 50, 100, 101, 500]) for (const typical of [NaN, 0, 95, 490, 1000]) {
      if (applies(fields(host), actual, typical)) expect(may(fields(host), actual)).toBe(true);
    }
  });

  it('is null without skip_model_update rules', () => {
    expect(modelUpdateMayApply([{ actions: ['skip_result'], conditions: [{ applies_to: 'actual', operator: 'gt', value: 1 }] }] as unknown as DetectionRule[], detector, T, filters)).toBeNull();
  });
});
