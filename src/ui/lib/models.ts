/** The trained-model API (`/_vigil/models…`, docs/trained-models.md) as the training views use it. */
import { api, enc } from './api.js';

export const M = '/_vigil/models';

export type ModelType = 'detect' | 'predict';
export type RunState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface HyperParams {
  kind: string;
  window: number;
  units: number;
  layers: number;
  learningRate: number;
  batchSize: number;
  anchor: boolean;
  seasonalLag: number;
}

export interface ModelInfo {
  model_id: string;
  type: ModelType;
  description: string;
  training: Record<string, unknown>;
  created: number;
  state: 'created' | 'training' | 'trained' | 'failed';
  last_run_id: string | null;
  trained: number | null;
  bucket_span_ms: number | null;
  summary: { hyper_params: HyperParams; parameters: number; best_val_loss: number; test: TestReport | null } | null;
}

export interface RunSummary {
  run_id: string;
  state: RunState;
  queue_position: number | null;
  phase: string | null;
  created: number;
  finished: number | null;
  trials: number;
  epochs: number;
  best: { trial: number; epoch: number; val_loss: number } | null;
  error: string | null;
}

/** Where an activation's buckets come from (null: posted to its `_data`). */
export type ActivationSource =
  | { kind: 'job'; job_id: string; detector_index: number; partition_field_value: string | null; by_field_value: string | null }
  | { kind: 'index'; index: string; time_field: string; value_field: string };

export interface Activation {
  activation_id: string;
  model_id?: string;
  mode: 'live' | 'historical';
  /** queued | active | running | completed | failed | cancelled | stopped */
  state: string;
  source?: ActivationSource | null;
  queue_position?: number | null;
  created?: number;
  started?: number | null;
  finished?: number | null;
  buckets?: number;
  last_time?: number | null;
  error?: string | null;
}

/** A live activation that still holds (or waits for) a slot: the ones that can be deactivated. */
export const isLiveActivation = (a: Activation): boolean => a.mode === 'live' && (a.state === 'active' || a.state === 'queued');

/** The body of a live activation that follows one series of an anomaly-detection job. */
export interface FollowJob {
  mode: 'live';
  job_id: string;
  detector_index: number;
  partition_field_value?: string;
  by_field_value?: string;
}

/** An activation's anomaly record (the shape of a job's record). */
export interface ActivationRecord {
  timestamp: number;
  record_score: number;
  probability: number;
  actual: number[];
  typical: number[];
  vigil_explanation?: string;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  valLoss: number;
  ms: number;
  best: boolean;
}

export interface TrialRow {
  index: number;
  status: string;
  params: HyperParams;
  valLoss: number | null;
  bestEpoch: number;
  epochs: EpochRecord[];
  stopReason: string | null;
  ms: number;
  error?: string;
}

export interface DetectAccuracy {
  mae: number;
  rmse: number;
  coverage95: number;
  alerts: number;
  regions?: { precision: number; recall: number; f1: number };
}
export interface PredictAccuracy {
  smape: number;
  mase: number;
  coverage80: number;
  coverage95: number;
  msis: number;
}
export type TestReport =
  | { kind: 'detect'; buckets: number; scored: number; neural: DetectAccuracy; default: DetectAccuracy }
  | { kind: 'predict'; horizon: number; origins: number; neural: PredictAccuracy; default: PredictAccuracy; defaultModel: string };

export interface TrainingReport {
  type: ModelType;
  backend: string;
  seconds: number;
  searchSeconds: number;
  trainingSeconds: number;
  buckets: number;
  split: { train: [number, number]; validation: [number, number]; test: [number, number] };
  bestTrial: number;
  hyperParams: HyperParams;
  parameters: number;
  training: { bestEpoch: number; bestValLoss: number; restoredValLoss: number; stopReason: string };
  test: TestReport | null;
}

export interface RunRecord {
  run_id: string;
  model_id: string;
  state: RunState;
  queue_position: number | null;
  phase: string | null;
  created: number;
  started: number | null;
  finished: number | null;
  trials: TrialRow[];
  epochs: EpochRecord[];
  best: { trial: number; epoch: number; val_loss: number } | null;
  report: TrainingReport | null;
  error: string | null;
}

export interface RunEvent {
  seq: number;
  time: number;
  event: { type: string; [k: string]: unknown };
}

export const isFinished = (s: RunState): boolean => s === 'completed' || s === 'failed' || s === 'cancelled';

export const listModels = (): Promise<{ models: ModelInfo[] }> => api('GET', M);
export const getModel = (id: string): Promise<{ model: ModelInfo; runs: RunSummary[]; activations: Activation[] }> => api('GET', `${M}/${enc(id)}`);
export const createModel = (id: string, body: { type: ModelType; description?: string; training?: Record<string, unknown> }): Promise<ModelInfo> => api('PUT', `${M}/${enc(id)}`, body);
export const trainModel = (id: string, body: { data: [number, number][]; bucket_span?: number | string; training?: Record<string, unknown> }): Promise<{ run_id: string; state: RunState }> =>
  api('POST', `${M}/${enc(id)}/_train`, body);
export const getRun = (id: string, run: string, since: number): Promise<RunRecord & { last_seq: number; events: RunEvent[] }> => api('GET', `${M}/${enc(id)}/runs/${enc(run)}?since=${since}`);
export const cancelRun = (id: string, run: string): Promise<unknown> => api('POST', `${M}/${enc(id)}/runs/${enc(run)}/_cancel`);
export const activateModel = (id: string, body: FollowJob): Promise<Activation> => api('POST', `${M}/${enc(id)}/_activate`, body);
export const deactivateActivation = (id: string, aid: string): Promise<Activation> => api('POST', `${M}/${enc(id)}/activations/${enc(aid)}/_deactivate`);
export const activationResults = (id: string, aid: string): Promise<{ count: number; records: ActivationRecord[] }> => api('GET', `${M}/${enc(id)}/activations/${enc(aid)}/results`);
export const deleteModel = (id: string): Promise<unknown> => api('DELETE', `${M}/${enc(id)}?force=true`);

/** A one-line description of a run event for the log. */
export function describeEvent(e: RunEvent['event']): string {
  const fmt = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? x.toPrecision(4) : '—');
  switch (e.type) {
    case 'state':
      return `state: ${String(e.state)}${e.queue_position ? ` (position ${String(e.queue_position)})` : ''}${e.error ? ` — ${String(e.error)}` : ''}`;
    case 'phase':
      return `phase: ${String(e.phase)}`;
    case 'trial_started': {
      const p = e.params as HyperParams;
      return `trial ${String(e.index)} started: ${p.kind}, window ${p.window}, ${p.units} units × ${p.layers}`;
    }
    case 'trial_epoch': {
      const ep = e.epoch as EpochRecord;
      return `trial ${String(e.index)} epoch ${ep.epoch}: loss ${fmt(ep.loss)}, validation ${fmt(ep.valLoss)}`;
    }
    case 'trial': {
      const t = e.trial as { index: number; valLoss: number; stopReason?: string; status?: string };
      return `trial ${t.index} ${t.status ?? 'done'}: validation loss ${fmt(t.valLoss)}${t.stopReason ? ` (${t.stopReason})` : ''}`;
    }
    case 'epoch': {
      const ep = e.epoch as EpochRecord;
      return `epoch ${ep.epoch}: loss ${fmt(ep.loss)}, validation ${fmt(ep.valLoss)}${ep.best ? ' *best' : ''}`;
    }
    default:
      return e.type;
  }
}
