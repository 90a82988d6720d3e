/**
 * One Elastic-compatible anomaly-detection job at work, without I/O: posted documents in, data
 * counts and Elastic-shaped results out.
 *
 * Time follows Elastic's rules. Buckets are [k·span, (k+1)·span). A record older than the newest
 * record minus `latency` (or falling in a bucket already final) is out of order and dropped
 * (counted). A bucket is final once a record at or after its end + latency has arrived, or a flush
 * advances time past its end; every bucket from the first record on is final in turn, empty ones
 * included. `flush({ calcInterim })` previews the open buckets as interim results (models are not
 * changed); when the bucket becomes final, its final results replace them (see
 * {@link JobResults.clearInterim}).
 *
 * Scores: each model gives a calibrated raw 0–100 score; the job's {@link ScoreNormaliser} turns
 * them into record scores (a budget per severity over the renormalisation window);
 * `initial_record_score` is that value when the bucket became final, `record_score` follows later
 * renormalisation ({@link AnomalyJob.renormalise}). A bucket's score is the highest of its records
 * (max combination), an influencer's the highest of the records it influenced.
 *
 * Memory: model bytes are counted per entity; at the soft limit (70 % of model_memory_limit)
 * entities unseen for half the prune window are dropped; at the hard limit new entities are not
 * modelled (bucket_allocation_failures_count counts the buckets where that happened).
 *
 * The whole job (models, open buckets, counts, normaliser, pending results) is one versioned state:
 * `AnomalyJob.fromState(config, job.toState())` continues exactly where the job was.
 */
import { VigilError } from '../../core/errors.js';
import type { ModelState } from '../../core/state.js';
import { jobSettings, type DetectionRule, type JobConfig, type JobSettings } from './config.js';
import { eventsIn, sensitivityOf, timeShiftAt, withSensitivity, type AnnotationDoc, type JobControls, type JobEvent } from './controls.js';
import { DetectorRunner, type BucketControl, type DetectorRunnerState, type ModelChange, type PendingRecord } from './detector-runner.js';
import { countFields, fieldGetter, numberOf, termOf, type FieldGetter } from './field-access.js';
import { invalid } from './job-error.js';
import { ScoreNormaliser, roundScore, type NormaliserState } from './normaliser.js';
import {
  resultId,
  type BucketDoc,
  type BucketInfluencerDoc,
  type InfluencerDoc,
  type JobResults,
  type ModelPlotDoc,
  type RecordDoc,
  type ScoreUpdate,
} from './results.js';
import { makeTimeReader, readTimeParam, type TimeReader } from './time-reader.js';

const STATE_TYPE = 'anomaly_job';
const STATE_VERSION = 1;
const SOFT_LIMIT_RATIO = 0.7;

export type MemoryStatus = 'ok' | 'soft_limit' | 'hard_limit';

/** Elastic's data_counts document. */
export interface DataCounts {
  job_id: string;
  processed_record_count: number;
  processed_field_count: number;
  input_bytes: number;
  input_field_count: number;
  invalid_date_count: number;
  missing_field_count: number;
  out_of_order_timestamp_count: number;
  empty_bucket_count: number;
  sparse_bucket_count: number;
  bucket_count: number;
  input_record_count: number;
  earliest_record_timestamp?: number;
  latest_record_timestamp?: number;
  last_data_time?: number;
  latest_empty_bucket_timestamp?: number;
  latest_sparse_bucket_timestamp?: number;
  latest_bucket_timestamp?: number;
  log_time?: number;
}

/** Elastic's model_size_stats document. */
export interface ModelSizeStats {
  job_id: string;
  result_type: 'model_size_stats';
  model_bytes: number;
  peak_model_bytes: number;
  model_bytes_exceeded: number;
  model_bytes_memory_limit: number;
  total_by_field_count: number;
  total_over_field_count: number;
  total_partition_field_count: number;
  bucket_allocation_failures_count: number;
  memory_status: MemoryStatus;
  assignment_memory_basis: 'model_memory_limit';
  categorized_doc_count: number;
  total_category_count: number;
  frequent_category_count: number;
  rare_category_count: number;
  dead_category_count: number;
  failed_category_count: number;
  categorization_status: 'ok';
  log_time: number;
  timestamp?: number;
}

/** Elastic's timing_stats document. */
export interface TimingStats {
  job_id: string;
  bucket_count: number;
  total_bucket_processing_time_ms: number;
  minimum_bucket_processing_time_ms?: number;
  maximum_bucket_processing_time_ms?: number;
  average_bucket_processing_time_ms?: number;
  exponential_average_bucket_processing_time_ms?: number;
  exponential_average_bucket_processing_time_per_hour_ms?: number;
}

export interface AnomalyJobOptions {
  /** Monotonic clock in ms for processing_time_ms and timing stats (default performance.now). */
  now?: () => number;
  /** Wall clock, epoch ms, for last_data_time and log_time (default Date.now). */
  wallClock?: () => number;
  /** Filter items by filter_id, for custom rules with a scope (`*` wildcards at either end). */
  filters?: Record<string, readonly string[]>;
  /** Scheduled events of the job's calendars (see {@link AnomalyJob.setControls}). */
  events?: readonly JobEvent[];
}

export interface PostDataOptions {
  /** Bytes of the request body these documents came in (Elastic's input_bytes). */
  inputBytes?: number;
}

/** Elastic's `_flush` parameters; times are epoch ms (numbers or numeric text) or ISO 8601. */
export interface FlushOptions {
  calcInterim?: boolean;
  start?: number | string;
  end?: number | string;
  advanceTime?: number | string;
  skipTime?: number | string;
}

export interface FlushResult {
  flushed: true;
  /** End of the last final bucket, epoch ms (0 before any). */
  last_finalized_bucket_end: number;
}

interface Kept {
  id: string;
  kind: 'bucket' | 'record' | 'influencer';
  timestamp: number;
  raw: number;
  score: number;
  /** Buckets: raw score per influencer field (bucket_influencers). */
  fields?: [string, number][];
}

interface Timing {
  count: number;
  total: number;
  min: number;
  max: number;
  expAvg: number;
  hourAvg: number;
  hourStart: number;
  hourTotal: number;
}

interface JobStateBody {
  counts: DataCounts;
  nextBucket: number | null;
  latest: number | null;
  finalized: boolean;
  events: [number, number][];
  recentCounts: number[];
  normaliser: NormaliserState;
  runners: DetectorRunnerState[];
  kept: Kept[];
  memory: { bytes: number; peak: number; status: MemoryStatus; failures: number; statusTime: number; since: number };
  estimatedExtra: number;
  timing: Timing;
  pending: JobResults;
  interimOut: boolean;
  lastBucketRaw: number;
}

export class AnomalyJob {
  readonly config: JobConfig;
  readonly settings: JobSettings;
  private readonly span: number;
  private readonly latency: number;
  private readonly ringSize: number;
  private readonly readTime: TimeReader;
  private readonly timeGet: FieldGetter;
  private readonly summaryGet: FieldGetter | null;
  private readonly influencerGets: FieldGetter[];
  /** Every field the analysis reads, for missing_field_count. */
  private readonly analysisGets: FieldGetter[];
  private readonly runners: DetectorRunner[];
  private normaliser: ScoreNormaliser;
  private readonly now: () => number;
  private readonly wallClock: () => number;
  private filters: Record<string, readonly string[]>;
  /** Scheduled events, by start time. */
  private events: readonly JobEvent[] = [];
  /** Custom rules per detector (`_update` may change them while the job is open). */
  private rules: DetectionRule[][];
  /** Surprise factor of custom_settings.vigil_sensitivity (1: as the models score). */
  private sensitivity: number;

  private counts: DataCounts;
  /** Start of the earliest bucket that is not final (NaN before the first record). */
  private nextBucket = NaN;
  private latest = NaN;
  /** At least one bucket is final (records before nextBucket are then out of order). */
  private finalized = false;
  private readonly eventCounts = new Map<number, number>();
  /** Event counts of recent non-empty buckets (sparse-bucket test). */
  private recentCounts: number[] = [];
  private kept: Kept[] = [];
  private memory = { bytes: 0, peak: 0, status: 'ok' as MemoryStatus, failures: 0, statusTime: 0, since: 0 };
  private estimatedExtra = 0;
  private readonly newEntityCostMax: number;
  private timing: Timing = { count: 0, total: 0, min: Infinity, max: 0, expAvg: 0, hourAvg: 0, hourStart: NaN, hourTotal: 0 };
  private pending: JobResults = emptyResults();
  /** Interim results were handed out by a drain and not yet cleared. */
  private interimOut = false;
  /** Whether `pending` may hold interim results (set when any are emitted): spares dropPendingInterim a scan per final bucket. */
  private pendingInterim = false;
  private lastBucketRaw = 0;
  /** Told each final bucket's start once every detector has closed it (not part of the state). */
  private bucketListener: ((bucket: number) => void) | null = null;

  /**
   * @param config a configuration from {@link validateJobConfig}.
   * @example
   * const job = new AnomalyJob(validateJobConfig('web', body));
   * job.postData(docs);
   * job.flush({ calcInterim: true });
   * const { buckets, records } = job.drainResults();
   */
  constructor(config: JobConfig, options: AnomalyJobOptions = {}) {
    this.config = config;
    this.settings = jobSettings(config);
    this.span = this.settings.bucketSpanMs;
    this.latency = this.settings.latencyMs;
    this.ringSize = Math.floor(this.latency / this.span) + 2;
    this.now = options.now ?? (() => performance.now());
    this.wallClock = options.wallClock ?? (() => Date.now());
    this.filters = options.filters ?? {};
    this.events = [...(options.events ?? [])].sort((a, b) => a.start_time - b.start_time);
    this.rules = config.analysis_config.detectors.map((d) => d.custom_rules);
    this.sensitivity = sensitivityOf(config.custom_settings);
    this.readTime = makeTimeReader(config.data_description);
    this.timeGet = fieldGetter(config.data_description.time_field);
    const a = config.analysis_config;
    this.summaryGet = a.summary_count_field_name !== undefined ? fieldGetter(a.summary_count_field_name) : null;
    this.influencerGets = a.influencers.map(fieldGetter);
    const fields = new Set<string>();
    for (const d of a.detectors) for (const f of [d.field_name, d.by_field_name, d.over_field_name, d.partition_field_name]) if (f !== undefined) fields.add(f);
    for (const f of a.influencers) fields.add(f);
    if (a.summary_count_field_name !== undefined) fields.add(a.summary_count_field_name);
    this.analysisGets = [...fields].map(fieldGetter);
    const mp = config.model_plot_config;
    const terms = mp?.enabled && mp.terms ? new Set(mp.terms.split(',').map((t) => t.trim()).filter((t) => t !== '')) : null;
    const env = {
      jobId: config.job_id,
      bucketSpanMs: this.span,
      ringSize: this.ringSize,
      influencerFields: a.influencers,
      allowNewEntity: () => this.allowNewEntity(),
      modelPlot: { enabled: mp?.enabled ?? false, terms: terms && terms.size > 0 ? terms : null },
    };
    this.runners = a.detectors.map((d) => new DetectorRunner(d, env));
    this.newEntityCostMax = Math.max(1000, ...this.runners.map((r) => r.newEntityBytes()));
    this.normaliser = new ScoreNormaliser(Math.max(1, Math.round(this.settings.renormalizationWindowMs / this.span)));
    this.counts = emptyDataCounts(config.job_id);
  }

  // ------------------------------------------------------------------------------------------
  // data in

  /**
   * Processes posted documents (`_data`). Documents must be plain objects; fields are read by
   * Elastic name (dotted names reach nested objects). Returns this call's increments of the data
   * counts (timestamps are the job's current ones); {@link dataCounts} gives the job's totals.
   */
  postData(docs: Iterable<Record<string, unknown>>, options: PostDataOptions = {}): DataCounts {
    const before = { ...this.counts };
    const span = this.span;
    const latency = this.latency;
    const inf = this.influencerGets;
    const nInf = inf.length;
    const runners = this.runners;
    const analysisGets = this.analysisGets;
    const c = this.counts;
    const ring = this.ringSize;
    const eventCounts = this.eventCounts;
    // the event count of the bucket being read is kept here and written to the map when the bucket
    // changes, before buckets are finalised (they read it) and at the end: one map write per bucket
    let evBucket = NaN;
    let evCount = 0;
    // the ring slot of the last bucket
    let slotBucket = NaN;
    let slot = 0;
    try {
      for (const doc of docs) {
        c.input_record_count++;
        if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
          c.invalid_date_count++;
          continue;
        }
        c.input_field_count += countFields(doc);
        const t = this.readTime(this.timeGet(doc));
        if (!Number.isFinite(t)) {
          c.invalid_date_count++;
          continue;
        }
        const bucket = Math.floor(t / span) * span;
        if (t < this.latest - latency || (this.finalized && bucket < this.nextBucket)) {
          c.out_of_order_timestamp_count++;
          continue;
        }
        let missing = 0;
        for (let i = 0; i < analysisGets.length; i++) {
          const v = analysisGets[i](doc);
          if (v === undefined || v === null) missing++;
        }
        c.missing_field_count += missing;
        c.processed_field_count += analysisGets.length - missing;
        c.processed_record_count++;
        if (!(t >= c.earliest_record_timestamp!)) c.earliest_record_timestamp = t;
        if (!(t <= this.latest)) {
          this.latest = t;
          c.latest_record_timestamp = t;
          if (evBucket === evBucket) {
            eventCounts.set(evBucket, evCount);
            evBucket = NaN;
          }
          this.finalizeUpTo(t - latency);
        }
        if (!this.finalized && !(bucket >= this.nextBucket)) this.nextBucket = bucket;
        let weight = 1;
        if (this.summaryGet) {
          const w = numberOf(this.summaryGet(doc));
          if (Number.isFinite(w) && w >= 0) weight = w;
        }
        if (bucket !== evBucket) {
          if (evBucket === evBucket) eventCounts.set(evBucket, evCount);
          evBucket = bucket;
          evCount = eventCounts.get(bucket) ?? 0;
        }
        evCount += weight;
        const influencers: (string | null)[] = new Array(nInf);
        for (let i = 0; i < nInf; i++) influencers[i] = termOf(inf[i](doc));
        if (bucket !== slotBucket) {
          slot = (((bucket / span) % ring) + ring) % ring;
          slotBucket = bucket;
        }
        const input = { doc, time: t, bucket, slot, weight, influencers };
        for (let d = 0; d < runners.length; d++) runners[d].add(input);
      }
    } finally {
      if (evBucket === evBucket) eventCounts.set(evBucket, evCount);
    }
    c.input_bytes += options.inputBytes ?? 0;
    if (c.processed_record_count > before.processed_record_count || c.input_record_count > before.input_record_count) {
      c.last_data_time = this.wallClock();
    }
    c.log_time = this.wallClock();
    return diffCounts(this.counts, before);
  }

  /** The job's cumulative data counts (what `_data` answers and `_stats` shows). */
  dataCounts(): DataCounts {
    return { ...this.counts };
  }

  /** Finalises every bucket whose end is at or before `time`. */
  private finalizeUpTo(time: number): void {
    if (Number.isNaN(this.nextBucket)) return;
    while (this.nextBucket + this.span <= time) {
      this.finalizeBucket(this.nextBucket);
      this.nextBucket += this.span;
      this.finalized = true;
    }
  }

  // ------------------------------------------------------------------------------------------
  // buckets out

  private slotOf(bucket: number): number {
    const k = bucket / this.span;
    return ((k % this.ringSize) + this.ringSize) % this.ringSize;
  }

  private finalizeBucket(bucket: number): void {
    const t0 = this.now();
    if (this.interimOut) this.pending.clearInterim = true;
    this.dropPendingInterim();
    const prune = this.memory.status === 'ok' ? this.settings.modelPruneWindowMs : this.settings.modelPruneWindowMs / 2;
    const pruneBefore = bucket - prune;
    const slot = this.slotOf(bucket);
    let refused = 0;
    const records: PendingRecord[] = [];
    const plots: ModelPlotDoc[] = [];
    const events = eventsIn(this.events, bucket, bucket + this.span);
    const skipResults = events.some((e) => e.skip_result !== false);
    for (let i = 0; i < this.runners.length; i++) {
      const r = this.runners[i];
      refused += r.refusedInBucket;
      const out = r.finishBucket(bucket, slot, false, pruneBefore, this.bucketControl(i, bucket, events));
      for (const rec of out.records) if (!skipResults && !this.skippedByRule(this.rules[i], rec)) records.push(this.sensitive(rec));
      for (const p of out.plots) plots.push(p);
      for (const c of out.changes) this.annotate(i, bucket, c);
    }
    let rawMax = 0;
    for (const r of records) if (r.raw > rawMax) rawMax = r.raw;
    let series = 0;
    for (const r of this.runners) series += r.seriesCount();
    this.normaliser.observeBucket(rawMax, series);
    this.lastBucketRaw = rawMax;
    const eventCount = this.eventCounts.get(bucket) ?? 0;
    this.eventCounts.delete(bucket);
    this.emitBucket(bucket, records, plots, eventCount, false, t0, events);
    // counts
    const c = this.counts;
    c.bucket_count++;
    c.latest_bucket_timestamp = bucket;
    if (eventCount === 0) {
      c.empty_bucket_count++;
      c.latest_empty_bucket_timestamp = bucket;
    } else {
      const rc = this.recentCounts;
      if (rc.length >= 10) {
        let mean = 0;
        for (const x of rc) mean += x;
        mean /= rc.length;
        if (eventCount < 0.1 * mean) {
          c.sparse_bucket_count++;
          c.latest_sparse_bucket_timestamp = bucket;
        }
      }
      rc.push(eventCount);
      if (rc.length > 30) rc.shift();
    }
    // memory
    if (refused > 0) this.memory.failures++;
    this.updateMemory(false);
    // keep the renormalisation window
    const horizon = bucket - this.settings.renormalizationWindowMs;
    if (this.kept.length > 0 && this.kept[0].timestamp < horizon) this.kept = this.kept.filter((k) => k.timestamp >= horizon);
    // timing
    const ms = Math.max(0, this.now() - t0);
    this.recordTiming(ms, bucket);
    if (this.bucketListener !== null) this.bucketListener(bucket);
  }

  /**
   * Calls `fn` with the start of every bucket that becomes final (after its results are made and
   * every series' kept value, {@link forecastHistories}, holds it); null stops. The job does not
   * know what the listener does (the server feeds trained-model activations so); results and
   * state are the same with or without one.
   */
  setBucketListener(fn: ((bucket: number) => void) | null): void {
    this.bucketListener = fn;
  }

  /** What detector `i` is told about a bucket: the clock shift, event-wide and rule-based model-update skips. */
  private bucketControl(i: number, bucket: number, events: JobEvent[]): BucketControl {
    const modelRules = this.rules[i].filter((r) => r.actions.includes('skip_model_update'));
    const r = this.runners[i];
    return {
      shiftMs: this.events.length ? timeShiftAt(this.events, bucket) : 0,
      skipModelUpdate: events.some((e) => e.skip_model_update !== false),
      skipUpdate:
        modelRules.length === 0
          ? null
          : (fields, actual, typical) => {
              const doc = {
                timestamp: bucket,
                actual: [actual],
                typical: [typical],
                partition_field_name: r.config.partition_field_name,
                partition_field_value: fields.partition ?? undefined,
                by_field_name: r.config.by_field_name,
                by_field_value: fields.by ?? undefined,
                over_field_name: r.config.over_field_name,
                over_field_value: fields.over ?? undefined,
              } as unknown as RecordDoc;
              return modelRules.some((rule) => this.ruleApplies(rule, doc));
            },
    };
  }

  /** A record's raw score under the job's sensitivity. */
  private sensitive(rec: PendingRecord): PendingRecord {
    if (this.sensitivity !== 1) rec.raw = withSensitivity(rec.raw, this.sensitivity);
    return rec;
  }

  /** A model change as an Elastic model_change annotation (handed out with the results). */
  private annotate(detector: number, bucket: number, c: ModelChange): void {
    const d = this.config.analysis_config.detectors[detector];
    const now = this.wallClock();
    const doc: AnnotationDoc = {
      job_id: this.config.job_id,
      type: 'annotation',
      event: 'model_change',
      annotation: c.text,
      timestamp: bucket,
      end_timestamp: bucket + this.span,
      detector_index: detector,
      create_time: now,
      create_username: '_xpack',
      modified_time: now,
      modified_username: '_xpack',
      result_type: 'annotation',
    };
    if (d.partition_field_name !== undefined && c.partition !== null) {
      doc.partition_field_name = d.partition_field_name;
      doc.partition_field_value = c.partition;
    }
    if (d.by_field_name !== undefined && c.by !== null) {
      doc.by_field_name = d.by_field_name;
      doc.by_field_value = c.by;
    }
    (this.pending.annotations ??= []).push(doc);
  }

  /**
   * Filters and scheduled events (the server's calendars and filters), in force from the next
   * bucket processed on. Deterministic: the same controls at the same point of the input give the
   * same results, so the server logs changes with the data it replays.
   */
  setControls(controls: Partial<JobControls>): void {
    if (controls.filters) this.filters = { ...controls.filters };
    if (controls.events) this.events = [...controls.events].sort((a, b) => a.start_time - b.start_time);
  }

  /**
   * Takes the settings `_update` may change while the job is open: detectors' custom_rules and
   * custom_settings.vigil_sensitivity (from the next bucket on; models are not retrained).
   */
  updateConfig(config: JobConfig): void {
    this.rules = config.analysis_config.detectors.map((d, i) => d.custom_rules ?? this.rules[i] ?? []);
    this.sensitivity = sensitivityOf(config.custom_settings);
  }

  private emitBucket(bucket: number, records: PendingRecord[], plots: ModelPlotDoc[], events: number, interim: boolean, t0: number, scheduled: JobEvent[] = []): void {
    const n = this.normaliser;
    const jobId = this.config.job_id;
    const spanS = this.span / 1000;
    let rawMax = 0;
    let minP = 1;
    // influencers: (field, value) → highest raw score and lowest probability of the records they influenced
    const infl = new Map<string, { field: string; value: string; raw: number; p: number }>();
    const fieldRaw = new Map<string, { raw: number; p: number }>();
    const out = this.pending;
    for (const r of records) {
      const score = roundScore(n.normalise(r.raw));
      r.doc.record_score = score;
      r.doc.initial_record_score = score;
      if (r.influences.length > 0) {
        r.doc.influencers = r.influences;
        for (const i of r.influences) {
          if (!(i.influencer_field_name in r.doc)) r.doc[i.influencer_field_name] = [...i.influencer_field_values];
        }
      }
      for (const [name, value] of [
        [r.doc.partition_field_name, r.doc.partition_field_value],
        [r.doc.by_field_name, r.doc.by_field_value],
        [r.doc.over_field_name, r.doc.over_field_value],
      ] as const) {
        if (name !== undefined && value !== undefined && !(name in r.doc)) r.doc[name] = [value];
      }
      if (r.raw > rawMax) rawMax = r.raw;
      if (r.doc.probability < minP) minP = r.doc.probability;
      for (const i of r.influences) {
        for (const v of i.influencer_field_values) {
          const key = `${i.influencer_field_name}\u0000${v}`;
          const e = infl.get(key);
          if (!e) infl.set(key, { field: i.influencer_field_name, value: v, raw: r.raw, p: r.doc.probability });
          else {
            if (r.raw > e.raw) e.raw = r.raw;
            if (r.doc.probability < e.p) e.p = r.doc.probability;
          }
        }
        const f = fieldRaw.get(i.influencer_field_name);
        if (!f) fieldRaw.set(i.influencer_field_name, { raw: r.raw, p: r.doc.probability });
        else {
          if (r.raw > f.raw) f.raw = r.raw;
          if (r.doc.probability < f.p) f.p = r.doc.probability;
        }
      }
      out.records.push(r.doc);
      if (!interim && score > 0) this.kept.push({ id: resultId(r.doc), kind: 'record', timestamp: bucket, raw: r.raw, score });
    }
    const bucketScore = roundScore(n.normalise(rawMax));
    const bucketInfluencer = (field: string, raw: number, p: number): BucketInfluencerDoc => {
      const s = roundScore(n.normalise(raw));
      return {
        job_id: jobId,
        result_type: 'bucket_influencer',
        influencer_field_name: field,
        initial_anomaly_score: s,
        anomaly_score: s,
        raw_anomaly_score: roundScore(raw),
        probability: p,
        timestamp: bucket,
        bucket_span: spanS,
        is_interim: interim,
      };
    };
    const bucketInfluencers: BucketInfluencerDoc[] = [];
    if (records.length > 0) {
      for (const [field, f] of [...fieldRaw].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) bucketInfluencers.push(bucketInfluencer(field, f.raw, f.p));
      bucketInfluencers.push(bucketInfluencer('bucket_time', rawMax, minP));
    }
    for (const e of infl.values()) {
      const s = roundScore(n.normalise(e.raw));
      const doc: InfluencerDoc = {
        job_id: jobId,
        result_type: 'influencer',
        influencer_field_name: e.field,
        influencer_field_value: e.value,
        influencer_score: s,
        initial_influencer_score: s,
        probability: e.p,
        bucket_span: spanS,
        is_interim: interim,
        timestamp: bucket,
      };
      if (!(e.field in doc)) doc[e.field] = e.value;
      out.influencers.push(doc);
      if (!interim && s > 0) this.kept.push({ id: resultId(doc), kind: 'influencer', timestamp: bucket, raw: e.raw, score: s });
    }
    for (const p of plots) out.modelPlots.push(p);
    const doc: BucketDoc = {
      job_id: jobId,
      result_type: 'bucket',
      timestamp: bucket,
      bucket_span: spanS,
      anomaly_score: bucketScore,
      initial_anomaly_score: bucketScore,
      event_count: events,
      is_interim: interim,
      processing_time_ms: Math.round(Math.max(0, this.now() - t0)),
      bucket_influencers: bucketInfluencers,
    };
    if (scheduled.length > 0) doc.scheduled_events = scheduled.map((e) => e.description);
    out.buckets.push(doc);
    if (interim) this.pendingInterim = true;
    if (!interim && bucketScore > 0) {
      this.kept.push({
        id: resultId(doc),
        kind: 'bucket',
        timestamp: bucket,
        raw: rawMax,
        score: bucketScore,
        fields: bucketInfluencers.map((b) => [b.influencer_field_name, b.raw_anomaly_score]),
      });
    }
  }

  /** Custom rules with skip_result: conditions on actual/typical/diff_from_typical/time, scopes on filters. */
  private skippedByRule(rules: readonly DetectionRule[], rec: PendingRecord): boolean {
    for (const rule of rules) {
      if (!rule.actions.includes('skip_result')) continue;
      if (this.ruleApplies(rule, rec.doc)) return true;
    }
    return false;
  }

  private ruleApplies(rule: DetectionRule, doc: RecordDoc): boolean {
    for (const [field, ref] of Object.entries(rule.scope ?? {})) {
      const value =
        field === doc.partition_field_name ? doc.partition_field_value : field === doc.by_field_name ? doc.by_field_value : field === doc.over_field_name ? doc.over_field_value : undefined;
      if (value === undefined) return false;
      const items = this.filters[ref.filter_id] ?? [];
      const inFilter = items.some((item) => globMatch(item, value));
      if (ref.filter_type === 'include' ? !inFilter : inFilter) return false;
    }
    for (const cond of rule.conditions ?? []) {
      const actual = doc.actual?.[0];
      const typical = doc.typical?.[0];
      let x: number;
      switch (cond.applies_to) {
        case 'actual':
          x = actual ?? NaN;
          break;
        case 'typical':
          x = typical ?? NaN;
          break;
        case 'diff_from_typical':
          x = actual !== undefined && typical !== undefined ? Math.abs(actual - typical) : NaN;
          break;
        case 'time':
          x = doc.timestamp / 1000;
          break;
      }
      const ok = cond.operator === 'gt' ? x > cond.value : cond.operator === 'gte' ? x >= cond.value : cond.operator === 'lt' ? x < cond.value : x <= cond.value;
      if (!ok) return false;
    }
    return true;
  }

  private dropPendingInterim(): void {
    if (!this.pendingInterim) return;
    this.pendingInterim = false;
    const p = this.pending;
    if (p.buckets.some((b) => b.is_interim)) {
      p.buckets = p.buckets.filter((b) => !b.is_interim);
      p.records = p.records.filter((b) => !b.is_interim);
      p.influencers = p.influencers.filter((b) => !b.is_interim);
      p.modelPlots = p.modelPlots.filter((b) => !b.is_interim);
    }
  }

  // ------------------------------------------------------------------------------------------
  // flush

  /**
   * Elastic's `_flush`: skip_time (jump ahead: open buckets before it are dropped, not scored,
   * models not updated), then advance_time (every bucket ending at or before it becomes final,
   * empty ones included), then calc_interim (interim results for the open buckets, or those from
   * `start` to `end`).
   *
   * @throws JobConfigError with Elastic's messages for inconsistent parameters.
   */
  flush(options: FlushOptions = {}): FlushResult {
    const start = options.start === undefined ? undefined : timeParam(options.start, 'start');
    const end = options.end === undefined ? undefined : timeParam(options.end, 'end');
    const advance = options.advanceTime === undefined ? undefined : timeParam(options.advanceTime, 'advance_time');
    const skip = options.skipTime === undefined ? undefined : timeParam(options.skipTime, 'skip_time');
    if (!options.calcInterim) {
      if (start !== undefined) throw invalid("Invalid flush parameters: unexpected 'start'.");
      if (end !== undefined) throw invalid("Invalid flush parameters: unexpected 'end'.");
    } else if (start === undefined && end !== undefined) {
      throw invalid("Invalid flush parameters: 'start' has not been specified.");
    }
    if (start !== undefined && end !== undefined && end < start) {
      throw invalid(`Invalid time range: end time '${end}' is earlier than start time '${start}'.`);
    }
    if (skip !== undefined) this.skipTo(skip);
    if (advance !== undefined) this.advanceTo(advance);
    if (options.calcInterim) this.calcInterim(start, end);
    return { flushed: true, last_finalized_bucket_end: this.lastFinalizedBucketEnd() };
  }

  /** End of the last final bucket, epoch ms (0 before any). */
  lastFinalizedBucketEnd(): number {
    return this.finalized ? this.nextBucket : 0;
  }

  private skipTo(time: number): void {
    const bucket = Math.floor(time / this.span) * this.span;
    if (!Number.isNaN(this.nextBucket) && bucket <= this.nextBucket) return;
    for (const r of this.runners) r.discardBefore(bucket);
    for (const b of [...this.eventCounts.keys()]) if (b < bucket) this.eventCounts.delete(b);
    this.nextBucket = bucket;
    this.finalized = true;
    if (!(time <= this.latest)) this.latest = time;
  }

  private advanceTo(time: number): void {
    if (Number.isNaN(this.nextBucket)) {
      this.nextBucket = Math.floor(time / this.span) * this.span;
      this.finalized = true;
    } else {
      this.finalizeUpTo(time);
    }
    if (!(time <= this.latest)) this.latest = time;
  }

  private calcInterim(start: number | undefined, end: number | undefined): void {
    if (Number.isNaN(this.nextBucket) || Number.isNaN(this.latest)) return;
    if (this.interimOut) this.pending.clearInterim = true;
    this.dropPendingInterim();
    const last = Math.floor(this.latest / this.span) * this.span;
    const from = Math.max(this.nextBucket, start === undefined ? -Infinity : Math.floor(start / this.span) * this.span);
    const to = Math.min(last, end === undefined ? Infinity : Math.ceil(end / this.span) * this.span - this.span);
    for (let b = from; b <= to; b += this.span) {
      const t0 = this.now();
      const slot = this.slotOf(b);
      const records: PendingRecord[] = [];
      const plots: ModelPlotDoc[] = [];
      const events = eventsIn(this.events, b, b + this.span);
      const skipResults = events.some((e) => e.skip_result !== false);
      for (let i = 0; i < this.runners.length; i++) {
        const r = this.runners[i];
        const out = r.finishBucket(b, slot, true, -Infinity, this.bucketControl(i, b, events));
        for (const rec of out.records) if (!skipResults && !this.skippedByRule(this.rules[i], rec)) records.push(this.sensitive(rec));
        for (const p of out.plots) plots.push(p);
      }
      this.emitBucket(b, records, plots, this.eventCounts.get(b) ?? 0, true, t0, events);
    }
  }

  // ------------------------------------------------------------------------------------------
  // results

  /**
   * Hands over the results produced since the last drain. When `clearInterim` is true, the stored
   * interim results of the job must be deleted before these are stored.
   */
  drainResults(): JobResults {
    const out = this.pending;
    this.pending = emptyResults();
    this.pendingInterim = false;
    if (out.buckets.some((b) => b.is_interim)) this.interimOut = true;
    else if (out.clearInterim) this.interimOut = false;
    return out;
  }

  /**
   * Renormalisation: the current scores of stored (final) results within renormalization_window_days
   * whose score changed since they were handed out (or last renormalised). Apply them by id to
   * `record_score`, `anomaly_score` (and the bucket's bucket_influencers) and `influencer_score`;
   * the `initial_*` scores never change.
   */
  renormalise(): ScoreUpdate[] {
    const n = this.normaliser;
    const updates: ScoreUpdate[] = [];
    for (const k of this.kept) {
      const s = roundScore(n.normalise(k.raw));
      if (Math.abs(s - k.score) < 1e-6) continue;
      k.score = s;
      if (k.kind === 'record') updates.push({ id: k.id, result_type: 'record', timestamp: k.timestamp, record_score: s });
      else if (k.kind === 'influencer') updates.push({ id: k.id, result_type: 'influencer', timestamp: k.timestamp, influencer_score: s });
      else {
        updates.push({
          id: k.id,
          result_type: 'bucket',
          timestamp: k.timestamp,
          anomaly_score: s,
          bucket_influencers: (k.fields ?? []).map(([f, raw]) => ({ influencer_field_name: f, anomaly_score: roundScore(n.normalise(raw)) })),
        });
      }
    }
    return updates;
  }

  // ------------------------------------------------------------------------------------------
  // memory and timing

  private allowNewEntity(): boolean {
    if (this.memory.status === 'hard_limit') return false;
    const limit = this.settings.modelMemoryLimitBytes;
    const cost = this.newEntityCostMax;
    if (this.memory.bytes + this.estimatedExtra + cost > limit) {
      this.setStatus('hard_limit');
      return false;
    }
    this.estimatedExtra += cost;
    return true;
  }

  private setStatus(status: MemoryStatus): void {
    if (this.memory.status !== status) {
      this.memory.status = status;
      this.memory.statusTime = Number.isNaN(this.nextBucket) ? 0 : this.nextBucket;
    }
  }

  /**
   * Model bytes are counted exactly every 32 buckets, and every bucket once memory is above half
   * the limit; in between, new entities are added at their estimated cost (counting every model
   * every bucket cost a fifth of the engine's time).
   */
  private updateMemory(force: boolean): void {
    const limit = this.settings.modelMemoryLimitBytes;
    this.memory.since++;
    if (!force && this.memory.since < 32 && this.memory.bytes + this.estimatedExtra < 0.5 * limit && this.memory.status === 'ok') return;
    this.memory.since = 0;
    let bytes = 0;
    for (const r of this.runners) bytes += r.memoryBytes();
    this.memory.bytes = bytes;
    this.estimatedExtra = 0;
    if (bytes > this.memory.peak) this.memory.peak = bytes;
    // hard_limit stays until memory has come well below the limit (pruning), as in Elastic
    if (this.memory.status === 'hard_limit' && bytes > SOFT_LIMIT_RATIO * limit) return;
    this.setStatus(bytes >= limit ? 'hard_limit' : bytes >= SOFT_LIMIT_RATIO * limit ? 'soft_limit' : 'ok');
  }

  private recordTiming(ms: number, bucket: number): void {
    const t = this.timing;
    t.count++;
    t.total += ms;
    if (ms < t.min) t.min = ms;
    if (ms > t.max) t.max = ms;
    const alpha = 0.01;
    t.expAvg = t.count === 1 ? ms : (1 - alpha) * t.expAvg + alpha * ms;
    const hour = Math.floor(bucket / 3_600_000) * 3_600_000;
    if (hour !== t.hourStart) {
      if (!Number.isNaN(t.hourStart)) t.hourAvg = t.hourAvg === 0 ? t.hourTotal : 0.9 * t.hourAvg + 0.1 * t.hourTotal;
      t.hourStart = hour;
      t.hourTotal = 0;
    }
    t.hourTotal += ms;
  }

  /** Elastic's model_size_stats (model bytes counted exactly at the call). */
  modelSizeStats(): ModelSizeStats {
    this.updateMemory(true);
    let by = 0;
    let over = 0;
    let partition = 0;
    for (const r of this.runners) {
      const c = r.counts();
      by += c.by;
      over += c.over;
      partition += c.partition;
    }
    const limit = this.settings.modelMemoryLimitBytes;
    const out: ModelSizeStats = {
      job_id: this.config.job_id,
      result_type: 'model_size_stats',
      model_bytes: this.memory.bytes,
      peak_model_bytes: this.memory.peak,
      model_bytes_exceeded: Math.max(0, this.memory.bytes - limit),
      model_bytes_memory_limit: limit,
      total_by_field_count: by,
      total_over_field_count: over,
      total_partition_field_count: partition,
      bucket_allocation_failures_count: this.memory.failures,
      memory_status: this.memory.status,
      assignment_memory_basis: 'model_memory_limit',
      categorized_doc_count: 0,
      total_category_count: 0,
      frequent_category_count: 0,
      rare_category_count: 0,
      dead_category_count: 0,
      failed_category_count: 0,
      categorization_status: 'ok',
      log_time: this.wallClock(),
    };
    if (this.finalized) out.timestamp = this.nextBucket - this.span;
    return out;
  }

  /** Elastic's timing_stats. */
  timingStats(): TimingStats {
    const t = this.timing;
    const out: TimingStats = { job_id: this.config.job_id, bucket_count: t.count, total_bucket_processing_time_ms: round3(t.total) };
    if (t.count > 0) {
      out.minimum_bucket_processing_time_ms = round3(t.min);
      out.maximum_bucket_processing_time_ms = round3(t.max);
      out.average_bucket_processing_time_ms = round3(t.total / t.count);
      out.exponential_average_bucket_processing_time_ms = round3(t.expAvg);
      out.exponential_average_bucket_processing_time_per_hour_ms = round3(t.hourAvg || t.hourTotal);
    }
    return out;
  }

  /**
   * The kept bucket values of every series entity (per detector, partition and by value; oldest
   * first, NaN for an empty bucket), the input of `_forecast` (src/engine/forecast). Population,
   * rare, time and lat_long detectors keep none. See bucket-history.ts for the bound.
   */
  forecastHistories(): { detector_index: number; partition_field_value?: string; by_field_value?: string; time: Float64Array; value: Float64Array }[] {
    const out: ReturnType<AnomalyJob['forecastHistories']> = [];
    this.runners.forEach((r, i) => {
      const detector_index = r.config.detector_index ?? i;
      for (const h of r.histories()) {
        const doc: (typeof out)[number] = { detector_index, time: h.time, value: h.value };
        if (h.partition !== null) doc.partition_field_value = h.partition;
        if (h.by !== null) doc.by_field_value = h.by;
        out.push(doc);
      }
    });
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // state

  /** The whole job as a versioned, JSON-safe state. */
  toState(): ModelState<JobStateBody, { job_id: string; detectors: number }> {
    return {
      type: STATE_TYPE,
      version: STATE_VERSION,
      spec: { job_id: this.config.job_id, detectors: this.runners.length },
      state: {
        counts: { ...this.counts },
        nextBucket: Number.isNaN(this.nextBucket) ? null : this.nextBucket,
        latest: Number.isNaN(this.latest) ? null : this.latest,
        finalized: this.finalized,
        events: [...this.eventCounts],
        recentCounts: [...this.recentCounts],
        normaliser: this.normaliser.toState(),
        runners: this.runners.map((r) => r.toState()),
        kept: this.kept.map((k) => ({ ...k })),
        memory: { ...this.memory },
        estimatedExtra: this.estimatedExtra,
        timing: { ...this.timing, min: Number.isFinite(this.timing.min) ? this.timing.min : -1, hourStart: Number.isNaN(this.timing.hourStart) ? -1 : this.timing.hourStart },
        pending: structuredClone(this.pending),
        interimOut: this.interimOut,
        lastBucketRaw: this.lastBucketRaw,
      },
    };
  }

  /**
   * Restores a job saved with {@link toState} under the same configuration (detectors may not have
   * changed; settings that `_update` may change, such as model plot, take their new values).
   *
   * @throws VigilError STATE_TYPE / STATE_VERSION for a state of another kind or version.
   */
  static fromState(config: JobConfig, state: ModelState, options: AnomalyJobOptions = {}): AnomalyJob {
    if (!state || typeof state !== 'object' || state.type !== STATE_TYPE) {
      throw new VigilError('STATE_TYPE', `saved state is of type [${(state as ModelState | undefined)?.type}], expected [${STATE_TYPE}]`);
    }
    if (state.version !== STATE_VERSION) {
      throw new VigilError('STATE_VERSION', `saved ${STATE_TYPE} state has version ${state.version}; this Vigil reads version ${STATE_VERSION}`);
    }
    const s = state as ModelState<JobStateBody, { job_id: string; detectors: number }>;
    if (s.spec.detectors !== config.analysis_config.detectors.length) {
      throw new VigilError('STATE_TYPE', `saved job state has ${s.spec.detectors} detectors; the configuration has ${config.analysis_config.detectors.length}`);
    }
    const job = new AnomalyJob(config, options);
    const b = s.state;
    job.counts = { ...b.counts, job_id: config.job_id };
    job.nextBucket = b.nextBucket ?? NaN;
    job.latest = b.latest ?? NaN;
    job.finalized = b.finalized;
    for (const [k, v] of b.events) job.eventCounts.set(k, v);
    job.recentCounts = [...b.recentCounts];
    job.normaliser = ScoreNormaliser.fromState(b.normaliser, job.normaliser.windowBuckets);
    b.runners.forEach((rs, i) => job.runners[i].restoreState(rs));
    job.kept = b.kept.map((k) => ({ ...k }));
    job.memory = { ...b.memory };
    job.estimatedExtra = b.estimatedExtra;
    job.timing = { ...b.timing, min: b.timing.min < 0 ? Infinity : b.timing.min, hourStart: b.timing.hourStart < 0 ? NaN : b.timing.hourStart };
    job.pending = structuredClone(b.pending);
    job.pendingInterim = job.pending.buckets.some((d) => d.is_interim);
    job.interimOut = b.interimOut;
    job.lastBucketRaw = b.lastBucketRaw;
    return job;
  }
}

function emptyResults(): JobResults {
  return { clearInterim: false, buckets: [], records: [], influencers: [], modelPlots: [], annotations: [] };
}

/** A job's data_counts before any data (Elastic's zeroes). */
export function emptyDataCounts(jobId: string): DataCounts {
  return {
    job_id: jobId,
    processed_record_count: 0,
    processed_field_count: 0,
    input_bytes: 0,
    input_field_count: 0,
    invalid_date_count: 0,
    missing_field_count: 0,
    out_of_order_timestamp_count: 0,
    empty_bucket_count: 0,
    sparse_bucket_count: 0,
    bucket_count: 0,
    input_record_count: 0,
  };
}

const ADDITIVE: (keyof DataCounts)[] = [
  'processed_record_count',
  'processed_field_count',
  'input_bytes',
  'input_field_count',
  'invalid_date_count',
  'missing_field_count',
  'out_of_order_timestamp_count',
  'empty_bucket_count',
  'sparse_bucket_count',
  'bucket_count',
  'input_record_count',
];

function diffCounts(now: DataCounts, before: DataCounts): DataCounts {
  const out = { ...now };
  for (const k of ADDITIVE) (out as unknown as Record<string, number>)[k] = (now[k] as number) - (before[k] as number);
  return out;
}

function timeParam(v: number | string, name: string): number {
  const t = readTimeParam(v);
  if (Number.isNaN(t)) throw invalid(`Query param [${name}] with value [${String(v)}] cannot be parsed as a date or converted to a number (epoch).`);
  return t;
}

function globMatch(pattern: string, value: string): boolean {
  const starts = pattern.startsWith('*');
  const ends = pattern.endsWith('*') && pattern.length > 1;
  const core = pattern.slice(starts ? 1 : 0, ends ? -1 : undefined);
  if (starts && ends) return value.includes(core);
  if (starts) return value.endsWith(core);
  if (ends) return value.startsWith(core);
  return value === pattern;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
