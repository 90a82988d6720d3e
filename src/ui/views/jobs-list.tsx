/** The jobs list: state, processed counts, memory status, latest and highest scores; open, close, reset, delete. */
import { useState } from 'preact/hooks';
import { api, deleteJob, getJobs, getStats, jobAction, serverOperations, type Job, type JobStats } from '../lib/api.js';
import { fmtBytes, fmtCount, fmtTime, severityOf } from '../lib/format.js';
import { useAsync } from '../lib/hooks.js';
import { href } from '../lib/router.js';
import { Badge, Empty, ErrorBox, Loading } from '../components/status.js';

interface Row {
  job: Job;
  stats?: JobStats;
  latest?: { timestamp: number; score: number };
  max?: number;
}

/** Every job's newest bucket and highest bucket score in one request (the server's jobs-list route). */
interface JobScores {
  job_id: string;
  latest_bucket?: { timestamp: number; anomaly_score: number };
  max_anomaly_score?: number;
}

async function getScores(): Promise<JobScores[]> {
  try {
    return (await api<{ jobs: JobScores[] }>('GET', '/_vigil/ui/jobs/_all/_scores')).jobs;
  } catch {
    return []; // results are optional for the list
  }
}

async function loadRows(): Promise<{ rows: Row[]; canReset: boolean }> {
  // four requests whatever the number of jobs (two results requests per job took 7.5 s for 252 jobs)
  const [jobs, stats, ops, scores] = await Promise.all([getJobs(), getStats('_all'), serverOperations(), getScores()]);
  const byId = new Map(stats.map((s) => [s.job_id, s]));
  const scoresById = new Map(scores.map((s) => [s.job_id, s]));
  const rows = jobs.map((job): Row => {
    const row: Row = { job, stats: byId.get(job.job_id) };
    const s = scoresById.get(job.job_id);
    const b = s?.latest_bucket;
    if (b) row.latest = { timestamp: b.timestamp, score: b.anomaly_score };
    row.max = s?.max_anomaly_score;
    return row;
  });
  return { rows, canReset: ops.has('ml.reset_job') };
}

function Score({ score }: { score: number | undefined }) {
  if (score === undefined) return <span class="muted">—</span>;
  const s = severityOf(score);
  return (
    <span class="score" title={s.label}>
      <span class="dot" style={{ background: s.color }} />
      {Math.round(score)}
    </span>
  );
}

export function JobsList() {
  const { data, error, loading, reload } = useAsync(loadRows, []);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const act = async (id: string, what: string, fn: () => Promise<unknown>): Promise<void> => {
    setBusy(`${id}:${what}`);
    setActionError(null);
    try {
      await fn();
    } catch (e) {
      setActionError(`${what} ${id}: ${(e as Error).message}`);
    } finally {
      setBusy(null);
      reload();
    }
  };

  return (
    <section class="page">
      <div class="page-head">
        <h1>Anomaly detection jobs</h1>
        <div class="actions">
          <button class="btn" onClick={reload} disabled={loading}>
            Refresh
          </button>
          <a class="btn primary" href={href(['jobs', 'new'])}>
            Create job
          </a>
        </div>
      </div>
      {actionError && <ErrorBox title="The server refused" error={actionError} />}
      {error && <ErrorBox error={error} retry={reload} title="Could not load the jobs" />}
      {!data && loading && <Loading what="Loading jobs" />}
      {data && data.rows.length === 0 && (
        <Empty title="No jobs yet">
          Create one from a CSV, NDJSON or JSON file: <a href={href(['jobs', 'new'])}>Create job</a>.
        </Empty>
      )}
      {data && data.rows.length > 0 && (
        <div class="card table-wrap flush">
          <table class="table jobs-table">
            <thead>
              <tr>
                <th>Job</th>
                <th>Detector</th>
                <th>State</th>
                <th class="num">Processed records</th>
                <th class="num">Buckets</th>
                <th>Latest data</th>
                <th>Memory</th>
                <th class="num">Latest score</th>
                <th class="num">Max score</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {data.rows.map(({ job, stats, latest, max }) => {
                const id = job.job_id;
                const state = stats?.state ?? 'unknown';
                const dc = stats?.data_counts ?? {};
                const mem = stats?.model_size_stats;
                const d = job.analysis_config.detectors[0];
                const isOpen = state === 'opened';
                return (
                  <tr key={id} data-job={id}>
                    <td>
                      <a class="job-link" href={href(['viewer', id])}>
                        {id}
                      </a>
                      {job.description && <div class="muted small">{job.description}</div>}
                    </td>
                    <td class="small">
                      <code>{d ? `${d.function}(${d.field_name ?? ''})` : '—'}</code>
                      {d?.partition_field_name && <span class="muted"> partition {d.partition_field_name}</span>}
                      {d?.by_field_name && <span class="muted"> by {d.by_field_name}</span>}
                      {job.analysis_config.detectors.length > 1 && <span class="muted"> +{job.analysis_config.detectors.length - 1}</span>}
                      <div class="muted">span {job.analysis_config.bucket_span}</div>
                    </td>
                    <td>
                      <Badge kind={state}>{state}</Badge>
                      {stats?.assignment_explanation && state === 'failed' && <div class="small error-text">{stats.assignment_explanation}</div>}
                    </td>
                    <td class="num">{fmtCount(dc.processed_record_count as number)}</td>
                    <td class="num">{fmtCount(dc.bucket_count as number)}</td>
                    <td class="small">{fmtTime(dc.latest_record_timestamp as number | undefined)}</td>
                    <td class="small nowrap">
                      <Badge kind={mem?.memory_status === 'ok' || !mem?.memory_status ? 'ok' : 'warn'}>{mem?.memory_status ?? '—'}</Badge> {fmtBytes(mem?.model_bytes)}
                    </td>
                    <td class="num" title={latest ? fmtTime(latest.timestamp) : ''}>
                      <Score score={latest?.score} />
                    </td>
                    <td class="num">
                      <Score score={max} />
                    </td>
                    <td class="row-actions">
                      <div class="row-actions-inner">
                      <a class="btn small" href={href(['viewer', id])} title="Single Metric Viewer">
                        Viewer
                      </a>
                      <a class="btn small" href={href(['explorer'], { jobs: id })} title="Anomaly Explorer">
                        Explorer
                      </a>
                      {isOpen ? (
                        <button class="btn small" disabled={!!busy} onClick={() => act(id, 'Close', () => jobAction(id, '_close'))}>
                          Close
                        </button>
                      ) : (
                        <button class="btn small" disabled={!!busy} onClick={() => act(id, 'Open', () => jobAction(id, '_open'))}>
                          Open
                        </button>
                      )}
                      <button
                        class="btn small"
                        disabled={!!busy || !data.canReset || isOpen}
                        title={!data.canReset ? 'This server does not offer _reset yet' : isOpen ? 'Close the job to reset it' : 'Delete the results and model, keep the configuration'}
                        onClick={() => confirm(`Reset ${id}? Its results and model are deleted.`) && act(id, 'Reset', () => jobAction(id, '_reset'))}
                      >
                        Reset
                      </button>
                      <button class="btn small danger" disabled={!!busy} onClick={() => confirm(`Delete job ${id} and its results?`) && act(id, 'Delete', () => deleteJob(id))}>
                        Delete
                      </button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
