/**
 * The default EngineFactory: the job engine of src/engine/job (AnomalyJob and its resultId).
 */
import { AnomalyJob, resultId, type BucketDoc, type JobConfig } from '../../engine/job/index.js';
import type { ResultDoc } from '../../store/store.js';
import type { EngineFactory, EngineJob } from './engine-port.js';

export const anomalyJobEngine: EngineFactory = {
  create: (config: JobConfig, options) => new AnomalyJob(config, options) as unknown as EngineJob,
  restore: (config: JobConfig, state, options) => AnomalyJob.fromState(config, state as Parameters<typeof AnomalyJob.fromState>[1], options) as unknown as EngineJob,
  resultId: (doc: ResultDoc) => resultId(doc as unknown as BucketDoc),
};
