/**
 * The scalar function families (count, metric, distinct_count, info_content): which bucket
 * features a detector models with Vigil's default detector (one, or min/mean/max for `metric`),
 * and each feature's value from an entity's bucket accumulator.
 */
import { parseFunction, type FunctionSpec } from '../../../core/bucket/functions.js';
import { informationContent } from '../../../core/detect/info-content/info-content.js';
import type { FunctionInfo } from '../functions.js';
import type { SlotAcc } from '../slot-acc.js';

/** A feature of the scalar families: what the default detector models. */
export interface Feature {
  description: string;
  fn: FunctionSpec;
}

const FUNCTION_DESCRIPTIONS: Record<string, string> = {
  count: 'count',
  non_zero_count: 'non_zero_count',
  distinct_count: 'distinct_count',
  mean: 'mean',
  median: 'median',
  min: 'min',
  max: 'max',
  sum: 'sum',
  non_null_sum: 'non_null_sum',
  varp: 'varp',
  metric: 'metric',
};

/** The features a function models (none for rare, time and lat_long). */
export function featuresOf(info: FunctionInfo): Feature[] {
  const features: Feature[] = [];
  if (info.bucketFunction) {
    if (info.bucketFunction === 'metric') {
      for (const f of ['min', 'mean', 'max']) features.push({ description: f, fn: parseFunction(f) });
    } else {
      const fn = parseFunction(info.bucketFunction);
      features.push({ description: FUNCTION_DESCRIPTIONS[fn.base], fn });
    }
  } else if (info.family === 'info_content') {
    // information content is a non-negative size, modelled like a sum with the function's side
    const fn = { ...parseFunction(info.side === 'both' ? 'sum' : `${info.side}_sum`), isCount: false, emptyIsZero: true };
    features.push({ description: 'info_content', fn });
  }
  return features;
}

/** The feature that stands for the bucket where only one is used (population models, forecasts): the mean of `metric`. */
export function mainFeature(features: readonly Feature[]): number {
  return features.length === 3 ? 1 : 0;
}

/** The bucket value of a scalar feature from an entity's accumulator (empty: 0 or missing per function). */
export function featureValue(acc: SlotAcc | undefined, fn: FunctionSpec, family: string): number {
  const empty = !acc || acc.count === 0;
  if (family === 'info_content') return empty || !acc.terms ? 0 : informationContent(acc.terms.keys());
  if (empty) return fn.emptyIsZero ? 0 : NaN;
  switch (fn.base) {
    case 'count':
    case 'non_zero_count':
      return acc.count;
    case 'distinct_count':
      return acc.terms ? acc.terms.size : 0;
    case 'mean':
      return acc.mean();
    case 'median':
      return acc.median();
    case 'min':
      return acc.n ? acc.min : NaN;
    case 'max':
      return acc.n ? acc.max : NaN;
    case 'sum':
    case 'non_null_sum':
      return acc.n ? acc.dsum + acc.n * acc.shift : fn.emptyIsZero ? 0 : NaN;
    case 'varp':
      return acc.varp();
    case 'metric':
      return acc.mean();
  }
  return NaN;
}
