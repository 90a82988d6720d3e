/**
 * Trained models in-process (no HTTP, no files of its own): create a model, train it (queued under
 * `maxTrainings`), follow and cancel training runs, activate it live (each new bucket scored or a
 * forecast made as it arrives; a slot of `maxActivations` held until deactivated) or over a time
 * range (historical runs, queued under `maxHistorical`), and read the results. Jobs beyond a limit
 * wait and say so in their state (`queued`, `queue_position`). Storage is behind ModelRepository
 * (in memory here; files under the data directory in src/server/models), and `open()` restores
 * what was stored (a run that was in progress when the process stopped is marked failed; live
 * activations come back with their window and score state and their results, through the
 * activation queue).
 *
 * A live activation takes buckets from whoever pushes them: `push` (its `_data` route) or
 * `pushFromSource` (src/server/models/job-feed.ts, for an activation that follows an
 * anomaly-detection job's series, `source`). The manager knows nothing of jobs.
 *
 * Trainings share one thread with everything else (tfjs yields between batches), so more than one
 * parallel training interleaves rather than speeding up; the limit bounds memory and CPU share.
 */
import { VigilError } from '../../core/errors.js';
import { newOutput } from '../../core/detect/detector.js';
import { CancelledError } from '../../core/neural/cancelled.js';
import type { TrainingSeries } from '../../core/neural/data.js';
import { NeuralDetector } from '../../core/neural/neural-detector.js';
import { OnlinePredictor, type OnlinePredictorState } from '../../core/neural/neural-forecaster.js';
import { trainingSpec, type ModelKind, type TrainingSpec } from '../../core/neural/spec.js';
import type { TrainedModel } from '../../core/neural/trained-model.js';
import type { TrainOptions, TrainResult, TrainingReport } from '../../core/neural/trainer.js';
import { ResultLog, detectionDocs, forecastDoc, type ActivationResultDoc, type ModelForecastDoc, type ModelPlotDoc, type ModelRecordDoc } from './result-docs.js';
import { SlotQueue, type QueueStats } from './slot-queue.js';
import { TrainingRun, type TrainingRunRecord } from './training-run.js';

export interface TrainingLimits {
  maxTrainings: number;
  maxActivations: number;
  maxHistorical: number;
}

export const DEFAULT_TRAINING_LIMITS: TrainingLimits = { maxTrainings: 1, maxActivations: 8, maxHistorical: 2 };

export type ModelState = 'created' | 'training' | 'trained' | 'failed';

export interface ModelInfo {
  model_id: string;
  type: ModelKind;
  description: string;
  /** The training spec as given (validated; defaults filled at training time). */
  training: Partial<TrainingSpec>;
  created: number;
  state: ModelState;
  last_run_id: string | null;
  trained: number | null;
  bucket_span_ms: number | null;
  /** Summary of the last successful training. */
  summary: { hyper_params: unknown; parameters: number; best_val_loss: number; test: TrainingReport['test'] } | null;
}

/** Where models, weights and finished runs are kept. */
export interface ModelRepository {
  saveInfo(info: ModelInfo): Promise<void>;
  saveModel(id: string, model: TrainedModel): Promise<void>;
  loadModel(id: string): Promise<TrainedModel | null>;
  saveRun(run: TrainingRunRecord): Promise<void>;
  loadAll(): Promise<{ info: ModelInfo; runs: TrainingRunRecord[] }[]>;
  /** Deletes a model with everything of it (weights, runs, activations). */
  delete(id: string): Promise<void>;
  /** Replaces a live activation's stored info and state. */
  saveActivation(a: StoredActivation): Promise<void>;
  /** Appends results of a live activation (in the order made). */
  appendActivationResults(modelId: string, activationId: string, docs: ActivationResultDoc[]): Promise<void>;
  /** Every stored activation with its results. */
  loadActivations(): Promise<{ stored: StoredActivation; results: ActivationResultDoc[] }[]>;
  deleteActivation(modelId: string, activationId: string): Promise<void>;
}

/** What is kept of a live activation so that it continues after a restart. */
export interface StoredActivation {
  info: ActivationInfo;
  /** Detect models: the detector's window and score stage; predict models: the predictor's window. */
  state: { detector?: ReturnType<NeuralDetector['runtimeState']>; predictor?: OnlinePredictorState };
}

export class MemoryModelRepository implements ModelRepository {
  private readonly infos = new Map<string, ModelInfo>();
  private readonly models = new Map<string, TrainedModel>();
  private readonly runs = new Map<string, Map<string, TrainingRunRecord>>();
  async saveInfo(info: ModelInfo): Promise<void> {
    this.infos.set(info.model_id, structuredClone(info));
  }
  async saveModel(id: string, model: TrainedModel): Promise<void> {
    this.models.set(id, model);
  }
  async loadModel(id: string): Promise<TrainedModel | null> {
    return this.models.get(id) ?? null;
  }
  async saveRun(run: TrainingRunRecord): Promise<void> {
    let m = this.runs.get(run.model_id);
    if (!m) this.runs.set(run.model_id, (m = new Map()));
    m.set(run.run_id, structuredClone(run));
  }
  async loadAll(): Promise<{ info: ModelInfo; runs: TrainingRunRecord[] }[]> {
    return [...this.infos.values()].map((info) => ({ info: structuredClone(info), runs: [...(this.runs.get(info.model_id)?.values() ?? [])].map((r) => structuredClone(r)) }));
  }
  async delete(id: string): Promise<void> {
    this.infos.delete(id);
    this.models.delete(id);
    this.runs.delete(id);
    for (const [k, a] of this.acts) if (a.stored.info.model_id === id) this.acts.delete(k);
  }
  private readonly acts = new Map<string, { stored: StoredActivation; results: ActivationResultDoc[] }>();
  async saveActivation(a: StoredActivation): Promise<void> {
    const id = a.info.activation_id;
    this.acts.set(id, { stored: structuredClone(a), results: this.acts.get(id)?.results ?? [] });
  }
  async appendActivationResults(modelId: string, activationId: string, docs: ActivationResultDoc[]): Promise<void> {
    const got = this.acts.get(activationId);
    if (got) got.results.push(...structuredClone(docs));
    else this.acts.set(activationId, { stored: null as unknown as StoredActivation, results: structuredClone(docs) });
  }
  async loadActivations(): Promise<{ stored: StoredActivation; results: ActivationResultDoc[] }[]> {
    return [...this.acts.values()].filter((a) => a.stored !== null).map((a) => structuredClone(a));
  }
  async deleteActivation(_modelId: string, activationId: string): Promise<void> {
    this.acts.delete(activationId);
  }
}

export type Trainer = (series: TrainingSeries, spec: Partial<TrainingSpec> & { type: ModelKind }, o: TrainOptions) => Promise<TrainResult>;

export type ActivationState = 'queued' | 'active' | 'running' | 'completed' | 'failed' | 'cancelled' | 'stopped';

/**
 * Where an activation's buckets come from, when not posted: a series of an anomaly-detection job
 * (live: each bucket as the job finalises it; historical: what the store keeps of it) or, for
 * historical runs, an index of the embedded store bucketed with the mean.
 */
export type ActivationSource =
  | { kind: 'job'; job_id: string; detector_index: number; partition_field_value: string | null; by_field_value: string | null }
  | { kind: 'index'; index: string; time_field: string; value_field: string };

export interface ActivationInfo {
  activation_id: string;
  model_id: string;
  mode: 'live' | 'historical';
  /** Where the buckets come from (null: posted). */
  source: ActivationSource | null;
  state: ActivationState;
  queue_position: number | null;
  created: number;
  started: number | null;
  finished: number | null;
  /** Buckets processed so far. */
  buckets: number;
  last_time: number | null;
  /** Historical: the range scored, epoch ms [from, to). */
  range: { from: number; to: number } | null;
  /** Predict models: the horizon (buckets ahead) of the stored forecasts, and their level. */
  horizon: number | null;
  level: number | null;
  error: string | null;
}

export interface ActivateOptions {
  /** Buckets before the first one to score, to fill the model's window (default: the end of the training data). */
  history?: TrainingSeries;
  /** Predict models: how many buckets ahead to store forecasts for (default: the trained horizon). */
  horizon?: number;
  /** Predict models: the band's level in percent (default 95). */
  level?: number;
  /** Live: the job series the activation follows (src/server/models/job-feed.ts pushes its buckets). */
  source?: ActivationSource;
}

export interface PushResult {
  records: ModelRecordDoc[];
  plots: ModelPlotDoc[];
  forecasts: ModelForecastDoc[];
}

interface Activation {
  info: ActivationInfo;
  model: TrainedModel;
  detector: NeuralDetector | null;
  predictor: OnlinePredictor | null;
  results: ResultLog;
  abort: AbortController;
  done: Promise<ActivationInfo>;
  /** Live: results made since the last save, whether a save is due, the save under way. */
  unsaved: ActivationResultDoc[];
  dirty: boolean;
  saving: Promise<void> | null;
  /** The last bucket the model's window holds (primed or processed): a source's buckets up to it are not taken again. */
  floor: number;
}

const isLive = (s: ActivationState): boolean => s === 'queued' || s === 'active';

export class ModelManager {
  private readonly models = new Map<string, ModelInfo>();
  private readonly loaded = new Map<string, TrainedModel>();
  private readonly runs = new Map<string, TrainingRun>();
  private readonly runDone = new Map<string, Promise<TrainingRunRecord>>();
  private readonly activations = new Map<string, Activation>();
  readonly trainings: SlotQueue;
  readonly live: SlotQueue;
  readonly historical: SlotQueue;
  private readonly repo: ModelRepository;
  private readonly trainer: Trainer | undefined;
  private counter = 0;

  constructor(o: { limits?: Partial<TrainingLimits>; repository?: ModelRepository; trainer?: Trainer } = {}) {
    const l = { ...DEFAULT_TRAINING_LIMITS, ...o.limits };
    this.trainings = new SlotQueue('trainings', l.maxTrainings);
    this.live = new SlotQueue('activations', l.maxActivations);
    this.historical = new SlotQueue('historical runs', l.maxHistorical);
    this.repo = o.repository ?? new MemoryModelRepository();
    this.trainer = o.trainer;
  }

  /** Restores stored models and runs. */
  async open(): Promise<void> {
    for (const { info, runs } of await this.repo.loadAll()) {
      for (const r of runs) {
        if (r.state === 'queued' || r.state === 'running') {
          r.state = 'failed';
          r.queue_position = null;
          r.error = 'interrupted: the process stopped before the run finished';
          r.finished = r.finished ?? Date.now();
          await this.repo.saveRun(r);
        }
        this.runs.set(r.run_id, TrainingRun.fromRecord(r));
      }
      if (info.state === 'training') {
        info.state = info.trained !== null ? 'trained' : 'failed';
        await this.repo.saveInfo(info);
      }
      this.models.set(info.model_id, info);
    }
    // live activations, in the order they were made (the queue keeps that order)
    const acts = (await this.repo.loadActivations()).sort((x, y) => x.stored.info.created - y.stored.info.created || x.stored.info.activation_id.localeCompare(y.stored.info.activation_id));
    for (const { stored, results } of acts) {
      const info = stored.info;
      if (!this.models.has(info.model_id) || info.mode !== 'live' || !isLive(info.state) || this.activations.has(info.activation_id)) {
        await this.repo.deleteActivation(info.model_id, info.activation_id);
        continue;
      }
      const model = await this.trainedModel(info.model_id);
      this.restoreActivation(model, stored, results);
    }
  }

  limits(): QueueStats[] {
    return [this.trainings.stats(), this.live.stats(), this.historical.stats()];
  }

  setLimits(l: Partial<TrainingLimits>): void {
    if (l.maxTrainings !== undefined) this.trainings.setLimit(l.maxTrainings);
    if (l.maxActivations !== undefined) this.live.setLimit(l.maxActivations);
    if (l.maxHistorical !== undefined) this.historical.setLimit(l.maxHistorical);
  }

  private nextId(prefix: string): string {
    return `${prefix}-${Date.now().toString(36)}${(++this.counter).toString(36).padStart(3, '0')}`;
  }

  // ── models ─────────────────────────────────────────────────────────────

  async createModel(c: { model_id: string; type: ModelKind; description?: string; training?: Partial<TrainingSpec> }): Promise<ModelInfo> {
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(c.model_id ?? '')) {
      throw new VigilError('INVALID_ARGUMENT', `model id [${c.model_id}] must be lowercase letters, digits, - and _ (at most 64), starting with a letter or digit`);
    }
    if (this.models.has(c.model_id)) throw new VigilError('RESOURCE_EXISTS', `model [${c.model_id}] already exists`);
    const training = { ...(c.training ?? {}), type: c.type };
    trainingSpec(training); // validates
    const info: ModelInfo = {
      model_id: c.model_id,
      type: c.type,
      description: c.description ?? '',
      training,
      created: Date.now(),
      state: 'created',
      last_run_id: null,
      trained: null,
      bucket_span_ms: null,
      summary: null,
    };
    this.models.set(info.model_id, info);
    await this.repo.saveInfo(info);
    return structuredClone(info);
  }

  getModel(id: string): ModelInfo {
    const m = this.models.get(id);
    if (!m) throw new VigilError('RESOURCE_NOT_FOUND', `no model [${id}]`);
    return m;
  }

  listModels(): ModelInfo[] {
    return [...this.models.values()].sort((a, b) => a.model_id.localeCompare(b.model_id));
  }

  /** The trained network (loaded from the repository on first use). */
  async trainedModel(id: string): Promise<TrainedModel> {
    const info = this.getModel(id);
    const cached = this.loaded.get(id);
    if (cached) return cached;
    const m = info.trained !== null ? await this.repo.loadModel(id) : null;
    if (!m) throw new VigilError('JOB_STATE_CONFLICT', `model [${id}] is not trained yet (state ${info.state}); train it first`);
    this.loaded.set(id, m);
    return m;
  }

  /** Deletes a model; with `force`, cancels its runs and stops its activations first. */
  async deleteModel(id: string, force = false): Promise<void> {
    this.getModel(id);
    const busyRuns = [...this.runs.values()].filter((r) => r.record.model_id === id && !r.finished);
    const busyActs = [...this.activations.values()].filter((a) => a.info.model_id === id && (isLive(a.info.state) || a.info.state === 'running'));
    if (!force && (busyRuns.length > 0 || busyActs.length > 0)) {
      throw new VigilError('JOB_STATE_CONFLICT', `model [${id}] has ${busyRuns.length} training run(s) and ${busyActs.length} activation(s) in progress; cancel and deactivate them, or delete with force`);
    }
    for (const r of busyRuns) this.cancelRun(r.record.run_id);
    for (const a of busyActs) await this.deactivate(a.info.activation_id);
    await Promise.all(busyRuns.map((r) => this.runDone.get(r.record.run_id)?.catch(() => undefined)));
    for (const [k, r] of this.runs) if (r.record.model_id === id) this.runs.delete(k);
    for (const [k, a] of this.activations) if (a.info.model_id === id) this.activations.delete(k);
    this.models.delete(id);
    this.loaded.delete(id);
    await this.repo.delete(id);
  }

  // ── training runs ──────────────────────────────────────────────────────

  /** Queues a training of `id` on `series`; returns the run record at once (queued or running). */
  async train(id: string, series: TrainingSeries, o: { labels?: ReadonlyArray<readonly [number, number]>; training?: Partial<TrainingSpec> } = {}): Promise<TrainingRunRecord> {
    const info = this.getModel(id);
    const busy = [...this.runs.values()].find((r) => r.record.model_id === id && !r.finished);
    if (busy) throw new VigilError('JOB_STATE_CONFLICT', `model [${id}] already has training run [${busy.record.run_id}] ${busy.record.state}; cancel it first`);
    const spec = { ...info.training, ...(o.training ?? {}), type: info.type };
    trainingSpec(spec);
    const run = new TrainingRun(this.nextId(`${id}-run`), id);
    this.runs.set(run.record.run_id, run);
    info.last_run_id = run.record.run_id;
    const prevState = info.state;
    info.state = 'training';
    await this.repo.saveInfo(info);
    const entered = this.trainings.enter(run.record.run_id);
    run.setState('queued', this.trainings.position(run.record.run_id));
    const done = this.execute(run, info, prevState, entered, series, spec, o.labels);
    this.runDone.set(run.record.run_id, done);
    // a queued run reports its state immediately; a started one is 'running' by the time we return
    await Promise.resolve();
    return run.record;
  }

  private refreshPositions(): void {
    for (const r of this.runs.values()) {
      if (r.record.state === 'queued') {
        const p = this.trainings.position(r.record.run_id);
        if (p !== null && p !== r.record.queue_position) r.setState('queued', p);
      }
    }
    for (const a of this.activations.values()) {
      if (a.info.state === 'queued') a.info.queue_position = (a.info.mode === 'live' ? this.live : this.historical).position(a.info.activation_id);
    }
  }

  private async execute(run: TrainingRun, info: ModelInfo, prevState: ModelState, entered: Promise<void>, series: TrainingSeries, spec: Partial<TrainingSpec> & { type: ModelKind }, labels?: ReadonlyArray<readonly [number, number]>): Promise<TrainingRunRecord> {
    const id = run.record.run_id;
    let holding = false;
    try {
      await entered;
      holding = true;
      if (run.controller.signal.aborted) throw new CancelledError();
      run.setState('running');
      const trainer = this.trainer ?? (await import('../../core/neural/trainer.js')).trainModel;
      const result = await trainer(series, spec, { signal: run.controller.signal, labels, onEvent: (e) => run.apply(e) });
      run.record.report = result.report;
      await this.repo.saveModel(info.model_id, result.model);
      this.loaded.set(info.model_id, result.model);
      info.state = 'trained';
      info.trained = Date.now();
      info.bucket_span_ms = series.spanMs;
      info.summary = {
        hyper_params: result.report.hyperParams,
        parameters: result.report.parameters,
        best_val_loss: result.report.training.bestValLoss,
        test: result.report.test,
      };
      run.setState('completed');
    } catch (err) {
      const cancelled = err instanceof CancelledError || run.controller.signal.aborted;
      run.setState(cancelled ? 'cancelled' : 'failed', null, cancelled ? 'cancelled' : (err as Error).message);
      // a model keeps its last trained network; otherwise it is back where it was (or failed)
      info.state = info.trained !== null ? 'trained' : cancelled ? prevState : 'failed';
    } finally {
      if (holding) this.trainings.leave(id);
      this.refreshPositions();
    }
    if (this.models.get(info.model_id) === info) {
      await this.repo.saveInfo(info);
      await this.repo.saveRun(run.record);
    }
    return run.record;
  }

  getRun(runId: string): TrainingRun {
    const r = this.runs.get(runId);
    if (!r) throw new VigilError('RESOURCE_NOT_FOUND', `no training run [${runId}]`);
    return r;
  }

  runsOf(modelId: string): TrainingRunRecord[] {
    this.getModel(modelId);
    return [...this.runs.values()].filter((r) => r.record.model_id === modelId).map((r) => r.record).sort((a, b) => a.created - b.created);
  }

  /** Cancels a queued or running training; returns the record (state changes when the run stops). */
  cancelRun(runId: string): TrainingRunRecord {
    const run = this.getRun(runId);
    if (run.finished) return run.record;
    run.controller.abort();
    if (run.record.state === 'queued') this.trainings.leave(runId);
    return run.record;
  }

  /** Resolves when the run has finished (completed, failed or cancelled). */
  async waitForRun(runId: string): Promise<TrainingRunRecord> {
    this.getRun(runId);
    const p = this.runDone.get(runId);
    return p ? p : this.getRun(runId).record;
  }

  // ── activations ────────────────────────────────────────────────────────

  private newActivation(model: TrainedModel, modelId: string, mode: 'live' | 'historical', o: ActivateOptions & { range?: { from: number; to: number } }): Activation {
    const horizon = model.type === 'predict' ? Math.max(1, Math.floor(o.horizon ?? model.meta.horizon)) : null;
    const level = model.type === 'predict' ? (o.level ?? 95) : null;
    if (level !== null && !(level > 0 && level < 100)) throw new VigilError('INVALID_ARGUMENT', `level must be in (0, 100), got ${level}`);
    const info: ActivationInfo = {
      activation_id: this.nextId(`${modelId}-${mode === 'live' ? 'live' : 'hist'}`),
      model_id: modelId,
      mode,
      state: 'queued',
      queue_position: null,
      created: Date.now(),
      started: null,
      finished: null,
      buckets: 0,
      last_time: null,
      source: o.source ?? null,
      range: o.range ?? null,
      horizon,
      level,
      error: null,
    };
    const span = model.meta.bucketSpanMs;
    const detector = model.type === 'detect' ? new NeuralDetector(model, { bucketSpanMs: span }) : null;
    const predictor = model.type === 'predict' ? new OnlinePredictor(model, horizon as number, [level as number]) : null;
    // fill the window: the history given, else the end of the training data
    const ctx = o.history ?? { start: model.meta.tail.start, spanMs: span, values: Float64Array.from(model.meta.tail.values, (v) => (v === null ? NaN : v)) };
    if (ctx.spanMs !== span) throw new VigilError('INVALID_ARGUMENT', `history has bucket span ${ctx.spanMs} ms; the model was trained at ${span} ms`);
    const upto = o.range ? Math.min(ctx.values.length, Math.max(0, Math.ceil((o.range.from - ctx.start) / span))) : ctx.values.length;
    for (let i = Math.max(0, upto - model.need); i < upto; i++) {
      const t = ctx.start + i * span;
      if (detector) detector.prime(t, ctx.values[i]);
      else predictor!.update(t, ctx.values[i]);
    }
    const floor = upto > 0 ? ctx.start + (upto - 1) * span : -Infinity;
    return { info, model, detector, predictor, results: new ResultLog(), abort: new AbortController(), done: Promise.resolve(info), unsaved: [], dirty: false, saving: null, floor };
  }

  /** A live activation as it was saved: the window and score state continue, its results are back. */
  private restoreActivation(model: TrainedModel, stored: StoredActivation, results: ActivationResultDoc[]): Activation {
    const info: ActivationInfo = { ...stored.info, state: 'queued', queue_position: null, source: stored.info.source ?? null };
    const span = model.meta.bucketSpanMs;
    const st = stored.state;
    const detector = model.type === 'detect' ? new NeuralDetector(model, { bucketSpanMs: span }, st.detector) : null;
    const predictor = model.type === 'predict' ? new OnlinePredictor(model, info.horizon ?? model.meta.horizon, [info.level ?? 95], st.predictor) : null;
    // results saved after the state (a crash between the two) are made again or not at all
    const last = info.last_time ?? -Infinity;
    const log = new ResultLog();
    log.restore(results.filter((d) => (d.result_type === 'model_forecast' ? d.forecast_create_timestamp : d.timestamp) <= last));
    const windowEnd = (st.detector ?? st.predictor)?.window.lastTime ?? null;
    const floor = Math.max(last, windowEnd ?? -Infinity);
    const a: Activation = { info, model, detector, predictor, results: log, abort: new AbortController(), done: Promise.resolve(info), unsaved: [], dirty: false, saving: null, floor };
    this.activations.set(info.activation_id, a);
    this.enterLive(a);
    return a;
  }

  private enterLive(a: Activation): void {
    const entered = this.live.enter(a.info.activation_id);
    a.info.queue_position = this.live.position(a.info.activation_id);
    a.done = entered.then(
      () => {
        if (a.info.state === 'queued') {
          a.info.state = 'active';
          a.info.started = Date.now();
          a.info.queue_position = null;
          void this.persist(a).catch(() => undefined);
        }
        this.refreshPositions();
        return a.info;
      },
      () => a.info,
    );
  }

  private snapshotOf(a: Activation): StoredActivation {
    return {
      info: structuredClone(a.info),
      state: a.detector ? { detector: a.detector.runtimeState() } : { predictor: a.predictor!.toState() },
    };
  }

  /** Saves a live activation (its new results, then its info and state); resolves once what it holds now is stored. */
  private persist(a: Activation): Promise<void> {
    if (a.info.mode !== 'live') return Promise.resolve();
    a.dirty = true;
    a.saving ??= (async () => {
      try {
        while (a.dirty && isLive(a.info.state)) {
          a.dirty = false;
          const docs = a.unsaved.splice(0);
          const stored = this.snapshotOf(a);
          if (docs.length > 0) await this.repo.appendActivationResults(a.info.model_id, a.info.activation_id, docs);
          await this.repo.saveActivation(stored);
        }
      } finally {
        a.saving = null;
      }
    })();
    return a.saving;
  }

  /** Waits for the saves under way (before the process stops). */
  async close(): Promise<void> {
    await Promise.all([...this.activations.values()].map((a) => a.saving?.catch(() => undefined)));
  }

  /** Resolves once a live activation's results and state so far are stored. */
  async saved(activationId: string): Promise<void> {
    await this.activation(activationId).saving;
  }

  /**
   * Activates a trained model live. It holds one of `maxActivations` slots until deactivated;
   * beyond the limit it waits (`queued`) and refuses data until it is active.
   */
  async activateLive(modelId: string, o: ActivateOptions = {}): Promise<ActivationInfo> {
    const model = await this.trainedModel(modelId);
    if (o.source && o.source.kind !== 'job') throw new VigilError('INVALID_ARGUMENT', `a live activation follows a job's series; [${o.source.kind}] sources are for historical runs`);
    const a = this.newActivation(model, modelId, 'live', o);
    this.activations.set(a.info.activation_id, a);
    this.enterLive(a);
    await this.persist(a);
    await Promise.resolve();
    return a.info;
  }

  private activation(id: string): Activation {
    const a = this.activations.get(id);
    if (!a) throw new VigilError('RESOURCE_NOT_FOUND', `no activation [${id}]`);
    return a;
  }

  getActivation(id: string): ActivationInfo {
    return this.activation(id).info;
  }

  activationsOf(modelId: string): ActivationInfo[] {
    return [...this.activations.values()].filter((a) => a.info.model_id === modelId).map((a) => a.info);
  }

  /** Live activations (queued or active) that follow job `jobId`; all that follow a job when omitted. */
  followersOf(jobId?: string): ActivationInfo[] {
    return [...this.activations.values()]
      .filter((a) => a.info.mode === 'live' && isLive(a.info.state) && a.info.source?.kind === 'job' && (jobId === undefined || a.info.source.job_id === jobId))
      .map((a) => a.info);
  }

  /** Resolves when a live activation becomes active, or a historical run finishes. */
  async waitForActivation(id: string): Promise<ActivationInfo> {
    return this.activation(id).done;
  }

  /** Feeds buckets (time order, NaN = missing) to a live activation; returns the results they produced. */
  push(activationId: string, times: ArrayLike<number>, values: ArrayLike<number>): PushResult {
    const a = this.activation(activationId);
    if (a.info.mode !== 'live') throw new VigilError('JOB_STATE_CONFLICT', `activation [${activationId}] is a historical run; data goes to live activations`);
    if (a.info.state !== 'active') {
      throw new VigilError('JOB_STATE_CONFLICT', `activation [${activationId}] is ${a.info.state}${a.info.state === 'queued' ? ` (position ${a.info.queue_position} of the activation queue, limit ${this.live.limit})` : ''}; it takes data once active`);
    }
    const out = this.process(a, times, values, 0, times.length);
    void this.persist(a).catch(() => undefined);
    return out;
  }

  /**
   * Feeds buckets from the activation's source (time order, NaN = missing). Unlike `push` it is
   * lenient: buckets at or before the last one processed are skipped (a job replaying its
   * write-ahead log hands them again), and an activation that is not active skips them all (a
   * queued one starts from the buckets that come once it is active; the gap is walked as missing
   * buckets). Resolves once the results and state are stored; returns how many buckets it took.
   */
  async pushFromSource(activationId: string, times: ArrayLike<number>, values: ArrayLike<number>): Promise<number> {
    const a = this.activation(activationId);
    if (a.info.mode !== 'live' || a.info.state !== 'active') return 0;
    let from = 0;
    const last = Math.max(a.info.last_time ?? -Infinity, a.floor);
    while (from < times.length && times[from] <= last) from++;
    if (from >= times.length) return 0;
    this.process(a, times, values, from, times.length);
    await this.persist(a);
    return times.length - from;
  }

  private process(a: Activation, times: ArrayLike<number>, values: ArrayLike<number>, from: number, to: number): PushResult {
    const span = a.model.meta.bucketSpanMs;
    const out: PushResult = { records: [], plots: [], forecasts: [] };
    const o = newOutput();
    const live = a.info.mode === 'live';
    for (let i = from; i < to; i++) {
      const t = times[i];
      const v = values[i];
      if (a.info.last_time !== null && t <= a.info.last_time) {
        throw new VigilError('INVALID_ARGUMENT', `bucket ${new Date(t).toISOString()} is not after the last one processed (${new Date(a.info.last_time).toISOString()})`);
      }
      if (a.detector) {
        a.detector.update(t, v, o);
        const d = detectionDocs(a.info.model_id, span, t, v, o);
        a.results.addDetection(d);
        out.plots.push(d.plot);
        if (d.record) out.records.push(d.record);
        if (live) {
          a.unsaved.push(d.plot);
          if (d.record) a.unsaved.push(d.record);
        }
      } else {
        const p = a.predictor!.update(t, v);
        if (p) {
          const doc = forecastDoc(a.info.model_id, a.info.activation_id, span, p, a.info.horizon as number, a.info.level as number);
          a.results.addForecast(doc);
          out.forecasts.push(doc);
          if (live) a.unsaved.push(doc);
        }
      }
      a.info.buckets++;
      a.info.last_time = t;
    }
    return out;
  }

  /** Stops a live activation (freeing its slot; it is forgotten by the repository: it does not come back after a restart) or cancels a historical run. */
  async deactivate(activationId: string): Promise<ActivationInfo> {
    const a = this.activation(activationId);
    if (a.info.mode === 'live') {
      if (isLive(a.info.state)) {
        this.live.leave(activationId);
        a.info.state = 'stopped';
        a.info.finished = Date.now();
        a.info.queue_position = null;
        this.refreshPositions();
        await a.saving?.catch(() => undefined);
        await this.repo.deleteActivation(a.info.model_id, activationId);
      }
    } else if (a.info.state === 'queued' || a.info.state === 'running') {
      a.abort.abort();
      if (a.info.state === 'queued') this.historical.leave(activationId);
    }
    return a.info;
  }

  /**
   * Scores (detect) or forecasts (predict) the buckets of `series` in [from, to), the buckets
   * before `from` filling the model's window; queued under `maxHistorical`.
   */
  async runHistorical(modelId: string, series: TrainingSeries, o: { from?: number; to?: number; horizon?: number; level?: number; source?: ActivationSource } = {}): Promise<ActivationInfo> {
    const model = await this.trainedModel(modelId);
    const from = o.from ?? series.start;
    const to = o.to ?? series.start + series.values.length * series.spanMs;
    if (!(to > from)) throw new VigilError('INVALID_ARGUMENT', `empty time range [${from}, ${to})`);
    const a = this.newActivation(model, modelId, 'historical', { history: series, horizon: o.horizon, level: o.level, range: { from, to }, source: o.source });
    this.activations.set(a.info.activation_id, a);
    const id = a.info.activation_id;
    const entered = this.historical.enter(id);
    a.info.queue_position = this.historical.position(id);
    a.done = (async () => {
      let holding = false;
      try {
        await entered;
        holding = true;
        a.info.state = 'running';
        a.info.started = Date.now();
        a.info.queue_position = null;
        this.refreshPositions();
        const span = series.spanMs;
        const i0 = Math.max(0, Math.ceil((from - series.start) / span));
        const i1 = Math.min(series.values.length, Math.ceil((to - series.start) / span));
        const times = new Float64Array(series.values.length);
        for (let i = 0; i < times.length; i++) times[i] = series.start + i * span;
        const chunk = 4096;
        for (let i = i0; i < i1; i += chunk) {
          if (a.abort.signal.aborted) throw new CancelledError('historical run was cancelled');
          this.process(a, times, series.values, i, Math.min(i1, i + chunk));
          await new Promise<void>((r) => setImmediate(r));
        }
        a.info.state = 'completed';
      } catch (err) {
        a.info.state = err instanceof CancelledError || a.abort.signal.aborted ? 'cancelled' : 'failed';
        a.info.error = (err as Error).message;
      } finally {
        a.info.finished = Date.now();
        a.info.queue_position = null;
        if (holding) this.historical.leave(id);
        this.refreshPositions();
      }
      return a.info;
    })();
    await Promise.resolve();
    return a.info;
  }

  /** The results of an activation or historical run. */
  results(activationId: string): ResultLog {
    return this.activation(activationId).results;
  }

  /** Forecasts of a predict activation for the buckets of one UTC day (YYYY-MM-DD). */
  predictionsForDay(activationId: string, day: string): ModelForecastDoc[] {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new VigilError('INVALID_ARGUMENT', `day must be YYYY-MM-DD, got [${day}]`);
    return this.activation(activationId).results.predictionsForDay(day);
  }
}
