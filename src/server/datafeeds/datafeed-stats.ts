/**
 * A datafeed's `_stats` document: Elastic's state, node, running state and timing stats, plus
 * Vigil's progress, counters, errors and delayed-data figures.
 */
import type { NodeInfo } from '../jobs/job-service.js';
import type { DatafeedRecord } from './datafeed-store.js';
import type { Running } from './feed-chunk.js';

/** The stats of `rec`; `running` is its loop when this process runs it, `node` this process's node. */
export function datafeedStats(rec: DatafeedRecord, running: Running | undefined, node: NodeInfo): Record<string, unknown> {
  const c = rec.counters;
  const run = rec.run;
  const out: Record<string, unknown> = {
    datafeed_id: rec.datafeed_id,
    state: rec.state,
    assignment_explanation: '',
    timing_stats: {
      job_id: rec.job_id,
      search_count: c.search_count,
      bucket_count: c.bucket_count,
      total_search_time_ms: Math.round(c.total_search_time_ms),
      average_search_time_per_bucket_ms: c.bucket_count ? c.total_search_time_ms / c.bucket_count : null,
      exponential_average_search_time_per_hour_ms: c.search_count ? c.total_search_time_ms / c.search_count : 0,
    },
  };
  if (rec.state === 'started') {
    out.node = { id: node.id, name: node.name, ephemeral_id: node.ephemeral_id, transport_address: node.transport_address, attributes: {} };
    out.running_state = { real_time_configured: run?.end === undefined, real_time_running: run?.end === undefined && !!run?.lookback_done, ...(run ? { search_interval: { start_ms: run.start, end_ms: run.position } } : {}) };
  }
  const span = run?.end !== undefined ? run.end - run.start : undefined;
  out.vigil = {
    source: (rec.config.vigil_source as { type?: string } | undefined)?.type ?? 'embedded',
    pushed_down: running ? (running.plan.aggregation ? running.source.pushesDown(running.plan.aggregation) : false) : undefined,
    position: run?.position ?? null,
    progress: run
      ? {
          start: run.start,
          end: run.end ?? null,
          position: run.position,
          percent: span ? Math.min(100, Math.round((1000 * (run.position - run.start)) / span) / 10) : null,
        }
      : null,
    documents_posted: c.documents_posted,
    source_documents: c.source_documents,
    pages: c.pages,
    total_post_time_ms: Math.round(c.total_post_time_ms),
    empty_searches: c.empty_searches,
    last_error: c.last_error ?? null,
    last_error_time: c.last_error_time ?? null,
    stopped_reason: rec.state === 'stopped' ? (c.stopped_reason ?? null) : null,
    delayed_data: { checks: c.delayed_checks, missing_documents: c.missing_documents, latest_missing_bucket: c.latest_missing_bucket ?? null },
  };
  return out;
}
