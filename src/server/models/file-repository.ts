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

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
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
    let json: string;
    let weights: Buffer;
    try {
      json = await readFile(join(d, 'model.json'), 'utf8');
      weights = await readFile(join(d, 'weights.bin'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return TrainedModel.fromArtifacts(json, new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
  }

  async saveRun(run: TrainingRunRecord): Promise<void> {
    const d = join(this.modelDir(run.model_id), 'runs');
    await mkdir(d, { recursive: true });
    await atomicWrite(join(d, `${run.run_id}.json`), JSON.stringify(run));
  }

  async loadAll(): Promise<{ info: ModelInfo; runs: TrainingRunRecord[] }[]> {
    let ids: string[];
    try {
      ids = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: { info: ModelInfo; runs: TrainingRunRecord[] }[] = [];
    for (const id of ids.sort()) {
      const info = await readJson<ModelInfo>(join(this.modelDir(id), 'config.json'));
      if (!info) continue;
      const runs: TrainingRunRecord[] = [];
      let files: string[] = [];
      try {
        files = (await readdir(join(this.modelDir(id), 'runs'))).filter((f) => f.endsWith('.json')).sort();
      } catch {
        files = [];
      }
      for (const f of files) {
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
    let ids: string[];
    try {
      ids = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: { stored: StoredActivation; results: ActivationResultDoc[] }[] = [];
    for (const id of ids.sort()) {
      let files: string[];
      try {
        files = (await readdir(join(this.modelDir(id), 'activations'))).filter((f) => f.endsWith('.json')).sort();
      } catch {
        continue;
      }
      for (const f of files) {
        const stored = await readJson<StoredActivation>(join(this.modelDir(id), 'activations', f));
        if (!stored) continue;
        const results: ActivationResultDoc[] = [];
        let text = '';
        try {
          text = await readFile(join(this.modelDir(id), 'activations', f.slice(0, -'.json'.length) + '.results.ndjson'), 'utf8');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
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
