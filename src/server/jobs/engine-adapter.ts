/**
 * The default EngineFactory: the job engine of src/engine/job (AnomalyJob). Looked up at run time
 * so the server builds while the engine is being written; a job cannot open without it.
 */
import { VigilError } from '../../core/errors.js';
import * as jobEngine from '../../engine/job/index.js';
import type { JobConfig } from '../../engine/job/index.js';
import type { EngineFactory, EngineJob } from './engine-port.js';

interface AnomalyJobClass {
  new (config: JobConfig): unknown;
  fromState(config: JobConfig, state: unknown): unknown;
}

function engineClass(): AnomalyJobClass {
  const cls = (jobEngine as unknown as { AnomalyJob?: AnomalyJobClass }).AnomalyJob;
  if (!cls) throw new VigilError('INTERNAL', 'the job engine (AnomalyJob) is not part of this build yet');
  return cls;
}

export const anomalyJobEngine: EngineFactory = {
  create: (config) => new (engineClass())(config) as EngineJob,
  restore: (config, state) => engineClass().fromState(config, state) as EngineJob,
};
