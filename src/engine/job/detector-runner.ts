/**
 * One detector of a job at work: routes each record to its entity (partition × by value, or a
 * population group and its over member, or a rare-value group), accumulates the open buckets, and
 * when a bucket closes runs the entity models and returns anomalous records (Elastic-shaped, raw
 * score not yet normalised) and model-plot points.
 *
 * Three shapes, chosen from the detector configuration, each a runner in ./runners/:
 * - series (series-runner.ts): one model per (partition, by) entity, fed the bucket's value
 *   (count, mean, distinct count, information content… → Vigil's default detector; time_of_day/week
 *   → time model; lat_long → location model);
 * - population (population-runner.ts, over_field_name): one model per (partition, by) of the
 *   population, each over member's bucket value scored against it; records per member carry `causes`;
 * - rare (rare-runner.ts, rare / freq_rare): one rarity model per partition over the by values
 *   (per member with over).
 *
 * This module keeps what the job sees: the shared types, the {@link ShapeRunner} contract, the
 * factory that picks the runner, and {@link DetectorRunner}, which does what every shape does
 * alike (partition and by values, exclude_frequent, refusals at the memory limit, the state's
 * layout) around it.
 *
 * Interim results score a copy of the models (via their versioned state), so the real models
 * learn each bucket exactly once, when it is final.
 */
import type { ModelState } from '../../core/state.js';
import type { BucketHistoryState } from './bucket-history.js';
import type { DetectorConfig } from './config.js';
import type { FunctionInfo } from './functions.js';
import type { Influence, ModelPlotDoc, RecordDoc } from './results.js';
import { PopulationRunner } from './runners/population-runner.js';
import { RareRunner } from './runners/rare-runner.js';
import { RunnerKit } from './runners/runner-kit.js';
import { SeriesRunner } from './runners/series-runner.js';
import type { SlotAccState } from './slot-acc.js';

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
  /** Detector type of each single-series entity's model (seriesModelOf: custom_settings.vigil_model, fixed at creation). */
  seriesModel?: string;
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
  /**
   * Whether a skip_model_update rule could apply before the model has given its typical value (scope
   * and conditions on actual and time decided, those on typical taken as met): when not, the model
   * learns without being copied first (null: no such rule).
   */
  mayskipUpdate?: ((fields: { partition: string | null; by: string | null; over: string | null }, actual: number) => boolean) | null;
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

/** A series entity's kept bucket values (oldest first), for `_forecast`. */
/** One series entity: its partition and by values (null when the detector is not split by them). */
export interface SeriesKey {
  partition: string | null;
  by: string | null;
}

export interface EntityHistory {
  partition: string | null;
  by: string | null;
  time: Float64Array;
  value: Float64Array;
}

/** What each shape's runner does; {@link DetectorRunner} does the rest. */
export interface ShapeRunner {
  /** Adds a record of this partition and by value (null without a by field; never null for rare). */
  add(r: RecordInput, partition: string | null, by: string | null): boolean;
  /** Scores (and, final, learns) a bucket, adding records, plots and model changes to `out`. */
  finish(bucket: number, slot: number, interim: boolean, pruneBefore: number, out: BucketOutput, control: BucketControl): void;
  /** Drops open-bucket data of buckets before `bucket` (skip_time). */
  discardBefore(bucket: number): void;
  /** Each series entity's kept bucket values; with `only`, just that entity's (none when it has none). */
  histories(only?: SeriesKey): EntityHistory[];
  counts(): { by: number; over: number; partition: number };
  seriesCount(): number;
  memoryBytes(): number;
  /** `grown`: once its kept bucket values (for `_forecast`) have filled up (estimates). */
  newEntityBytes(grown?: boolean): number;
  /** The runner's part of the state (entities with their periods and trends, or groups and over members). */
  toState(): DetectorRunnerState;
  restoreState(s: DetectorRunnerState): void;
}

export type Shape = 'series' | 'population' | 'rare';

/** The shape a detector configuration takes. */
export function shapeOf(config: DetectorConfig, info: FunctionInfo): Shape {
  return info.family === 'rare' ? 'rare' : config.over_field_name !== undefined ? 'population' : 'series';
}

/** The runner of a shape. */
export function createShapeRunner(shape: Shape, kit: RunnerKit): ShapeRunner {
  switch (shape) {
    case 'series':
      return new SeriesRunner(kit);
    case 'population':
      return new PopulationRunner(kit);
    case 'rare':
      return new RareRunner(kit);
  }
}

/** The state's keys in the order they have always been saved in. */
const STATE_KEYS = ['entities', 'groups', 'over', 'freq', 'periods', 'trends'] as const;

export class DetectorRunner {
  readonly info: FunctionInfo;
  readonly shape: Shape;
  private readonly kit: RunnerKit;
  private readonly runner: ShapeRunner;

  constructor(
    readonly config: DetectorConfig,
    env: RunnerEnv,
  ) {
    this.kit = new RunnerKit(config, env);
    this.info = this.kit.info;
    this.shape = shapeOf(config, this.info);
    this.runner = createShapeRunner(this.shape, this.kit);
  }

  /** Entities refused at the hard memory limit since the last bucket closed. */
  get refusedInBucket(): number {
    return this.kit.refused;
  }

  /** The function description Elastic reports for this detector (`count` for `low_count`…). */
  get functionDescription(): string {
    return this.kit.functionDescription;
  }

  /** Each series entity's kept bucket values (oldest first), for `_forecast`; with `only`, one entity's. */
  histories(only?: SeriesKey): EntityHistory[] {
    return this.runner.histories(only);
  }

  /**
   * Adds one record. Returns false when this detector could not use it (a split field missing
   * without use_null, no usable value, or refused at the memory limit).
   */
  add(r: RecordInput): boolean {
    const kit = this.kit;
    const partition = kit.splitValue(kit.partitionGet, r.doc);
    if (partition === undefined) return false;
    const by = kit.splitValue(kit.byGet, r.doc);
    if (by === undefined || (by === null && this.shape === 'rare')) return false;
    if (kit.frequent.by && by !== null) kit.frequent.touch('b', by, r.bucket);
    return this.runner.add(r, partition, by);
  }

  /**
   * Closes (or, with `interim`, previews) the bucket starting at `bucket` (ring slot `slot`).
   * Final: every model learns it and stale entities are pruned. Interim: models are copied, only
   * entities with data in the bucket are scored, nothing is learned or cleared.
   */
  finishBucket(bucket: number, slot: number, interim: boolean, pruneBefore: number, control: BucketControl = NO_CONTROL): BucketOutput {
    const out: BucketOutput = { records: [], plots: [], changes: [] };
    this.runner.finish(bucket, slot, interim, pruneBefore, out, control);
    const frequent = this.kit.frequent;
    if (frequent.by || frequent.over) out.records = out.records.filter((r) => frequent.keep(r.doc, bucket));
    if (!interim) {
      this.kit.refused = 0;
      frequent.prune(pruneBefore);
    }
    return out;
  }

  /** Drops open-bucket data of buckets before `bucket` (skip_time): never scored, never learned. */
  discardBefore(bucket: number): void {
    this.runner.discardBefore(bucket);
  }

  /** Entities by role, for model_size_stats: distinct by values (or rare values), over members, partitions. */
  counts(): { by: number; over: number; partition: number } {
    return this.runner.counts();
  }

  /** Series (entities, population groups and their members) this detector models. */
  seriesCount(): number {
    return this.runner.seriesCount();
  }

  /** Approximate model bytes: models, open buckets and keys. */
  memoryBytes(): number {
    return this.runner.memoryBytes() + this.kit.frequent.bytes();
  }

  /**
   * Estimated bytes of one more entity (before it exists), for the memory gate; `grown`: once its
   * kept bucket values have filled up (for `_estimate_model_memory`).
   */
  newEntityBytes(grown = false): number {
    return this.runner.newEntityBytes(grown);
  }

  toState(): DetectorRunnerState {
    const parts: DetectorRunnerState = { ...this.runner.toState(), freq: this.kit.frequent.toState() };
    const s: Record<string, unknown> = {};
    for (const k of STATE_KEYS) if (parts[k] !== undefined) s[k] = parts[k];
    return s as DetectorRunnerState;
  }

  restoreState(s: DetectorRunnerState): void {
    this.runner.restoreState(s);
    this.kit.frequent.restoreState(s.freq);
  }
}
