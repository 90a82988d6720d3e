/**
 * The Single Metric Viewer: one series of a job (an entity of a partitioned job) with the model's
 * bounds, anomalies coloured by severity, missing data, annotations and forecasts; a time-range
 * selector; the anomalies table with a severity filter. State lives in the URL.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, D, enc, getJob, getJobs, getModelPlot, getRecords, getStats, serverOperations, type Annotation, type ForecastDoc, type Job, type ModelPlotDoc, type RecordDoc } from '../lib/api.js';
import { entityLabel, fmtNum, fmtProbability, fmtTime, parseSpan, SEVERITIES, severityOf } from '../lib/format.js';
import { useAsync } from '../lib/hooks.js';
import { href, setParams, timeParam } from '../lib/router.js';
import { SeriesChart, type ForecastData, type Marker, type SeriesData, type Shade } from '../components/series-chart.js';
import { Badge, Empty, ErrorBox, Loading } from '../components/status.js';

interface Entity {
  partition?: string;
  by?: string;
}

const num = (v: string | null): number | undefined => (v === null || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));

function JobPicker() {
  const jobs = useAsync(getJobs, []);
  return (
    <section class="page">
      <h1>Single Metric Viewer</h1>
      {jobs.error && <ErrorBox error={jobs.error} retry={jobs.reload} />}
      {jobs.loading && !jobs.data && <Loading what="Loading jobs" />}
      {jobs.data && jobs.data.length === 0 && (
        <Empty title="No jobs yet">
          <a href={href(['jobs', 'new'])}>Create a job</a> to see its series here.
        </Empty>
      )}
      {jobs.data && jobs.data.length > 0 && (
        <div class="card">
          <p>Choose a job:</p>
          <ul class="pick-list">
            {jobs.data.map((j) => (
              <li key={j.job_id}>
                <a href={href(['viewer', j.job_id])}>{j.job_id}</a> <span class="muted small">{j.description}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

/** Entities of a partitioned job, from recent model-plot documents and the anomalies. */
async function loadEntities(job: Job, records: RecordDoc[], detector: number): Promise<Entity[]> {
  const d = job.analysis_config.detectors[detector] ?? job.analysis_config.detectors[0];
  if (!d?.partition_field_name && !d?.by_field_name) return [{}];
  const plot = await getModelPlot(job.job_id, { desc: true, size: 5000, limit: 5000 });
  const seen = new Map<string, Entity>();
  const add = (e: Entity): void => {
    const k = `${e.partition ?? ''}\u0001${e.by ?? ''}`;
    if (!seen.has(k)) seen.set(k, e);
  };
  for (const r of records) if (r.detector_index === detector) add({ partition: r.partition_field_value, by: r.by_field_value });
  for (const p of plot) if ((p.detector_index ?? 0) === detector) add({ partition: p.partition_field_value, by: p.by_field_value });
  return [...seen.values()].sort((a, b) => `${a.partition ?? ''}${a.by ?? ''}`.localeCompare(`${b.partition ?? ''}${b.by ?? ''}`));
}

function seriesOf(plot: ModelPlotDoc[], spanMs: number): { series: SeriesData; missing: Shade[] } {
  const n = plot.length;
  const time = new Float64Array(n);
  const actual: (number | null)[] = new Array(n);
  const lower: (number | null)[] = new Array(n);
  const upper: (number | null)[] = new Array(n);
  const missing: Shade[] = [];
  let runStart: number | undefined;
  for (let i = 0; i < n; i++) {
    const p = plot[i];
    time[i] = p.timestamp;
    const a = typeof p.actual === 'number' && Number.isFinite(p.actual) ? p.actual : null;
    actual[i] = a;
    lower[i] = typeof p.model_lower === 'number' ? p.model_lower : null;
    upper[i] = typeof p.model_upper === 'number' ? p.model_upper : null;
    if (a === null) runStart ??= p.timestamp;
    else if (runStart !== undefined) {
      missing.push({ start: runStart, end: p.timestamp });
      runStart = undefined;
    }
    if (i > 0 && spanMs > 0 && p.timestamp - plot[i - 1].timestamp > spanMs * 1.5 && runStart === undefined) {
      missing.push({ start: plot[i - 1].timestamp + spanMs, end: p.timestamp });
    }
  }
  if (runStart !== undefined) missing.push({ start: runStart, end: plot[n - 1].timestamp + spanMs });
  return { series: { time, actual, lower, upper }, missing };
}

const matches = (r: { partition_field_value?: string; by_field_value?: string }, e: Entity): boolean =>
  (e.partition === undefined || r.partition_field_value === e.partition) && (e.by === undefined || r.by_field_value === e.by);

/** Forecast documents from whichever forecast results route the server offers. */
async function loadForecast(jobId: string, forecastId: string, entity: Entity, ops: Set<string>, detector = 0): Promise<ForecastDoc[]> {
  if (ops.has('vigil.get_forecast')) {
    // Vigil's read route for stored forecasts, filtered to this series
    const q = new URLSearchParams({ forecast_id: forecastId, detector_index: String(detector) });
    if (entity.partition !== undefined) q.set('partition_field_value', entity.partition);
    if (entity.by !== undefined) q.set('by_field_value', entity.by);
    const res = await api<{ model_forecast: ForecastDoc[] }>('GET', `${D}/${enc(jobId)}/results/forecast?${q}`);
    return res.model_forecast.filter((d) => matches(d, entity)).sort((a, b) => a.timestamp - b.timestamp);
  }
  // otherwise any forecast results route the server lists
  const candidates = [...ops].filter((o) => /^(GET|POST) .*forecast/i.test(o) && !/\/_forecast$/.test(o) && !/\{forecast_id\}$/.test(o) && o.includes('{job_id}'));
  for (const op of candidates) {
    const [method, path] = op.split(' ');
    const url = path.replace('{job_id}', enc(jobId));
    try {
      const res = await api<Record<string, unknown>>(method, `${url}?forecast_id=${enc(forecastId)}`, method === 'POST' ? {} : undefined);
      for (const v of Object.values(res)) {
        if (Array.isArray(v) && v.length > 0 && typeof (v[0] as ForecastDoc).forecast_prediction === 'number') {
          return (v as ForecastDoc[]).filter((d) => (d.forecast_id === undefined || d.forecast_id === forecastId) && matches(d, entity)).sort((a, b) => a.timestamp - b.timestamp);
        }
      }
    } catch {
      // try the next one
    }
  }
  return [];
}

export function Viewer({ jobId, params }: { jobId?: string; params: URLSearchParams }) {
  if (!jobId) return <JobPicker />;
  return <JobViewer key={jobId} jobId={jobId} params={params} />;
}

function JobViewer({ jobId, params }: { jobId: string; params: URLSearchParams }) {
  const entity: Entity = { partition: params.get('entity') ?? undefined, by: params.get('by') ?? undefined };
  // an alert's link names a moment (`time`): the viewer opens on the 100 buckets around it
  const at = timeParam(params.get('time'));
  const minSeverity = num(params.get('severity')) ?? 0;
  const forecastId = params.get('forecast') ?? undefined;
  const detector = num(params.get('detector')) ?? 0;

  const base = useAsync(async () => {
    const [job, stats, records, ops] = await Promise.all([getJob(jobId), getStats(jobId), getRecords(jobId, { size: 5000, minScore: 0 }), serverOperations()]);
    const entities = await loadEntities(job, records, detector);
    return { job, stats: stats[0], records, ops, entities };
  }, [jobId, detector]);

  // a partitioned job opens on its most anomalous entity
  useEffect(() => {
    const b = base.data;
    if (!b || entity.partition !== undefined || entity.by !== undefined || b.entities.length <= 1 || !b.entities[0].partition && !b.entities[0].by) return;
    const top = b.records.find((r) => (r.detector_index ?? 0) === detector);
    const pick = top ? { partition: top.partition_field_value, by: top.by_field_value } : b.entities[0];
    setParams({ entity: pick.partition, by: pick.by });
  }, [base.data]);

  const job = base.data?.job;
  const det = job?.analysis_config.detectors[detector] ?? job?.analysis_config.detectors[0];
  const partitioned = !!det && (!!det.partition_field_name || !!det.by_field_name);
  const waitingForEntity = partitioned && entity.partition === undefined && entity.by === undefined;
  const spanMs = job ? parseSpan(job.analysis_config.bucket_span) : 0;
  const around = at !== undefined && spanMs > 0 && params.get('from') === null && params.get('to') === null;
  const from = around ? at - 50 * spanMs : num(params.get('from'));
  const to = around ? at + 50 * spanMs : num(params.get('to'));

  const plot = useAsync(async () => {
    if (!job || waitingForEntity) return undefined;
    const t0 = performance.now();
    const docs = await getModelPlot(jobId, { partition: entity.partition, by: entity.by, detector });
    return { docs, ms: performance.now() - t0 };
  }, [job, entity.partition, entity.by, waitingForEntity, detector]);

  const annotations = useAsync(async (): Promise<Shade[]> => {
    const ops = base.data?.ops;
    if (!ops?.has('vigil.get_annotations')) return [];
    const res = await api<{ annotations?: Annotation[] }>('GET', `/_vigil/anomaly_detectors/${enc(jobId)}/annotations?size=1000`);
    // the job's own annotations, and those of this detector and series
    return (res.annotations ?? [])
      .filter((a) => (a.detector_index === undefined || a.detector_index === detector) && (a.partition_field_value === undefined || a.partition_field_value === entity.partition) && (a.by_field_value === undefined || a.by_field_value === entity.by))
      .map((a) => ({ start: a.timestamp, end: Math.max(a.end_timestamp ?? a.timestamp, a.timestamp + spanMs), label: a.annotation }));
  }, [base.data, jobId, detector, entity.partition, entity.by]);

  // annotating: a drag on the chart selects the range, then a note is saved
  const canAnnotate = !!base.data?.ops.has('vigil.put_annotation');
  const [annotating, setAnnotating] = useState(false);
  const [draft, setDraft] = useState<{ from: number; to: number } | null>(null);
  const [note, setNote] = useState('');
  const [annotationError, setAnnotationError] = useState<string | null>(null);
  const saveAnnotation = async (): Promise<void> => {
    if (!draft || !note.trim()) return;
    setAnnotationError(null);
    try {
      await api('POST', `/_vigil/anomaly_detectors/${enc(jobId)}/annotations`, {
        annotation: note.trim(),
        timestamp: draft.from,
        end_timestamp: draft.to,
        detector_index: detector,
        ...(entity.partition !== undefined ? { partition_field_name: det?.partition_field_name, partition_field_value: entity.partition } : {}),
        ...(entity.by !== undefined ? { by_field_name: det?.by_field_name, by_field_value: entity.by } : {}),
      });
      setDraft(null);
      setNote('');
      setAnnotating(false);
      annotations.reload();
    } catch (e) {
      setAnnotationError((e as Error).message);
    }
  };

  const forecast = useAsync(async (): Promise<ForecastData | undefined> => {
    if (!forecastId || !base.data) return undefined;
    const docs = await loadForecast(jobId, forecastId, entity, base.data.ops, detector);
    if (docs.length === 0) throw new Error(`forecast ${forecastId} has no results for this series (yet)`);
    return { time: docs.map((d) => d.timestamp), prediction: docs.map((d) => d.forecast_prediction), lower: docs.map((d) => d.forecast_lower), upper: docs.map((d) => d.forecast_upper) };
  }, [forecastId, base.data, entity.partition, entity.by]);

  const built = useMemo(() => (plot.data ? seriesOf(plot.data.docs, spanMs) : undefined), [plot.data, spanMs]);
  const entityRecords = useMemo(
    () => (base.data ? base.data.records.filter((r) => (r.detector_index ?? 0) === detector && matches(r, entity)) : []),
    [base.data, entity.partition, entity.by, detector],
  );
  const markers = useMemo<Marker[]>(
    () => entityRecords.filter((r) => r.record_score >= 1 && r.actual && r.actual.length > 0).map((r) => ({ time: r.timestamp, value: r.actual![0], score: r.record_score })),
    [entityRecords],
  );

  // the range follows the chart, written to the URL a moment after the last change
  const [range, setRange] = useState<{ from?: number; to?: number }>({ from, to });
  useEffect(() => setRange({ from, to }), [from, to]);
  const timer = useRef<number | undefined>(undefined);
  const onRange = (f: number | undefined, t: number | undefined): void => {
    setRange({ from: f, to: t });
    clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setParams({ from: f, to: t, time: undefined }), 250);
  };

  const [forecasting, setForecasting] = useState(false);
  const [forecastError, setForecastError] = useState<string | null>(null);
  const [duration, setDuration] = useState('1d');
  const canForecast = !!base.data?.ops.has('ml.forecast');

  const runForecast = async (): Promise<void> => {
    setForecasting(true);
    setForecastError(null);
    try {
      const res = await api<{ forecast_id: string }>('POST', `${D}/${enc(jobId)}/_forecast`, { duration });
      // results arrive as the forecast finishes: give it a moment before the first look
      for (let i = 0; i < 20; i++) {
        const docs = await loadForecast(jobId, res.forecast_id, entity, base.data!.ops, detector);
        if (docs.length > 0) break;
        await new Promise((r) => setTimeout(r, 300));
      }
      const last = built?.series.time[built.series.time.length - 1];
      setParams({ forecast: res.forecast_id, from: range.from, to: range.to === undefined || last === undefined ? undefined : Math.max(range.to, last + parseSpan(duration)) });
    } catch (e) {
      setForecastError((e as Error).message);
    } finally {
      setForecasting(false);
    }
  };

  if (base.error) return <ErrorBox title={`Could not load job ${jobId}`} error={base.error} retry={base.reload} />;
  if (!base.data) return <Loading what={`Loading ${jobId}`} />;
  const { stats, entities } = base.data;
  const d = det!;
  const visible = entityRecords
    .filter((r) => r.record_score >= minSeverity && (range.from === undefined || r.timestamp >= range.from) && (range.to === undefined || r.timestamp <= range.to))
    .sort((a, b) => b.record_score - a.record_score);

  return (
    <section class="page viewer">
      <div class="page-head">
        <div>
          <h1>
            {jobId} <Badge kind={stats?.state ?? 'unknown'}>{stats?.state ?? 'unknown'}</Badge>
          </h1>
          <div class="muted small">
            <code>
              {d.function}({d.field_name ?? ''})
            </code>{' '}
            {d.partition_field_name && <>partitioned by {d.partition_field_name} · </>}
            {d.by_field_name && <>split by {d.by_field_name} · </>}
            bucket span {job!.analysis_config.bucket_span}
            {job!.description && <> · {job!.description}</>}
          </div>
        </div>
        <div class="actions">
          <a class="btn" href={href(['explorer'], { jobs: jobId, from: range.from, to: range.to })}>
            Anomaly Explorer
          </a>
          <button class="btn" onClick={() => (base.reload(), plot.reload())}>
            Refresh
          </button>
        </div>
      </div>

      <div class="toolbar">
        {job!.analysis_config.detectors.length > 1 && (
          <label class="field inline">
            <span>Detector</span>
            <select aria-label="detector" value={String(detector)} onChange={(e) => setParams({ detector: (e.target as HTMLSelectElement).value, entity: undefined, by: undefined, forecast: undefined })}>
              {job!.analysis_config.detectors.map((x, i) => (
                <option key={i} value={String(i)}>
                  {x.detector_description ?? `${x.function}(${x.field_name ?? ''})`}
                </option>
              ))}
            </select>
          </label>
        )}
        {partitioned && (
          <label class="field inline">
            <span>{[d.partition_field_name, d.by_field_name].filter(Boolean).join(' / ')}</span>
            <select
              aria-label="entity"
              value={`${entity.partition ?? ''}\u0001${entity.by ?? ''}`}
              onChange={(e) => {
                const [p, b] = (e.target as HTMLSelectElement).value.split('\u0001');
                setParams({ entity: p || undefined, by: b || undefined, forecast: undefined });
              }}
            >
              {entities.map((en) => (
                <option key={`${en.partition}\u0001${en.by}`} value={`${en.partition ?? ''}\u0001${en.by ?? ''}`}>
                  {[en.partition, en.by].filter((x) => x !== undefined).join(' / ')}
                </option>
              ))}
            </select>
          </label>
        )}
        <div class="zoom-buttons" role="group" aria-label="zoom">
          <span class="muted small">Zoom</span>
          {[
            ['1d', 86_400_000],
            ['1w', 7 * 86_400_000],
            ['1M', 30 * 86_400_000],
          ].map(([label, ms]) => (
            <button
              key={label}
              class="btn small"
              onClick={() => {
                const xs = built?.series.time;
                if (!xs || xs.length === 0) return;
                const end = range.to ?? xs[xs.length - 1];
                onRange(Math.max(xs[0], end - (ms as number)), end);
              }}
            >
              {label}
            </button>
          ))}
          <button class="btn small" onClick={() => onRange(undefined, undefined)}>
            All
          </button>
        </div>
        <div class="spacer" />
        {canAnnotate && (
          <button
            class={`btn small ${annotating ? 'primary' : ''}`}
            aria-pressed={annotating}
            title="Drag on the chart over a time range, then write a note"
            onClick={() => {
              setAnnotating(!annotating);
              setDraft(null);
            }}
          >
            {annotating ? 'Drag on the chart…' : 'Annotate'}
          </button>
        )}
        <div class="forecast-box">
          <label class="field inline">
            <span>Forecast</span>
            <input aria-label="forecast duration" value={duration} onInput={(e) => setDuration((e.target as HTMLInputElement).value)} size={5} disabled={!canForecast} />
          </label>
          <button
            class="btn primary small"
            disabled={!canForecast || forecasting || !built}
            title={canForecast ? 'Forecast this job forward by the duration given (e.g. 1d, 12h, 1w)' : 'This server does not offer _forecast yet'}
            onClick={runForecast}
          >
            {forecasting ? 'Forecasting…' : 'Run forecast'}
          </button>
          {forecastId && (
            <button class="btn small" onClick={() => setParams({ forecast: undefined })} title="Hide the forecast">
              Hide forecast
            </button>
          )}
        </div>
      </div>
      {draft && (
        <div class="toolbar annotation-form">
          <span class="small">
            Annotation for {fmtTime(draft.from)} – {fmtTime(draft.to)}
          </span>
          <input aria-label="annotation text" value={note} placeholder="What happened here?" onInput={(e) => setNote((e.target as HTMLInputElement).value)} onKeyDown={(e) => e.key === 'Enter' && void saveAnnotation()} size={48} />
          <button class="btn primary small" disabled={!note.trim()} onClick={saveAnnotation}>
            Save
          </button>
          <button class="btn small" onClick={() => (setDraft(null), setAnnotating(false))}>
            Cancel
          </button>
        </div>
      )}
      {annotationError && <ErrorBox title="The annotation was not saved" error={annotationError} />}
      {forecastError && <ErrorBox title="Forecast failed" error={forecastError} />}
      {forecast.error && <ErrorBox title="Forecast" error={forecast.error} />}

      <div class={`card chart-card ${plot.loading && built ? 'stale' : ''}`} aria-busy={plot.loading ? 'true' : 'false'}>
        {plot.error && <ErrorBox title="Could not load the series" error={plot.error} retry={plot.reload} />}
        {!plot.error && (!plot.data || plot.loading) && !built && <Loading what="Loading the series" />}
        {built && built.series.time.length === 0 && (
          <Empty title="No model plot for this series yet">
            {stats?.data_counts?.processed_record_count ? 'The job has data but no model-plot results: enable model_plot_config, or flush the job.' : 'Post data to the job (or create it from a file) to see its series.'}
          </Empty>
        )}
        {built && built.series.time.length > 0 && (
          <>
            <div class="chart-legend small">
              <span>
                <i class="swatch line" /> actual
              </span>
              <span>
                <i class="swatch band" /> 95% model bounds
              </span>
              {SEVERITIES.slice(0, 4).map((s) => (
                <span key={s.key}>
                  <i class="swatch dot" style={{ background: s.color }} /> {s.label}
                </span>
              ))}
              <span>
                <i class="swatch missing" /> missing data
              </span>
              {forecast.data && (
                <span>
                  <i class="swatch forecast" /> forecast
                </span>
              )}
              {(annotations.data?.length ?? 0) > 0 && (
                <span>
                  <i class="swatch annotation" /> {annotations.data!.length} annotation{annotations.data!.length > 1 ? 's' : ''}
                </span>
              )}
              <span class="muted">
                {built.series.time.length.toLocaleString('en-US')} buckets{plot.data ? `, loaded in ${Math.round(plot.data.ms)} ms` : ''}
                {built.missing.length > 0 && ` · ${built.missing.length} missing-data run${built.missing.length > 1 ? 's' : ''}`}
              </span>
            </div>
            <SeriesChart
              series={built.series}
              forecast={forecast.data}
              markers={markers}
              missing={built.missing}
              annotations={annotations.data ?? []}
              range={range}
              onRange={onRange}
              onMarker={(m) => onRange(m.time - 50 * spanMs, m.time + 50 * spanMs)}
              dragMode={annotating ? 'select' : 'zoom'}
              onSelectRange={(f, t) => setDraft({ from: f, to: t })}
            />
          </>
        )}
      </div>

      <div class="card">
        <div class="card-head">
          <h2>Anomalies</h2>
          <span class="muted small">
            {range.from !== undefined ? `${fmtTime(range.from)} – ${fmtTime(range.to)}` : 'whole range'} · {visible.length} shown
          </span>
          <div class="spacer" />
          <label class="field inline">
            <span>Severity threshold</span>
            <select aria-label="severity threshold" value={String(minSeverity)} onChange={(e) => setParams({ severity: (e.target as HTMLSelectElement).value })}>
              <option value="0">all (warning and up)</option>
              <option value="25">minor and up (≥ 25)</option>
              <option value="50">major and up (≥ 50)</option>
              <option value="75">critical (≥ 75)</option>
            </select>
          </label>
        </div>
        {visible.length === 0 ? (
          <Empty title="No anomalies in this range">Widen the time range or lower the severity threshold.</Empty>
        ) : (
          <AnomalyTable records={visible.slice(0, 1000)} showEntity={partitioned} onPick={(r) => onRange(r.timestamp - 50 * spanMs, r.timestamp + 50 * spanMs)} />
        )}
      </div>
    </section>
  );
}

export function explain(r: RecordDoc): string {
  const e = r.anomaly_score_explanation;
  const parts: string[] = [];
  if (typeof r.explanation === 'string') parts.push(r.explanation);
  else {
    const actual = r.actual?.[0];
    const typical = r.typical?.[0];
    if (actual !== undefined && typical !== undefined && (actual === 0 || typical === 0)) {
      parts.push(`${fmtNum(actual)} where ${fmtNum(typical)} is typical`);
    } else if (actual !== undefined && typical !== undefined) {
      const ratio = actual / typical;
      if (ratio >= 1.5) parts.push(`${fmtNum(ratio, 2)}× higher than typical`);
      else if (ratio <= 1 / 1.5) parts.push(`${fmtNum(1 / ratio, 2)}× lower than typical`);
      else parts.push(`${Math.abs(Math.round((ratio - 1) * 100))}% ${ratio >= 1 ? 'higher' : 'lower'} than typical`);
    } else if (e?.anomaly_type) parts.push(e.anomaly_type === 'spike' ? 'unusually high' : 'unusually low');
  }
  if (r.multi_bucket_impact !== undefined && r.multi_bucket_impact >= 2) parts.push('multi-bucket');
  if (e?.lower_confidence_bound !== undefined && e.upper_confidence_bound !== undefined) parts.push(`bounds ${fmtNum(e.lower_confidence_bound, 3)} … ${fmtNum(e.upper_confidence_bound, 3)}`);
  return parts.join(' · ');
}

/** Enter or Space on a focused clickable element: true (and the key's default is prevented). */
export function activateKey(e: KeyboardEvent): boolean {
  if (e.key !== 'Enter' && e.key !== ' ') return false;
  e.preventDefault();
  return true;
}

export function AnomalyTable({ records, showEntity, showJob = false, onPick, pageSize = 25 }: { records: RecordDoc[]; showEntity: boolean; showJob?: boolean; onPick?: (r: RecordDoc) => void; pageSize?: number }) {
  const [all, setAll] = useState(false);
  const shown = all ? records : records.slice(0, pageSize);
  return (
    <div class="table-wrap">
      <table class="table anomalies-table">
        <thead>
          <tr>
            <th>Time (UTC)</th>
            <th>Severity</th>
            <th>Detector</th>
            {showEntity && <th>Found for</th>}
            <th class="num">Actual</th>
            <th class="num">Typical</th>
            <th class="num">Probability</th>
            <th>Explanation</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => {
            const s = severityOf(r.record_score);
            return (
              <tr
                key={`${r.job_id}${r.timestamp}${r.detector_index}${r.partition_field_value}${r.by_field_value}${r.over_field_value}`}
                class={onPick ? 'clickable' : ''}
                onClick={() => onPick?.(r)}
                // a row that does something on click is reachable and usable from the keyboard too
                tabIndex={onPick ? 0 : undefined}
                onKeyDown={onPick ? (e) => activateKey(e) && onPick(r) : undefined}
              >
                <td class="nowrap">{fmtTime(r.timestamp)}</td>
                <td class="nowrap">
                  <span class="sev" style={{ background: s.color }}>
                    {Math.max(1, Math.round(r.record_score))}
                  </span>{' '}
                  {s.label}
                </td>
                <td class="small">
                  <code>
                    {r.function}({r.field_name ?? ''})
                  </code>
                  {showJob && <div class="muted">{r.job_id}</div>}
                </td>
                {showEntity && <td class="small nowrap">{entityLabel(r) || "—"}</td>}
                <td class="num">{fmtNum(r.actual?.[0])}</td>
                <td class="num">{fmtNum(r.typical?.[0])}</td>
                <td class="num">{fmtProbability(r.probability)}</td>
                <td class="small">{explain(r) || '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {records.length > shown.length && (
        <div class="more">
          <button class="btn small" onClick={() => setAll(true)}>
            Show all {records.length}
          </button>
        </div>
      )}
    </div>
  );
}

