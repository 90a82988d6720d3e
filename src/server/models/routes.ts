/**
 * Vigil's trained-model API (`/_vigil/models/…`, seed 000's Siren ML workflow): create a model,
 * preview its training data (bucket span suggested), train it (a queued run with live trials and
 * loss curves), cancel, activate live (post buckets, or follow an anomaly-detection job's series:
 * job-feed.ts) or over a time range (posted, or stored: a job's kept values or an embedded index,
 * stored-series.ts), deactivate, read results and per-day predictions, delete. Errors are
 * Elastic's shape through the server's one error mapper. Models, weights and live activations live
 * under `<data_dir>/models` and are restored at start (before jobs re-open, so that the activations
 * that follow a job see the buckets its write-ahead log replays). Limits (parallel trainings,
 * activations, historical runs) come from the server configuration's `training.*` settings (YAML,
 * or VIGIL_MAX_TRAININGS / VIGIL_MAX_ACTIVATIONS / VIGIL_MAX_HISTORICAL) and can be changed
 * while running with `POST /_vigil/models/_limits`.
 *
 * Data in bodies: `data` is a list of `{ "timestamp": epoch ms | ISO 8601, "value": number }` or of
 * `[timestamp, value]` pairs; it is bucketed with the mean at `bucket_span` (default: suggested).
 */
import { join } from 'node:path';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import { selectTrainingData } from '../../core/neural/data.js';
import type { ModelKind } from '../../core/neural/spec.js';
import { parseDuration } from '../../core/time/duration.js';
import { MemoryModelRepository, ModelManager, type TrainingLimits } from '../../engine/training/model-manager.js';
import { workerTrainer, workerTrainerAvailable } from '../../engine/training/worker-trainer.js';
import { datafeedsFor } from '../datafeeds/routes.js';
import type { JobService } from '../jobs/job-service.js';
import { COMMON_QUERY, type RouteSpec } from '../route-spec.js';
import { FileModelRepository } from './file-repository.js';
import { JobFeeds, jobSeriesSource, keptSeries } from './job-feed.js';
import { readIndexSeries, readJobSeries } from './stored-series.js';

const R = '/_vigil/models';
const Q = (props: Record<string, TSchema> = {}) => Type.Object({ ...COMMON_QUERY, ...props }, { additionalProperties: false });
const ModelParam = Type.Object({ model_id: Type.String({ description: 'Model id: 1–64 lowercase letters, digits, - or _.' }) }, { additionalProperties: false });
const RunParam = Type.Object({ model_id: Type.String(), run_id: Type.String() }, { additionalProperties: false });
const ActParam = Type.Object({ model_id: Type.String(), activation_id: Type.String() }, { additionalProperties: false });
const DataField = Type.Optional(Type.Array(Type.Unknown(), { description: 'Records: {timestamp, value} objects or [timestamp, value] pairs (epoch ms or ISO 8601).' }));
const Span = Type.Optional(Type.Union([Type.String(), Type.Number()], { description: 'Bucket span (5m, 1h) or milliseconds; default suggested from the data.' }));
const Time = (d: string) => Type.Optional(Type.Union([Type.String(), Type.Number()], { description: d }));

const params = (req: FastifyRequest): Record<string, string> => req.params as Record<string, string>;
const body = (req: FastifyRequest): Record<string, unknown> => (req.body as Record<string, unknown>) ?? {};
const query = (req: FastifyRequest): Record<string, unknown> => (req.query as Record<string, unknown>) ?? {};

function timeOf(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const t = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : Date.parse(String(v));
  if (!Number.isFinite(t)) throw new VigilError('INVALID_ARGUMENT', `[${name}] is not a time: ${JSON.stringify(v)}`);
  return t;
}

/** Parses `data` records into arrays. */
export function parseRecords(data: unknown): { times: Float64Array; values: Float64Array } {
  if (!Array.isArray(data) || data.length === 0) throw new VigilError('INVALID_ARGUMENT', '[data] must be a non-empty list of {timestamp, value} records or [timestamp, value] pairs');
  const times = new Float64Array(data.length);
  const values = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const r = data[i] as unknown;
    const [t, v] = Array.isArray(r) ? [r[0], r[1]] : r && typeof r === 'object' ? [(r as Record<string, unknown>).timestamp, (r as Record<string, unknown>).value] : [undefined, undefined];
    const tt = timeOf(t, `data[${i}].timestamp`);
    if (tt === undefined) throw new VigilError('INVALID_ARGUMENT', `[data][${i}] has no timestamp`);
    times[i] = tt;
    values[i] = v === null || v === undefined ? NaN : Number(v);
  }
  return { times, values };
}

function spanOf(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'number' ? v : parseDuration(String(v));
}

function selection(b: Record<string, unknown>, spanDefault?: number) {
  const { times, values } = parseRecords(b.data);
  return selectTrainingData(times, values, { from: timeOf(b.from, 'from'), to: timeOf(b.to, 'to'), bucketSpanMs: spanOf(b.bucket_span) ?? spanDefault, previewPoints: 200 });
}

interface ModelsOfApp {
  manager: ModelManager;
  ready: Promise<void>;
  feeds: JobFeeds;
}

const managers = new WeakMap<object, ModelsOfApp>();

interface ModelDeps {
  service: JobService;
  ops?: { dataDir?: string };
  models?: ModelManager;
  /** The server configuration's training.* limits (defaults: DEFAULT_TRAINING_LIMITS). */
  trainingLimits?: Partial<TrainingLimits>;
}

/**
 * The model manager of an app (one per job service): files under `<data_dir>/models` when the
 * server has a data directory, else in memory. Restores stored models and live activations at
 * once; the jobs service re-opens jobs after that (`delayRecovery`) and waits for the
 * activations' saves when it shuts down.
 */
export function modelManagerFor(deps: ModelDeps): ModelsOfApp {
  const key = deps.models ?? deps.service;
  let m = managers.get(key);
  if (m) return m;
  const dir = deps.ops?.dataDir;
  // trainings run in worker threads when the compiled worker is there (a built server), so they never
  // block requests; from TypeScript sources (tests) they run in-process
  const trainer = workerTrainerAvailable() ? workerTrainer : undefined;
  const manager = deps.models ?? new ModelManager({ limits: deps.trainingLimits ?? {}, trainer, repository: dir ? new FileModelRepository(join(dir, 'models')) : new MemoryModelRepository() });
  const feeds = new JobFeeds(manager, deps.service);
  const ready = manager.open().then(() => feeds.followAll());
  deps.service.delayRecovery(ready);
  const jobs = deps.service;
  const shutdown = jobs.shutdown.bind(jobs);
  jobs.shutdown = async () => {
    await shutdown();
    await manager.close();
  };
  m = { manager, ready, feeds };
  managers.set(key, m);
  return m;
}

export function modelRoutes(deps: ModelDeps): RouteSpec[] {
  const { manager: mm, ready, feeds } = modelManagerFor(deps);
  const jobs = deps.service;
  // restore failures surface on the first request, not at start-up
  ready.catch(() => undefined);
  const w = <T>(f: (req: FastifyRequest) => T | Promise<T>) => async (req: FastifyRequest) => {
    await ready;
    return f(req);
  };
  const run = (req: FastifyRequest) => {
    const p = params(req);
    const r = mm.getRun(p.run_id);
    if (r.record.model_id !== p.model_id) throw new VigilError('RESOURCE_NOT_FOUND', `no training run [${p.run_id}] for model [${p.model_id}]`);
    return r;
  };
  const act = (req: FastifyRequest) => {
    const p = params(req);
    const a = mm.getActivation(p.activation_id);
    if (a.model_id !== p.model_id) throw new VigilError('RESOURCE_NOT_FOUND', `no activation [${p.activation_id}] for model [${p.model_id}]`);
    return a;
  };
  const read = { privilege: 'read' as const, unscoped: true };
  const write = { privilege: 'write' as const, unscoped: true };
  return [
    {
      method: 'GET',
      url: R,
      operationId: 'vigil.models.list',
      tag: 'vigil',
      summary: 'Vigil extension: every trained model with its state, and the queues (trainings, activations, historical runs).',
      querystring: Q(),
      permission: read,
      handler: w(() => ({ count: mm.listModels().length, models: mm.listModels(), limits: mm.limits() })),
    },
    {
      method: 'GET',
      url: `${R}/_limits`,
      operationId: 'vigil.models.get_limits',
      tag: 'vigil',
      summary: 'Vigil extension: the limits on parallel trainings, live activations and historical runs, with what runs and waits.',
      querystring: Q(),
      permission: read,
      handler: w(() => ({ limits: mm.limits() })),
    },
    {
      method: 'POST',
      url: `${R}/_limits`,
      operationId: 'vigil.models.set_limits',
      tag: 'vigil',
      summary: 'Vigil extension: changes the limits (max_trainings, max_activations, max_historical); raising one starts waiting jobs.',
      querystring: Q(),
      body: Type.Object({ max_trainings: Type.Optional(Type.Integer({ minimum: 1 })), max_activations: Type.Optional(Type.Integer({ minimum: 1 })), max_historical: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
      permission: { privilege: 'admin' },
      handler: w((req) => {
        const b = body(req) as { max_trainings?: number; max_activations?: number; max_historical?: number };
        mm.setLimits({ maxTrainings: b.max_trainings, maxActivations: b.max_activations, maxHistorical: b.max_historical });
        return { limits: mm.limits() };
      }),
    },
    {
      method: 'PUT',
      url: `${R}/:model_id`,
      operationId: 'vigil.models.create',
      tag: 'vigil',
      summary: 'Vigil extension: creates a model: type detect (anomaly detection) or predict (future prediction), with its training spec.',
      params: ModelParam,
      querystring: Q(),
      body: Type.Object(
        {
          type: Type.Union([Type.Literal('detect'), Type.Literal('predict')]),
          description: Type.Optional(Type.String()),
          training: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Training spec: horizon, trials (≤ 10), seed, validationSplit, testSplit, maxEpochs, patience, timeBudgetS, space … (docs/trained-models.md).' })),
        },
        { additionalProperties: false },
      ),
      permission: write,
      handler: w(async (req) => {
        const b = body(req) as { type: ModelKind; description?: string; training?: Record<string, unknown> };
        return mm.createModel({ model_id: params(req).model_id, type: b.type, description: b.description, training: b.training as never });
      }),
    },
    {
      method: 'GET',
      url: `${R}/:model_id`,
      operationId: 'vigil.models.get',
      tag: 'vigil',
      summary: 'Vigil extension: a model, its training runs (state, best trial and epoch) and its activations.',
      params: ModelParam,
      querystring: Q(),
      permission: read,
      handler: w((req) => {
        const id = params(req).model_id;
        const model = mm.getModel(id);
        const runs = mm.runsOf(id).map((r) => ({ run_id: r.run_id, state: r.state, queue_position: r.queue_position, phase: r.phase, created: r.created, finished: r.finished, trials: r.trials.length, epochs: r.epochs.length, best: r.best, error: r.error }));
        return { model, runs, activations: mm.activationsOf(id) };
      }),
    },
    {
      method: 'DELETE',
      url: `${R}/:model_id`,
      operationId: 'vigil.models.delete',
      tag: 'vigil',
      summary: 'Vigil extension: deletes a model, its weights and runs (force: cancels its runs and stops its activations first).',
      params: ModelParam,
      querystring: Q({ force: Type.Optional(Type.Union([Type.Boolean(), Type.Literal('')])) }),
      permission: write,
      handler: w(async (req) => {
        const f = query(req).force;
        await mm.deleteModel(params(req).model_id, f === '' || f === true || f === 'true');
        return { acknowledged: true };
      }),
    },
    {
      method: 'POST',
      url: `${R}/:model_id/_preview`,
      operationId: 'vigil.models.preview',
      tag: 'vigil',
      summary: 'Vigil extension: buckets posted data as training would (time range, bucket span given or suggested with the reason) and returns a preview.',
      params: ModelParam,
      querystring: Q(),
      body: Type.Object({ data: DataField, bucket_span: Span, from: Time('Start (inclusive).'), to: Time('End (exclusive).') }, { additionalProperties: false }),
      permission: read,
      handler: w((req) => {
        mm.getModel(params(req).model_id);
        const s = selection(body(req));
        return {
          bucket_span_ms: s.series.spanMs,
          suggested_bucket_span_ms: s.suggestion.spanMs,
          reason: s.suggestion.reason,
          records: s.records,
          buckets: s.series.values.length,
          missing_buckets: s.missingBuckets,
          start: s.series.start,
          preview: s.preview.map((p) => ({ timestamp: p.time, min: Number.isFinite(p.min) ? p.min : null, mean: Number.isFinite(p.mean) ? p.mean : null, max: Number.isFinite(p.max) ? p.max : null })),
        };
      }),
    },
    {
      method: 'POST',
      url: `${R}/:model_id/_train`,
      operationId: 'vigil.models.train',
      tag: 'vigil',
      summary: 'Vigil extension: starts a training run on posted data (queued beyond the training limit); follow it with runs/<run_id>, trials and losses.',
      params: ModelParam,
      querystring: Q(),
      body: Type.Object(
        {
          data: DataField,
          bucket_span: Span,
          from: Time('Start of the training range (inclusive).'),
          to: Time('End (exclusive).'),
          labels: Type.Optional(Type.Array(Type.Array(Type.Union([Type.String(), Type.Number()]), { minItems: 2, maxItems: 2 }), { description: 'Labelled anomaly windows [start, end] for the test report.' })),
          training: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        },
        { additionalProperties: false },
      ),
      permission: write,
      handler: w(async (req) => {
        const b = body(req);
        const s = selection(b);
        const labels = (b.labels as unknown[][] | undefined)?.map((w, i) => [timeOf(w[0], `labels[${i}][0]`) as number, timeOf(w[1], `labels[${i}][1]`) as number] as [number, number]);
        const r = await mm.train(params(req).model_id, s.series, { labels, training: b.training as never });
        return { ...r, bucket_span_ms: s.series.spanMs, buckets: s.series.values.length, reason: s.suggestion.reason };
      }),
    },
    {
      method: 'GET',
      url: `${R}/:model_id/runs`,
      operationId: 'vigil.models.get_runs',
      tag: 'vigil',
      summary: 'Vigil extension: the training runs of a model (full records).',
      params: ModelParam,
      querystring: Q(),
      permission: read,
      handler: w((req) => ({ runs: mm.runsOf(params(req).model_id) })),
    },
    {
      method: 'GET',
      url: `${R}/:model_id/runs/:run_id`,
      operationId: 'vigil.models.get_run',
      tag: 'vigil',
      summary: 'Vigil extension: a training run: state (queued with its position, running, completed, failed, cancelled), phase, trials, epochs, report; `since` returns its events after that number.',
      params: RunParam,
      querystring: Q({ since: Type.Optional(Type.Integer({ minimum: 0 })) }),
      permission: read,
      handler: w((req) => {
        const r = run(req);
        const since = query(req).since;
        return since === undefined ? r.record : { ...r.record, last_seq: r.lastSeq, events: r.eventsSince(Number(since)) };
      }),
    },
    {
      method: 'GET',
      url: `${R}/:model_id/runs/:run_id/trials`,
      operationId: 'vigil.models.get_trials',
      tag: 'vigil',
      summary: 'Vigil extension: the hyperparameter trials of a run, each with its score (lowest validation loss) — the histogram.',
      params: RunParam,
      querystring: Q(),
      permission: read,
      handler: w((req) => {
        const r = run(req).record;
        return { run_id: r.run_id, state: r.state, best_trial: r.report?.bestTrial ?? null, trials: r.trials.map((t) => ({ index: t.index, status: t.status, score: t.valLoss, params: t.params, best_epoch: t.bestEpoch, epochs: t.epochs.length, stop_reason: t.stopReason, ms: Math.round(t.ms), error: t.error })) };
      }),
    },
    {
      method: 'GET',
      url: `${R}/:model_id/runs/:run_id/losses`,
      operationId: 'vigil.models.get_losses',
      tag: 'vigil',
      summary: 'Vigil extension: training and validation loss per epoch of the full training — the curves (and the best epoch kept).',
      params: RunParam,
      querystring: Q(),
      permission: read,
      handler: w((req) => {
        const r = run(req).record;
        return { run_id: r.run_id, state: r.state, phase: r.phase, best: r.best, stop_reason: r.report?.training.stopReason ?? null, epochs: r.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, val_loss: e.valLoss, best: e.best, ms: Math.round(e.ms) })) };
      }),
    },
    {
      method: 'POST',
      url: `${R}/:model_id/runs/:run_id/_cancel`,
      operationId: 'vigil.models.cancel_run',
      tag: 'vigil',
      summary: 'Vigil extension: cancels a queued or running training (the model keeps its previous network, if any).',
      params: RunParam,
      querystring: Q(),
      permission: write,
      handler: w(async (req) => {
        const r = run(req);
        mm.cancelRun(r.record.run_id);
        return { run_id: r.record.run_id, state: r.record.state, cancelling: !r.finished };
      }),
    },
    {
      method: 'POST',
      url: `${R}/:model_id/_activate`,
      operationId: 'vigil.models.activate',
      tag: 'vigil',
      summary:
        "Vigil extension: activates a trained model live (mode live: buckets posted to activations/<id>/_data, or with job_id each bucket the job finalises from its _data, _flush or datafeed) or over a time range (mode historical: posted data, a job's stored values with job_id, or an embedded index with index, time_field, value_field); queued beyond the limits.",
      params: ModelParam,
      querystring: Q(),
      body: Type.Object(
        {
          mode: Type.Union([Type.Literal('live'), Type.Literal('historical')]),
          data: DataField,
          from: Time('Historical: first bucket scored (inclusive); data before it fills the model window.'),
          to: Time('Historical: end (exclusive).'),
          horizon: Type.Optional(Type.Integer({ minimum: 1, description: 'Predict models: buckets ahead of the stored forecasts (default: trained horizon).' })),
          level: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 100 })),
          job_id: Type.Optional(Type.String({ description: "An anomaly-detection job whose series the model follows (live) or reads (historical); its detector must be count, distinct_count or metric without over_field_name, at the model's bucket span." })),
          detector_index: Type.Optional(Type.Integer({ minimum: 0, description: 'With job_id: the detector (default 0).' })),
          partition_field_value: Type.Optional(Type.String({ description: "With job_id: the series' partition value, when the detector has partition_field_name." })),
          by_field_value: Type.Optional(Type.String({ description: "With job_id: the series' by value, when the detector has by_field_name." })),
          index: Type.Optional(Type.String({ description: 'Historical: an embedded-store index (documents written with _bulk), read as the mean of value_field per bucket of the model span.' })),
          time_field: Type.Optional(Type.String({ description: "With index: the documents' time field." })),
          value_field: Type.Optional(Type.String({ description: 'With index: the numeric field.' })),
        },
        { additionalProperties: false },
      ),
      permission: write,
      handler: w(async (req) => {
        const id = params(req).model_id;
        const b = body(req) as Record<string, unknown> & { horizon?: number; level?: number; detector_index?: number; partition_field_value?: string; by_field_value?: string };
        const model = await mm.trainedModel(id);
        const span = model.meta.bucketSpanMs;
        if (b.mode === 'live' && b.index !== undefined) throw new VigilError('INVALID_ARGUMENT', 'a live activation takes posted buckets or follows a job ([job_id]); [index] is for historical runs');
        const given = ['data', 'job_id', 'index'].filter((k) => b[k] !== undefined);
        if (b.mode === 'historical' && given.length > 1) throw new VigilError('INVALID_ARGUMENT', `a historical run reads one of [data], [job_id] and [index]; got ${given.map((k) => `[${k}]`).join(' and ')}`);
        for (const k of ['detector_index', 'partition_field_value', 'by_field_value']) if (b[k] !== undefined && b.job_id === undefined) throw new VigilError('INVALID_ARGUMENT', `[${k}] goes with [job_id]`);
        for (const k of ['time_field', 'value_field']) if (b[k] !== undefined && b.index === undefined) throw new VigilError('INVALID_ARGUMENT', `[${k}] goes with [index]`);
        const source = b.job_id !== undefined ? await jobSeriesSource(jobs, { job_id: String(b.job_id), detector_index: b.detector_index, partition_field_value: b.partition_field_value, by_field_value: b.by_field_value }, span, id) : undefined;
        const opts = { horizon: b.horizon, level: b.level };
        if (b.mode === 'live') {
          // the window is filled with the history given, else what the job keeps of the series, else the end of the training data
          const history = b.data !== undefined ? selection({ data: b.data }, span).series : source ? ((await keptSeries(jobs, source, span)) ?? undefined) : undefined;
          const info = await mm.activateLive(id, { history, ...opts, source });
          if (source) feeds.follow(source.job_id);
          return info;
        }
        const from = timeOf(b.from, 'from');
        const to = timeOf(b.to, 'to');
        if (source || b.index !== undefined) {
          // the buckets before `from` fill the window
          const readFrom = from === undefined ? undefined : from - model.need * span;
          let got;
          if (source) got = await readJobSeries(jobs, source, { from: readFrom, to });
          else {
            if (typeof b.time_field !== 'string' || typeof b.value_field !== 'string') throw new VigilError('INVALID_ARGUMENT', 'reading an index needs [time_field] and [value_field]');
            got = await readIndexSeries(datafeedsFor(jobs).indices, { index: String(b.index), timeField: b.time_field, valueField: b.value_field, spanMs: span, from: readFrom, to });
          }
          const src = source ?? { kind: 'index' as const, index: String(b.index), time_field: String(b.time_field), value_field: String(b.value_field) };
          const info = await mm.runHistorical(id, got.series, { from, to, ...opts, source: src });
          return { ...info, read: got.read };
        }
        if (b.data === undefined) throw new VigilError('INVALID_ARGUMENT', 'a historical activation needs [data], [job_id] or [index]');
        const history = selection({ data: b.data }, span).series;
        return mm.runHistorical(id, history, { from, to, ...opts });
      }),
    },
    {
      method: 'GET',
      url: `${R}/:model_id/activations/:activation_id`,
      operationId: 'vigil.models.get_activation',
      tag: 'vigil',
      summary: 'Vigil extension: an activation: state (queued with its position, active, running, completed, stopped …), buckets processed.',
      params: ActParam,
      querystring: Q(),
      permission: read,
      handler: w((req) => act(req)),
    },
    {
      method: 'POST',
      url: `${R}/:model_id/activations/:activation_id/_data`,
      operationId: 'vigil.models.post_data',
      tag: 'vigil',
      summary: 'Vigil extension: posts buckets (time order) to a live activation; returns the records, model plot and forecasts they produced.',
      params: ActParam,
      querystring: Q(),
      body: Type.Object({ data: DataField }, { additionalProperties: false }),
      permission: write,
      handler: w(async (req) => {
        const a = act(req);
        const { times, values } = parseRecords(body(req).data);
        const out = mm.push(a.activation_id, times, values);
        await mm.saved(a.activation_id);
        return out;
      }),
    },
    {
      method: 'POST',
      url: `${R}/:model_id/activations/:activation_id/_deactivate`,
      operationId: 'vigil.models.deactivate',
      tag: 'vigil',
      summary: 'Vigil extension: stops a live activation (freeing its slot; it does not come back after a restart) or cancels a historical run.',
      params: ActParam,
      querystring: Q(),
      permission: write,
      handler: w((req) => mm.deactivate(act(req).activation_id)),
    },
    {
      method: 'GET',
      url: `${R}/:model_id/activations/:activation_id/results`,
      operationId: 'vigil.models.get_results',
      tag: 'vigil',
      summary: 'Vigil extension: results of an activation in the shapes of job results: records (score ≥ min_score) and model_plot, between start and end.',
      params: ActParam,
      querystring: Q({ start: Time('From (inclusive).'), end: Time('To (exclusive).'), min_score: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })), model_plot: Type.Optional(Type.Union([Type.Boolean(), Type.Literal('')])) }),
      permission: read,
      handler: w((req) => {
        const a = act(req);
        const q = query(req);
        const start = timeOf(q.start, 'start') ?? -Infinity;
        const end = timeOf(q.end, 'end') ?? Infinity;
        const min = q.min_score === undefined ? 0 : Number(q.min_score);
        const log = mm.results(a.activation_id);
        const records = log.records.filter((r) => r.timestamp >= start && r.timestamp < end && r.record_score >= min);
        const plot = q.model_plot === '' || q.model_plot === true || q.model_plot === 'true';
        return { count: records.length, records, ...(plot ? { model_plot: log.plots.filter((p) => p.timestamp >= start && p.timestamp < end) } : {}), forecast_days: log.days() };
      }),
    },
    {
      method: 'GET',
      url: `${R}/:model_id/activations/:activation_id/predictions`,
      operationId: 'vigil.models.get_predictions',
      tag: 'vigil',
      summary: 'Vigil extension: the predictions of a predict activation for the buckets of one UTC day (day=YYYY-MM-DD), each with its band.',
      params: ActParam,
      querystring: Q({ day: Type.String({ description: 'YYYY-MM-DD (UTC).' }) }),
      permission: read,
      handler: w((req) => {
        const a = act(req);
        const day = String(query(req).day);
        const predictions = mm.predictionsForDay(a.activation_id, day);
        return { day, count: predictions.length, predictions };
      }),
    },
  ];
}
