/**
 * Trained models on disk, under `<data_dir>/models/<model_id>/`: `config.json` (the model's info),
 * `model.json` + `weights.bin` (the network: metadata and float32 weights, see
 * core/neural/trained-model.ts), `runs/<run_id>.json` (finished training runs with their trials
 * and loss curves) and, per live activation, `activations/<activation_id>.json` (its info, source
 * and window/score state) with `activations/<activation_id>.results.ndjson` (its results, appended
 * in order). Every JSON file is written to a temporary name and renamed, so a crash never leaves
 * half a file (a results line cut short by a crash is skipped when read); `loadAll` and
 * `loadActivations` are what a restarted server reads.
 */
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrainedModel } from '../../core/neural/trained-model.js';
import type { ModelInfo, ModelRepository, StoredActivation } from '../../engine/training/model-manager.js';
import type { ActivationResultDoc } from '../../engine/training/result-docs.js';
import type { TrainingRunRecord } from '../../engine/training/training-run.js';

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** What `read` gives, or `missing` when the file or folder does not exist (other errors are thrown). */
async function unlessMissing<T, M>(read: Promise<T>, missing: M): Promise<T | M> {
  try {
    return await read;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return missing;
    throw err;
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  const text = await unlessMissing(readFile(path, 'utf8'), null);
  return text === null ? null : (JSON.parse(text) as T);
}

export class FileModelRepository implements ModelRepository {
  constructor(readonly dir: string) {}

  private modelDir(id: string): string {
    return join(this.dir, id);
  }

  async saveInfo(info: ModelInfo): Promise<void> {
    await mkdir(join(this.modelDir(info.model_id), 'runs'), { recursive: true });
    await atomicWrite(join(this.modelDir(info.model_id), 'config.json'), JSON.stringify(info, null, 2));
  }

  async saveModel(id: string, model: TrainedModel): Promise<void> {
    const d = this.modelDir(id);
    await mkdir(d, { recursive: true });
    const art = model.toArtifacts();
    // weights first: a model.json never points at weights that are not there yet
    await atomicWrite(join(d, 'weights.bin'), art.weights);
    await atomicWrite(join(d, 'model.json'), art.json);
  }

  async loadModel(id: string): Promise<TrainedModel | null> {
    const d = this.modelDir(id);
    const json = await unlessMissing(readFile(join(d, 'model.json'), 'utf8'), null);
    const weights = json === null ? null : await unlessMissing(readFile(join(d, 'weights.bin')), null);
    if (json === null || weights === null) return null;
    return TrainedModel.fromArtifacts(json, new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
  }

  async saveRun(run: TrainingRunRecord): Promise<void> {
    const d = join(this.modelDir(run.model_id), 'runs');
    await mkdir(d, { recursive: true });
    await atomicWrite(join(d, `${run.run_id}.json`), JSON.stringify(run));
  }

  /** The model folders, in order (none before the first model). */
  private async modelIds(): Promise<string[]> {
    return (await unlessMissing(readdir(this.dir), [])).sort();
  }

  /** The `.json` files of a model's sub-folder, in order (none when it cannot be read). */
  private async jsonFiles(id: string, sub: 'runs' | 'activations'): Promise<string[]> {
    try {
      return (await readdir(join(this.modelDir(id), sub))).filter((f) => f.endsWith('.json')).sort();
    } catch {
      return [];
    }
  }

  async loadAll(): Promise<{ info: ModelInfo; runs: TrainingRunRecord[] }[]> {
    const out: { info: ModelInfo; runs: TrainingRunRecord[] }[] = [];
    for (const id of await this.modelIds()) {
      const info = await readJson<ModelInfo>(join(this.modelDir(id), 'config.json'));
      if (!info) continue;
      const runs: TrainingRunRecord[] = [];
      for (const f of await this.jsonFiles(id, 'runs')) {
        const r = await readJson<TrainingRunRecord>(join(this.modelDir(id), 'runs', f));
        if (r) runs.push(r);
      }
      out.push({ info, runs });
    }
    return out;
  }

  async delete(id: string): Promise<void> {
    await rm(this.modelDir(id), { recursive: true, force: true });
  }

  private actPath(modelId: string, activationId: string, ext: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(activationId)) throw new Error(`bad activation id [${activationId}]`);
    return join(this.modelDir(modelId), 'activations', activationId + ext);
  }

  async saveActivation(a: StoredActivation): Promise<void> {
    await mkdir(join(this.modelDir(a.info.model_id), 'activations'), { recursive: true });
    await atomicWrite(this.actPath(a.info.model_id, a.info.activation_id, '.json'), JSON.stringify(a));
  }

  async appendActivationResults(modelId: string, activationId: string, docs: ActivationResultDoc[]): Promise<void> {
    if (docs.length === 0) return;
    await mkdir(join(this.modelDir(modelId), 'activations'), { recursive: true });
    await appendFile(this.actPath(modelId, activationId, '.results.ndjson'), docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  }

  async loadActivations(): Promise<{ stored: StoredActivation; results: ActivationResultDoc[] }[]> {
    const out: { stored: StoredActivation; results: ActivationResultDoc[] }[] = [];
    for (const id of await this.modelIds()) {
      for (const f of await this.jsonFiles(id, 'activations')) {
        const stored = await readJson<StoredActivation>(join(this.modelDir(id), 'activations', f));
        if (!stored) continue;
        const results: ActivationResultDoc[] = [];
        const text = await unlessMissing(readFile(join(this.modelDir(id), 'activations', f.slice(0, -'.json'.length) + '.results.ndjson'), 'utf8'), '');
        for (const line of text.split('\n')) {
          if (line === '') continue;
          try {
            results.push(JSON.parse(line) as ActivationResultDoc);
          } catch {
            // a line cut short by a crash
          }
        }
        out.push({ stored, results });
      }
    }
    return out;
  }

  async deleteActivation(modelId: string, activationId: string): Promise<void> {
    await rm(this.actPath(modelId, activationId, '.json'), { force: true });
    await rm(this.actPath(modelId, activationId, '.results.ndjson'), { force: true });
  }
}
