/**
 * The default EngineFactory: the job engine of src/engine/job (AnomalyJob and its resultId).
 * Looked up at run time so the server builds while the engine is being written; a job cannot
 * open without it.
 */
import { VigilError } from '../../core/errors.js';
import * as jobEngine from '../../engine/job/index.js';
import type { JobConfig } from '../../engine/job/index.js';
import type { ResultDoc } from '../../store/store.js';
import type { EngineFactory, EngineJob, EngineOptions } from './engine-port.js';

interface AnomalyJobClass {
  new (config: JobConfig, options?: EngineOptions): unknown;
  fromState(config: JobConfig, state: unknown, options?: EngineOptions): unknown;
}

function engine(): { AnomalyJob: AnomalyJobClass; resultId: (doc: ResultDoc) => string } {
  const m = jobEngine as unknown as { AnomalyJob?: AnomalyJobClass; resultId?: (doc: ResultDoc) => string };
  if (!m.AnomalyJob || !m.resultId) throw new VigilError('INTERNAL', 'the job engine (AnomalyJob) is not part of this build yet');
  return { AnomalyJob: m.AnomalyJob, resultId: m.resultId };
}

export const anomalyJobEngine: EngineFactory = {
  create: (config, options) => new (engine().AnomalyJob)(config, options) as EngineJob,
  restore: (config, state, options) => engine().AnomalyJob.fromState(config, state, options) as EngineJob,
  resultId: (doc) => engine().resultId(doc),
};
