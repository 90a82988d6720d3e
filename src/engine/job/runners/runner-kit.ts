/**
 * What every runner of one detector shares: the detector's configuration read once (function,
 * features, field getters, tracked influencers, exclude_frequent), how a record's split values and
 * its value are read and added to an accumulator, and the gate on new entities at the hard memory
 * limit (with the count of refusals in the open bucket).
 */
import { parseGeoPoint } from '../../../core/detect/lat-long/geo-model.js';
import type { DetectorConfig } from '../config.js';
import type { RecordInput, RunnerEnv } from '../detector-runner.js';
import { fieldGetter, numberOf, termOf, type FieldGetter } from '../field-access.js';
import { lookupFunction, type FunctionInfo } from '../functions.js';
import type { SlotAcc } from '../slot-acc.js';
import { ExcludeFrequent } from './exclude-frequent.js';
import { featuresOf, type Feature } from './features.js';

/** Finds (or opens) the accumulator a record's value goes to; null when the record can't be used. */
export type AccFor = (r: RecordInput, partition: string | null, by: string | null) => SlotAcc | null;

export class RunnerKit {
  readonly info: FunctionInfo;
  readonly features: Feature[];
  /** Whether a bucket's values are kept (a median feature): fixed once the features are. */
  readonly keepValues: boolean;
  readonly fieldGet: FieldGetter | null;
  readonly byGet: FieldGetter | null;
  readonly overGet: FieldGetter | null;
  readonly partitionGet: FieldGetter | null;
  /** Influencer field indices to track per entity (those not already a split field). */
  private readonly trackedInfluencers: number[] = [];
  readonly frequent: ExcludeFrequent;
  /** Entities refused at the hard memory limit since the last bucket closed. */
  refused = 0;

  constructor(
    readonly config: DetectorConfig,
    readonly env: RunnerEnv,
  ) {
    this.info = lookupFunction(config.function) as FunctionInfo;
    this.fieldGet = config.field_name !== undefined ? fieldGetter(config.field_name) : null;
    this.byGet = config.by_field_name !== undefined ? fieldGetter(config.by_field_name) : null;
    this.overGet = config.over_field_name !== undefined ? fieldGetter(config.over_field_name) : null;
    this.partitionGet = config.partition_field_name !== undefined ? fieldGetter(config.partition_field_name) : null;
    this.frequent = new ExcludeFrequent(config, env.bucketSpanMs);
    const splits = new Set([config.by_field_name, config.over_field_name, config.partition_field_name]);
    env.influencerFields.forEach((f, i) => {
      if (!splits.has(f)) this.trackedInfluencers.push(i);
    });
    this.features = featuresOf(this.info);
    this.keepValues = this.features.some((f) => f.fn.base === 'median');
  }

  /** The function description Elastic reports for this detector (`count` for `low_count`…). */
  get functionDescription(): string {
    switch (this.info.family) {
      case 'time':
        return 'time';
      case 'lat_long':
        return 'lat_long';
      case 'rare':
        return this.info.name;
      case 'info_content':
        return 'info_content';
      default:
        return this.features.length === 1 ? this.features[0].description : 'metric';
    }
  }

  /** A split field's value: null without the field in the config, undefined when the record lacks it (without use_null). */
  splitValue(get: FieldGetter | null, doc: Record<string, unknown>): string | null | undefined {
    if (!get) return null;
    const t = termOf(get(doc));
    if (t !== null) return t;
    return this.config.use_null ? '' : undefined;
  }

  /** A record's over member, noted for exclude_frequent; undefined when it has none. */
  overOf(r: RecordInput): string | undefined {
    const over = this.splitValue(this.overGet, r.doc);
    if (over === undefined || over === null) return undefined;
    if (this.frequent.over) this.frequent.touch('o', over, r.bucket);
    return over;
  }

  /** Asks for room for one more entity; a refusal is counted. */
  admit(): boolean {
    if (this.env.allowNewEntity()) return true;
    this.refused++;
    return false;
  }

  /**
   * Adds the value a record brings (a number, a term, its time or a location, per family; nothing
   * more than its weight for counts) to the accumulator `accFor` gives. False when the record has
   * no usable value or no accumulator.
   */
  addValue(r: RecordInput, partition: string | null, by: string | null, accFor: AccFor): boolean {
    let num = NaN;
    let term: string | null = null;
    let geo: [number, number] | null = null;
    const fam = this.info.family;
    if (fam === 'metric') {
      num = numberOf(this.fieldGet!(r.doc));
      if (!Number.isFinite(num)) return false;
    } else if (fam === 'distinct_count' || fam === 'info_content') {
      term = termOf(this.fieldGet!(r.doc));
      if (term === null) return false;
    } else if (fam === 'lat_long') {
      geo = parseGeoPoint(this.fieldGet!(r.doc));
      if (geo === null) return false;
    }
    const acc = accFor(r, partition, by);
    if (!acc) return false;
    acc.count += r.weight;
    if (fam === 'metric') acc.addValue(num, r.weight, this.keepValues);
    else if (term !== null) acc.addTerm(term, r.weight);
    else if (fam === 'time') acc.addPoint(r.time);
    else if (geo) acc.addPoint(geo[0], geo[1]);
    this.trackInfluence(acc, r);
    return true;
  }

  /** Notes the record's influencer values (of the fields that are not split fields). */
  trackInfluence(acc: SlotAcc, r: RecordInput): void {
    const n = this.env.influencerFields.length;
    for (const i of this.trackedInfluencers) {
      const v = r.influencers[i];
      if (v !== null) acc.addInfluence(i, n, v, r.weight);
    }
  }
}

/** The key of an entity or group: its partition and by value. */
export function entityKey(partition: string | null, by: string | null): string {
  return partition === null ? (by ?? '') : by === null ? partition : `${partition}\u0001${by}`;
}

/** Distinct by values and partitions of a runner's entities or groups, for model_size_stats. */
export function splitCounts(items: Iterable<{ partition: string | null; by: string | null }>): { by: number; partition: number } {
  const byValues = new Set<string>();
  const partitions = new Set<string>();
  for (const e of items) {
    if (e.by !== null) byValues.add(e.by);
    if (e.partition !== null) partitions.add(e.partition);
  }
  return { by: byValues.size, partition: partitions.size };
}

/** Approximate bytes of an open-bucket accumulator. */
export function slotBytes(s: SlotAcc): number {
  let b = 120;
  if (s.values) b += 8 * s.values.length;
  if (s.terms) for (const k of s.terms.keys()) b += 48 + 2 * k.length;
  if (s.points) b += 8 * s.points.length;
  if (s.influence) for (const m of s.influence) for (const k of m.keys()) b += 48 + 2 * k.length;
  return b;
}
