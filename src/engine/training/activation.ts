/**
 * An activation of a trained model: its info (what the API shows), the online detector or
 * predictor with its window, its results, and what a live one keeps so that it continues after a
 * restart. Built here (`newActivation`, `restoreActivation`), fed here (`processBuckets`), saved
 * here (`persistActivation`); the queues and the map of activations stay in ModelManager.
 */
import { VigilError } from '../../core/errors.js';
import { newOutput } from '../../core/detect/detector.js';
import type { TrainingSeries } from '../../core/neural/data.js';
import { NeuralDetector } from '../../core/neural/neural-detector.js';
import { OnlinePredictor, type OnlinePredictorState } from '../../core/neural/neural-forecaster.js';
import type { TrainedModel } from '../../core/neural/trained-model.js';
import { ResultLog, detectionDocs, forecastDoc, type ActivationResultDoc, type ModelForecastDoc, type ModelPlotDoc, type ModelRecordDoc } from './result-docs.js';

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

/** What is kept of a live activation so that it continues after a restart. */
export interface StoredActivation {
  info: ActivationInfo;
  /** Detect models: the detector's window and score stage; predict models: the predictor's window. */
  state: { detector?: ReturnType<NeuralDetector['runtimeState']>; predictor?: OnlinePredictorState };
}

/** Where a live activation's results and state are saved (ModelRepository's activation part). */
export interface ActivationSink {
  saveActivation(a: StoredActivation): Promise<void>;
  appendActivationResults(modelId: string, activationId: string, docs: ActivationResultDoc[]): Promise<void>;
}

export interface Activation {
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

export const isLive = (s: ActivationState): boolean => s === 'queued' || s === 'active';

/** A new activation (state `queued`, its id from `nextId`, called once its options are valid) with the model's window filled from the history given, else the end of the training data. */
export function newActivation(model: TrainedModel, nextId: () => string, modelId: string, mode: 'live' | 'historical', o: ActivateOptions & { range?: { from: number; to: number } }): Activation {
  const horizon = model.type === 'predict' ? Math.max(1, Math.floor(o.horizon ?? model.meta.horizon)) : null;
  const level = model.type === 'predict' ? (o.level ?? 95) : null;
  if (level !== null && !(level > 0 && level < 100)) throw new VigilError('INVALID_ARGUMENT', `level must be in (0, 100), got ${level}`);
  const info: ActivationInfo = {
    activation_id: nextId(),
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

/** A live activation as it was saved (state `queued`): the window and score state continue, its results are back. */
export function restoreActivation(model: TrainedModel, stored: StoredActivation, results: ActivationResultDoc[]): Activation {
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
  return { info, model, detector, predictor, results: log, abort: new AbortController(), done: Promise.resolve(info), unsaved: [], dirty: false, saving: null, floor };
}

/** What is stored of an activation now: a copy of its info and its window and score state. */
export function snapshotOf(a: Activation): StoredActivation {
  return {
    info: structuredClone(a.info),
    state: a.detector ? { detector: a.detector.runtimeState() } : { predictor: a.predictor!.toState() },
  };
}

/** Saves a live activation (its new results, then its info and state); resolves once what it holds now is stored. */
export function persistActivation(a: Activation, sink: ActivationSink): Promise<void> {
  if (a.info.mode !== 'live') return Promise.resolve();
  a.dirty = true;
  a.saving ??= (async () => {
    try {
      while (a.dirty && isLive(a.info.state)) {
        a.dirty = false;
        const docs = a.unsaved.splice(0);
        const stored = snapshotOf(a);
        if (docs.length > 0) await sink.appendActivationResults(a.info.model_id, a.info.activation_id, docs);
        await sink.saveActivation(stored);
      }
    } finally {
      a.saving = null;
    }
  })();
  return a.saving;
}

/** Scores (detect) or forecasts (predict) buckets [from, to) of `times`/`values`; a live activation also queues them for its next save. */
export function processBuckets(a: Activation, times: ArrayLike<number>, values: ArrayLike<number>, from: number, to: number): PushResult {
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
