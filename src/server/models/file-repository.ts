/**
 * Trained models on disk, under `<data_dir>/models/<model_id>/`: `config.json` (the model's info),
 * `model.json` + `weights.bin` (the network: metadata and float32 weights, see
 * core/neural/trained-model.ts) and `runs/<run_id>.json` (finished training runs with their trials
 * and loss curves). Every file is written to a temporary name and renamed, so a crash never leaves
 * half a file; `loadAll` is what a restarted server reads.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrainedModel } from '../../core/neural/trained-model.js';
import type { ModelInfo, ModelRepository } from '../../engine/training/model-manager.js';
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
}
