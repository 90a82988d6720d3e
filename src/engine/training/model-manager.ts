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
 *
 * Next to it: activation.ts (an activation's object, scoring, save and restore), historical-run.ts
 * (the loop of a historical run), model-repository.ts (the storage interface and the in-memory one).
 * Their types are re-exported here.
 */
import { VigilError } from '../../core/errors.js';
import { CancelledError } from '../../core/neural/cancelled.js';
import type { TrainingSeries } from '../../core/neural/data.js';
import { trainingSpec, type ModelKind, type TrainingSpec } from '../../core/neural/spec.js';
import type { TrainedModel } from '../../core/neural/trained-model.js';
import type { TrainOptions, TrainResult } from '../../core/neural/trainer.js';
import { isLive, newActivation, persistActivation, processBuckets, restoreActivation, type Activation, type ActivateOptions, type ActivationInfo, type ActivationSource, type PushResult, type StoredActivation } from './activation.js';
import { runHistorical } from './historical-run.js';
import { MemoryModelRepository, type ModelInfo, type ModelRepository, type ModelState } from './model-repository.js';
import type { ActivationResultDoc, ModelForecastDoc, ResultLog } from './result-docs.js';
import { SlotQueue, type QueueStats } from './slot-queue.js';
import { TrainingRun, type TrainingRunRecord } from './training-run.js';

export type { ActivateOptions, ActivationInfo, ActivationSource, ActivationState, PushResult, StoredActivation } from './activation.js';
export { MemoryModelRepository, type ModelInfo, type ModelRepository, type ModelState } from './model-repository.js';

export interface TrainingLimits {
  maxTrainings: number;
  maxActivations: number;
  maxHistorical: number;
}

export const DEFAULT_TRAINING_LIMITS: TrainingLimits = { maxTrainings: 1, maxActivations: 8, maxHistorical: 2 };

export type Trainer = (series: TrainingSeries, spec: Partial<TrainingSpec> & { type: ModelKind }, o: TrainOptions) => Promise<TrainResult>;

export class ModelManager {
  private readonly models = new Map<string, ModelInfo>();
  private readonly loaded = new Map<string, TrainedModel>();
  /** Models being deleted: no training or activation may start on them meanwhile. */
  private readonly deleting = new Set<string>();
  private readonly runs = new Map<string, TrainingRun>();
  private readonly runDone = new Map<string, Promise<TrainingRunRecord>>();
  /** Each unfinished run's saves, one after the other (a later save never lands before an earlier one). */
  private readonly runSaves = new Map<string, Promise<void>>();
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
    if (this.deleting.has(id)) throw new VigilError('JOB_STATE_CONFLICT', `model [${id}] is being deleted`);
    const busyRuns = [...this.runs.values()].filter((r) => r.record.model_id === id && !r.finished);
    const busyActs = [...this.activations.values()].filter((a) => a.info.model_id === id && (isLive(a.info.state) || a.info.state === 'running'));
    if (!force && (busyRuns.length > 0 || busyActs.length > 0)) {
      throw new VigilError('JOB_STATE_CONFLICT', `model [${id}] has ${busyRuns.length} training run(s) and ${busyActs.length} activation(s) in progress; cancel and deactivate them, or delete with force`);
    }
    // while the runs and activations stop, nothing new may start on the model (a training queued
    // meanwhile wrote the model's files again, and the deleted model came back after a restart)
    this.deleting.add(id);
    try {
      for (const r of busyRuns) this.cancelRun(r.record.run_id);
      for (const a of busyActs) await this.deactivate(a.info.activation_id);
      await Promise.all(busyRuns.map((r) => this.runDone.get(r.record.run_id)?.catch(() => undefined)));
      for (const [k, r] of this.runs) if (r.record.model_id === id) this.runs.delete(k);
      for (const [k, a] of this.activations) if (a.info.model_id === id) this.activations.delete(k);
      this.models.delete(id);
      this.loaded.delete(id);
      await this.repo.delete(id);
    } finally {
      this.deleting.delete(id);
    }
  }

  /** Refuses work on a model that is being deleted. */
  private notDeleting(id: string): void {
    if (this.deleting.has(id)) throw new VigilError('JOB_STATE_CONFLICT', `model [${id}] is being deleted`);
  }

  // ── training runs ──────────────────────────────────────────────────────

  /** Queues a training of `id` on `series`; returns the run record at once (queued or running). */
  async train(id: string, series: TrainingSeries, o: { labels?: ReadonlyArray<readonly [number, number]>; training?: Partial<TrainingSpec> } = {}): Promise<TrainingRunRecord> {
    const info = this.getModel(id);
    this.notDeleting(id);
    const busy = [...this.runs.values()].find((r) => r.record.model_id === id && !r.finished);
    if (busy) throw new VigilError('JOB_STATE_CONFLICT', `model [${id}] already has training run [${busy.record.run_id}] ${busy.record.state}; cancel it first`);
    // a live activation keeps going with its model's network and its own score state (saved, and
    // restored after a restart): retraining under it would swap the network behind that state
    const live = [...this.activations.values()].filter((a) => a.info.model_id === id && isLive(a.info.state));
    if (live.length > 0) {
      throw new VigilError('JOB_STATE_CONFLICT', `model [${id}] has ${live.length} live activation(s) [${live.map((a) => a.info.activation_id).join(', ')}]; deactivate them before training it again`);
    }
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
    // stored while queued and once running, so that a restart finds it (and marks it interrupted)
    void this.saveRun(run).catch(() => undefined);
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

  /** Stores the run's record as it is when its turn comes (after the saves asked for before). */
  private saveRun(run: TrainingRun): Promise<void> {
    const id = run.record.run_id;
    const p = (this.runSaves.get(id) ?? Promise.resolve()).catch(() => undefined).then(() => this.repo.saveRun(run.record));
    this.runSaves.set(id, p);
    return p;
  }

  private async execute(run: TrainingRun, info: ModelInfo, prevState: ModelState, entered: Promise<void>, series: TrainingSeries, spec: Partial<TrainingSpec> & { type: ModelKind }, labels?: ReadonlyArray<readonly [number, number]>): Promise<TrainingRunRecord> {
    const id = run.record.run_id;
    let holding = false;
    try {
      await entered;
      holding = true;
      if (run.controller.signal.aborted) throw new CancelledError();
      run.setState('running');
      void this.saveRun(run).catch(() => undefined);
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
    await this.runSaves.get(id)?.catch(() => undefined);
    if (this.models.get(info.model_id) === info) {
      await this.repo.saveInfo(info);
      await this.saveRun(run);
    }
    this.runSaves.delete(id);
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

  /** A live activation as it was saved: the window and score state continue, its results are back. */
  private restoreActivation(model: TrainedModel, stored: StoredActivation, results: ActivationResultDoc[]): Activation {
    const a = restoreActivation(model, stored, results);
    this.activations.set(a.info.activation_id, a);
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

  /** Saves a live activation (its new results, then its info and state); resolves once what it holds now is stored. */
  private persist(a: Activation): Promise<void> {
    return persistActivation(a, this.repo);
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
    this.notDeleting(modelId);
    const training = [...this.runs.values()].find((r) => r.record.model_id === modelId && !r.finished);
    if (training) {
      throw new VigilError('JOB_STATE_CONFLICT', `model [${modelId}] is being trained again (run [${training.record.run_id}] ${training.record.state}); activate it live once the run has ended`);
    }
    const model = await this.trainedModel(modelId);
    if (o.source && o.source.kind !== 'job') throw new VigilError('INVALID_ARGUMENT', `a live activation follows a job's series; [${o.source.kind}] sources are for historical runs`);
    const a = newActivation(model, () => this.nextId(`${modelId}-live`), modelId, 'live', o);
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
    const out = processBuckets(a, times, values, 0, times.length);
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
    processBuckets(a, times, values, from, times.length);
    await this.persist(a);
    return times.length - from;
  }

  /** The bucket span (ms) of the model an activation runs. */
  activationSpanMs(activationId: string): number {
    return this.activation(activationId).model.meta.bucketSpanMs;
  }

  /**
   * Says on a live activation why its source's buckets are not taken (a followed job re-created
   * with another bucket span or detector), or clears it (null) once they are taken again; saved
   * with the activation.
   */
  async setSourceError(activationId: string, error: string | null): Promise<void> {
    const a = this.activation(activationId);
    if (a.info.mode !== 'live' || a.info.error === error) return;
    a.info.error = error;
    await this.persist(a);
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
    this.notDeleting(modelId);
    const model = await this.trainedModel(modelId);
    const from = o.from ?? series.start;
    const to = o.to ?? series.start + series.values.length * series.spanMs;
    if (!(to > from)) throw new VigilError('INVALID_ARGUMENT', `empty time range [${from}, ${to})`);
    const a = newActivation(model, () => this.nextId(`${modelId}-hist`), modelId, 'historical', { history: series, horizon: o.horizon, level: o.level, range: { from, to }, source: o.source });
    this.activations.set(a.info.activation_id, a);
    const id = a.info.activation_id;
    const entered = this.historical.enter(id);
    a.info.queue_position = this.historical.position(id);
    a.done = runHistorical(a, series, { from, to }, this.historical, entered, () => this.refreshPositions());
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
