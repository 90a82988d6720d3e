/**
 * Where ModelManager keeps models, weights, finished training runs and live activations
 * (ModelRepository), and the in-memory one it uses by default. The files under the data directory
 * are src/server/models/file-repository.ts.
 */
import type { ModelKind, TrainingSpec } from '../../core/neural/spec.js';
import type { TrainedModel } from '../../core/neural/trained-model.js';
import type { TrainingReport } from '../../core/neural/trainer.js';
import type { StoredActivation } from './activation.js';
import type { ActivationResultDoc } from './result-docs.js';
import type { TrainingRunRecord } from './training-run.js';

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
