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
 *
 * This file holds the job's time (intake, final and interim buckets, flush) and its state; the
 * parts it uses are in anomaly-job/: data counts, result documents (bucket-results.ts), pending and
 * interim results, the renormalisation window (score-window.ts), custom rules applied to results
 * (rule-evaluation.ts), model-change annotations, memory and model_size_stats, timing_stats, the
 * flush parameters and the state layout (job-state.ts).
 */
import type { ModelState } from '../../core/state.js';
import { emitBucketResults } from './anomaly-job/bucket-results.js';
import { countFinalBucket, diffCounts, emptyDataCounts, type DataCounts } from './anomaly-job/data-counts.js';
import { readFlushTimes, type FlushOptions, type FlushResult } from './anomaly-job/flush-params.js';
import { STATE_TYPE, STATE_VERSION, checkJobState, type JobState } from './anomaly-job/job-state.js';
import { MemoryAccount, type ModelSizeStats } from './anomaly-job/memory.js';
import { modelChangeAnnotation } from './anomaly-job/model-change-annotation.js';
import { PendingResults } from './anomaly-job/pending-results.js';
import { modelUpdateMayApply, modelUpdateRules, skippedByRule } from './anomaly-job/rule-evaluation.js';
import { ScoreWindow } from './anomaly-job/score-window.js';
import { emptyTiming, recordTiming, timingFromState, timingStats, timingToState, type TimingStats } from './anomaly-job/timing.js';
import { jobSettings, type DetectionRule, type JobConfig, type JobSettings } from './config.js';
import { eventsIn, sensitivityOf, seriesModelOf, timeShiftAt, withSensitivity, type JobControls, type JobEvent } from './controls.js';
import { DetectorRunner, type BucketControl, type PendingRecord } from './detector-runner.js';
import { countFields, fieldGetter, numberOf, termOf, type FieldGetter } from './field-access.js';
import { lookupFunction } from './functions.js';
import { maxJumpMs } from '../../core/time/jump.js';
import { ScoreNormaliser } from './normaliser.js';
import type { JobResults, ModelPlotDoc, ScoreUpdate } from './results.js';
import { makeTimeReader, type TimeReader } from './time-reader.js';

export { emptyDataCounts, type DataCounts } from './anomaly-job/data-counts.js';
export type { FlushOptions, FlushResult } from './anomaly-job/flush-params.js';
export type { MemoryStatus, ModelSizeStats } from './anomaly-job/memory.js';
export type { TimingStats } from './anomaly-job/timing.js';

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
  /**
   * Told of every value the job cannot use, with the document's index in `docs`, the field, the
   * value and what was wrong:
   *   - `not_a_number`: a metric function's value is no number (`"v": "x"`, `true`, `"NaN"`). It
   *     counts as a missing field (missing_field_count); the rest of the document is processed, as
   *     Elastic does.
   *   - `time_jump`: the time is more than {@link MAX_JUMP_MS} and {@link MAX_JUMP_BUCKETS} buckets
   *     after the newest record so far (a typo such as 2204 for 2024, which would otherwise make
   *     the job step through and store every empty bucket in between). The document is not
   *     processed (invalid_date_count); `_flush` with `skip_time` moves a job ahead on purpose.
   */
  onInvalidValue?: (index: number, field: string, value: unknown, problem: InvalidValueProblem) => void;
}

export type InvalidValueProblem = 'not_a_number' | 'time_jump';

export { MAX_JUMP_MS, MAX_JUMP_BUCKETS } from '../../core/time/jump.js';

/** One series of a job: a detector and, when it is split, its partition / by values (absent: not split by it). */
export interface SeriesFilter {
  detector_index: number;
  partition_field_value?: string | null;
  by_field_value?: string | null;
}

export class AnomalyJob {
  readonly config: JobConfig;
  readonly settings: JobSettings;
  private readonly span: number;
  private readonly latency: number;
  private readonly ringSize: number;
  private readonly readTime: TimeReader;
  private readonly timeGet: FieldGetter;
  private readonly timeField: string;
  /** A record this far after the newest time is refused (see PostDataOptions.onInvalidValue). */
  private readonly maxJumpMs: number;
  private readonly summaryGet: FieldGetter | null;
  private readonly influencerGets: FieldGetter[];
  /** Every field the analysis reads, for missing_field_count. */
  private readonly analysisGets: FieldGetter[];
  /** Per analysis field: whether a metric function reads it as a number; and its name. */
  private readonly analysisNumeric: boolean[];
  private readonly analysisNames: string[];
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
  /** Final results within the renormalisation window. */
  private readonly window = new ScoreWindow();
  private readonly memory: MemoryAccount;
  private timing = emptyTiming();
  /** Results not handed out yet. */
  private readonly pending = new PendingResults();
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
    this.timeField = config.data_description.time_field;
    this.maxJumpMs = maxJumpMs(this.span);
    const a = config.analysis_config;
    this.summaryGet = a.summary_count_field_name !== undefined ? fieldGetter(a.summary_count_field_name) : null;
    this.influencerGets = a.influencers.map(fieldGetter);
    const fields = new Set<string>();
    for (const d of a.detectors) for (const f of [d.field_name, d.by_field_name, d.over_field_name, d.partition_field_name]) if (f !== undefined) fields.add(f);
    for (const f of a.influencers) fields.add(f);
    if (a.summary_count_field_name !== undefined) fields.add(a.summary_count_field_name);
    this.analysisGets = [...fields].map(fieldGetter);
    this.analysisNames = [...fields];
    const numeric = new Set(a.detectors.filter((d) => d.field_name !== undefined && lookupFunction(d.function)?.family === 'metric').map((d) => d.field_name as string));
    this.analysisNumeric = this.analysisNames.map((f) => numeric.has(f));
    const mp = config.model_plot_config;
    const terms = mp?.enabled && mp.terms ? new Set(mp.terms.split(',').map((t) => t.trim()).filter((t) => t !== '')) : null;
    const env = {
      jobId: config.job_id,
      bucketSpanMs: this.span,
      ringSize: this.ringSize,
      influencerFields: a.influencers,
      allowNewEntity: () => this.memory.allowNewEntity(),
      modelPlot: { enabled: mp?.enabled ?? false, terms: terms && terms.size > 0 ? terms : null },
      seriesModel: seriesModelOf(config),
    };
    this.runners = a.detectors.map((d) => new DetectorRunner(d, env));
    this.memory = new MemoryAccount(this.runners, this.settings.modelMemoryLimitBytes, () => this.nextBucket);
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
      let index = -1;
      for (const doc of docs) {
        index++;
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
        // far after the newest time so far (the newest record, or where a flush moved the clock)
        if (t - this.latest > this.maxJumpMs) {
          c.invalid_date_count++;
          options.onInvalidValue?.(index, this.timeField, this.timeGet(doc), 'time_jump');
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
          else if (this.analysisNumeric[i] && !Number.isFinite(numberOf(v))) {
            // a metric's value that is no number is no value: counted and told, not silently skipped
            missing++;
            options.onInvalidValue?.(index, this.analysisNames[i], v, 'not_a_number');
          }
        }
        c.missing_field_count += missing;
        c.processed_field_count += analysisGets.length - missing;
        c.processed_record_count++;
        if (!(t >= c.earliest_record_timestamp!)) c.earliest_record_timestamp = t;
        // the newest record (the job's clock may be ahead of it: a flush advanced or skipped time)
        if (!(t <= c.latest_record_timestamp!)) c.latest_record_timestamp = t;
        if (!(t <= this.latest)) {
          this.latest = t;
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
    this.pending.supersedeInterim();
    const prune = this.memory.state.status === 'ok' ? this.settings.modelPruneWindowMs : this.settings.modelPruneWindowMs / 2;
    const events = eventsIn(this.events, bucket, bucket + this.span);
    const { records, plots, refused } = this.closeBucket(bucket, false, bucket - prune, events);
    let rawMax = 0;
    for (const r of records) if (r.raw > rawMax) rawMax = r.raw;
    let series = 0;
    for (const r of this.runners) series += r.seriesCount();
    this.normaliser.observeBucket(rawMax, series);
    this.lastBucketRaw = rawMax;
    const eventCount = this.eventCounts.get(bucket) ?? 0;
    this.eventCounts.delete(bucket);
    this.emitBucket(bucket, records, plots, eventCount, false, t0, events);
    countFinalBucket(this.counts, this.recentCounts, bucket, eventCount);
    this.memory.bucketFinalized(refused);
    // keep the renormalisation window
    this.window.forgetBefore(bucket - this.settings.renormalizationWindowMs);
    // timing
    const ms = Math.max(0, this.now() - t0);
    recordTiming(this.timing, ms, bucket);
    if (this.bucketListener !== null) this.bucketListener(bucket);
  }

  /**
   * Closes `bucket` in every detector (final, or interim: models unchanged): its records, less those
   * a scheduled event or a skip_result rule drops, under the job's sensitivity; its model plots; how
   * many new entities were refused for memory (final buckets). A final bucket's model changes are
   * annotated.
   */
  private closeBucket(bucket: number, interim: boolean, pruneBefore: number, events: JobEvent[]): { records: PendingRecord[]; plots: ModelPlotDoc[]; refused: number } {
    const slot = this.slotOf(bucket);
    let refused = 0;
    const records: PendingRecord[] = [];
    const plots: ModelPlotDoc[] = [];
    const skipResults = events.some((e) => e.skip_result !== false);
    for (let i = 0; i < this.runners.length; i++) {
      const r = this.runners[i];
      if (!interim) refused += r.refusedInBucket;
      const out = r.finishBucket(bucket, slot, interim, pruneBefore, this.bucketControl(i, bucket, events));
      for (const rec of out.records) if (!skipResults && !skippedByRule(this.rules[i], rec, this.filters)) records.push(this.sensitive(rec));
      for (const p of out.plots) plots.push(p);
      if (!interim) for (const c of out.changes) (this.pending.results.annotations ??= []).push(modelChangeAnnotation(this.config, i, bucket, this.span, c, this.wallClock()));
    }
    return { records, plots, refused };
  }

  private emitBucket(bucket: number, records: PendingRecord[], plots: ModelPlotDoc[], events: number, interim: boolean, t0: number, scheduled: JobEvent[] = []): void {
    const target = { jobId: this.config.job_id, spanMs: this.span, normaliser: this.normaliser, pending: this.pending, window: this.window, now: this.now };
    emitBucketResults(target, bucket, records, plots, events, interim, t0, scheduled);
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
    return {
      shiftMs: this.events.length ? timeShiftAt(this.events, bucket) : 0,
      skipModelUpdate: events.some((e) => e.skip_model_update !== false),
      skipUpdate: modelUpdateRules(this.rules[i], this.runners[i].config, bucket, this.filters),
      mayskipUpdate: modelUpdateMayApply(this.rules[i], this.runners[i].config, bucket, this.filters),
    };
  }

  /** A record's raw score under the job's sensitivity. */
  private sensitive(rec: PendingRecord): PendingRecord {
    if (this.sensitivity !== 1) rec.raw = withSensitivity(rec.raw, this.sensitivity);
    return rec;
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
    const { start, end, advance, skip } = readFlushTimes(options);
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
    this.pending.supersedeInterim();
    const last = Math.floor(this.latest / this.span) * this.span;
    const from = Math.max(this.nextBucket, start === undefined ? -Infinity : Math.floor(start / this.span) * this.span);
    const to = Math.min(last, end === undefined ? Infinity : Math.ceil(end / this.span) * this.span - this.span);
    for (let b = from; b <= to; b += this.span) {
      const t0 = this.now();
      const events = eventsIn(this.events, b, b + this.span);
      const { records, plots } = this.closeBucket(b, true, -Infinity, events);
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
    return this.pending.drain();
  }

  /**
   * Renormalisation: the current scores of stored (final) results within renormalization_window_days
   * whose score changed since they were handed out (or last renormalised). Apply them by id to
   * `record_score`, `anomaly_score` (and the bucket's bucket_influencers) and `influencer_score`;
   * the `initial_*` scores never change.
   */
  renormalise(): ScoreUpdate[] {
    return this.window.renormalise(this.normaliser);
  }

  // ------------------------------------------------------------------------------------------
  // stats

  /** Elastic's model_size_stats (model bytes counted exactly at the call). */
  modelSizeStats(): ModelSizeStats {
    this.memory.update(true);
    return this.memory.sizeStats(this.config.job_id, this.wallClock(), this.finalized ? this.nextBucket - this.span : undefined);
  }

  /** Elastic's timing_stats. */
  timingStats(): TimingStats {
    return timingStats(this.config.job_id, this.timing);
  }

  /**
   * The kept bucket values of every series entity (per detector, partition and by value; oldest
   * first, NaN for an empty bucket), the input of `_forecast` (src/engine/forecast). Population,
   * rare, time and lat_long detectors keep none. See bucket-history.ts for the bound. With `only`,
   * just that series (a trained model following one series of a split job).
   */
  forecastHistories(only?: SeriesFilter): { detector_index: number; partition_field_value?: string; by_field_value?: string; time: Float64Array; value: Float64Array }[] {
    const out: ReturnType<AnomalyJob['forecastHistories']> = [];
    this.runners.forEach((r, i) => {
      const detector_index = r.config.detector_index ?? i;
      if (only && only.detector_index !== detector_index) return;
      // one series: only its values are copied (a split job keeps thousands)
      for (const h of r.histories(only ? { partition: only.partition_field_value ?? null, by: only.by_field_value ?? null } : undefined)) {
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
  toState(): JobState {
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
        kept: this.window.kept.map((k) => ({ ...k })),
        memory: { ...this.memory.state },
        estimatedExtra: this.memory.estimatedExtra,
        timing: timingToState(this.timing),
        pending: structuredClone(this.pending.results),
        interimOut: this.pending.interimOut,
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
    const s = checkJobState(config, state);
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
    job.window.kept = b.kept.map((k) => ({ ...k }));
    job.memory.state = { ...b.memory };
    job.memory.estimatedExtra = b.estimatedExtra;
    job.timing = timingFromState(b.timing);
    job.pending.restore(b.pending, b.interimOut);
    job.lastBucketRaw = b.lastBucketRaw;
    return job;
  }
}
