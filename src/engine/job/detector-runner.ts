/**
 * One detector of a job at work: routes each record to its entity (partition × by value, or a
 * population group and its over member, or a rare-value group), accumulates the open buckets, and
 * when a bucket closes runs the entity models and returns anomalous records (Elastic-shaped, raw
 * score not yet normalised) and model-plot points.
 *
 * Three shapes, chosen from the detector configuration:
 * - series: one model per (partition, by) entity, fed the bucket's value (count, mean, distinct
 *   count, information content… → Vigil's default detector; time_of_day/week → time model;
 *   lat_long → location model);
 * - population (over_field_name): one model per (partition, by) of the population, each over
 *   member's bucket value scored against it; records per member carry `causes`;
 * - rare / freq_rare: one rarity model per partition over the by values (per member with over).
 *
 * Interim results score a copy of the models (via their versioned state), so the real models
 * learn each bucket exactly once, when it is final.
 */
import { parseFunction, type FunctionSpec } from '../../core/bucket/functions.js';
import { newOutput, type Detector, type DetectorOutput } from '../../core/detect/detector.js';
import { scoreFromSurprise } from '../../core/score/calibrator.js';
import { informationContent } from '../../core/detect/info-content/info-content.js';
import { GeoModel, newGeoScore, parseGeoPoint } from '../../core/detect/lat-long/geo-model.js';
import { PopulationModel, newPopulationScore } from '../../core/detect/population/population-model.js';
import { RareModel, newRareScore } from '../../core/detect/rare/rare-model.js';
import { createDetector, restoreDetector } from '../../core/detect/registry.js';
import { TimeModel, newTimeScore, timeModelSpec } from '../../core/detect/time-of-day/time-model.js';
import '../../core/detect/default/default-detector.js';
import type { ModelState } from '../../core/state.js';
import { BucketHistory, historyCapacity, type BucketHistoryState } from './bucket-history.js';
import type { DetectorConfig } from './config.js';
import { fieldGetter, numberOf, termOf, type FieldGetter } from './field-access.js';
import { lookupFunction, type FunctionInfo } from './functions.js';
import type { AnomalyCause, AnomalyScoreExplanation, Influence, ModelPlotDoc, RecordDoc } from './results.js';
import { SlotAcc, type SlotAccState } from './slot-acc.js';

/** What the job lends each detector. */
export interface RunnerEnv {
  jobId: string;
  bucketSpanMs: number;
  /** Open buckets one entity may have at once (latency / span + 2). */
  ringSize: number;
  influencerFields: readonly string[];
  /** Asked before a new entity is modelled; false at the hard memory limit. */
  allowNewEntity(): boolean;
  modelPlot: { enabled: boolean; terms: ReadonlySet<string> | null };
}

/** An anomalous record before the job normalises its score. */
export interface PendingRecord {
  doc: RecordDoc;
  /** Raw 0–100 score from the model. */
  raw: number;
  influences: Influence[];
}

export interface BucketOutput {
  records: PendingRecord[];
  plots: ModelPlotDoc[];
  /** Model changes seen in this (final) bucket: the source of model-change annotations. */
  changes: ModelChange[];
}

/** A change of an entity's model, observed from the default detector's outputs. */
export interface ModelChange {
  kind: 'seasonality_added' | 'seasonality_removed' | 'level_shift' | 'trend_change';
  text: string;
  partition: string | null;
  by: string | null;
}

/**
 * What the job tells a detector about one bucket beyond its data: the model's clock (bucket
 * time plus the force_time_shift of scheduled events so far), whether a scheduled event stops the
 * models learning it, and the detector's skip_model_update rules.
 */
export interface BucketControl {
  /** Milliseconds added to the time the models see (clock changes). */
  shiftMs: number;
  /** A scheduled event with skip_model_update covers the bucket: no model learns from it. */
  skipModelUpdate: boolean;
  /** skip_model_update custom rules: true when this entity's bucket must not be learned. */
  skipUpdate: ((fields: { partition: string | null; by: string | null; over: string | null }, actual: number, typical: number) => boolean) | null;
}

const NO_CONTROL: BucketControl = { shiftMs: 0, skipModelUpdate: false, skipUpdate: null };

/** One record as the job hands it to every detector. */
export interface RecordInput {
  doc: Record<string, unknown>;
  time: number;
  bucket: number;
  /** Ring slot of the bucket. */
  slot: number;
  weight: number;
  /** Term of each influencer field (null when missing). */
  influencers: (string | null)[];
}

type SeriesModel = Detector | TimeModel | GeoModel;

interface SeriesEntity {
  partition: string | null;
  by: string | null;
  models: SeriesModel[];
  /** Seasonal periods (ms) each default-detector model used after the last final bucket (model-change annotations). */
  periods?: (number[] | null)[];
  /** Trend direction (−1, 0, +1) each default-detector model saw after the last final bucket. */
  trends?: number[];
  slots: (SlotAcc | undefined)[];
  lastSeen: number;
  /** Bucket of the entity's first record: earlier buckets are not its to learn. */
  born: number;
  run: number;
  /** Final bucket values for `_forecast` (bucket-history.ts); absent for time and lat_long. */
  hist?: BucketHistory;
}

interface Group {
  partition: string | null;
  by: string | null;
  model: PopulationModel | TimeModel | GeoModel | RareModel;
  open: Map<number, Map<string, SlotAcc>>;
  lastSeen: number;
}

type Shape = 'series' | 'population' | 'rare';

/** Features of the scalar families: what the default detector models. */
interface Feature {
  description: string;
  fn: FunctionSpec;
}

export interface DetectorRunnerState {
  entities?: { p: string | null; b: string | null; m: ModelState[]; s: (SlotAccState | null)[]; l: number; f: number; r: number; h?: BucketHistoryState }[];
  groups?: { p: string | null; b: string | null; m: ModelState; o: [number, [string, SlotAccState][]][]; l: number }[];
  over?: [string, number][];
  freq?: [string, number, number][];
  /** Seasonal periods each entity's models used (model-change annotations), by entity key. */
  periods?: Record<string, (number[] | null)[]>;
  /** Trend directions each entity's models saw (model-change annotations), by entity key. */
  trends?: Record<string, number[]>;
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

export class DetectorRunner {
  readonly info: FunctionInfo;
  readonly shape: Shape;
  private readonly features: Feature[] = [];
  /** Whether a bucket's values are kept (a median feature): fixed once the features are. */
  private readonly keepValues: boolean;
  private readonly fieldGet: FieldGetter | null;
  private readonly byGet: FieldGetter | null;
  private readonly overGet: FieldGetter | null;
  private readonly partitionGet: FieldGetter | null;
  /** Influencer field indices to track per entity (those not already a split field), and their role otherwise. */
  private readonly trackedInfluencers: number[] = [];
  private readonly entities = new Map<string, SeriesEntity>();
  private readonly groups = new Map<string, Group>();
  /** Over members seen (population and rare-over), with the bucket they were last seen in. */
  private readonly overSeen = new Map<string, number>();
  /** Entities refused at the hard memory limit since the last bucket closed. */
  refusedInBucket = 0;
  /** exclude_frequent: results of frequent by values / over members are left out. */
  private readonly excludeBy: boolean;
  private readonly excludeOver: boolean;
  /** Presence of by values ('b…') and over members ('o…'): decayed bucket count and last bucket. */
  private readonly frequency = new Map<string, [number, number]>();
  private readonly freqDecay = Math.exp(-Math.LN2 / 200);
  private readonly out: DetectorOutput = newOutput();
  /** The feature whose bucket values are kept for forecasts (mean for `metric`); -1: none. */
  private readonly historyFeature: number;
  private readonly historyCap: number;

  constructor(
    readonly config: DetectorConfig,
    private readonly env: RunnerEnv,
  ) {
    this.info = lookupFunction(config.function) as FunctionInfo;
    const info = this.info;
    this.shape = info.family === 'rare' ? 'rare' : config.over_field_name !== undefined ? 'population' : 'series';
    this.fieldGet = config.field_name !== undefined ? fieldGetter(config.field_name) : null;
    this.byGet = config.by_field_name !== undefined ? fieldGetter(config.by_field_name) : null;
    this.overGet = config.over_field_name !== undefined ? fieldGetter(config.over_field_name) : null;
    this.partitionGet = config.partition_field_name !== undefined ? fieldGetter(config.partition_field_name) : null;
    const ef = config.exclude_frequent;
    this.excludeBy = (ef === 'all' || ef === 'by') && config.by_field_name !== undefined;
    this.excludeOver = (ef === 'all' || ef === 'over') && config.over_field_name !== undefined;
    const splits = new Set([config.by_field_name, config.over_field_name, config.partition_field_name]);
    env.influencerFields.forEach((f, i) => {
      if (!splits.has(f)) this.trackedInfluencers.push(i);
    });
    if (info.bucketFunction) {
      if (info.bucketFunction === 'metric') {
        for (const f of ['min', 'mean', 'max']) this.features.push({ description: f, fn: parseFunction(f) });
      } else {
        const fn = parseFunction(info.bucketFunction);
        this.features.push({ description: FUNCTION_DESCRIPTIONS[fn.base], fn });
      }
    } else if (info.family === 'info_content') {
      // information content is a non-negative size, modelled like a sum with the function's side
      const fn = { ...parseFunction(info.side === 'both' ? 'sum' : `${info.side}_sum`), isCount: false, emptyIsZero: true };
      this.features.push({ description: 'info_content', fn });
    }
    this.keepValues = this.features.some((f) => f.fn.base === 'median');
    this.historyFeature = this.shape !== 'series' || this.features.length === 0 || info.family === 'info_content' ? -1 : this.features.length === 3 ? 1 : 0;
    this.historyCap = historyCapacity(env.bucketSpanMs);
  }

  /** Each series entity's kept bucket values (oldest first), for `_forecast`. */
  histories(): { partition: string | null; by: string | null; time: Float64Array; value: Float64Array }[] {
    const out: { partition: string | null; by: string | null; time: Float64Array; value: Float64Array }[] = [];
    for (const e of this.entities.values()) if (e.hist) out.push({ partition: e.partition, by: e.by, ...e.hist.series(this.env.bucketSpanMs) });
    return out;
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

  // ------------------------------------------------------------------------------------------
  // records in

  /**
   * Adds one record. Returns false when this detector could not use it (a split field missing
   * without use_null, no usable value, or refused at the memory limit).
   */
  add(r: RecordInput): boolean {
    const partition = this.splitValue(this.partitionGet, r.doc);
    if (partition === undefined) return false;
    if (this.shape === 'rare') return this.addRare(r, partition);
    const by = this.splitValue(this.byGet, r.doc);
    if (by === undefined) return false;
    if (this.excludeBy && by !== null) this.touch('b', by, r.bucket);
    // the value this record brings
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
    let acc: SlotAcc;
    if (this.shape === 'series') {
      const key = partition === null ? (by ?? '') : by === null ? partition : `${partition}\u0001${by}`;
      let e = this.entities.get(key);
      if (!e) {
        if (!this.env.allowNewEntity()) {
          this.refusedInBucket++;
          return false;
        }
        e = { partition, by, models: this.newSeriesModels(), slots: new Array(this.env.ringSize), lastSeen: r.bucket, born: r.bucket, run: 0 };
        this.entities.set(key, e);
      }
      e.lastSeen = r.bucket;
      let s = e.slots[r.slot];
      if (!s) {
        s = new SlotAcc();
        s.reset(r.bucket);
        e.slots[r.slot] = s;
      } else if (s.bucket !== r.bucket) s.reset(r.bucket);
      acc = s;
    } else {
      const over = this.splitValue(this.overGet, r.doc);
      if (over === undefined || over === null) return false;
      if (this.excludeOver) this.touch('o', over, r.bucket);
      const member = this.memberAcc(partition, by, over, r.bucket);
      if (!member) return false;
      acc = member;
    }
    acc.count += r.weight;
    if (fam === 'metric') acc.addValue(num, r.weight, this.keepValues);
    else if (term !== null) acc.addTerm(term, r.weight);
    else if (fam === 'time') acc.addPoint(r.time);
    else if (geo) acc.addPoint(geo[0], geo[1]);
    this.trackInfluence(acc, r);
    return true;
  }

  private splitValue(get: FieldGetter | null, doc: Record<string, unknown>): string | null | undefined {
    if (!get) return null;
    const t = termOf(get(doc));
    if (t !== null) return t;
    return this.config.use_null ? '' : undefined;
  }

  private trackInfluence(acc: SlotAcc, r: RecordInput): void {
    const n = this.env.influencerFields.length;
    for (const i of this.trackedInfluencers) {
      const v = r.influencers[i];
      if (v !== null) acc.addInfluence(i, n, v, r.weight);
    }
  }

  private groupFor(partition: string | null, by: string | null, bucket: number): Group | null {
    const key = partition === null ? (by ?? '') : by === null ? partition : `${partition}\u0001${by}`;
    let g = this.groups.get(key);
    if (!g) {
      if (!this.env.allowNewEntity()) {
        this.refusedInBucket++;
        return null;
      }
      g = { partition, by, model: this.newGroupModel(), open: new Map(), lastSeen: bucket };
      this.groups.set(key, g);
    }
    g.lastSeen = bucket;
    return g;
  }

  private memberAcc(partition: string | null, by: string | null, member: string, bucket: number): SlotAcc | null {
    if (this.overGet) {
      if (!this.overSeen.has(member)) {
        if (!this.env.allowNewEntity()) {
          this.refusedInBucket++;
          return null;
        }
      }
      this.overSeen.set(member, bucket);
    }
    const g = this.groupFor(partition, by, bucket);
    if (!g) return null;
    let members = g.open.get(bucket);
    if (!members) {
      members = new Map();
      g.open.set(bucket, members);
    }
    let acc = members.get(member);
    if (!acc) {
      acc = new SlotAcc();
      acc.reset(bucket);
      members.set(member, acc);
    }
    return acc;
  }

  private addRare(r: RecordInput, partition: string | null): boolean {
    const by = this.splitValue(this.byGet, r.doc);
    if (by === undefined || by === null) return false;
    if (this.excludeBy) this.touch('b', by, r.bucket);
    let acc: SlotAcc | null;
    if (this.overGet) {
      const over = this.splitValue(this.overGet, r.doc);
      if (over === undefined || over === null) return false;
      if (this.excludeOver) this.touch('o', over, r.bucket);
      acc = this.memberAcc(partition, null, over, r.bucket);
      if (!acc) return false;
      acc.addTerm(by, r.weight);
    } else {
      acc = this.memberAcc(partition, null, by, r.bucket);
      if (!acc) return false;
    }
    acc.count += r.weight;
    this.trackInfluence(acc, r);
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // models

  private newSeriesModels(): SeriesModel[] {
    const span = this.env.bucketSpanMs;
    if (this.info.family === 'time') return [new TimeModel(timeModelSpec(this.info.periodMs as number))];
    if (this.info.family === 'lat_long') return [new GeoModel()];
    return this.features.map((f) => createDetector('default', { bucketSpanMs: span, side: f.fn.side, isCount: f.fn.isCount }));
  }

  private newGroupModel(): Group['model'] {
    switch (this.info.family) {
      case 'rare':
        return new RareModel();
      case 'time':
        return new TimeModel(timeModelSpec(this.info.periodMs as number));
      case 'lat_long':
        return new GeoModel();
      default: {
        const f = this.features[this.features.length === 3 ? 1 : 0].fn; // metric: the mean
        return new PopulationModel({ side: f.side, isCount: f.isCount || this.info.family === 'info_content' });
      }
    }
  }

  private static restore(state: ModelState): SeriesModel | Group['model'] {
    switch (state.type) {
      case 'population':
        return PopulationModel.fromState(state);
      case 'rare':
        return RareModel.fromState(state);
      case 'time_of_day':
        return TimeModel.fromState(state);
      case 'lat_long':
        return GeoModel.fromState(state);
      default:
        return restoreDetector(state);
    }
  }

  /** A copy of a model through its state (for interim scoring). */
  private static copy<M extends SeriesModel | Group['model']>(m: M): M {
    return DetectorRunner.restore(m.toState()) as M;
  }

  // ------------------------------------------------------------------------------------------
  // bucket out

  /**
   * Closes (or, with `interim`, previews) the bucket starting at `bucket` (ring slot `slot`).
   * Final: every model learns it and stale entities are pruned. Interim: models are copied, only
   * entities with data in the bucket are scored, nothing is learned or cleared.
   */
  finishBucket(bucket: number, slot: number, interim: boolean, pruneBefore: number, control: BucketControl = NO_CONTROL): BucketOutput {
    const out: BucketOutput = { records: [], plots: [], changes: [] };
    if (this.shape === 'series') this.finishSeries(bucket, slot, interim, pruneBefore, out, control);
    else if (this.shape === 'population') this.finishPopulation(bucket, interim, pruneBefore, out, control);
    else this.finishRare(bucket, interim, pruneBefore, out, control);
    if (this.excludeBy || this.excludeOver) out.records = out.records.filter((r) => this.keepUnlessFrequent(r.doc, bucket));
    if (!interim) {
      this.refusedInBucket = 0;
      if (this.frequency.size > 0) this.pruneFrequency(pruneBefore);
    }
    return out;
  }

  /** Notes that a by value or over member appeared in a bucket. */
  private touch(role: 'b' | 'o', value: string, bucket: number): void {
    const key = role + value;
    const f = this.frequency.get(key);
    if (!f) this.frequency.set(key, [1, bucket]);
    else if (f[1] !== bucket) {
      f[0] = f[0] * Math.pow(this.freqDecay, (bucket - f[1]) / this.env.bucketSpanMs) + 1;
      f[1] = bucket;
    }
  }

  /** Frequent: present in more than half of the recent buckets (half-life 200 buckets). */
  private isFrequent(role: 'b' | 'o', value: string, bucket: number): boolean {
    const f = this.frequency.get(role + value);
    if (!f) return false;
    const w = f[0] * Math.pow(this.freqDecay, Math.max(0, bucket - f[1]) / this.env.bucketSpanMs);
    return w * (1 - this.freqDecay) > 0.5;
  }

  private keepUnlessFrequent(doc: RecordDoc, bucket: number): boolean {
    if (this.excludeOver && doc.over_field_value !== undefined && this.isFrequent('o', doc.over_field_value, bucket)) return false;
    if (this.excludeBy) {
      if (doc.by_field_value !== undefined && this.isFrequent('b', doc.by_field_value, bucket)) return false;
      if (doc.causes) {
        doc.causes = doc.causes.filter((c) => c.by_field_value === undefined || !this.isFrequent('b', c.by_field_value, bucket));
        if (doc.causes.length === 0) return false;
      }
    }
    return true;
  }

  private pruneFrequency(before: number): void {
    for (const [k, f] of this.frequency) if (f[1] < before) this.frequency.delete(k);
  }

  private finishSeries(bucket: number, slot: number, interim: boolean, pruneBefore: number, out: BucketOutput, ctl: BucketControl): void {
    const o = this.out;
    const modelTime = bucket + ctl.shiftMs;
    for (const [key, e] of this.entities) {
      if (!interim && e.lastSeen < pruneBefore) {
        this.entities.delete(key);
        continue;
      }
      const s = e.slots[slot];
      const acc = s !== undefined && s.bucket === bucket ? s : undefined;
      if ((interim && !acc) || bucket < e.born) continue;
      const models = interim ? e.models.map((m) => DetectorRunner.copy(m)) : e.models;
      let best: { raw: number; doc: Partial<RecordDoc>; probability: number } | null = null;
      const fields = { partition: e.partition, by: e.by, over: null };
      if (this.info.family === 'time') {
        const times = shiftTimes(acc?.points ?? [], ctl.shiftMs);
        const m = models[0] as TimeModel;
        const ts = newTimeScore();
        m.score(times, ts);
        const skip = ctl.skipModelUpdate || (ctl.skipUpdate !== null && ctl.skipUpdate(fields, ts.actualSeconds, ts.typicalSeconds));
        if (!interim && !skip) m.learn(times);
        if (ts.score > 0) {
          best = {
            raw: ts.score,
            probability: ts.probability,
            doc: { actual: [ts.actualSeconds], typical: [ts.typicalSeconds], multi_bucket_impact: -5 },
          };
        }
      } else if (this.info.family === 'lat_long') {
        const pts = acc?.points ?? [];
        const m = models[0] as GeoModel;
        const gs = newGeoScore();
        m.score(pts, gs);
        if (!interim && !ctl.skipModelUpdate && !(ctl.skipUpdate !== null && ctl.skipUpdate(fields, NaN, NaN))) m.learn(pts);
        if (gs.score > 0) {
          best = {
            raw: gs.score,
            probability: gs.probability,
            doc: {
              actual: [...gs.actual],
              typical: [...gs.typical],
              multi_bucket_impact: -5,
              geo_results: { actual_point: `${gs.actual[0]},${gs.actual[1]}`, typical_point: `${gs.typical[0]},${gs.typical[1]}` },
            },
          };
        }
      } else {
        for (let f = 0; f < this.features.length; f++) {
          const feature = this.features[f];
          const value = featureValue(acc, feature.fn, this.info.family);
          let d = models[f] as Detector;
          // a bucket the model must not learn: score a copy, keep the model as it was
          const guard = !interim && (ctl.skipModelUpdate || ctl.skipUpdate !== null);
          const before = guard ? DetectorRunner.copy(d) : null;
          d.update(modelTime, value, o);
          if (before && (ctl.skipModelUpdate || ctl.skipUpdate!(fields, value, o.typical))) {
            models[f] = before;
            d = before;
          } else if (!interim) this.observeChange(e, f, d, o, value, out);
          if (!interim && f === this.historyFeature) (e.hist ??= new BucketHistory(this.historyCap)).push(bucket, value, this.env.bucketSpanMs);
          if (this.env.modelPlot.enabled && !Number.isNaN(o.typical) && this.plotAllowed(e.partition, e.by)) {
            out.plots.push(this.plotDoc(bucket, e.partition, e.by, null, feature.description, o, value, interim));
          }
          if (o.score > 0 && (!best || o.score > best.raw)) {
            best = {
              raw: o.score,
              probability: o.probability,
              doc: {
                actual: [value],
                typical: [o.typical],
                multi_bucket_impact: o.multiBucketImpact,
                function_description: feature.description,
                anomaly_score_explanation: explanation(o, value, e.run + 1),
              },
            };
          }
        }
      }
      if (best) {
        const doc = this.recordDoc(bucket, interim, best.probability, e.partition, e.by, null);
        Object.assign(doc, best.doc);
        out.records.push({ doc, raw: best.raw, influences: this.influencesOf(acc, e.partition, e.by, null) });
      }
      if (!interim) {
        e.run = best ? e.run + 1 : 0;
        if (acc) acc.reset(NaN);
      }
    }
  }

  /** Model changes of a default-detector model after it learned a final bucket. */
  private observeChange(e: SeriesEntity, f: number, d: Detector, o: DetectorOutput, value: number, out: BucketOutput): void {
    const model = d as Detector & { activePeriods?: () => number[]; activeComponentCount?: () => number };
    if (typeof model.activePeriods !== 'function') return;
    if (!e.periods) e.periods = [];
    const was = e.periods[f];
    // the periods list is only built when the number of seasonal components changed (the common
    // case, nothing changed, costs one call and no allocation: it was ~6 % of the engine's time)
    const count = typeof model.activeComponentCount === 'function' ? model.activeComponentCount() : -1;
    const now = was !== undefined && was !== null && count === was.length ? was : model.activePeriods();
    if (was !== undefined && was !== null && now !== was) {
      for (const p of now) if (!was.includes(p)) out.changes.push({ kind: 'seasonality_added', text: `Detected a new seasonal component: ${periodName(p)}`, partition: e.partition, by: e.by });
      for (const p of was) if (!now.includes(p)) out.changes.push({ kind: 'seasonality_removed', text: `Seasonal component no longer used: ${periodName(p)}`, partition: e.partition, by: e.by });
    }
    e.periods[f] = now;
    const trendOf = (d as Detector & { trendDirection?: () => number }).trendDirection;
    if (typeof trendOf === 'function') {
      const dir = trendOf.call(d);
      if (!e.trends) e.trends = [];
      const before = e.trends[f];
      if (before !== undefined && before !== dir) {
        const what = dir > 0 ? 'the series is now rising' : dir < 0 ? 'the series is now falling' : 'the series has stopped rising or falling';
        out.changes.push({ kind: 'trend_change', text: `Detected a change of trend: ${what}`, partition: e.partition, by: e.by });
      }
      e.trends[f] = dir;
    }
    if (o.kind === 'level_shift_up' || o.kind === 'level_shift_down') {
      out.changes.push({
        kind: 'level_shift',
        text: `Detected a level shift: the series moved to ${roundTo(value, 4)} where the model expected ${roundTo(o.typical, 4)}`,
        partition: e.partition,
        by: e.by,
      });
    }
  }

  private finishPopulation(bucket: number, interim: boolean, pruneBefore: number, out: BucketOutput, ctl: BucketControl): void {
    // causes per over member, across the (partition, by) groups
    const byMember = new Map<string, { partition: string | null; causes: { cause: AnomalyCause; raw: number }[]; accs: SlotAcc[] }>();
    for (const [key, g] of this.groups) {
      if (!interim && g.lastSeen < pruneBefore && g.open.size === 0) {
        this.groups.delete(key);
        continue;
      }
      const members = g.open.get(bucket);
      if (interim && !members) continue;
      const model = interim ? DetectorRunner.copy(g.model) : g.model;
      const values: number[] = [];
      const notLearned = new Set<string>();
      if (members) {
        for (const [member, acc] of members) {
          const scored = this.scoreMember(model, acc, values, ctl.shiftMs);
          if (ctl.skipUpdate !== null && ctl.skipUpdate({ partition: g.partition, by: g.by, over: member }, scored.actual[0], scored.typical[0])) notLearned.add(member);
          if (this.env.modelPlot.enabled && scored.plot && this.plotAllowed(g.partition, g.by)) {
            out.plots.push(this.plotDoc(bucket, g.partition, g.by, member, this.functionDescription, scored.plot, scored.actual[0], interim));
          }
          if (scored.raw > 0) {
            const cause: AnomalyCause = {
              probability: scored.probability,
              function: this.info.name,
              function_description: this.functionDescription,
            };
            if (this.config.field_name !== undefined) cause.field_name = this.config.field_name;
            if (this.config.by_field_name !== undefined && g.by !== null) {
              cause.by_field_name = this.config.by_field_name;
              cause.by_field_value = g.by;
            }
            cause.over_field_name = this.config.over_field_name;
            cause.over_field_value = member;
            if (this.config.partition_field_name !== undefined && g.partition !== null) {
              cause.partition_field_name = this.config.partition_field_name;
              cause.partition_field_value = g.partition;
            }
            cause.typical = scored.typical;
            cause.actual = scored.actual;
            if (scored.geo) cause.geo_results = scored.geo;
            const mkey = g.partition === null ? member : `${g.partition}\u0001${member}`;
            let m = byMember.get(mkey);
            if (!m) {
              m = { partition: g.partition, causes: [], accs: [] };
              byMember.set(mkey, m);
            }
            m.causes.push({ cause, raw: scored.raw });
            m.accs.push(acc);
          }
        }
      }
      if (!interim) {
        if (!ctl.skipModelUpdate) this.learnGroup(g, members && notLearned.size ? new Map([...members].filter(([k]) => !notLearned.has(k))) : members, ctl.shiftMs);
        g.open.delete(bucket);
      }
    }
    for (const m of byMember.values()) {
      m.causes.sort((a, b) => b.raw - a.raw || a.cause.probability - b.cause.probability);
      const top = m.causes[0];
      const member = top.cause.over_field_value as string;
      const doc = this.recordDoc(bucket, interim, top.cause.probability, m.partition, null, member);
      doc.causes = m.causes.map((c) => c.cause);
      if (this.config.by_field_name === undefined) {
        doc.actual = top.cause.actual;
        doc.typical = top.cause.typical;
        if (top.cause.geo_results) doc.geo_results = top.cause.geo_results;
      }
      doc.multi_bucket_impact = -5;
      doc.anomaly_score_explanation = {
        anomaly_type: (top.cause.actual?.[0] ?? 0) >= (top.cause.typical?.[0] ?? 0) ? 'spike' : 'dip',
        anomaly_length: 1,
        single_bucket_impact: impactOf(top.cause.probability),
        multi_bucket_impact: 0,
        high_variance_penalty: false,
        incomplete_bucket_penalty: false,
      };
      out.records.push({ doc, raw: top.raw, influences: this.influencesOf(mergeAccs(m.accs), m.partition, null, member) });
    }
    if (!interim) this.pruneOver(pruneBefore);
  }

  private scoreMember(
    model: Group['model'],
    acc: SlotAcc,
    values: number[],
    shiftMs = 0,
  ): { raw: number; probability: number; actual: number[]; typical: number[]; geo?: { actual_point: string; typical_point: string }; plot?: DetectorOutput } {
    if (model instanceof TimeModel) {
      const ts = newTimeScore();
      model.score(shiftTimes(acc.points ?? [], shiftMs), ts);
      return { raw: ts.score, probability: ts.probability, actual: [ts.actualSeconds], typical: [ts.typicalSeconds] };
    }
    if (model instanceof GeoModel) {
      const gs = newGeoScore();
      model.score(acc.points ?? [], gs);
      return {
        raw: gs.score,
        probability: gs.probability,
        actual: [...gs.actual],
        typical: [...gs.typical],
        geo: { actual_point: `${gs.actual[0]},${gs.actual[1]}`, typical_point: `${gs.typical[0]},${gs.typical[1]}` },
      };
    }
    const pm = model as PopulationModel;
    const feature = this.features[this.features.length === 3 ? 1 : 0];
    const x = featureValue(acc, feature.fn, this.info.family);
    values.push(x);
    const ps = newPopulationScore();
    pm.score(x, ps);
    const plot: DetectorOutput = { ...newOutput(), typical: ps.typical, lower: ps.lower, upper: ps.upper };
    return { raw: ps.score, probability: ps.probability, actual: [x], typical: [ps.typical], plot };
  }

  private learnGroup(g: Group, members: Map<string, SlotAcc> | undefined, shiftMs = 0): void {
    const model = g.model;
    if (model instanceof PopulationModel) {
      const feature = this.features[this.features.length === 3 ? 1 : 0];
      const values: number[] = [];
      if (members) for (const acc of members.values()) values.push(featureValue(acc, feature.fn, this.info.family));
      model.learn(values);
    } else if (model instanceof TimeModel || model instanceof GeoModel) {
      const pts: number[] = [];
      if (members) for (const acc of members.values()) if (acc.points) pts.push(...acc.points);
      model.learn(model instanceof TimeModel ? shiftTimes(pts, shiftMs) : pts);
    }
  }

  private pruneOver(pruneBefore: number): void {
    for (const [k, last] of this.overSeen) if (last < pruneBefore) this.overSeen.delete(k);
  }

  private finishRare(bucket: number, interim: boolean, pruneBefore: number, out: BucketOutput, ctl: BucketControl): void {
    const learn = !interim && !ctl.skipModelUpdate;
    const population = this.overGet !== null;
    for (const [key, g] of this.groups) {
      if (!interim && g.lastSeen < pruneBefore && g.open.size === 0) {
        this.groups.delete(key);
        continue;
      }
      const members = g.open.get(bucket);
      if (!members) {
        if (learn) (g.model as RareModel).learn([]);
        continue;
      }
      const model = interim ? DetectorRunner.copy(g.model as RareModel) : (g.model as RareModel);
      const rs = newRareScore();
      if (!population) {
        for (const [value, acc] of members) {
          model.score(value, rs);
          if (rs.score <= 0) continue;
          const doc = this.recordDoc(bucket, interim, rs.probability, g.partition, value, null);
          doc.actual = [acc.count];
          doc.typical = [round(rs.typical)];
          doc.multi_bucket_impact = -5;
          doc.anomaly_score_explanation = {
            single_bucket_impact: impactOf(rs.probability),
            multi_bucket_impact: 0,
            by_field_first_occurrence: rs.firstOccurrence,
            by_field_relative_rarity: round(rs.relativeRarity),
            high_variance_penalty: false,
            incomplete_bucket_penalty: false,
          };
          out.records.push({ doc, raw: rs.score, influences: this.influencesOf(acc, g.partition, value, null) });
        }
        if (learn) {
          // skip_model_update rules: a value in scope (and meeting the conditions on its count) is not learned
          const keep = ctl.skipUpdate === null ? [...members.keys()] : [...members].filter(([value, acc]) => !ctl.skipUpdate!({ partition: g.partition, by: value, over: null }, acc.count, NaN)).map(([value]) => value);
          model.learn(keep.map((v) => [v, 1] as [string, number]));
        }
      } else {
        const users = new Map<string, number>();
        for (const [member, acc] of members) {
          const causes: { cause: AnomalyCause; raw: number; nats: number }[] = [];
          for (const value of acc.terms?.keys() ?? []) {
            users.set(value, (users.get(value) ?? 0) + 1);
            model.score(value, rs);
            const nats = -Math.log(Math.max(rs.probability, 1e-300));
            if (rs.score <= 0 && this.info.name === 'rare') continue;
            if (rs.probability > 0.05) continue;
            const cause: AnomalyCause = {
              probability: rs.probability,
              function: this.info.name,
              function_description: this.info.name,
              by_field_name: this.config.by_field_name,
              by_field_value: value,
              over_field_name: this.config.over_field_name,
              over_field_value: member,
              actual: [acc.terms!.get(value) as number],
              typical: [round(rs.typical)],
            };
            if (this.config.partition_field_name !== undefined && g.partition !== null) {
              cause.partition_field_name = this.config.partition_field_name;
              cause.partition_field_value = g.partition;
            }
            causes.push({ cause, raw: rs.score, nats });
          }
          if (causes.length === 0) continue;
          causes.sort((a, b) => b.raw - a.raw || a.cause.probability - b.cause.probability);
          let raw = causes[0].raw;
          let probability = causes[0].cause.probability;
          if (this.info.name === 'freq_rare') {
            // frequently rare: the member's rare values add up (capped per value)
            let nats = 0;
            for (const c of causes) nats += Math.min(c.nats, 20);
            probability = Math.exp(-nats);
            raw = model.warm ? Math.min(100, scoreFromSurprise(nats)) : 0;
            if (raw <= 0) continue;
          }
          const doc = this.recordDoc(bucket, interim, probability, g.partition, null, member);
          doc.causes = causes.map((c) => c.cause);
          doc.multi_bucket_impact = -5;
          doc.anomaly_score_explanation = {
            single_bucket_impact: impactOf(probability),
            multi_bucket_impact: 0,
            high_variance_penalty: false,
            incomplete_bucket_penalty: false,
          };
          out.records.push({ doc, raw, influences: this.influencesOf(acc, g.partition, null, member) });
        }
        if (learn) model.learn(users);
      }
      if (!interim) g.open.delete(bucket);
    }
    if (!interim) this.pruneOver(pruneBefore);
  }

  /** Drops open-bucket data of buckets before `bucket` (skip_time): never scored, never learned. */
  discardBefore(bucket: number): void {
    for (const e of this.entities.values()) {
      for (const s of e.slots) if (s && s.bucket < bucket) s.reset(NaN);
    }
    for (const g of this.groups.values()) for (const b of [...g.open.keys()]) if (b < bucket) g.open.delete(b);
  }

  // ------------------------------------------------------------------------------------------
  // documents

  private recordDoc(bucket: number, interim: boolean, probability: number, partition: string | null, by: string | null, over: string | null): RecordDoc {
    const c = this.config;
    const doc: RecordDoc = {
      job_id: this.env.jobId,
      result_type: 'record',
      // Elastic reports a smallest probability of 1e-308 rather than 0
      probability: probability > 1e-308 ? probability : 1e-308,
      multi_bucket_impact: 0,
      record_score: 0,
      initial_record_score: 0,
      bucket_span: this.env.bucketSpanMs / 1000,
      detector_index: c.detector_index,
      is_interim: interim,
      timestamp: bucket,
      function: this.info.name,
      function_description: this.functionDescription,
    };
    if (c.field_name !== undefined) doc.field_name = c.field_name;
    if (c.partition_field_name !== undefined && partition !== null) {
      doc.partition_field_name = c.partition_field_name;
      doc.partition_field_value = partition;
    }
    if (c.by_field_name !== undefined && by !== null) {
      doc.by_field_name = c.by_field_name;
      doc.by_field_value = by;
    }
    if (c.over_field_name !== undefined && over !== null) {
      doc.over_field_name = c.over_field_name;
      doc.over_field_value = over;
    }
    return doc;
  }

  private plotAllowed(partition: string | null, by: string | null): boolean {
    const terms = this.env.modelPlot.terms;
    if (!terms) return true;
    return (partition !== null && terms.has(partition)) || (by !== null && terms.has(by));
  }

  private plotDoc(bucket: number, partition: string | null, by: string | null, over: string | null, feature: string, o: DetectorOutput, actual: number, interim: boolean): ModelPlotDoc {
    const c = this.config;
    const doc: ModelPlotDoc = {
      job_id: this.env.jobId,
      result_type: 'model_plot',
      bucket_span: this.env.bucketSpanMs / 1000,
      detector_index: c.detector_index,
      timestamp: bucket,
      model_feature: feature,
      model_lower: round(o.lower),
      model_upper: round(o.upper),
      model_median: round(o.typical),
      actual: Number.isNaN(actual) ? 0 : actual,
      is_interim: interim,
    };
    if (c.partition_field_name !== undefined && partition !== null) {
      doc.partition_field_name = c.partition_field_name;
      doc.partition_field_value = partition;
    }
    if (c.over_field_name !== undefined && over !== null) {
      doc.over_field_name = c.over_field_name;
      doc.over_field_value = over;
    }
    if (c.by_field_name !== undefined && by !== null) {
      doc.by_field_name = c.by_field_name;
      doc.by_field_value = by;
    }
    return doc;
  }

  /**
   * The influencer values of a record: a split field's own value, else the values that brought at
   * least half as many of the entity's records in the bucket as the most frequent one (at most 10).
   */
  private influencesOf(acc: SlotAcc | undefined, partition: string | null, by: string | null, over: string | null): Influence[] {
    const out: Influence[] = [];
    const c = this.config;
    this.env.influencerFields.forEach((field, i) => {
      let values: string[] = [];
      if (field === c.partition_field_name) values = partition !== null ? [partition] : [];
      else if (field === c.by_field_name) values = by !== null ? [by] : [];
      else if (field === c.over_field_name) values = over !== null ? [over] : [];
      else {
        const m = acc?.influence?.[i];
        if (m && m.size > 0) {
          let max = 0;
          for (const w of m.values()) if (w > max) max = w;
          values = [...m]
            .filter(([, w]) => w >= 0.5 * max)
            .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
            .slice(0, 10)
            .map(([v]) => v);
        }
      }
      if (values.length > 0) out.push({ influencer_field_name: field, influencer_field_values: values });
    });
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // bookkeeping

  /** Entities by role, for model_size_stats: distinct by values (or rare values), over members, partitions. */
  counts(): { by: number; over: number; partition: number } {
    const byValues = new Set<string>();
    const partitions = new Set<string>();
    for (const e of this.entities.values()) {
      if (e.by !== null) byValues.add(e.by);
      if (e.partition !== null) partitions.add(e.partition);
    }
    let rareValues = 0;
    for (const g of this.groups.values()) {
      if (g.by !== null) byValues.add(g.by);
      if (g.partition !== null) partitions.add(g.partition);
      if (g.model instanceof RareModel) rareValues += g.model.size;
    }
    return { by: this.shape === 'rare' ? rareValues : byValues.size, over: this.overSeen.size, partition: partitions.size };
  }

  /** Series (entities, population groups and their members) this detector models. */
  seriesCount(): number {
    return this.entities.size + this.groups.size + this.overSeen.size;
  }

  /** Approximate model bytes: models, open buckets and keys. */
  memoryBytes(): number {
    let bytes = 0;
    for (const [key, e] of this.entities) {
      bytes += 160 + 2 * key.length;
      for (const m of e.models) bytes += m.memoryBytes();
      for (const s of e.slots) if (s) bytes += slotBytes(s);
      if (e.hist) bytes += e.hist.bytes();
    }
    for (const [key, g] of this.groups) {
      bytes += 200 + 2 * key.length + g.model.memoryBytes();
      for (const members of g.open.values()) for (const [k, s] of members) bytes += 64 + 2 * k.length + slotBytes(s);
    }
    for (const k of this.overSeen.keys()) bytes += 80 + 2 * k.length;
    for (const k of this.frequency.keys()) bytes += 96 + 2 * k.length;
    return bytes;
  }

  /** Estimated bytes of one more entity (before it exists), for the memory gate. */
  newEntityBytes(): number {
    if (this.shape === 'series') {
      let b = 300;
      for (const m of this.newSeriesModels()) b += m.memoryBytes();
      if (this.historyFeature >= 0) b += new BucketHistory(this.historyCap).bytes();
      return b;
    }
    return 200;
  }

  toState(): DetectorRunnerState {
    const s: DetectorRunnerState = {};
    if (this.entities.size) {
      s.entities = [...this.entities.values()].map((e) => ({
        p: e.partition,
        b: e.by,
        m: e.models.map((m) => m.toState()),
        s: Array.from({ length: this.env.ringSize }, (_, i) => {
          const slot = e.slots[i];
          return slot && !Number.isNaN(slot.bucket) ? slot.toState() : null;
        }),
        l: e.lastSeen,
        f: e.born,
        r: e.run,
        ...(e.hist ? { h: e.hist.toState() } : {}),
      }));
    }
    if (this.groups.size) {
      s.groups = [...this.groups.values()].map((g) => ({
        p: g.partition,
        b: g.by,
        m: g.model.toState(),
        o: [...g.open].map(([b, members]) => [b, [...members].map(([k, acc]) => [k, acc.toState()] as [string, SlotAccState])] as [number, [string, SlotAccState][]]),
        l: g.lastSeen,
      }));
    }
    if (this.overSeen.size) s.over = [...this.overSeen];
    if (this.frequency.size) s.freq = [...this.frequency].map(([k, f]) => [k, f[0], f[1]]);
    for (const [key, e] of this.entities) if (e.periods) (s.periods ??= {})[key] = e.periods.map((p) => p ?? null);
    for (const [key, e] of this.entities) if (e.trends) (s.trends ??= {})[key] = e.trends.map((t) => t ?? 0);
    return s;
  }

  restoreState(s: DetectorRunnerState): void {
    for (const e of s.entities ?? []) {
      const key = e.p === null ? (e.b ?? '') : e.b === null ? e.p : `${e.p}\u0001${e.b}`;
      const slots: (SlotAcc | undefined)[] = new Array(this.env.ringSize);
      e.s.forEach((st, i) => {
        if (st) slots[i] = SlotAcc.fromState(st);
      });
      this.entities.set(key, {
        partition: e.p,
        by: e.b,
        models: e.m.map((m) => DetectorRunner.restore(m) as SeriesModel),
        slots,
        lastSeen: e.l,
        born: e.f,
        run: e.r,
        ...(e.h ? { hist: BucketHistory.fromState(e.h, this.historyCap) } : {}),
      });
    }
    for (const g of s.groups ?? []) {
      const key = g.p === null ? (g.b ?? '') : g.b === null ? g.p : `${g.p}\u0001${g.b}`;
      this.groups.set(key, {
        partition: g.p,
        by: g.b,
        model: DetectorRunner.restore(g.m) as Group['model'],
        open: new Map(g.o.map(([b, members]) => [b, new Map(members.map(([k, st]) => [k, SlotAcc.fromState(st)]))])),
        lastSeen: g.l,
      });
    }
    for (const [k, v] of s.over ?? []) this.overSeen.set(k, v);
    for (const [k, w, b] of s.freq ?? []) this.frequency.set(k, [w, b]);
    for (const [key, periods] of Object.entries(s.periods ?? {})) {
      const e = this.entities.get(key);
      if (e) e.periods = periods.map((p) => (p ? [...p] : null));
    }
    for (const [key, trends] of Object.entries(s.trends ?? {})) {
      const e = this.entities.get(key);
      if (e) e.trends = [...trends];
    }
  }
}

/** The bucket value of a scalar feature from an entity's accumulator (empty: 0 or missing per function). */
function featureValue(acc: SlotAcc | undefined, fn: FunctionSpec, family: string): number {
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

function shiftTimes(times: number[], shiftMs: number): number[] {
  return shiftMs === 0 || times.length === 0 ? times : times.map((t) => t + shiftMs);
}

function periodName(ms: number): string {
  if (ms === 86_400_000) return 'daily';
  if (ms === 7 * 86_400_000) return 'weekly';
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms / 60_000}m`;
}

function roundTo(x: number, digits: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;
}

function slotBytes(s: SlotAcc): number {
  let b = 120;
  if (s.values) b += 8 * s.values.length;
  if (s.terms) for (const k of s.terms.keys()) b += 48 + 2 * k.length;
  if (s.points) b += 8 * s.points.length;
  if (s.influence) for (const m of s.influence) for (const k of m.keys()) b += 48 + 2 * k.length;
  return b;
}

function mergeAccs(accs: SlotAcc[]): SlotAcc | undefined {
  if (accs.length <= 1) return accs[0];
  const m = new SlotAcc();
  for (const a of accs) {
    if (!a.influence) continue;
    a.influence.forEach((map, i) => {
      for (const [v, w] of map) m.addInfluence(i, a.influence!.length, v, w);
    });
  }
  return m;
}

/** Elastic's impact figures: about −log10 of the probability, as an integer. */
function impactOf(probability: number): number {
  return Math.max(0, Math.round(Math.min(20, -Math.log10(Math.max(probability, 1e-300)))));
}

function explanation(o: DetectorOutput, actual: number, length: number): AnomalyScoreExplanation {
  const total = impactOf(o.probability);
  const mbi = o.multiBucketImpact;
  return {
    anomaly_type: actual >= o.typical ? 'spike' : 'dip',
    anomaly_length: length,
    single_bucket_impact: Math.round((total * (5 - mbi)) / 10),
    multi_bucket_impact: Math.round((total * (5 + mbi)) / 10),
    lower_confidence_bound: round(o.lower),
    typical_value: round(o.typical),
    upper_confidence_bound: round(o.upper),
    high_variance_penalty: false,
    incomplete_bucket_penalty: false,
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
