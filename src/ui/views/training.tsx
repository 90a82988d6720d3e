/**
 * Training views for trained models (issue 7, seed 000's monitor): the models with their state
 * (queued with its position, training, trained, failed, cancelled; active or not), a form that
 * creates and trains one (training-form.tsx), and a run view (`#/training/<model>/<run>`) with the
 * trials' histogram, the training and validation loss curves updating live (the run's event log
 * polled with `since`), the chosen configuration, the test accuracy next to the default's, and the
 * model's activations: follow a job, deactivate, an activation's records (activations.tsx).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { Badge, Empty, ErrorBox, Loading } from '../components/status.js';
import { UPlotChart } from '../components/uplot-chart.js';
import { fmtNum, fmtSpan, fmtTime } from '../lib/format.js';
import { useAsync } from '../lib/hooks.js';
import { cancelRun, deleteModel, describeEvent, getModel, getRun, isFinished, listModels, type Activation, type ModelInfo, type RunRecord, type RunSummary, type TestReport, type TrialRow } from '../lib/models.js';
import { href, navigate } from '../lib/router.js';
import { Activations } from './activations.js';
import { TrainingForm } from './training-form.js';

export function Training({ parts, params }: { parts: string[]; params: URLSearchParams }) {
  const [model, run] = parts;
  if (model === 'new') return <TrainingForm key={params.toString()} params={params} />;
  if (model && run) return <RunView key={`${model}/${run}`} modelId={model} runId={run} activation={params.get('activation')} />;
  if (model) return <ModelRedirect key={model} modelId={model} />;
  return <ModelsList />;
}

interface ModelRow {
  model: ModelInfo;
  run?: RunSummary;
  activations: Activation[];
}

async function loadModels(): Promise<ModelRow[]> {
  const { models } = await listModels();
  return Promise.all(
    models.map(async (m): Promise<ModelRow> => {
      try {
        const d = await getModel(m.model_id);
        return { model: d.model, run: d.runs.find((r) => r.run_id === d.model.last_run_id) ?? d.runs[d.runs.length - 1], activations: d.activations };
      } catch {
        return { model: m, activations: [] };
      }
    }),
  );
}

/** The state users care about: the last run's while it is queued, running, failed or cancelled; else the model's. */
export function stateOf(row: { model: ModelInfo; run?: RunSummary }): { label: string; kind: string } {
  const r = row.run;
  if (r?.state === 'queued') return { label: `queued${r.queue_position ? ` (#${r.queue_position})` : ''}`, kind: 'queued' };
  if (r?.state === 'running') return { label: `training${r.phase ? ` · ${r.phase}` : ''}`, kind: 'training' };
  if (r?.state === 'cancelled') return { label: 'cancelled', kind: 'cancelled' };
  if (r?.state === 'failed' || row.model.state === 'failed') return { label: 'failed', kind: 'failed' };
  return { label: row.model.state, kind: row.model.state };
}

function ModelsList() {
  const { data, error, loading, reload } = useAsync(loadModels, []);
  const [actionError, setActionError] = useState<string | null>(null);
  const busy = data?.some((r) => r.run && !isFinished(r.run.state));
  useEffect(() => {
    if (!busy) return;
    const t = setTimeout(reload, 1500);
    return () => clearTimeout(t);
  }, [busy, data, reload]);
  const remove = async (id: string): Promise<void> => {
    if (!confirm(`Delete model ${id}, its weights and runs?`)) return;
    setActionError(null);
    try {
      await deleteModel(id);
    } catch (e) {
      setActionError(`Delete ${id}: ${(e as Error).message}`);
    }
    reload();
  };
  return (
    <section class="page">
      <div class="page-head">
        <div>
          <h1>Trained models</h1>
          <div class="muted small">Neural anomaly detection and prediction, trained with a hyperparameter search and compared with the statistical default.</div>
        </div>
        <div class="actions">
          <button class="btn" onClick={reload} disabled={loading}>
            Refresh
          </button>
          <a class="btn primary" href={href(['training', 'new'])}>
            Train a model
          </a>
        </div>
      </div>
      {actionError && <ErrorBox title="The server refused" error={actionError} />}
      {error && <ErrorBox error={error} retry={reload} title="Could not load the models" />}
      {!data && loading && <Loading what="Loading models" />}
      {data && data.length === 0 && (
        <Empty title="No trained models yet">
          Train one on a file uploaded through the job wizard or on a job’s data: <a href={href(['training', 'new'])}>Train a model</a>.
        </Empty>
      )}
      {data && data.length > 0 && (
        <div class="card table-wrap flush">
          <table class="table models-table">
            <thead>
              <tr>
                <th>Model</th>
                <th>Type</th>
                <th>State</th>
                <th>Activation</th>
                <th>Bucket span</th>
                <th>Architecture</th>
                <th class="num">Best validation loss</th>
                <th>Trained</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {data.map((row) => {
                const { model: m, run } = row;
                const st = stateOf(row);
                const active = row.activations.filter((a) => a.state === 'active' || a.state === 'running' || a.state === 'queued');
                const hp = m.summary?.hyper_params;
                const runHref = run ? href(['training', m.model_id, run.run_id]) : undefined;
                return (
                  <tr key={m.model_id} data-model={m.model_id}>
                    <td>
                      {runHref ? (
                        <a class="job-link" href={runHref}>
                          {m.model_id}
                        </a>
                      ) : (
                        <strong>{m.model_id}</strong>
                      )}
                      {m.description && <div class="muted small">{m.description}</div>}
                    </td>
                    <td>{m.type === 'detect' ? 'anomaly detection' : 'prediction'}</td>
                    <td>
                      <Badge kind={st.kind}>{st.label}</Badge>
                      {run?.error && <div class="small error-text">{run.error}</div>}
                    </td>
                    <td>{active.length ? <Badge kind="ok">{active.map((a) => a.mode).join(', ')}</Badge> : <span class="muted">inactive</span>}</td>
                    <td>{m.bucket_span_ms ? fmtSpan(m.bucket_span_ms) : '—'}</td>
                    <td class="small">{hp ? `${hp.kind}, window ${hp.window}, ${hp.units}×${hp.layers}` : '—'}</td>
                    <td class="num">{fmtNum(m.summary?.best_val_loss)}</td>
                    <td class="small">{fmtTime(m.trained)}</td>
                    <td class="row-actions">
                      <div class="row-actions-inner">
                        {runHref && (
                          <a class="btn small" href={runHref}>
                            Open run
                          </a>
                        )}
                        <a class="btn small" href={href(['training', 'new'], { model: m.model_id })} title="Train this model again on new data">
                          Retrain
                        </a>
                        <button class="btn small danger" onClick={() => void remove(m.model_id)}>
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

/** `#/training/<model>`: opens the model's last run. */
function ModelRedirect({ modelId }: { modelId: string }) {
  const { data, error, reload } = useAsync(() => getModel(modelId), [modelId]);
  useEffect(() => {
    const last = data?.model.last_run_id ?? data?.runs[data.runs.length - 1]?.run_id;
    if (last) navigate(['training', modelId, last], {}, true);
  }, [data, modelId]);
  if (error) return <ErrorBox title={`Could not load model ${modelId}`} error={error} retry={reload} />;
  if (data && data.runs.length === 0)
    return (
      <Empty title={`Model ${modelId} has not been trained`}>
        <a href={href(['training', 'new'], { model: modelId })}>Train it</a> or go back to <a href={href(['training'])}>the models</a>.
      </Empty>
    );
  return <Loading what="Loading the model" />;
}

const POLL_MS = 700;

/** A run followed live: the record from `runs/<run>?since=<seq>`, the events appended to a log. */
function useRun(modelId: string, runId: string): { run?: RunRecord; error?: Error; log: string[]; retry: () => void } {
  const [run, setRun] = useState<RunRecord>();
  const [error, setError] = useState<Error>();
  const [log, setLog] = useState<string[]>([]);
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      try {
        const r = await getRun(modelId, runId, seq.current);
        if (stop) return;
        seq.current = r.last_seq;
        setError(undefined);
        setRun(r);
        if (r.events.length) setLog((l) => [...l, ...r.events.map((e) => `${fmtTime(e.time).slice(11)} ${describeEvent(e.event)}`)].slice(-200));
        if (!isFinished(r.state)) timer = setTimeout(() => void poll(), POLL_MS);
      } catch (e) {
        if (!stop) setError(e as Error);
      }
    };
    void poll();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [modelId, runId, tick]);
  return { run, error, log, retry: () => setTick((t) => t + 1) };
}

function RunView({ modelId, runId, activation }: { modelId: string; runId: string; activation: string | null }) {
  const { run, error, log, retry } = useRun(modelId, runId);
  const model = useAsync(() => getModel(modelId), [modelId, run?.state]);
  const [cancelError, setCancelError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const cancel = async (): Promise<void> => {
    setCancelling(true);
    setCancelError(null);
    try {
      await cancelRun(modelId, runId);
    } catch (e) {
      setCancelError((e as Error).message);
    } finally {
      setCancelling(false);
    }
  };
  const info = model.data?.model;
  const head = (
    <div class="page-head">
      <div>
        <h1>
          {modelId}
          {run && <Badge kind={run.state === 'running' ? 'training' : run.state}>{run.state === 'queued' && run.queue_position ? `queued (#${run.queue_position})` : run.state === 'running' ? `training · ${run.phase ?? ''}` : run.state}</Badge>}
        </h1>
        <div class="muted small">
          {info ? `${info.type === 'detect' ? 'Anomaly detection' : 'Prediction'}${info.description ? ` · ${info.description}` : ''} · ` : ''}run <code>{runId}</code>
          {run && ` · started ${fmtTime(run.started ?? run.created)}`}
          {run?.report && ` · ${run.report.seconds.toFixed(1)} s on ${run.report.backend}`}
        </div>
      </div>
      <div class="actions">
        <a class="btn" href={href(['training'])}>
          All models
        </a>
        {run && !isFinished(run.state) && (
          <button class="btn danger" onClick={() => void cancel()} disabled={cancelling}>
            Cancel training
          </button>
        )}
        {run && isFinished(run.state) && (
          <a class="btn" href={href(['training', 'new'], { model: modelId })}>
            Train again
          </a>
        )}
      </div>
    </div>
  );
  if (error && !run)
    return (
      <section class="page">
        {head}
        <ErrorBox title="Could not load the training run" error={error} retry={retry} />
      </section>
    );
  if (!run)
    return (
      <section class="page">
        {head}
        <Loading what="Loading the training run" />
      </section>
    );
  const bestTrial = run.report?.bestTrial ?? run.best?.trial ?? bestOf(run.trials);
  return (
    <section class="page" data-run-state={run.state}>
      {head}
      {cancelError && <ErrorBox title="The server refused to cancel" error={cancelError} />}
      {error && <ErrorBox title="Lost contact with the server; showing the last state" error={error} retry={retry} />}
      {run.error && <ErrorBox title={`Training ${run.state}`} error={run.error} />}
      {run.state === 'queued' && <div class="warn-text">Waiting for a training slot{run.queue_position ? ` — position ${run.queue_position} in the queue` : ''}.</div>}
      <div class="training-grid">
        <div class="card" data-testid="trials">
          <div class="card-head">
            <h2>Hyperparameter trials</h2>
            <span class="muted small">validation loss per trial (lower is better){bestTrial ? ` · trial ${bestTrial} chosen` : ''}</span>
          </div>
          {run.trials.length === 0 ? <Empty title={run.state === 'queued' ? 'Not started' : 'No trial finished yet'} /> : <TrialsHistogram trials={run.trials} best={bestTrial} />}
        </div>
        <div class="card" data-testid="losses">
          <div class="card-head">
            <h2>Loss curves</h2>
            <span class="muted small">
              full training of the chosen trial, per epoch
              {run.best && run.phase !== 'search' ? ` · best epoch ${run.best.epoch} (validation ${fmtNum(run.best.val_loss)}), its weights kept` : ''}
              {run.report ? ` · stopped: ${run.report.training.stopReason.replace('_', ' ')}` : ''}
            </span>
          </div>
          {run.epochs.length === 0 ? <Empty title={run.phase === 'search' || run.state === 'queued' || run.state === 'running' ? 'The curves start with the full training' : 'No epochs'} /> : <LossCurves run={run} />}
        </div>
      </div>
      <div class="training-grid">
        <div class="card" data-testid="config">
          <div class="card-head">
            <h2>Chosen configuration</h2>
          </div>
          <Config run={run} best={bestTrial} />
        </div>
        <div class="card" data-testid="accuracy">
          <div class="card-head">
            <h2>Test accuracy</h2>
            <span class="muted small">held-out test set (last buckets, in time order), against the statistical default on the same buckets</span>
          </div>
          {run.report?.test ? <Accuracy test={run.report.test} /> : <Empty title={isFinished(run.state) ? 'No test report' : 'Reported when the training ends'} />}
        </div>
      </div>
      {info && <Activations model={info} runId={runId} activations={model.data?.activations ?? []} selected={activation} reload={model.reload} />}
      <div class="card">
        <div class="card-head">
          <h2>Events</h2>
          <span class="muted small">{isFinished(run.state) ? 'the run has ended' : 'live'}</span>
        </div>
        <EventLog lines={log} />
      </div>
    </section>
  );
}

function bestOf(trials: TrialRow[]): number | undefined {
  let best: TrialRow | undefined;
  for (const t of trials) if (t.valLoss !== null && (!best || t.valLoss < (best.valLoss as number))) best = t;
  return best?.index;
}

/** One bar per trial, its height the trial's score; the chosen one highlighted; running ones hatched. */
function TrialsHistogram({ trials, best }: { trials: TrialRow[]; best?: number }) {
  const W = 560;
  const H = 200;
  const pad = { l: 54, r: 8, t: 10, b: 34 };
  const scores = trials.map((t) => t.valLoss).filter((x): x is number => x !== null && Number.isFinite(x));
  const max = scores.length ? Math.max(...scores) * 1.08 : 1;
  const n = Math.max(trials.length, 3);
  const bw = (W - pad.l - pad.r) / n;
  const y = (v: number): number => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const ticks = [0, max / 2, max];
  return (
    <svg class="trials-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="validation loss per trial">
      {ticks.map((v) => (
        <g key={v}>
          <line x1={pad.l} x2={W - pad.r} y1={y(v)} y2={y(v)} stroke="#eef1f4" />
          <text x={pad.l - 6} y={y(v) + 4} text-anchor="end" class="tick">
            {fmtNum(v, 3)}
          </text>
        </g>
      ))}
      {trials.map((t, i) => {
        const x = pad.l + i * bw + bw * 0.15;
        const w = bw * 0.7;
        const isBest = t.index === best;
        const done = t.valLoss !== null && Number.isFinite(t.valLoss);
        const h = done ? H - pad.b - y(t.valLoss as number) : 0;
        return (
          <g key={t.index} class={`trial-bar${isBest ? ' best' : ''}`} data-trial={t.index} data-best={isBest ? 'true' : undefined}>
            <title>{`trial ${t.index}: ${t.params.kind}, window ${t.params.window}, ${t.params.units} units × ${t.params.layers}, lr ${t.params.learningRate}, batch ${t.params.batchSize}${t.params.anchor ? ', anchored' : ''}${t.params.seasonalLag ? `, lag ${t.params.seasonalLag}` : ''} — ${done ? `validation loss ${fmtNum(t.valLoss)}` : t.status}${t.stopReason ? ` (${t.stopReason})` : ''}`}</title>
            {done ? <rect x={x} y={H - pad.b - h} width={w} height={Math.max(1, h)} rx={2} fill={isBest ? '#d6453d' : '#5b8fd0'} /> : <rect x={x} y={pad.t} width={w} height={H - pad.t - pad.b} rx={2} fill="url(#running)" stroke="#b9c6d4" />}
            {done && (
              <text x={x + w / 2} y={H - pad.b - h - 4} text-anchor="middle" class="value">
                {fmtNum(t.valLoss, 3)}
              </text>
            )}
            <text x={x + w / 2} y={H - pad.b + 14} text-anchor="middle" class="tick">
              #{t.index}
            </text>
            <text x={x + w / 2} y={H - pad.b + 27} text-anchor="middle" class="tick kind">
              {t.params.kind}
            </text>
          </g>
        );
      })}
      <defs>
        <pattern id="running" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="3" height="6" fill="#e8f0fa" />
        </pattern>
      </defs>
      <line x1={pad.l} x2={W - pad.r} y1={H - pad.b} y2={H - pad.b} stroke="#c9d2dc" />
    </svg>
  );
}

function LossCurves({ run }: { run: RunRecord }) {
  const data = useMemo<uPlot.AlignedData>(() => {
    const xs = run.epochs.map((e) => e.epoch);
    const best = run.best?.epoch;
    return [xs, run.epochs.map((e) => e.loss), run.epochs.map((e) => e.valLoss), run.epochs.map((e) => (e.epoch === best ? e.valLoss : null))];
  }, [run.epochs, run.best]);
  const options = useMemo<Omit<uPlot.Options, 'width'>>(
    () => ({
      height: 200,
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [{ label: 'epoch', size: 36, labelSize: 14 }, { size: 60, values: (_u: uPlot, vals: number[]) => vals.map((v) => fmtNum(v, 3)) }],
      series: [
        { label: 'epoch' },
        { label: 'training loss', stroke: '#1f5fa8', width: 2, value: (_u: uPlot, v: number | null) => fmtNum(v) },
        { label: 'validation loss', stroke: '#c77c02', width: 2, value: (_u: uPlot, v: number | null) => fmtNum(v) },
        { label: 'best (kept)', stroke: '#d6453d', width: 0, points: { show: true, size: 10, fill: '#d6453d' }, value: (_u: uPlot, v: number | null) => fmtNum(v) },
      ],
    }),
    [],
  );
  return (
    <div class="loss-chart">
      <UPlotChart options={options} data={data} layoutKey="loss" />
      <div class="muted small" data-testid="epochs">
        {run.epochs.length} epoch{run.epochs.length === 1 ? '' : 's'}
      </div>
    </div>
  );
}

function Config({ run, best }: { run: RunRecord; best?: number }) {
  const hp = run.report?.hyperParams ?? run.trials.find((t) => t.index === best)?.params;
  if (!hp) return <Empty title="Chosen after the search" />;
  const rows: [string, string][] = [
    ['architecture', hp.kind],
    ['input window', `${hp.window} buckets`],
    ['units × layers', `${hp.units} × ${hp.layers}`],
    ['learning rate', String(hp.learningRate)],
    ['batch size', String(hp.batchSize)],
    ['anchored to the last value', hp.anchor ? 'yes' : 'no'],
    ['seasonal lag', hp.seasonalLag ? `${hp.seasonalLag} buckets` : 'none'],
  ];
  const r = run.report;
  if (r) {
    rows.push(['parameters', r.parameters.toLocaleString('en-US')]);
    rows.push(['from trial', `${r.bestTrial} of ${run.trials.length}`]);
    rows.push(['buckets (train / validation / test)', `${r.split.train[1] - r.split.train[0]} / ${r.split.validation[1] - r.split.validation[0]} / ${r.split.test[1] - r.split.test[0]}`]);
    rows.push(['best validation loss', `${fmtNum(r.training.bestValLoss)} (epoch ${r.training.bestEpoch})`]);
    rows.push(['time', `search ${r.searchSeconds.toFixed(1)} s, training ${r.trainingSeconds.toFixed(1)} s`]);
  }
  return (
    <table class="table compact kv">
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Accuracy({ test }: { test: TestReport }) {
  const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '—');
  type Row = [string, string, string, 'low' | 'high' | 'near95' | 'near80' | null, number, number];
  let rows: Row[];
  let note: string;
  if (test.kind === 'detect') {
    const a = test.neural;
    const d = test.default;
    rows = [
      ['one-step MAE', fmtNum(a.mae), fmtNum(d.mae), 'low', a.mae, d.mae],
      ['one-step RMSE', fmtNum(a.rmse), fmtNum(d.rmse), 'low', a.rmse, d.rmse],
      ['95 % bound coverage', pct(a.coverage95), pct(d.coverage95), 'near95', a.coverage95, d.coverage95],
      ['alerts (score ≥ 25)', String(a.alerts), String(d.alerts), null, a.alerts, d.alerts],
    ];
    if (a.regions && d.regions) rows.push(['labelled regions F1', fmtNum(a.regions.f1, 3), fmtNum(d.regions.f1, 3), 'high', a.regions.f1, d.regions.f1]);
    note = `${test.scored} of ${test.buckets} test buckets scored`;
  } else {
    const a = test.neural;
    const d = test.default;
    rows = [
      ['sMAPE', fmtNum(a.smape), fmtNum(d.smape), 'low', a.smape, d.smape],
      ['MASE', fmtNum(a.mase), fmtNum(d.mase), 'low', a.mase, d.mase],
      ['80 % coverage', pct(a.coverage80), pct(d.coverage80), 'near80', a.coverage80, d.coverage80],
      ['95 % coverage', pct(a.coverage95), pct(d.coverage95), 'near95', a.coverage95, d.coverage95],
      ['MSIS', fmtNum(a.msis), fmtNum(d.msis), 'low', a.msis, d.msis],
    ];
    note = `horizon ${test.horizon}, ${test.origins} forecast origins; default: ${test.defaultModel}`;
  }
  const better = (how: Row[3], a: number, d: number): 'model' | 'default' | null => {
    if (!how || !Number.isFinite(a) || !Number.isFinite(d) || a === d) return null;
    const score = (x: number): number => (how === 'low' ? -x : how === 'high' ? x : -Math.abs(x - (how === 'near95' ? 0.95 : 0.8)));
    return score(a) > score(d) ? 'model' : score(a) < score(d) ? 'default' : null;
  };
  return (
    <div>
      <table class="table compact accuracy-table">
        <thead>
          <tr>
            <th>metric</th>
            <th class="num">trained model</th>
            <th class="num">statistical default</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([k, a, d, how, av, dv]) => {
            const b = better(how, av, dv);
            return (
              <tr key={k}>
                <td>{k}</td>
                <td class={`num${b === 'model' ? ' better' : ''}`}>{a}</td>
                <td class={`num${b === 'default' ? ' better' : ''}`}>{d}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div class="muted small more">{note}; the better figure of each row is in bold.</div>
    </div>
  );
}

function EventLog({ lines }: { lines: string[] }) {
  const el = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (el.current) el.current.scrollTop = el.current.scrollHeight;
  }, [lines]);
  if (lines.length === 0) return <div class="muted small">No events yet.</div>;
  return (
    <pre class="event-log" ref={el}>
      {lines.join('\n')}
    </pre>
  );
}
