import { describe, expect, it } from 'vitest';
import type { Job, JobStats } from './api.js';
import { defaultJobs } from './default-jobs.js';

const job = (job_id: string): Job => ({ job_id, analysis_config: { bucket_span: '5m', detectors: [] } }) as unknown as Job;
const stat = (job_id: string, latest?: number): JobStats => ({ job_id, state: 'opened', data_counts: latest === undefined ? {} : { latest_record_timestamp: latest } });

describe('defaultJobs (the Anomaly Explorer without ?jobs=)', () => {
  it('takes the jobs with the newest data, not the first ids alphabetically', () => {
    const jobs = ['a1', 'a2', 'a3', 'web', 'zeta'].map(job);
    const stats = [stat('a1'), stat('a2'), stat('a3'), stat('web', 2_000), stat('zeta', 1_000)];
    expect(defaultJobs(jobs, stats, 2).map((j) => j.job_id)).toEqual(['web', 'zeta']);
    expect(defaultJobs(jobs, stats, 4).map((j) => j.job_id)).toEqual(['web', 'zeta', 'a1', 'a2']);
  });
  it('falls back to ids without stats', () => {
    expect(defaultJobs(['b', 'a'].map(job), undefined).map((j) => j.job_id)).toEqual(['a', 'b']);
  });
});
