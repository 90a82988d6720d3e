/**
 * A trained model's activations on its run view: the activations with their state, the job they
 * follow and *Deactivate* for the live ones (`…/activations/<aid>/_deactivate`); a form that makes
 * the model follow one series of an anomaly-detection job (`_activate` with `mode: live`, `job_id`,
 * `detector_index` and, for a split detector, the series' partition / by value), showing the
 * server's reason when it refuses; and an activation's anomaly records (`…/results`), opened
 * with `?activation=<aid>` so the view stays a bookmark.
 */
import { useEffect, useState } from 'preact/hooks';
import { Badge, Empty, ErrorBox, Loading } from '../components/status.js';
import { getJobs, type Detector, type Job } from '../lib/api.js';
import { fmtNum, fmtSpan, fmtTime, parseSpan, severityOf } from '../lib/format.js';
import { useAsync } from '../lib/hooks.js';
import { activateModel, activationResults, deactivateActivation, isLiveActivation, type Activation, type ActivationSource, type FollowJob, type ModelInfo } from '../lib/models.js';
import { href, setParams } from '../lib/router.js';

const detectorLabel = (d: Detector, i: number): string =>
  d.detector_description ||
  `${i}: ${d.function}(${d.field_name ?? ''})${d.by_field_name ? ` by ${d.by_field_name}` : ''}${d.over_field_name ? ` over ${d.over_field_name}` : ''}${d.partition_field_name ? ` partition ${d.partition_field_name}` : ''}`;

export function sourceLabel(s: ActivationSource | null | undefined): string {
  if (!s) return 'posted buckets';
  if (s.kind === 'index') return `index ${s.index} (${s.value_field})`;
  const series = [s.partition_field_value !== null ? `partition = ${s.partition_field_value}` : '', s.by_field_value !== null ? `by = ${s.by_field_value}` : ''].filter(Boolean).join(', ');
  return `job ${s.job_id} · detector ${s.detector_index}${series ? ` · ${series}` : ''}`;
}

const stateKind = (s: string): string => (s === 'active' || s === 'running' ? 'ok' : s === 'queued' ? 'queued' : s === 'failed' ? 'failed' : 'closed');

export function Activations(p: { model: ModelInfo; runId: string; activations: Activation[]; selected: string | null; reload: () => void }) {
  const [actionError, setActionError] = useState<string | null>(null);
  const [stopping, setStopping] = useState<string | null>(null);
  const modelId = p.model.model_id;
  const deactivate = async (aid: string): Promise<void> => {
    setStopping(aid);
    setActionError(null);
    try {
      await deactivateActivation(modelId, aid);
    } catch (e) {
      setActionError(`Deactivate ${aid}: ${(e as Error).message}`);
    } finally {
      setStopping(null);
    }
    p.reload();
  };
  const shown = [...p.activations].sort((a, b) => (b.created ?? 0) - (a.created ?? 0));
  const selected = p.selected ? p.activations.find((a) => a.activation_id === p.selected) : undefined;
  return (
    <div class="card" data-testid="activations">
      <div class="card-head">
        <h2>Activations</h2>
        <span class="muted small">live activations score each bucket as it arrives; one that follows a job gets every bucket the job finalises</span>
        <div class="actions" style={{ marginLeft: 'auto' }}>
          <button class="btn small" onClick={p.reload}>
            Refresh
          </button>
        </div>
      </div>
      {actionError && <ErrorBox title="The server refused" error={actionError} />}
      {shown.length === 0 ? (
        <Empty title="Not active">Make it follow a job below.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table compact activations-table">
            <thead>
              <tr>
                <th>Activation</th>
                <th>Mode</th>
                <th>State</th>
                <th>Source</th>
                <th class="num">Buckets</th>
                <th>Last bucket</th>
                <th>Created</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((a) => (
                <tr key={a.activation_id} data-activation={a.activation_id} data-state={a.state}>
                  <td>
                    <code>{a.activation_id}</code>
                  </td>
                  <td>{a.mode}</td>
                  <td>
                    <Badge kind={stateKind(a.state)}>{a.state === 'queued' && a.queue_position ? `queued (#${a.queue_position})` : a.state}</Badge>
                    {a.error && <div class="small error-text">{a.error}</div>}
                  </td>
                  <td class="small" data-testid="source">
                    {sourceLabel(a.source)}
                  </td>
                  <td class="num">{fmtNum(a.buckets ?? 0)}</td>
                  <td class="small nowrap">{fmtTime(a.last_time)}</td>
                  <td class="small nowrap">{fmtTime(a.created)}</td>
                  <td class="row-actions">
                    <div class="row-actions-inner">
                      <a class="btn small" href={href(['training', modelId, p.runId], { activation: a.activation_id })}>
                        Results
                      </a>
                      {isLiveActivation(a) && (
                        <button class="btn small danger" disabled={stopping === a.activation_id} onClick={() => void deactivate(a.activation_id)}>
                          Deactivate
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {p.selected && <ActivationResults key={p.selected} modelId={modelId} aid={p.selected} activation={selected} />}
      {p.model.trained ? <FollowJobForm model={p.model} onActivated={p.reload} /> : <div class="muted small more">Train the model to activate it.</div>}
    </div>
  );
}

function FollowJobForm({ model, onActivated }: { model: ModelInfo; onActivated: () => void }) {
  const jobs = useAsync(() => getJobs(), []);
  const [jobId, setJobId] = useState('');
  const [detector, setDetector] = useState(0);
  const [partition, setPartition] = useState('');
  const [by, setBy] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<Activation | null>(null);
  const span = model.bucket_span_ms;
  const spanOf = (j: Job): number => parseSpan(j.analysis_config.bucket_span);
  // the first job at the model's bucket span, else the first
  useEffect(() => {
    const list = jobs.data ?? [];
    if (list.length && !list.some((j) => j.job_id === jobId)) setJobId((list.find((j) => spanOf(j) === span) ?? list[0]).job_id);
  }, [jobs.data]);
  const job = jobs.data?.find((j) => j.job_id === jobId);
  const det: Detector | undefined = job?.analysis_config.detectors[detector];
  const pick = (id: string): void => {
    setJobId(id);
    setDetector(0);
    setPartition('');
    setBy('');
  };
  const submit = async (): Promise<void> => {
    if (!job) return;
    setBusy(true);
    setError(null);
    setDone(null);
    const body: FollowJob = { mode: 'live', job_id: job.job_id, detector_index: detector };
    if (det?.partition_field_name) body.partition_field_value = partition;
    if (det?.by_field_name) body.by_field_value = by;
    try {
      setDone(await activateModel(model.model_id, body));
      onActivated();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const jobSpan = job ? spanOf(job) : NaN;
  return (
    <div class="follow-job" data-testid="follow-job">
      <h3>Follow a job</h3>
      {jobs.error && <ErrorBox title="Could not list the jobs" error={jobs.error} retry={jobs.reload} />}
      {jobs.loading && !jobs.data && <Loading what="Loading jobs" />}
      {jobs.data && jobs.data.length === 0 && (
        <Empty title="No anomaly-detection jobs">
          <a href={href(['jobs', 'new'])}>Create a job</a> for the model to follow.
        </Empty>
      )}
      {job && (
        <>
          <div class="form-grid">
            <label class="field">
              <span>Job</span>
              <select aria-label="job to follow" value={jobId} onChange={(e) => pick((e.target as HTMLSelectElement).value)}>
                {jobs.data?.map((j) => (
                  <option key={j.job_id} value={j.job_id}>
                    {j.job_id} · {j.analysis_config.bucket_span}
                  </option>
                ))}
              </select>
              {span && Number.isFinite(jobSpan) && jobSpan !== span && (
                <span class="hint error-text">
                  the job’s bucket span is {fmtSpan(jobSpan)}, the model’s {fmtSpan(span)}
                </span>
              )}
            </label>
            <label class="field">
              <span>Detector</span>
              <select aria-label="detector" value={String(detector)} onChange={(e) => setDetector(Number((e.target as HTMLSelectElement).value))}>
                {job.analysis_config.detectors.map((d, i) => (
                  <option key={i} value={String(i)}>
                    {detectorLabel(d, i)}
                  </option>
                ))}
              </select>
            </label>
            {det?.partition_field_name && (
              <label class="field">
                <span>{det.partition_field_name} (partition value)</span>
                <input aria-label="partition value" value={partition} onInput={(e) => setPartition((e.target as HTMLInputElement).value)} />
              </label>
            )}
            {det?.by_field_name && (
              <label class="field">
                <span>{det.by_field_name} (by value)</span>
                <input aria-label="by value" value={by} onInput={(e) => setBy((e.target as HTMLInputElement).value)} />
              </label>
            )}
          </div>
          {error && <ErrorBox title="The server refused the activation" error={error} />}
          {done && (
            <div class="more" role="status" data-testid="activated">
              Activation <code>{done.activation_id}</code> <Badge kind={stateKind(done.state)}>{done.state}</Badge> — {sourceLabel(done.source)}
            </div>
          )}
          <div class="actions end">
            {busy && <Loading what="Activating" />}
            <button class="btn primary" disabled={busy} onClick={() => void submit()}>
              Follow job
            </button>
          </div>
        </>
      )}
    </div>
  );
}

function ActivationResults({ modelId, aid, activation }: { modelId: string; aid: string; activation?: Activation }) {
  const res = useAsync(() => activationResults(modelId, aid), [modelId, aid, activation?.buckets]);
  const records = [...(res.data?.records ?? [])].sort((a, b) => b.timestamp - a.timestamp);
  return (
    <div class="activation-results more" data-testid="activation-results">
      <div class="card-head">
        <h3>
          Results of <code>{aid}</code>
        </h3>
        <span class="muted small">{res.data ? `${res.data.count} record${res.data.count === 1 ? '' : 's'}` : ''}</span>
        <div class="actions" style={{ marginLeft: 'auto' }}>
          <button class="btn small" onClick={res.reload}>
            Reload
          </button>
          <button class="btn small" onClick={() => setParams({ activation: null })}>
            Close
          </button>
        </div>
      </div>
      {res.error && <ErrorBox title="Could not load the results" error={res.error} retry={res.reload} />}
      {res.loading && !res.data && <Loading what="Loading results" />}
      {res.data && records.length === 0 && <Empty title="No records yet" />}
      {records.length > 0 && (
        <div class="table-wrap">
          <table class="table compact">
            <thead>
              <tr>
                <th>Time (UTC)</th>
                <th>Score</th>
                <th class="num">Actual</th>
                <th class="num">Typical</th>
              </tr>
            </thead>
            <tbody>
              {records.slice(0, 200).map((r) => {
                const s = severityOf(r.record_score);
                return (
                  <tr key={r.timestamp}>
                    <td class="nowrap">{fmtTime(r.timestamp)}</td>
                    <td class="nowrap">
                      <span class="sev" style={{ background: s.color }}>
                        {Math.max(1, Math.round(r.record_score))}
                      </span>{' '}
                      {s.label}
                    </td>
                    <td class="num">{fmtNum(r.actual?.[0])}</td>
                    <td class="num">{fmtNum(r.typical?.[0])}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {records.length > 200 && <div class="muted small more">the latest 200 of {records.length}</div>}
        </div>
      )}
    </div>
  );
}
