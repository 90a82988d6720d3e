/**
 * The series shape: one model per (partition, by) entity, fed the entity's bucket. The scalar
 * families (count, metric, distinct_count, info_content) give one value per feature to Vigil's
 * default detector (min/mean/max for `metric`), which also feeds model-change annotations and the
 * bucket history `_forecast` reads; time_of_day/week and lat_long give the bucket's events to an
 * event model. The entity's best-scoring feature makes its record.
 */
import { newOutput, type Detector, type DetectorOutput } from '../../../core/detect/detector.js';
import { DEFAULT_DETECTOR, createDetector } from '../../../core/detect/registry.js';
import '../../../core/detect/all.js'; // the models a job may name (custom_settings.vigil_model)
import '../../../core/detect/default/default-detector.js';
import { BucketHistory, historyCapacity } from '../bucket-history.js';
import type { BucketControl, BucketOutput, DetectorRunnerState, EntityHistory, RecordInput, SeriesKey, ShapeRunner } from '../detector-runner.js';
import type { RecordDoc } from '../results.js';
import { SlotAcc } from '../slot-acc.js';
import { explanation, influencesOf, plotAllowed, plotDoc, recordDoc } from './documents.js';
import { eventInput, newEventModel, scoreEvents, type EventModel } from './event-models.js';
import { featureValue, mainFeature } from './features.js';
import { observeChange, type ChangeWatch } from './model-changes.js';
import { copyModel, restoreModel, type SeriesModel } from './models.js';
import { entityKey, slotBytes, splitCounts, type AccFor, type RunnerKit } from './runner-kit.js';

interface SeriesEntity extends ChangeWatch {
  models: SeriesModel[];
  slots: (SlotAcc | undefined)[];
  lastSeen: number;
  /** Bucket of the entity's first record: earlier buckets are not its to learn. */
  born: number;
  run: number;
  /** Final bucket values for `_forecast` (bucket-history.ts); absent for time and lat_long. */
  hist?: BucketHistory;
}

/** An entity's best-scoring record of a bucket, before it becomes a document. */
interface Best {
  raw: number;
  doc: Partial<RecordDoc>;
  probability: number;
}

type Fields = { partition: string | null; by: string | null; over: null };

export class SeriesRunner implements ShapeRunner {
  private readonly entities = new Map<string, SeriesEntity>();
  private readonly out: DetectorOutput = newOutput();
  /** The events families (time, lat_long) rather than the scalar ones. */
  private readonly events: boolean;
  /** The feature whose bucket values are kept for forecasts (mean for `metric`); -1: none. */
  private readonly historyFeature: number;
  private readonly historyCap: number;

  constructor(private readonly kit: RunnerKit) {
    const family = kit.info.family;
    this.events = family === 'time' || family === 'lat_long';
    this.historyFeature = kit.features.length === 0 || family === 'info_content' ? -1 : mainFeature(kit.features);
    this.historyCap = historyCapacity(kit.env.bucketSpanMs);
  }

  // ------------------------------------------------------------------------------------------
  // records in

  add(r: RecordInput, partition: string | null, by: string | null): boolean {
    return this.kit.addValue(r, partition, by, this.entityAcc);
  }

  /** The entity's accumulator of the record's bucket (a new entity when admitted). */
  private readonly entityAcc: AccFor = (r, partition, by) => {
    const key = entityKey(partition, by);
    let e = this.entities.get(key);
    if (!e) {
      if (!this.kit.admit()) return null;
      e = { partition, by, models: this.newModels(), slots: new Array(this.kit.env.ringSize), lastSeen: r.bucket, born: r.bucket, run: 0 };
      this.entities.set(key, e);
    }
    // a late record of a bucket still open (within the latency) is the entity's too: its first
    // record to arrive need not be its earliest
    if (r.bucket < e.born) e.born = r.bucket;
    if (r.bucket > e.lastSeen) e.lastSeen = r.bucket;
    let s = e.slots[r.slot];
    if (!s) {
      s = new SlotAcc();
      s.reset(r.bucket);
      e.slots[r.slot] = s;
    } else if (s.bucket !== r.bucket) s.reset(r.bucket);
    return s;
  };

  private newModels(): SeriesModel[] {
    const kit = this.kit;
    if (this.events) return [newEventModel(kit.info)];
    return kit.features.map((f) => createDetector(kit.env.seriesModel ?? DEFAULT_DETECTOR, { bucketSpanMs: kit.env.bucketSpanMs, side: f.fn.side, isCount: f.fn.isCount }));
  }

  // ------------------------------------------------------------------------------------------
  // bucket out

  finish(bucket: number, slot: number, interim: boolean, pruneBefore: number, out: BucketOutput, ctl: BucketControl): void {
    const kit = this.kit;
    for (const [key, e] of this.entities) {
      if (!interim && e.lastSeen < pruneBefore) {
        this.entities.delete(key);
        continue;
      }
      const s = e.slots[slot];
      const acc = s !== undefined && s.bucket === bucket ? s : undefined;
      if ((interim && !acc) || bucket < e.born) continue;
      const models = interim ? e.models.map((m) => copyModel(m)) : e.models;
      const fields: Fields = { partition: e.partition, by: e.by, over: null };
      const best = this.events
        ? this.scoreEvents(models[0] as EventModel, acc, interim, ctl, fields)
        : this.scoreFeatures(e, models, acc, bucket, interim, ctl, fields, out);
      if (best) {
        const doc = recordDoc(kit, bucket, interim, best.probability, e.partition, e.by, null);
        Object.assign(doc, best.doc);
        out.records.push({ doc, raw: best.raw, influences: influencesOf(kit, acc, e.partition, e.by, null) });
      }
      if (!interim) {
        e.run = best ? e.run + 1 : 0;
        if (acc) acc.reset(NaN);
      }
    }
  }

  /** time_of_day/week, lat_long: the bucket's events scored, then learned unless the bucket must not be. */
  private scoreEvents(m: EventModel, acc: SlotAcc | undefined, interim: boolean, ctl: BucketControl, fields: Fields): Best | null {
    const input = eventInput(m, acc?.points ?? [], ctl.shiftMs);
    const sc = scoreEvents(m, input);
    // skip_model_update rules see the event's seconds into the period; a location has no one actual value
    const geo = sc.geo !== undefined;
    if (!interim && !ctl.skipModelUpdate && !(ctl.skipUpdate !== null && ctl.skipUpdate(fields, geo ? NaN : sc.actual[0], geo ? NaN : sc.typical[0]))) m.learn(input);
    if (!(sc.raw > 0)) return null;
    const doc: Partial<RecordDoc> = { actual: sc.actual, typical: sc.typical, multi_bucket_impact: -5 };
    if (sc.geo) doc.geo_results = sc.geo;
    return { raw: sc.raw, probability: sc.probability, doc };
  }

  /** The scalar families: each feature's value through its default detector; the highest score is the record. */
  private scoreFeatures(e: SeriesEntity, models: SeriesModel[], acc: SlotAcc | undefined, bucket: number, interim: boolean, ctl: BucketControl, fields: Fields, out: BucketOutput): Best | null {
    const kit = this.kit;
    const o = this.out;
    const modelTime = bucket + ctl.shiftMs;
    let best: Best | null = null;
    for (let f = 0; f < kit.features.length; f++) {
      const feature = kit.features[f];
      const value = featureValue(acc, feature.fn, kit.info.family);
      let d = models[f] as Detector;
      // a bucket the model must not learn: score a copy, keep the model as it was (copied only when a
      // rule could apply: a copy is a save and a restore, which made every rule cost 30× the time)
      const guard = !interim && (ctl.skipModelUpdate || (ctl.skipUpdate !== null && (!ctl.mayskipUpdate || ctl.mayskipUpdate(fields, value))));
      const before = guard ? copyModel(d) : null;
      d.update(modelTime, value, o);
      if (before && (ctl.skipModelUpdate || ctl.skipUpdate!(fields, value, o.typical))) {
        models[f] = before;
        d = before;
      } else if (!interim) observeChange(e, f, d, o, value, out.changes);
      if (!interim && f === this.historyFeature) (e.hist ??= new BucketHistory(this.historyCap)).push(bucket, value, kit.env.bucketSpanMs);
      if (kit.env.modelPlot.enabled && !Number.isNaN(o.typical) && plotAllowed(kit, e.partition, e.by)) {
        out.plots.push(plotDoc(kit, bucket, e.partition, e.by, null, feature.description, o, value, interim));
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
    return best;
  }

  discardBefore(bucket: number): void {
    for (const e of this.entities.values()) {
      for (const s of e.slots) if (s && s.bucket < bucket) s.reset(NaN);
    }
  }

  // ------------------------------------------------------------------------------------------
  // bookkeeping

  histories(only?: SeriesKey): EntityHistory[] {
    const out: EntityHistory[] = [];
    for (const e of this.entities.values()) {
      if (only && (e.partition !== only.partition || e.by !== only.by)) continue;
      if (e.hist) out.push({ partition: e.partition, by: e.by, ...e.hist.series(this.kit.env.bucketSpanMs) });
    }
    return out;
  }

  counts(): { by: number; over: number; partition: number } {
    const c = splitCounts(this.entities.values());
    return { by: c.by, over: 0, partition: c.partition };
  }

  seriesCount(): number {
    return this.entities.size;
  }

  memoryBytes(): number {
    let bytes = 0;
    for (const [key, e] of this.entities) {
      bytes += 160 + 2 * key.length;
      for (const m of e.models) bytes += m.memoryBytes();
      for (const s of e.slots) if (s) bytes += slotBytes(s);
      if (e.hist) bytes += e.hist.bytes();
    }
    return bytes;
  }

  newEntityBytes(grown = false): number {
    let b = 300;
    for (const m of this.newModels()) b += m.memoryBytes();
    if (this.historyFeature >= 0) b += grown ? BucketHistory.fullBytes(this.historyCap) : new BucketHistory(this.historyCap).bytes();
    return b;
  }

  toState(): DetectorRunnerState {
    const s: DetectorRunnerState = {};
    if (this.entities.size) {
      s.entities = [...this.entities.values()].map((e) => ({
        p: e.partition,
        b: e.by,
        m: e.models.map((m) => m.toState()),
        s: Array.from({ length: this.kit.env.ringSize }, (_, i) => {
          const slot = e.slots[i];
          return slot && !Number.isNaN(slot.bucket) ? slot.toState() : null;
        }),
        l: e.lastSeen,
        f: e.born,
        r: e.run,
        ...(e.hist ? { h: e.hist.toState() } : {}),
      }));
    }
    for (const [key, e] of this.entities) if (e.periods) (s.periods ??= {})[key] = e.periods.map((p) => p ?? null);
    for (const [key, e] of this.entities) if (e.trends) (s.trends ??= {})[key] = e.trends.map((t) => t ?? 0);
    return s;
  }

  restoreState(s: DetectorRunnerState): void {
    for (const e of s.entities ?? []) {
      const slots: (SlotAcc | undefined)[] = new Array(this.kit.env.ringSize);
      e.s.forEach((st, i) => {
        if (st) slots[i] = SlotAcc.fromState(st);
      });
      this.entities.set(entityKey(e.p, e.b), {
        partition: e.p,
        by: e.b,
        models: e.m.map((m) => restoreModel(m) as SeriesModel),
        slots,
        lastSeen: e.l,
        born: e.f,
        run: e.r,
        ...(e.h ? { hist: BucketHistory.fromState(e.h, this.historyCap) } : {}),
      });
    }
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
