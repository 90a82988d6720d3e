/**
 * The demo job of `vigil serve --demo` (what `npm start` runs): a `mean(requests)` job with model
 * plot over the bundled example (examples/web-requests.csv, five weeks of requests per 5 minutes
 * with known incidents), created and fed through the same service path as `_data`, so a new user
 * sees results at once. Skipped when the job already exists (a restart keeps its results).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobService } from './jobs/job-service.js';

export const DEMO_JOB_ID = 'web-requests';

export const DEMO_JOB = {
  description: 'Vigil demo: requests per 5 minutes from examples/web-requests.csv',
  groups: ['demo'],
  analysis_config: {
    bucket_span: '5m',
    detectors: [{ function: 'mean', field_name: 'requests', detector_description: 'mean(requests)' }],
  },
  data_description: { time_field: 'timestamp', time_format: 'epoch_ms' },
  model_plot_config: { enabled: true },
};

/** Finds examples/web-requests.csv above this module (works from src/ and from dist/). */
export function exampleCsv(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'examples', 'web-requests.csv');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error('examples/web-requests.csv not found');
}

/** Creates, opens and feeds the demo job unless it exists; returns what it did. */
export async function ensureDemoJob(service: JobService): Promise<{ created: boolean; records: number; buckets: number }> {
  const exists = (await service.getJobs(DEMO_JOB_ID).catch(() => [])).length > 0;
  if (exists) {
    await service.openJob(DEMO_JOB_ID);
    return { created: false, records: 0, buckets: 0 };
  }
  await service.putJob(DEMO_JOB_ID, DEMO_JOB);
  await service.openJob(DEMO_JOB_ID);
  const lines = readFileSync(exampleCsv(), 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '');
  let counts: Record<string, unknown> = {};
  for (let i = 0; i < lines.length; i += 2000) {
    const body = lines
      .slice(i, i + 2000)
      .map((l) => {
        const [ts, v] = l.split(',');
        return JSON.stringify({ timestamp: Date.parse(ts), requests: Number(v) });
      })
      .join('\n');
    counts = await service.postData(DEMO_JOB_ID, Buffer.from(body));
  }
  await service.flushJob(DEMO_JOB_ID, { calcInterim: true });
  return { created: true, records: Number(counts.processed_record_count ?? 0), buckets: Number(counts.bucket_count ?? 0) };
}
