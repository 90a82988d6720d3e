/**
 * Create and train a model (`#/training/new?upload=…&model=…`): data from a file uploaded through
 * the job wizard (one number field, bucketed with the mean) or from a job's data (its model plot's
 * actual values); type detect | predict, horizon, trials, seed, epochs and any other training option
 * as JSON; then `PUT /_vigil/models/<id>` (when new) and `_train`, and the run view opens.
 */
import { useEffect, useState } from 'preact/hooks';
import { ErrorBox, Loading } from '../components/status.js';
import { api, enc, getJobs, getModelPlot } from '../lib/api.js';
import { fmtSpan, fmtTime } from '../lib/format.js';
import { useAsync } from '../lib/hooks.js';
import { createModel, getModel, listModels, trainModel, type ModelType } from '../lib/models.js';
import { href, navigate } from '../lib/router.js';

const U = '/_vigil/ui/uploads';

interface UploadInfo {
  upload_id: string;
  file_name: string;
  rows: number;
  uploaded: number;
  suggested_bucket_span?: string;
}
interface UploadMeta extends UploadInfo {
  fields: { name: string; type: 'date' | 'number' | 'keyword' }[];
}

async function uploadData(uploadId: string, field: string, span: string): Promise<{ data: [number, number][]; spanMs: number }> {
  const p = await api<{ start: number; bucket_span_ms: number; series: { values: (number | null)[] }[] }>('POST', `${U}/${enc(uploadId)}/_preview`, { function: 'mean', field_name: field, ...(span ? { bucket_span: span } : {}), max_series: 1 });
  const s = p.series[0];
  if (!s) throw new Error('the upload has no values for this field');
  const data: [number, number][] = [];
  s.values.forEach((v, i) => v !== null && data.push([p.start + i * p.bucket_span_ms, v]));
  return { data, spanMs: p.bucket_span_ms };
}

async function jobData(jobId: string): Promise<{ data: [number, number][] }> {
  const plot = await getModelPlot(jobId, { detector: 0 });
  const first = plot[0];
  const same = plot.filter((d) => d.actual !== undefined && d.partition_field_value === first?.partition_field_value && d.by_field_value === first?.by_field_value);
  if (same.length === 0) throw new Error(`job ${jobId} has no model plot with actual values (enable model_plot_config and post data)`);
  return { data: same.map((d) => [d.timestamp, d.actual as number]) };
}

export function TrainingForm({ params }: { params: URLSearchParams }) {
  const existing = params.get('model') ?? '';
  const [source, setSource] = useState<'upload' | 'job'>(params.get('job') ? 'job' : 'upload');
  const [uploadId, setUploadId] = useState(params.get('upload') ?? '');
  const [jobId, setJobId] = useState(params.get('job') ?? '');
  const [field, setField] = useState('');
  const [span, setSpan] = useState('');
  const [modelId, setModelId] = useState(existing);
  const [description, setDescription] = useState('');
  const [type, setType] = useState<ModelType>('detect');
  const [horizon, setHorizon] = useState('12');
  const [trials, setTrials] = useState('10');
  const [seed, setSeed] = useState('42');
  const [maxEpochs, setMaxEpochs] = useState('40');
  const [advanced, setAdvanced] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const uploads = useAsync(() => api<{ uploads: UploadInfo[] }>('GET', U), []);
  const jobs = useAsync(() => getJobs(), []);
  const models = useAsync(() => listModels(), []);
  const meta = useAsync(() => (uploadId ? api<UploadMeta>('GET', `${U}/${enc(uploadId)}`) : Promise.resolve(undefined)), [uploadId]);
  const prior = useAsync(() => (existing ? getModel(existing) : Promise.resolve(undefined)), [existing]);

  useEffect(() => {
    if (!uploadId && uploads.data?.uploads[0] && source === 'upload') setUploadId(uploads.data.uploads[0].upload_id);
  }, [uploads.data]);
  useEffect(() => {
    const m = meta.data;
    if (!m) return;
    const numbers = m.fields.filter((f) => f.type === 'number');
    if (!numbers.some((f) => f.name === field)) setField(numbers[0]?.name ?? '');
    if (!span && m.suggested_bucket_span) setSpan(m.suggested_bucket_span);
  }, [meta.data]);
  useEffect(() => {
    if (!jobId && jobs.data?.[0]) setJobId(jobs.data[0].job_id);
  }, [jobs.data]);
  useEffect(() => {
    const m = prior.data?.model;
    if (!m) return;
    setType(m.type);
    setDescription(m.description);
    const t = m.training as Record<string, unknown>;
    if (t.horizon !== undefined) setHorizon(String(t.horizon));
    if (t.trials !== undefined) setTrials(String(t.trials));
    if (t.seed !== undefined) setSeed(String(t.seed));
    if (t.maxEpochs !== undefined) setMaxEpochs(String(t.maxEpochs));
  }, [prior.data]);

  const exists = !!models.data?.models.some((m) => m.model_id === modelId);
  const idOk = /^[a-z0-9][a-z0-9_-]{0,63}$/.test(modelId);

  const spec = (): Record<string, unknown> => {
    let extra: Record<string, unknown> = {};
    if (advanced.trim()) {
      try {
        extra = JSON.parse(advanced) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`advanced options are not JSON: ${(e as Error).message}`);
      }
    }
    const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));
    const t: Record<string, unknown> = { trials: num(trials), seed: num(seed), maxEpochs: num(maxEpochs), ...(type === 'predict' ? { horizon: num(horizon) } : {}), ...extra };
    for (const k of Object.keys(t)) if (t[k] === undefined) delete t[k];
    return t;
  };

  const submit = async (): Promise<void> => {
    setError(null);
    try {
      const training = spec();
      setBusy('Reading the data');
      const d: { data: [number, number][]; spanMs?: number } = source === 'upload' ? await uploadData(uploadId, field, span) : await jobData(jobId);
      if (d.data.length < 50) throw new Error(`only ${d.data.length} buckets: a training needs more history`);
      if (!exists) {
        setBusy('Creating the model');
        await createModel(modelId, { type, ...(description ? { description } : {}), training });
      }
      setBusy('Starting the training');
      const r = await trainModel(modelId, { data: d.data, ...(d.spanMs ? { bucket_span: fmtSpan(d.spanMs) } : {}), ...(exists ? { training } : {}) });
      navigate(['training', modelId, r.run_id]);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };

  const canSubmit = idOk && !busy && (source === 'upload' ? !!uploadId && !!field : !!jobId);
  return (
    <section class="page">
      <div class="page-head">
        <div>
          <h1>{existing ? `Train ${existing} again` : 'Train a model'}</h1>
          <div class="muted small">A hyperparameter search (each trial a short training scored on validation loss), then the full training of the best trial with early stopping; the test set is compared with the statistical default.</div>
        </div>
        <div class="actions">
          <a class="btn" href={href(['training'])}>
            Cancel
          </a>
        </div>
      </div>
      <div class="card">
        <h2>1 · Data</h2>
        <div class="form-grid">
          <label class="field">
            <span>Source</span>
            <select aria-label="data source" value={source} onChange={(e) => setSource((e.target as HTMLSelectElement).value as 'upload' | 'job')}>
              <option value="upload">an uploaded file</option>
              <option value="job">a job’s data (model plot)</option>
            </select>
          </label>
          {source === 'upload' && (
            <>
              <label class="field">
                <span>File</span>
                <select aria-label="upload" value={uploadId} onChange={(e) => { setUploadId((e.target as HTMLSelectElement).value); setSpan(''); }}>
                  {!uploadId && <option value="">—</option>}
                  {uploads.data?.uploads.map((u) => (
                    <option key={u.upload_id} value={u.upload_id}>
                      {u.file_name} · {u.rows.toLocaleString('en-US')} rows · {fmtTime(u.uploaded)}
                    </option>
                  ))}
                </select>
                {uploads.data?.uploads.length === 0 && (
                  <span class="hint">
                    No files yet: upload one in the <a href={href(['jobs', 'new'])}>job wizard</a> first.
                  </span>
                )}
              </label>
              <label class="field">
                <span>Field (mean per bucket)</span>
                <select aria-label="field" value={field} onChange={(e) => setField((e.target as HTMLSelectElement).value)}>
                  {meta.data?.fields
                    .filter((f) => f.type === 'number')
                    .map((f) => (
                      <option key={f.name} value={f.name}>
                        {f.name}
                      </option>
                    ))}
                </select>
              </label>
              <label class="field">
                <span>Bucket span</span>
                <input aria-label="bucket span" value={span} onInput={(e) => setSpan((e.target as HTMLInputElement).value)} placeholder="suggested" />
                {meta.data?.suggested_bucket_span && <span class="hint">suggested: {meta.data.suggested_bucket_span}</span>}
              </label>
            </>
          )}
          {source === 'job' && (
            <label class="field">
              <span>Job</span>
              <select aria-label="job" value={jobId} onChange={(e) => setJobId((e.target as HTMLSelectElement).value)}>
                {jobs.data?.map((j) => (
                  <option key={j.job_id} value={j.job_id}>
                    {j.job_id} · {j.analysis_config.bucket_span}
                  </option>
                ))}
              </select>
              <span class="hint">The actual values of the job’s first series (model plot).</span>
            </label>
          )}
        </div>
        {uploads.error && <ErrorBox title="Could not list the uploads" error={uploads.error} retry={uploads.reload} />}
        {meta.error && <ErrorBox title="Could not read the upload" error={meta.error} retry={meta.reload} />}
        {uploads.loading && !uploads.data && <Loading what="Loading uploads" />}
      </div>
      <div class="card">
        <h2>2 · Model and training</h2>
        <div class="form-grid">
          <label class="field">
            <span>Model id</span>
            <input aria-label="model id" value={modelId} disabled={!!existing} onInput={(e) => setModelId((e.target as HTMLInputElement).value)} placeholder="lowercase letters, digits, - or _" />
            {modelId && !idOk && <span class="hint error-text">1–64 lowercase letters, digits, - or _</span>}
            {exists && !existing && <span class="hint">exists: it is trained again</span>}
          </label>
          <label class="field">
            <span>Description</span>
            <input aria-label="description" value={description} disabled={exists} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
          </label>
          <label class="field">
            <span>Type</span>
            <select aria-label="type" value={type} disabled={exists} onChange={(e) => setType((e.target as HTMLSelectElement).value as ModelType)}>
              <option value="detect">detect — anomaly scores from the prediction error</option>
              <option value="predict">predict — a forecast with a band</option>
            </select>
          </label>
          {type === 'predict' && (
            <label class="field">
              <span>Horizon (buckets)</span>
              <input aria-label="horizon" type="number" min={1} value={horizon} onInput={(e) => setHorizon((e.target as HTMLInputElement).value)} />
            </label>
          )}
          <label class="field">
            <span>Trials (≤ 10)</span>
            <input aria-label="trials" type="number" min={1} max={10} value={trials} onInput={(e) => setTrials((e.target as HTMLInputElement).value)} />
          </label>
          <label class="field">
            <span>Seed</span>
            <input aria-label="seed" type="number" value={seed} onInput={(e) => setSeed((e.target as HTMLInputElement).value)} />
          </label>
          <label class="field">
            <span>Most epochs (full training)</span>
            <input aria-label="max epochs" type="number" min={1} value={maxEpochs} onInput={(e) => setMaxEpochs((e.target as HTMLInputElement).value)} />
          </label>
          <label class="field wide">
            <span>Other training options (JSON)</span>
            <textarea aria-label="advanced options" rows={3} value={advanced} onInput={(e) => setAdvanced((e.target as HTMLTextAreaElement).value)} placeholder={'{"patience": 5, "timeBudgetS": 120, "space": {"kinds": ["dense", "gru"]}}'} />
            <span class="hint">Any option of docs/trained-models.md: validationSplit, testSplit, trialEpochs, patience, timeBudgetS, defaults, space …</span>
          </label>
        </div>
        {error && <ErrorBox title="Could not start the training" error={error} />}
        <div class="actions end">
          {busy && <Loading what={busy} />}
          <button class="btn primary" disabled={!canSubmit} onClick={() => void submit()}>
            {exists ? 'Train' : 'Create and train'}
          </button>
        </div>
      </div>
    </section>
  );
}
