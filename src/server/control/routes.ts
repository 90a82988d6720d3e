/**
 * Job-control routes: Elastic's filters, calendars and scheduled events, model snapshots (get one,
 * update, delete, revert), job reset and model-memory estimates, plus Vigil's extensions —
 * annotations, events generated from holidays and daylight-saving changes, and a bucket-span
 * suggestion from a sample of data. Registered from one line in app.ts.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import { inferResolution, suggestBucketSpan } from '../../core/bucket/span.js';
import { estimateModelMemory, formatTimeValue, readTimeParam, type EstimateRequest } from '../../engine/job/index.js';
import type { AppDeps } from '../app.js';
import type { JobService } from '../jobs/job-service.js';
import { parseTimeParam } from '../jobs/time-param.js';
import { COMMON_QUERY, DateTimeSchema, JobIdParam, QBool, qbool, type RouteSpec } from '../route-spec.js';
import type { Permission } from '../security/roles.js';
import { controlOf, type ControlService } from './control-service.js';

const D = '/_ml/anomaly_detectors';
const F = '/_ml/filters';
const C = '/_ml/calendars';
const V = '/_vigil';
const Q = (props: Record<string, TSchema>) => Type.Object({ ...COMMON_QUERY, ...props }, { additionalProperties: false });
const Body = (props: Record<string, TSchema>) => Type.Object(props, { additionalProperties: false });
const Obj = (description: string) => Type.Object({}, { additionalProperties: true, description });
const Id = (name: string, description: string) => Type.Object({ [name]: Type.String({ description }) }, { additionalProperties: false });
const PageQ = { from: Type.Optional(Type.Integer({ description: 'Skips this many (default 0).' })), size: Type.Optional(Type.Integer({ description: 'Returns at most this many (default 100).' })) };
const PageB = Type.Optional(Type.Object({ from: Type.Optional(Type.Integer()), size: Type.Optional(Type.Integer()) }, { additionalProperties: false }));

// filters and calendars name or serve any job (rules, scheduled events): refused to principals
// limited to job groups, like datafeeds and alert rules (security/permissions.ts)
const read: Permission = { privilege: 'read', unscoped: true };
const write: Permission = { privilege: 'write', unscoped: true };
/** Job-free helpers (estimates, suggestions): open to scoped principals too. */
const readAny: Permission = { privilege: 'read' };
const readJob: Permission = { privilege: 'read', job: 'job_id' };
const writeJob: Permission = { privilege: 'write', job: 'job_id' };

const params = (req: FastifyRequest): Record<string, string> => req.params as Record<string, string>;
const query = (req: FastifyRequest): Record<string, unknown> => (req.query as Record<string, unknown>) ?? {};
const body = (req: FastifyRequest): Record<string, unknown> => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});

/** Query paging merged with a body's `page` (the body wins, as Elastic's clients send it). */
function pageOf(req: FastifyRequest): { from?: number; size?: number } {
  const q = query(req);
  const p = (body(req).page as { from?: number; size?: number } | undefined) ?? {};
  return { from: p.from ?? (q.from as number | undefined), size: p.size ?? (q.size as number | undefined) };
}

async function requireJobId(service: JobService, jobId: string): Promise<void> {
  if (!(await service.store.getJob(jobId))) throw new VigilError('RESOURCE_NOT_FOUND', `No known job with id '${jobId}'`);
}

/** Elastic's model snapshot document. */
function renderSnapshot(s: Record<string, unknown>): Record<string, unknown> {
  return s;
}

/** Elastic's get model snapshots: ids or wildcards, start/end on the snapshot time, sort (default timestamp, ascending unless desc), paging. */
export async function snapshotsOf(service: JobService, jobId: string, expr: string | undefined, q: Record<string, unknown>): Promise<{ count: number; model_snapshots: Record<string, unknown>[] }> {
  await requireJobId(service, jobId);
  let snaps = await service.modelSnapshots(jobId);
  if (expr !== undefined && expr !== '_all' && expr !== '*') {
    const tokens = expr.split(',').map((t) => t.trim());
    const res = tokens.map((t) => new RegExp('^' + t.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$'));
    snaps = snaps.filter((s) => res.some((re) => re.test(String(s.snapshot_id))));
    if (snaps.length === 0 && !tokens.some((t) => t.includes('*'))) throw new VigilError('RESOURCE_NOT_FOUND', `No model snapshot with id [${expr}] exists for job [${jobId}]`);
  }
  const start = q.start === undefined || q.start === '' ? undefined : parseTimeParam('start', q.start);
  const end = q.end === undefined || q.end === '' ? undefined : parseTimeParam('end', q.end);
  snaps = snaps.filter((s) => (start === undefined || (s.timestamp as number) >= start) && (end === undefined || (s.timestamp as number) < end));
  const sort = typeof q.sort === 'string' && q.sort !== '' ? q.sort : 'timestamp';
  if (!['timestamp', 'snapshot_id', 'description', 'latest_record_time_stamp', 'latest_result_time_stamp', 'min_version'].includes(sort)) {
    throw new VigilError('INVALID_ARGUMENT', `No mapping found for [${sort}] in order to sort on`);
  }
  const desc = qbool(q.desc, false);
  const key = (s: Record<string, unknown>): number | string => (sort === 'snapshot_id' ? Number(s.snapshot_id) : ((s[sort] as number | string | undefined) ?? 0));
  snaps.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
  });
  const from = (q.from as number | undefined) ?? 0;
  const size = (q.size as number | undefined) ?? 100;
  return { count: snaps.length, model_snapshots: snaps.slice(from, from + size).map(renderSnapshot) };
}

export function controlRoutes(deps: AppDeps): RouteSpec[] {
  const service = deps.service;
  const ctl: ControlService = controlOf(service);
  return [
    // ---------------------------------------------------------------------------------------
    // filters
    {
      method: 'PUT',
      url: `${F}/:filter_id`,
      operationId: 'ml.put_filter',
      tag: 'elastic',
      summary: 'Create a filter (a list of items custom rules scope by; `*` wildcards at either end or inside).',
      permission: write,
      params: Id('filter_id', 'Filter id.'),
      querystring: Q({}),
      bodyName: 'filter',
      body: Body({ filter_id: Type.Optional(Type.String()), description: Type.Optional(Type.String()), items: Type.Optional(Type.Array(Type.String(), { maxItems: 10_000 })) }),
      handler: async (req) => ctl.putFilter(params(req).filter_id, body(req)),
    },
    {
      method: 'GET',
      url: F,
      operationId: 'ml.get_filters',
      tag: 'elastic',
      summary: 'Get filters.',
      permission: read,
      querystring: Q(PageQ),
      handler: async (req) => ctl.getFilters(undefined, pageOf(req)),
    },
    {
      method: 'GET',
      url: `${F}/:filter_id`,
      operationId: 'ml.get_filters',
      tag: 'elastic',
      summary: 'Get a filter.',
      permission: read,
      params: Id('filter_id', 'Filter id (or _all).'),
      querystring: Q(PageQ),
      handler: async (req) => ctl.getFilters(params(req).filter_id, pageOf(req)),
    },
    {
      method: 'POST',
      url: `${F}/:filter_id/_update`,
      operationId: 'ml.update_filter',
      tag: 'elastic',
      summary: 'Add or remove items, change the description; jobs that use the filter see the change from their next bucket on.',
      permission: write,
      params: Id('filter_id', 'Filter id.'),
      querystring: Q({}),
      bodyName: 'filter_update',
      body: Body({ description: Type.Optional(Type.String()), add_items: Type.Optional(Type.Array(Type.String())), remove_items: Type.Optional(Type.Array(Type.String())) }),
      handler: async (req) => ctl.updateFilter(params(req).filter_id, body(req)),
    },
    {
      method: 'DELETE',
      url: `${F}/:filter_id`,
      operationId: 'ml.delete_filter',
      tag: 'elastic',
      summary: 'Delete a filter (refused while a job’s custom rules use it).',
      permission: write,
      params: Id('filter_id', 'Filter id.'),
      querystring: Q({}),
      handler: async (req) => {
        await ctl.deleteFilter(params(req).filter_id);
        return { acknowledged: true };
      },
    },

    // ---------------------------------------------------------------------------------------
    // calendars and scheduled events
    {
      method: 'PUT',
      url: `${C}/:calendar_id`,
      operationId: 'ml.put_calendar',
      tag: 'elastic',
      summary: 'Create a calendar for jobs and groups.',
      permission: write,
      params: Id('calendar_id', 'Calendar id.'),
      querystring: Q({}),
      bodyName: 'calendar',
      body: Body({ calendar_id: Type.Optional(Type.String()), job_ids: Type.Optional(Type.Array(Type.String())), description: Type.Optional(Type.String()) }),
      handler: async (req) => ctl.putCalendar(params(req).calendar_id, body(req)),
    },
    {
      method: ['GET', 'POST'],
      url: C,
      operationId: 'ml.get_calendars',
      tag: 'elastic',
      summary: 'Get calendars.',
      permission: read,
      querystring: Q(PageQ),
      bodyName: 'get_calendars',
      body: Body({ page: PageB }),
      handler: async (req) => ctl.getCalendars(undefined, pageOf(req)),
    },
    {
      method: ['GET', 'POST'],
      url: `${C}/:calendar_id`,
      operationId: 'ml.get_calendars',
      tag: 'elastic',
      summary: 'Get calendars by id, comma list, wildcard or _all.',
      permission: read,
      params: Id('calendar_id', 'Calendar id expression.'),
      querystring: Q(PageQ),
      bodyName: 'get_calendars',
      body: Body({ page: PageB }),
      handler: async (req) => ctl.getCalendars(params(req).calendar_id, pageOf(req)),
    },
    {
      method: 'DELETE',
      url: `${C}/:calendar_id`,
      operationId: 'ml.delete_calendar',
      tag: 'elastic',
      summary: 'Delete a calendar and its events.',
      permission: write,
      params: Id('calendar_id', 'Calendar id.'),
      querystring: Q({}),
      handler: async (req) => {
        await ctl.deleteCalendar(params(req).calendar_id);
        return { acknowledged: true };
      },
    },
    {
      method: 'PUT',
      url: `${C}/:calendar_id/jobs/:job_id`,
      operationId: 'ml.put_calendar_job',
      tag: 'elastic',
      summary: 'Add jobs or groups (comma list) to a calendar.',
      permission: write,
      params: Type.Object({ calendar_id: Type.String(), job_id: Type.String({ description: 'Job ids or group names, comma separated.' }) }, { additionalProperties: false }),
      querystring: Q({}),
      handler: async (req) => ctl.calendarJobs(params(req).calendar_id, params(req).job_id, true),
    },
    {
      method: 'DELETE',
      url: `${C}/:calendar_id/jobs/:job_id`,
      operationId: 'ml.delete_calendar_job',
      tag: 'elastic',
      summary: 'Remove jobs or groups (comma list) from a calendar.',
      permission: write,
      params: Type.Object({ calendar_id: Type.String(), job_id: Type.String({ description: 'Job ids or group names, comma separated.' }) }, { additionalProperties: false }),
      querystring: Q({}),
      handler: async (req) => ctl.calendarJobs(params(req).calendar_id, params(req).job_id, false),
    },
    {
      method: 'POST',
      url: `${C}/:calendar_id/events`,
      operationId: 'ml.post_calendar_events',
      tag: 'elastic',
      summary: 'Add scheduled events (description, start_time, end_time; skip_result, skip_model_update default true; force_time_shift in seconds). All are checked before any is stored.',
      permission: write,
      params: Id('calendar_id', 'Calendar id.'),
      querystring: Q({}),
      bodyName: 'post_calendar_events',
      body: Body({ events: Type.Array(Type.Object({}, { additionalProperties: true })) }),
      handler: async (req) => ctl.postEvents(params(req).calendar_id, body(req)),
    },
    {
      method: 'GET',
      url: `${C}/:calendar_id/events`,
      operationId: 'ml.get_calendar_events',
      tag: 'elastic',
      summary: 'Scheduled events of calendars (id, comma list, wildcard or _all), optionally of one job, overlapping start–end.',
      permission: read,
      params: Id('calendar_id', 'Calendar id expression.'),
      querystring: Q({ ...PageQ, job_id: Type.Optional(Type.String()), start: DateTimeSchema('Events ending after this time.'), end: DateTimeSchema('Events starting before this time.') }),
      handler: async (req) => {
        const q = query(req);
        return ctl.getEvents(params(req).calendar_id, { job_id: q.job_id as string | undefined, start: q.start, end: q.end, ...pageOf(req) });
      },
    },
    {
      method: 'DELETE',
      url: `${C}/:calendar_id/events/:event_id`,
      operationId: 'ml.delete_calendar_event',
      tag: 'elastic',
      summary: 'Delete a scheduled event.',
      permission: write,
      params: Type.Object({ calendar_id: Type.String(), event_id: Type.String() }, { additionalProperties: false }),
      querystring: Q({}),
      handler: async (req) => {
        await ctl.deleteEvent(params(req).calendar_id, params(req).event_id);
        return { acknowledged: true };
      },
    },
    {
      method: 'POST',
      url: `${V}/calendars/:calendar_id/events/_generate`,
      operationId: 'vigil.generate_calendar_events',
      tag: 'vigil',
      summary:
        'Vigil extension: add events generated from a country’s (region’s) public holidays (date-holidays data; skip_result and skip_model_update) and/or a time zone’s daylight-saving changes (force_time_shift ±seconds).',
      permission: write,
      params: Id('calendar_id', 'Calendar id.'),
      querystring: Q({}),
      bodyName: 'generate_events',
      body: Body({
        holidays: Type.Optional(
          Type.Object(
            {
              country: Type.String({ description: 'ISO 3166 code: US, DE, FR…' }),
              region: Type.Optional(Type.String({ description: 'State or region: CA, BY…' })),
              from_year: Type.Integer(),
              to_year: Type.Optional(Type.Integer()),
              types: Type.Optional(Type.Array(Type.String())),
              skip_result: Type.Optional(Type.Boolean()),
              skip_model_update: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
        ),
        daylight_saving: Type.Optional(
          Type.Object({ time_zone: Type.String({ description: 'IANA zone: Europe/Paris…' }), start: Type.Union([Type.Number(), Type.String()]), end: Type.Union([Type.Number(), Type.String()]) }, { additionalProperties: false }),
        ),
      }),
      handler: async (req) => ctl.generateEvents(params(req).calendar_id, body(req)),
    },

    // ---------------------------------------------------------------------------------------
    // model snapshots and reset
    {
      method: ['GET', 'POST'],
      url: `${D}/:job_id/model_snapshots/:snapshot_id`,
      operationId: 'ml.get_model_snapshots',
      tag: 'elastic',
      summary: 'Model snapshots by id, comma list, wildcard or _all; start/end on the snapshot time, sort (default timestamp) and desc.',
      permission: readJob,
      params: Type.Object({ job_id: Type.String(), snapshot_id: Type.String() }, { additionalProperties: false }),
      querystring: Q({ ...PageQ, desc: QBool('Sort descending.'), sort: Type.Optional(Type.String()), start: DateTimeSchema(''), end: DateTimeSchema('') }),
      bodyName: 'get_model_snapshots',
      body: Body({ desc: Type.Optional(Type.Boolean()), sort: Type.Optional(Type.String()), page: PageB, start: DateTimeSchema(''), end: DateTimeSchema('') }),
      handler: async (req) => snapshotsOf(service, params(req).job_id, params(req).snapshot_id, { ...query(req), ...body(req), ...pageOf(req) }),
    },
    {
      method: 'POST',
      url: `${D}/:job_id/model_snapshots/:snapshot_id/_update`,
      operationId: 'ml.update_model_snapshot',
      tag: 'elastic',
      summary: 'Change a snapshot’s description or retain flag (retained snapshots outlive the retention settings).',
      permission: writeJob,
      params: Type.Object({ job_id: Type.String(), snapshot_id: Type.String() }, { additionalProperties: false }),
      querystring: Q({}),
      bodyName: 'update_model_snapshot',
      body: Body({ description: Type.Optional(Type.String()), retain: Type.Optional(Type.Boolean()) }),
      handler: async (req) => {
        const { job_id: jobId, snapshot_id: id } = params(req);
        await requireJobId(service, jobId);
        const snap = (await service.store.listSnapshots(jobId)).find((s) => s.snapshot_id === id);
        if (!snap) throw new VigilError('RESOURCE_NOT_FOUND', `No model snapshot with id [${id}] exists for job [${jobId}]`);
        const b = body(req);
        const next = { ...snap, ...(typeof b.description === 'string' ? { description: b.description } : {}), ...(typeof b.retain === 'boolean' ? { retain: b.retain } : {}) };
        await service.store.updateSnapshot(next);
        const model = (await service.modelSnapshots(jobId)).find((s) => s.snapshot_id === id);
        return { acknowledged: true, model };
      },
    },
    {
      method: 'DELETE',
      url: `${D}/:job_id/model_snapshots/:snapshot_id`,
      operationId: 'ml.delete_model_snapshot',
      tag: 'elastic',
      summary: 'Delete a model snapshot (not the job’s active one).',
      permission: writeJob,
      params: Type.Object({ job_id: Type.String(), snapshot_id: Type.String() }, { additionalProperties: false }),
      querystring: Q({}),
      handler: async (req) => {
        const { job_id: jobId, snapshot_id: id } = params(req);
        await requireJobId(service, jobId);
        if ((await service.activeSnapshotId(jobId)) === id) throw new VigilError('INVALID_ARGUMENT', `Model snapshot '${id}' is the active snapshot for job '${jobId}', so cannot be deleted`);
        if (!(await service.store.deleteSnapshot(jobId, id))) throw new VigilError('RESOURCE_NOT_FOUND', `No model snapshot with id [${id}] exists for job [${jobId}]`);
        return { acknowledged: true };
      },
    },
    {
      method: 'POST',
      url: `${D}/:job_id/model_snapshots/:snapshot_id/_revert`,
      operationId: 'ml.revert_model_snapshot',
      tag: 'elastic',
      summary: 'Make a closed job resume from this snapshot; with delete_intervening_results, results after it are deleted.',
      permission: writeJob,
      params: Type.Object({ job_id: Type.String(), snapshot_id: Type.String() }, { additionalProperties: false }),
      querystring: Q({ delete_intervening_results: QBool('Delete results (and model-change annotations) after the snapshot.') }),
      bodyName: 'revert_model_snapshot',
      body: Body({ delete_intervening_results: Type.Optional(Type.Boolean()) }),
      handler: async (req) => {
        const { job_id: jobId, snapshot_id: id } = params(req);
        const b = body(req);
        const del = typeof b.delete_intervening_results === 'boolean' ? b.delete_intervening_results : qbool(query(req).delete_intervening_results, false);
        await service.revertSnapshot(jobId, id, del);
        const model = (await service.modelSnapshots(jobId)).find((s) => s.snapshot_id === id);
        return { model };
      },
    },
    {
      method: 'POST',
      url: `${D}/:job_id/_reset`,
      operationId: 'ml.reset_job',
      tag: 'elastic',
      summary: 'Reset a closed job: model, results and model-change annotations are deleted, the configuration kept.',
      permission: writeJob,
      params: JobIdParam,
      querystring: Q({
        wait_for_completion: QBool('Accepted for compatibility (the reset is synchronous).'),
        delete_user_annotations: QBool('Delete user annotations too (default false).'),
      }),
      handler: async (req) => {
        await service.resetJob(params(req).job_id, qbool(query(req).delete_user_annotations, false));
        return { acknowledged: true };
      },
    },
    {
      method: 'POST',
      url: `${D}/_estimate_model_memory`,
      operationId: 'ml.estimate_model_memory',
      tag: 'elastic',
      summary: 'Estimate model_memory_limit from an analysis_config and field cardinalities (from this engine’s own per-entity costs).',
      permission: readAny,
      querystring: Q({}),
      bodyName: 'estimate_model_memory',
      body: Body({
        analysis_config: Type.Optional(Obj('bucket_span, detectors, influencers…')),
        overall_cardinality: Type.Optional(Type.Record(Type.String(), Type.Integer())),
        max_bucket_cardinality: Type.Optional(Type.Record(Type.String(), Type.Integer())),
      }),
      handler: async (req) => estimateModelMemory(body(req) as EstimateRequest),
    },

    // ---------------------------------------------------------------------------------------
    // annotations (Vigil's endpoint; Elastic keeps them in an index)
    {
      method: 'POST',
      url: `${V}/anomaly_detectors/:job_id/annotations`,
      operationId: 'vigil.put_annotation',
      tag: 'vigil',
      summary: 'Vigil extension: create a user annotation on a job and time range (Elastic’s annotation document).',
      permission: writeJob,
      params: JobIdParam,
      querystring: Q({}),
      bodyName: 'annotation',
      body: Obj('annotation (text), timestamp, end_timestamp, type (annotation|comment), detector_index, partition/over/by field name and value, username.'),
      handler: async (req, reply) => {
        reply.status(201);
        return ctl.createAnnotation(params(req).job_id, body(req));
      },
    },
    {
      method: 'GET',
      url: `${V}/anomaly_detectors/:job_id/annotations`,
      operationId: 'vigil.get_annotations',
      tag: 'vigil',
      summary: 'Vigil extension: a job’s annotations overlapping start–end, user ones and model changes (event=user|model_change).',
      permission: readJob,
      params: JobIdParam,
      querystring: Q({ ...PageQ, start: DateTimeSchema(''), end: DateTimeSchema(''), event: Type.Optional(Type.String()) }),
      handler: async (req) => {
        const q = query(req);
        return ctl.listAnnotations(params(req).job_id, { start: q.start, end: q.end, event: q.event as string | undefined, ...pageOf(req) });
      },
    },
    {
      method: 'PUT',
      url: `${V}/anomaly_detectors/:job_id/annotations/:annotation_id`,
      operationId: 'vigil.update_annotation',
      tag: 'vigil',
      summary: 'Vigil extension: change an annotation’s text, times, type or entity.',
      permission: writeJob,
      params: Type.Object({ job_id: Type.String(), annotation_id: Type.String() }, { additionalProperties: false }),
      querystring: Q({}),
      bodyName: 'annotation',
      body: Obj('Fields to change (as for create).'),
      handler: async (req) => ctl.updateAnnotation(params(req).job_id, params(req).annotation_id, body(req)),
    },
    {
      method: 'DELETE',
      url: `${V}/anomaly_detectors/:job_id/annotations/:annotation_id`,
      operationId: 'vigil.delete_annotation',
      tag: 'vigil',
      summary: 'Vigil extension: delete an annotation.',
      permission: writeJob,
      params: Type.Object({ job_id: Type.String(), annotation_id: Type.String() }, { additionalProperties: false }),
      querystring: Q({}),
      handler: async (req) => {
        await ctl.deleteAnnotation(params(req).job_id, params(req).annotation_id);
        return { acknowledged: true };
      },
    },

    // ---------------------------------------------------------------------------------------
    // bucket span suggestion
    {
      method: 'POST',
      url: `${V}/anomaly_detectors/_suggest_bucket_span`,
      operationId: 'vigil.suggest_bucket_span',
      tag: 'vigil',
      summary: 'Vigil extension: a bucket_span for a detector from a sample of documents (their time resolution and rate per series).',
      permission: readAny,
      querystring: Q({}),
      bodyName: 'suggest_bucket_span',
      body: Body({
        docs: Type.Array(Type.Object({}, { additionalProperties: true }), { minItems: 1, maxItems: 1_000_000, description: 'Sample documents.' }),
        time_field: Type.String(),
        function: Type.Optional(Type.String({ description: 'Detector function (default mean).' })),
        partition_field_name: Type.Optional(Type.String({ description: 'Split field: the rate is per series.' })),
      }),
      handler: async (req) => {
        const b = body(req) as { docs: Record<string, unknown>[]; time_field: string; function?: string; partition_field_name?: string };
        const times: number[] = [];
        const series = new Set<string>();
        for (const d of b.docs) {
          const t = readTimeParam(d[b.time_field] as number | string);
          if (Number.isFinite(t)) times.push(t);
          if (b.partition_field_name) series.add(String(d[b.partition_field_name]));
        }
        if (times.length < 2) throw new VigilError('INVALID_ARGUMENT', `need at least two documents with a valid [${b.time_field}], got ${times.length}`);
        times.sort((x, y) => x - y);
        const perSeries = new Map<string, number[]>();
        if (b.partition_field_name) {
          for (const d of b.docs) {
            const t = readTimeParam(d[b.time_field] as number | string);
            if (!Number.isFinite(t)) continue;
            const k = String(d[b.partition_field_name]);
            (perSeries.get(k) ?? perSeries.set(k, []).get(k)!).push(t);
          }
        }
        const sample = perSeries.size > 0 ? [...perSeries.values()].sort((x, y) => y.length - x.length)[0] : times;
        const resolutionMs = inferResolution(sample);
        const durationMs = times[times.length - 1] - times[0];
        const s = suggestBucketSpan({ resolutionMs, count: times.length, durationMs, function: b.function ?? 'mean', series: Math.max(1, series.size) });
        return { bucket_span: formatTimeValue(s.spanMs), reason: s.reason, records_per_bucket: Number.isFinite(s.recordsPerBucket) ? s.recordsPerBucket : null, resolution: formatTimeValue(resolutionMs), documents: times.length };
      },
    },
  ];
}
