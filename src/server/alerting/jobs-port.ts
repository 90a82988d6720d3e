/**
 * The jobs side as alerting sees it (AlertJobsPort), over the server's JobService and Store:
 * each job's id, groups, bucket span, state, data times (from `_stats`, live for open jobs), the
 * wall clock of its last opening, the start of its newest final bucket, and its results in a time
 * window.
 */
import { parseDuration } from '../../core/time/duration.js';
import type { JobView, ResultLike } from '../../engine/alerting/index.js';
import type { JobService } from '../jobs/job-service.js';
import type { ResultType } from '../../store/store.js';
import type { AlertJobsPort } from './alert-service.js';

/** Results fetched per type and evaluation at most (a day of 1-minute buckets with room to spare). */
const MAX_DOCS = 20_000;

function spanOf(config: unknown): number {
  const text = (config as { analysis_config?: { bucket_span?: string | number } } | undefined)?.analysis_config?.bucket_span;
  try {
    return text === undefined ? 300_000 : parseDuration(text);
  } catch {
    return 300_000;
  }
}

function time(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

export function jobServicePort(service: JobService): AlertJobsPort {
  return {
    async jobs({ withLatestBucket }) {
      const recs = await service.store.listJobs();
      if (recs.length === 0) return [];
      const stats = new Map((await service.stats('_all')).map((s) => [s.job_id as string, s]));
      return Promise.all(
        recs.map(async (rec): Promise<JobView> => {
          const st = stats.get(rec.job_id);
          const dc = (st?.data_counts ?? {}) as Record<string, unknown>;
          const view: JobView = {
            job_id: rec.job_id,
            groups: rec.groups,
            bucket_span_ms: spanOf(rec.config),
            state: String(st?.state ?? rec.runtime.state),
          };
          const lr = time(dc.latest_record_timestamp);
          const ld = time(dc.last_data_time);
          if (lr !== undefined) view.latest_record_timestamp = lr;
          if (ld !== undefined) view.last_data_time = ld;
          if (view.state === 'opened' && typeof rec.runtime.open_time === 'number') view.opened_at = rec.runtime.open_time;
          if (withLatestBucket) {
            const page = await service.store.queryResults({ jobIds: [rec.job_id], resultType: 'bucket', excludeInterim: true, sort: 'timestamp', desc: true, size: 1 });
            if (page.docs[0]) view.latest_bucket_time = page.docs[0].timestamp;
          }
          return view;
        }),
      );
    },
    async results(jobId, types, start) {
      const out: ResultLike[] = [];
      for (const t of types) {
        const page = await service.store.queryResults({ jobIds: [jobId], resultType: t as ResultType, start, sort: 'timestamp', desc: true, size: MAX_DOCS });
        // newest first, so a window with more than MAX_DOCS keeps its recent end
        out.push(...(page.docs as ResultLike[]).reverse());
      }
      return out;
    },
  };
}
