/**
 * The create-job wizard: pick data (upload a file, or one uploaded before), look at its fields
 * (a data visualizer), choose the detector (function, field, split, influencers) and the bucket
 * span (with the server's suggestion), preview the bucketed series, then create, open and feed the
 * job — with the server's validation messages shown as they come. Every choice is in the URL.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { api, D, enc } from '../lib/api.js';
import { fmtBytes, fmtCount, fmtDate, fmtNum, fmtTime } from '../lib/format.js';
import { useAsync } from '../lib/hooks.js';
import { href, navigate, setParams } from '../lib/router.js';
import { Histogram } from '../components/histogram.js';
import { Empty, ErrorBox, Loading } from '../components/status.js';
import { TextField } from '../components/text-field.js';
import { UPlotChart, utc } from '../components/uplot-chart.js';

const U = '/_vigil/ui/uploads';

interface FieldStats {
  name: string;
  type: 'date' | 'number' | 'keyword';
  count: number;
  distinct: number;
  distinctCapped: boolean;
  min?: number;
  median?: number;
  max?: number;
  top: { value: string; count: number }[];
  histogram?: { from: number; to: number; counts: number[] };
}

interface UploadMeta {
  upload_id: string;
  file_name: string;
  bytes: number;
  uploaded: number;
  format: string;
  rows: number;
  malformed_rows: number;
  bad_time_rows: number;
  time_field: string;
  time_format: string;
  earliest: number | null;
  latest: number | null;
  fields: FieldStats[];
  suggested_bucket_span: string;
  suggested_bucket_span_reason: string;
  suggested_field: string | null;
}

interface Preview {
  bucket_span: string;
  bucket_span_ms: number;
  suggested_bucket_span: string;
  suggested_bucket_span_reason: string;
  start: number;
  buckets: number;
  series: { name: string; records: number; values: (number | null)[] }[];
  split_values: number;
  missing: { series: string; start: number; end: number }[];
}

const FUNCTIONS: { name: string; needs: 'number' | 'keyword' | 'none'; help: string }[] = [
  { name: 'mean', needs: 'number', help: 'average value per bucket, unusual either way' },
  { name: 'high_mean', needs: 'number', help: 'average, only unusually high' },
  { name: 'low_mean', needs: 'number', help: 'average, only unusually low' },
  { name: 'median', needs: 'number', help: 'median value per bucket' },
  { name: 'max', needs: 'number', help: 'largest value per bucket' },
  { name: 'min', needs: 'number', help: 'smallest value per bucket' },
  { name: 'sum', needs: 'number', help: 'total per bucket' },
  { name: 'high_sum', needs: 'number', help: 'total, only unusually high' },
  { name: 'count', needs: 'none', help: 'number of records per bucket' },
  { name: 'high_count', needs: 'none', help: 'record count, only unusually high' },
  { name: 'low_count', needs: 'none', help: 'record count, only unusually low' },
  { name: 'non_zero_count', needs: 'none', help: 'count, ignoring empty buckets' },
  { name: 'distinct_count', needs: 'keyword', help: 'distinct values of a field per bucket' },
];

const COLORS = ['#1f5fa8', '#c77c02', '#2a9d6a', '#b23a8b', '#6a5acd', '#8a6d3b', '#d64545', '#3b8ea5', '#777', '#9c6ade'];

function UploadStep({ onUploaded }: { onUploaded: (id: string) => void }) {
  const previous = useAsync(() => api<{ uploads: Omit<UploadMeta, 'fields'>[] }>('GET', U), []);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [over, setOver] = useState(false);

  const upload = async (file: File): Promise<void> => {
    setBusy(`Uploading and reading ${file.name} (${fmtBytes(file.size)})`);
    setError(null);
    try {
      const meta = await api<UploadMeta>('POST', `${U}?file_name=${enc(file.name)}`, file, { headers: { 'content-type': 'application/octet-stream' } });
      onUploaded(meta.upload_id);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div class="card">
      <h2>1 · Choose data</h2>
      <label
        class={`dropzone ${over ? 'over' : ''}`}
        onDragOver={(e) => (e.preventDefault(), setOver(true))}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const f = e.dataTransfer?.files[0];
          if (f) void upload(f);
        }}
      >
        <input type="file" accept=".csv,.tsv,.txt,.json,.ndjson,.jsonl,.gz" data-testid="file-input" onChange={(e) => {
          const f = (e.target as HTMLInputElement).files?.[0];
          if (f) void upload(f);
        }} />
        <strong>Drop a file here, or click to choose one</strong>
        <span class="muted small">CSV (any delimiter), NDJSON or a JSON array, plain or gzip; one row per record with a timestamp.</span>
      </label>
      {busy && <Loading what={busy} />}
      {error && <ErrorBox title="The file could not be used" error={error} />}
      <h3>…or data already posted</h3>
      {previous.loading && !previous.data && <Loading what="Loading uploads" />}
      {previous.error && <ErrorBox error={previous.error} retry={previous.reload} />}
      {previous.data && previous.data.uploads.length === 0 && <p class="muted small">No files uploaded yet.</p>}
      {previous.data && previous.data.uploads.length > 0 && (
        <table class="table compact">
          <thead>
            <tr>
              <th>File</th>
              <th class="num">Rows</th>
              <th>From</th>
              <th>To</th>
              <th>Uploaded</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {previous.data.uploads.slice(0, 10).map((u) => (
              <tr key={u.upload_id}>
                <td>{u.file_name}</td>
                <td class="num">{fmtCount(u.rows)}</td>
                <td class="small">{fmtTime(u.earliest)}</td>
                <td class="small">{fmtTime(u.latest)}</td>
                <td class="small">{fmtTime(u.uploaded)}</td>
                <td>
                  <button class="btn small" onClick={() => onUploaded(u.upload_id)}>
                    Use
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function FieldTable({ meta }: { meta: UploadMeta }) {
  return (
    <div class="table-wrap">
      <table class="table fields-table">
        <thead>
          <tr>
            <th>Field</th>
            <th>Type</th>
            <th class="num">Documents</th>
            <th class="num">Distinct</th>
            <th class="num">Min</th>
            <th class="num">Median</th>
            <th class="num">Max</th>
            <th>Distribution / top values</th>
          </tr>
        </thead>
        <tbody>
          {meta.fields.map((f) => {
            const date = f.type === 'date';
            const v = (x: number | undefined): string => (x === undefined ? '—' : date ? fmtTime(x) : fmtNum(x));
            return (
              <tr key={f.name}>
                <td>
                  <strong>{f.name}</strong>
                  {f.name === meta.time_field && <span class="badge badge-ok">time</span>}
                </td>
                <td>
                  <span class={`type type-${f.type}`}>{f.type}</span>
                </td>
                <td class="num">
                  {fmtCount(f.count)} <span class="muted small">({Math.round((100 * f.count) / Math.max(1, meta.rows))}%)</span>
                </td>
                <td class="num">
                  {fmtCount(f.distinct)}
                  {f.distinctCapped ? '+' : ''}
                </td>
                <td class="num small">{v(f.min)}</td>
                <td class="num small">{v(f.median)}</td>
                <td class="num small">{v(f.max)}</td>
                <td>
                  {f.histogram && !date && <Histogram counts={f.histogram.counts} />}
                  {f.histogram && date && <Histogram counts={f.histogram.counts} color="#8aa6c8" />}
                  {f.type === 'keyword' && (
                    <div class="top-values small">
                      {f.top.slice(0, 4).map((t) => (
                        <span key={t.value} class="top-value" title={`${t.count} documents`}>
                          <span class="tv-bar" style={{ width: `${Math.max(4, (60 * t.count) / Math.max(1, f.count))}px` }} />
                          {t.value.length > 24 ? `${t.value.slice(0, 23)}…` : t.value} <span class="muted">{Math.round((100 * t.count) / Math.max(1, f.count))}%</span>
                        </span>
                      ))}
                    </div>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function PreviewChart({ p }: { p: Preview }) {
  const data = useMemo<uPlot.AlignedData>(() => {
    const xs = Array.from({ length: p.buckets }, (_, i) => p.start + i * p.bucket_span_ms);
    return [xs, ...p.series.map((s) => s.values)];
  }, [p]);
  const missing = useRef(p.missing);
  missing.current = p.missing;
  const options = useMemo<Omit<uPlot.Options, 'width'>>(
    () => ({
      height: 220,
      ms: 1,
      tzDate: utc,
      legend: { show: p.series.length > 1 },
      cursor: { drag: { x: true, y: false, setScale: true } },
      axes: [{ stroke: '#555', grid: { stroke: '#eee' } }, { stroke: '#555', grid: { stroke: '#eee' }, size: 60, values: (_u, vals) => vals.map((v) => fmtNum(v, 3)) }],
      series: [{}, ...p.series.map((s, i) => ({ label: s.name, stroke: COLORS[i % COLORS.length], width: 1, spanGaps: false }))],
      plugins: [
        {
          hooks: {
            drawClear: (u: uPlot) => {
              const ctx = u.ctx;
              const { top, height } = u.bbox;
              ctx.fillStyle = 'rgba(120,120,120,0.16)';
              for (const r of missing.current) {
                const x0 = u.valToPos(r.start, 'x', true);
                const x1 = u.valToPos(r.end, 'x', true);
                ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
              }
            },
          },
        },
      ],
    }),
    [p.series.map((s) => s.name).join('\u0001')],
  );
  return <UPlotChart options={options} data={data} layoutKey={p.series.map((s) => s.name).join('\u0001')} />;
}

function jobIdFrom(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/\.(gz|csv|tsv|txt|json|ndjson|jsonl)$/g, '')
      .replace(/\.(csv|tsv|txt|json|ndjson|jsonl)$/g, '')
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^[-_]+|[-_]+$/g, '')
      .slice(0, 60) || 'job'
  );
}

export function Wizard({ params }: { params: URLSearchParams }) {
  const uploadId = params.get('upload') ?? undefined;
  if (!uploadId) {
    return (
      <section class="page">
        <div class="page-head">
          <h1>Create a job</h1>
        </div>
        <UploadStep onUploaded={(id) => navigate(['jobs', 'new'], { upload: id })} />
      </section>
    );
  }
  return <Configure key={uploadId} uploadId={uploadId} params={params} />;
}

function Configure({ uploadId, params }: { uploadId: string; params: URLSearchParams }) {
  const meta = useAsync(() => api<UploadMeta>('GET', `${U}/${enc(uploadId)}`), [uploadId]);
  const m = meta.data;
  const numeric = m?.fields.filter((f) => f.type === 'number') ?? [];
  const keywords = m?.fields.filter((f) => f.type === 'keyword') ?? [];
  const splittable = keywords.filter((f) => f.distinct >= 2 && f.distinct <= 10_000 && !f.distinctCapped);

  const fn = params.get('fn') ?? (m?.suggested_field ? 'mean' : 'count');
  const fnInfo = FUNCTIONS.find((f) => f.name === fn) ?? FUNCTIONS[0];
  const field = fnInfo.needs === 'none' ? '' : (params.get('field') ?? (fnInfo.needs === 'number' ? (m?.suggested_field ?? numeric[0]?.name ?? '') : (keywords[0]?.name ?? '')));
  const split = params.get('split') ?? '';
  const influencers = params.has('influencers') ? (params.get('influencers') ?? '').split(',').filter(Boolean) : split ? [split] : [];
  const span = params.get('span') ?? m?.suggested_bucket_span ?? '';
  const jobId = params.get('id') ?? (m ? jobIdFrom(m.file_name) : '');
  const description = params.get('description') ?? '';

  const preview = useAsync(async () => {
    if (!m) return undefined;
    return api<Preview>('POST', `${U}/${enc(uploadId)}/_preview`, { function: fn, ...(field ? { field_name: field } : {}), ...(split ? { split_field_name: split } : {}), ...(span ? { bucket_span: span } : {}) });
  }, [m, fn, field, split, span]);

  const config = useMemo(
    () => ({
      description: description || (m ? `${fn}(${field}) of ${m.file_name}${split ? ` by ${split}` : ''}` : ''),
      analysis_config: {
        bucket_span: span,
        detectors: [{ function: fn, ...(field ? { field_name: field } : {}), ...(split ? { partition_field_name: split } : {}) }],
        influencers,
      },
      data_description: { time_field: m?.time_field ?? 'timestamp', time_format: 'epoch_ms' },
      model_plot_config: { enabled: true },
    }),
    [m, fn, field, split, span, influencers.join(','), description],
  );

  // the server's own validation, as the configuration changes
  const [validation, setValidation] = useState<{ ok: boolean; message?: string } | null>(null);
  useEffect(() => {
    if (!m) return;
    const t = setTimeout(() => {
      api('POST', `${D}/_validate`, { job_id: jobId || 'job', ...config }).then(
        () => setValidation({ ok: true }),
        (e: Error) => setValidation({ ok: false, message: e.message }),
      );
    }, 250);
    return () => clearTimeout(t);
  }, [m, jobId, JSON.stringify(config)]);

  const [progress, setProgress] = useState<string[]>([]);
  const [createError, setCreateError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  const create = async (): Promise<void> => {
    setCreating(true);
    setCreateError(null);
    const steps: string[] = [];
    const step = (s: string): void => {
      steps.push(s);
      setProgress([...steps]);
    };
    try {
      step(`Creating job ${jobId}…`);
      await api('PUT', `${D}/${enc(jobId)}`, config);
      step('Opening it…');
      await api('POST', `${D}/${enc(jobId)}/_open`);
      step(`Sending ${fmtCount(m!.rows)} records and analysing them…`);
      const r = await api<{ data_counts: Record<string, number> }>('POST', `${U}/${enc(uploadId)}/_post/${enc(jobId)}`);
      step(`Done: ${fmtCount(r.data_counts.processed_record_count)} records processed.`);
      navigate(['viewer', jobId]);
    } catch (e) {
      setCreateError((e as Error).message);
    } finally {
      setCreating(false);
    }
  };

  if (meta.error) return <ErrorBox title="Could not load the upload" error={meta.error} retry={meta.reload} />;
  if (!m) return <Loading what="Reading the file" />;

  return (
    <section class="page wizard">
      <div class="page-head">
        <h1>Create a job</h1>
        <a class="btn" href={href(['jobs', 'new'])}>
          Choose other data
        </a>
      </div>

      <div class="card">
        <div class="card-head">
          <h2>1 · Data: {m.file_name}</h2>
          <span class="muted small">
            {m.format.toUpperCase()} · {fmtCount(m.rows)} records · {fmtBytes(m.bytes)} · time field <code>{m.time_field}</code> ({m.time_format}) ·{' '}
            {m.earliest !== null && m.latest !== null ? `${fmtDate(m.earliest)} → ${fmtDate(m.latest)}` : 'no valid times'}
          </span>
        </div>
        {(m.bad_time_rows > 0 || m.malformed_rows > 0) && (
          <p class="warn-text small">
            {m.bad_time_rows > 0 && `${fmtCount(m.bad_time_rows)} records have no valid time and will be skipped. `}
            {m.malformed_rows > 0 && `${fmtCount(m.malformed_rows)} records could not be read.`}
          </p>
        )}
        <FieldTable meta={m} />
      </div>

      <div class="card">
        <h2>2 · What to detect</h2>
        <div class="form-grid">
          <label class="field">
            <span>Function</span>
            <select aria-label="function" value={fn} onChange={(e) => setParams({ fn: (e.target as HTMLSelectElement).value, field: undefined })}>
              {FUNCTIONS.map((f) => (
                <option key={f.name} value={f.name}>
                  {f.name}
                </option>
              ))}
            </select>
            <span class="hint">{fnInfo.help}</span>
          </label>
          <label class="field">
            <span>Field</span>
            <select aria-label="field" value={field} disabled={fnInfo.needs === 'none'} onChange={(e) => setParams({ field: (e.target as HTMLSelectElement).value })}>
              {fnInfo.needs === 'none' && <option value="">(counts records)</option>}
              {(fnInfo.needs === 'number' ? numeric : keywords).map((f) => (
                <option key={f.name} value={f.name}>
                  {f.name}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>Split by (one model per value)</span>
            <select
              aria-label="split field"
              value={split}
              onChange={(e) => {
                const v = (e.target as HTMLSelectElement).value;
                setParams({ split: v || undefined, influencers: v ? [...new Set([v, ...influencers.filter((i) => i !== split)])].join(',') : influencers.filter((i) => i !== split).join(',') || undefined });
              }}
            >
              <option value="">— single series —</option>
              {splittable.map((f) => (
                <option key={f.name} value={f.name}>
                  {f.name} ({fmtCount(f.distinct)} values)
                </option>
              ))}
            </select>
          </label>
          <div class="field">
            <span>Influencers</span>
            <div class="checks">
              {keywords.length === 0 && <span class="muted small">no keyword fields</span>}
              {keywords.slice(0, 12).map((f) => (
                <label key={f.name} class="check">
                  <input
                    type="checkbox"
                    checked={influencers.includes(f.name)}
                    onChange={(e) => {
                      const on = (e.target as HTMLInputElement).checked;
                      const next = on ? [...influencers, f.name] : influencers.filter((i) => i !== f.name);
                      setParams({ influencers: next.join(',') });
                    }}
                  />{' '}
                  {f.name}
                </label>
              ))}
            </div>
          </div>
          <label class="field">
            <span>Bucket span</span>
            <div class="row">
              <TextField label="bucket span" value={span} size={6} onCommit={(v) => setParams({ span: v.trim() })} />
              {preview.data && preview.data.suggested_bucket_span !== span && (
                <button class="btn small" onClick={() => setParams({ span: preview.data!.suggested_bucket_span })}>
                  Use suggested {preview.data.suggested_bucket_span}
                </button>
              )}
            </div>
            <span class="hint">
              Suggested {preview.data?.suggested_bucket_span ?? m.suggested_bucket_span}: {(preview.data?.suggested_bucket_span_reason ?? m.suggested_bucket_span_reason).replace(/^\d+[a-z]+:\s*/, '')}
            </span>
          </label>
        </div>
        <div class="preview">
          <div class="card-head">
            <h3>Preview</h3>
            {preview.data && (
              <span class="muted small">
                {fn}({field}) per {preview.data.bucket_span} · {fmtCount(preview.data.buckets)} buckets
                {preview.data.split_values > 1 && ` · ${preview.data.split_values} series (the ${preview.data.series.length} largest shown)`}
                {preview.data.missing.length > 0 &&
                  ` · ${preview.data.missing.length} run${preview.data.missing.length > 1 ? 's' : ''} of empty buckets (shaded${preview.data.series.length > 1 ? `: ${[...new Set(preview.data.missing.map((r) => r.series))].join(', ')}` : ''})`}
              </span>
            )}
          </div>
          {preview.error && <ErrorBox title="No preview" error={preview.error} />}
          {preview.loading && !preview.data && <Loading what="Bucketing the file" />}
          {preview.data && !preview.error && <PreviewChart p={preview.data} />}
        </div>
      </div>

      <div class="card">
        <h2>3 · Job</h2>
        <div class="form-grid">
          <label class="field">
            <span>Job ID</span>
            <TextField label="job id" value={jobId} onCommit={(v) => setParams({ id: v.trim() })} />
            <span class="hint">lowercase letters, digits, hyphens and underscores</span>
          </label>
          <label class="field wide">
            <span>Description</span>
            <TextField label="description" value={description} placeholder={config.description} onCommit={(v) => setParams({ description: v })} />
          </label>
        </div>
        <div class={`validation ${validation?.ok ? 'ok' : validation ? 'bad' : ''}`} data-testid="validation">
          {!validation && 'Checking the configuration…'}
          {validation?.ok && '✓ The server accepts this configuration.'}
          {validation && !validation.ok && (
            <>
              <strong>The server refuses this configuration:</strong> {validation.message}
            </>
          )}
        </div>
        <details class="json">
          <summary>Job configuration (JSON)</summary>
          <pre>{JSON.stringify({ job_id: jobId, ...config }, null, 2)}</pre>
        </details>
        <div class="actions end">
          <button class="btn primary" disabled={creating || !jobId || validation?.ok === false} onClick={create}>
            {creating ? 'Creating…' : 'Create job and analyse the file'}
          </button>
        </div>
        {progress.length > 0 && (
          <ol class="progress small">
            {progress.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ol>
        )}
        {createError && <ErrorBox title="The job could not be created" error={createError} />}
      </div>
      {m.fields.length === 0 && <Empty title="No fields" />}
    </section>
  );
}
