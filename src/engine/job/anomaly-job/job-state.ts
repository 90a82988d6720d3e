/**
 * The layout of a job's versioned state (`{ type: 'anomaly_job', version: 1, spec, state }`) and
 * the checks a saved state passes before a job is restored from it.
 */
import { VigilError } from '../../../core/errors.js';
import type { ModelState } from '../../../core/state.js';
import type { JobConfig } from '../config.js';
import type { DetectorRunnerState } from '../detector-runner.js';
import type { NormaliserState } from '../normaliser.js';
import type { JobResults } from '../results.js';
import type { DataCounts } from './data-counts.js';
import type { MemoryState } from './memory.js';
import type { Kept } from './score-window.js';
import type { Timing } from './timing.js';

export const STATE_TYPE = 'anomaly_job';
export const STATE_VERSION = 1;

export interface JobStateBody {
  counts: DataCounts;
  nextBucket: number | null;
  latest: number | null;
  finalized: boolean;
  events: [number, number][];
  recentCounts: number[];
  normaliser: NormaliserState;
  runners: DetectorRunnerState[];
  kept: Kept[];
  memory: MemoryState;
  estimatedExtra: number;
  timing: Timing;
  pending: JobResults;
  interimOut: boolean;
  lastBucketRaw: number;
}

export interface JobStateSpec {
  job_id: string;
  detectors: number;
}

export type JobState = ModelState<JobStateBody, JobStateSpec>;

/**
 * `state` as a job state for `config`.
 *
 * @throws VigilError STATE_TYPE / STATE_VERSION for a state of another kind or version, or one with another number of detectors.
 */
export function checkJobState(config: JobConfig, state: ModelState): JobState {
  if (!state || typeof state !== 'object' || state.type !== STATE_TYPE) {
    throw new VigilError('STATE_TYPE', `saved state is of type [${(state as ModelState | undefined)?.type}], expected [${STATE_TYPE}]`);
  }
  if (state.version !== STATE_VERSION) {
    throw new VigilError('STATE_VERSION', `saved ${STATE_TYPE} state has version ${state.version}; this Vigil reads version ${STATE_VERSION}`);
  }
  const s = state as JobState;
  if (s.spec.detectors !== config.analysis_config.detectors.length) {
    throw new VigilError('STATE_TYPE', `saved job state has ${s.spec.detectors} detectors; the configuration has ${config.analysis_config.detectors.length}`);
  }
  return s;
}
