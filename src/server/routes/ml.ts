/**
 * Elastic's `_ml` anomaly-detection job APIs (jobs, data, flush, stats, results, snapshots), with
 * Elastic's parameters, bodies, responses and errors, plus Vigil's model-plot results endpoint.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import { jobSettings, validateDetector, validateJobConfig } from '../../engine/job/index.js';
import type { FlushOptions } from '../jobs/engine-port.js';
import type { JobService } from '../jobs/job-service.js';
import {
  getBuckets,
  getInfluencers,
  getModelPlot,
  getOverallBuckets,
  getRecords,
  mergeParams,
  pageOf,
  type ResultsParams,
} from '../jobs/results-query.js';
import { parseTimeParam } from '../jobs/time-param.js';
import { snapshotsOf } from '../control/routes.js';
import { datafeedsFor } from '../datafeeds/routes.js';
import { COMMON_QUERY, DateTimeSchema, JobIdParam, QBool, qbool, type RouteSpec } from '../route-spec.js';

const D = '/_ml/anomaly_detectors';
const Q = (props: Record<string, TSchema>) => Type.Object({ ...COMMON_QUERY, ...props }, { additionalProperties: false });
const Body = (props: Record<string, TSchema>) => Type.Object(props, { additionalProperties: false });

const Page = Type.Optional(
  Type.Object(
    {
      from: Type.Optional(Type.Integer({ description: 'Skips this many results (default 0).' })),
      size: Type.Optional(Type.Integer({ description: 'Returns at most this many results (default 100; from + size ≤ 10000).' })),
    },
    { additionalProperties: false },
  ),
);

const params = (req: FastifyRequest): Record<string, string> => req.params as Record<string, string>;
const query = (req: FastifyRequest): Record<string, unknown> => (req.query as Record<string, unknown>) ?? {};
const body = (req: FastifyRequest): Record<string, unknown> => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});

/** A results endpoint's job ids: one job, a list, groups or wildcards; unknown explicit ids → 404. */
async function resultJobs(service: JobService, expr: string): Promise<string[]> {
  return service.expand(expr, true);
}

const JobPutBody = Type.Object(
  {
    job_id: Type.Optional(Type.String({ description: 'Must equal the path id when given (the v8 client sends it).' })),
    description: Type.Optional(Type.String()),
    groups: Type.Optional(Type.Array(Type.String())),
    analysis_config: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'bucket_span, detectors, influencers, latency, summary_count_field_name, model_prune_window… (validated with Elastic rules).' })),
    analysis_limits: Type.Optional(Type.Object({}, { additionalProperties: true })),
    data_description: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'time_field, time_format (epoch, epoch_ms or a pattern), format.' })),
    model_plot_config: Type.Optional(Type.Object({}, { additionalProperties: true })),
    datafeed_config: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Validated, stored and returned; not run.' })),
  },
  { additionalProperties: true, description: 'An Elastic anomaly-detection job configuration; every field is validated by the job engine with Elastic’s rules and messages (unknown fields are refused).' },
);

function flushOptions(p: Record<string, unknown>): FlushOptions {
  const has = (k: string): boolean => p[k] !== undefined && p[k] !== '';
  const calcInterim = qbool(p.calc_interim, false);
  if (!calcInterim) {
    for (const k of ['start', 'end']) if (has(k)) throw new VigilError('INVALID_ARGUMENT', `Invalid flush parameters: unexpected '${k}'.`);
  } else if (has('end') && !has('start')) {
    throw new VigilError('INVALID_ARGUMENT', `Invalid flush parameters: 'start' has not been specified.`);
  }
  const o: FlushOptions = { calcInterim };
  if (has('start')) o.start = parseTimeParam('start', p.start);
  if (has('end')) o.end = parseTimeParam('end', p.end);
  if (o.start !== undefined && o.end !== undefined && o.end < o.start) {
    throw new VigilError('INVALID_ARGUMENT', `Invalid time range: end time '${String(p.end)}' is earlier than start time '${String(p.start)}'.`);
  }
  if (has('advance_time')) o.advanceTime = parseTimeParam('advance_time', p.advance_time);
  if (has('skip_time')) o.skipTime = parseTimeParam('skip_time', p.skip_time);
  return o;
}

/**
 * Elastic's get categories, for a Vigil job: Vigil has no log categorization (a job configuration
 * with categorization_field_name, categorization_filters, categorization_analyzer or mlcategory is
 * refused), so every job has no category definitions and Elastic answers such a job with an empty
 * page. The request is checked as Elastic's RestGetCategoriesAction and GetCategoriesAction.Request
 * do (category_id a long, not together with from/size; paging limits), then the job must exist
 * (one id, not an expression: 404 otherwise).
 */
async function getCategories(service: JobService, req: FastifyRequest): Promise<{ count: number; categories: unknown[] }> {
  const q = query(req);
  // a body without fields reads as no body (the server hands routes {} when none was sent)
  const b = req.body && typeof req.body === 'object' && Object.keys(req.body).length > 0 ? (req.body as Record<string, unknown>) : undefined;
  const pathId = params(req).category_id;
  if (pathId !== undefined && !/^[+-]?\d+$/.test(pathId)) throw new VigilError('INVALID_ARGUMENT', `For input string: "${pathId}"`);
  const categoryId = pathId ?? (b?.category_id as number | undefined);
  // with a body, Elastic reads the page from it; without one, from/size (defaults when no category_id)
  const page = b ? b.page : q.from !== undefined || q.size !== undefined || categoryId === undefined ? { from: q.from, size: q.size } : undefined;
  if (categoryId !== undefined && page !== undefined) {
    // Elastic names the setting that came second: the path's category_id after a body's page, a
    // body's fields in their order, from/size parameters after the path's category_id
    const keys = b ? Object.keys(b) : [];
    const idLast = b !== undefined && (pathId !== undefined || keys.indexOf('category_id') > keys.indexOf('page'));
    throw new VigilError('INVALID_ARGUMENT', idLast ? 'Param [category_id] is incompatible with [from, size].' : 'Param [from, size] is incompatible with [category_id].');
  }
  if (categoryId === undefined && page === undefined) throw new VigilError('INVALID_ARGUMENT', 'Validation Failed: 1: Both [category_id] and [from, size] cannot be null;');
  if (page !== undefined) pageOf({ page: page as ResultsParams['page'] });
  await service.jobConfig(params(req).job_id);
  return { count: 0, categories: [] };
}

export function mlRoutes(service: JobService, o: { version: string }): RouteSpec[] {
  const resultsQuery = {
    start: DateTimeSchema('Results at or after this time.'),
    end: DateTimeSchema('Results before this time.'),
    exclude_interim: QBool('Leave out interim results.'),
    desc: QBool('Sort in descending order.'),
    sort: Type.Optional(Type.String({ description: 'Field to sort by.' })),
    from: Type.Optional(Type.Integer({ description: 'Skips this many results.' })),
    size: Type.Optional(Type.Integer({ description: 'Returns at most this many results.' })),
  };
  const resultsBody = {
    start: DateTimeSchema('Results at or after this time.'),
    end: DateTimeSchema('Results before this time.'),
    exclude_interim: Type.Optional(Type.Boolean()),
    desc: Type.Optional(Type.Boolean()),
    sort: Type.Optional(Type.String()),
    page: Page,
  };
  /** Jobs or their stats, counted: the path's expression (none on the collection routes: every job). */
  const jobList =
    (list: (expr: string | undefined, allowNoMatch: boolean) => Promise<unknown[]>) =>
    async (req: FastifyRequest): Promise<{ count: number; jobs: unknown[] }> => {
      const jobs = await list(params(req).job_id, qbool(query(req).allow_no_match, true));
      return { count: jobs.length, jobs };
    };
  /** A results endpoint: the path's jobs (unknown explicit ids → 404), then the query and body parameters merged. */
  const results =
    (get: (ids: string[], p: ResultsParams, req: FastifyRequest) => Promise<unknown>) =>
    async (req: FastifyRequest): Promise<unknown> =>
      get(await resultJobs(service, params(req).job_id), mergeParams(query(req), body(req)), req);

  const routes: RouteSpec[] = [
    {
      method: 'GET',
      url: '/_ml/info',
      operationId: 'ml.info',
      tag: 'elastic',
      summary: 'Machine learning defaults and limits.',
      querystring: Q({}),
      handler: async () => ({
        defaults: {
          anomaly_detectors: {
            model_memory_limit: '1024mb',
            categorization_examples_limit: 4,
            model_snapshot_retention_days: 10,
            daily_model_snapshot_retention_after_days: 1,
          },
          datafeeds: { scroll_size: 1000 },
        },
        upgrade_mode: false,
        native_code: { version: o.version, build_hash: 'vigil' },
        limits: { max_single_ml_node_processors: 1, total_ml_processors: 1 },
      }),
    },
    {
      method: 'PUT',
      url: `${D}/:job_id`,
      operationId: 'ml.put_job',
      tag: 'elastic',
      summary: 'Create an anomaly detection job.',
      params: JobIdParam,
      querystring: Q({
        allow_no_indices: QBool('Accepted for compatibility (datafeeds are not run).'),
        expand_wildcards: Type.Optional(Type.String()),
        ignore_throttled: QBool('Accepted for compatibility.'),
        ignore_unavailable: QBool('Accepted for compatibility.'),
      }),
      bodyName: 'job_details',
      body: JobPutBody,
      response: { description: 'The job as stored, in Elastic’s shape.' },
      handler: async (req) => service.putJob(params(req).job_id, req.body),
    },
    {
      method: 'GET',
      url: D,
      operationId: 'ml.get_jobs',
      tag: 'elastic',
      summary: 'Get every anomaly detection job.',
      querystring: Q({ allow_no_match: QBool('Allow an expression that matches nothing (default true).'), exclude_generated: QBool('Accepted for compatibility.') }),
      handler: jobList((expr, allowNoMatch) => service.getJobs(expr, allowNoMatch)),
    },
    {
      method: 'GET',
      url: `${D}/:job_id`,
      operationId: 'ml.get_jobs',
      tag: 'elastic',
      summary: 'Get anomaly detection jobs by id, group, comma list or wildcard.',
      params: JobIdParam,
      querystring: Q({ allow_no_match: QBool('Allow an expression that matches nothing (default true).'), exclude_generated: QBool('Accepted for compatibility.') }),
      handler: jobList((expr, allowNoMatch) => service.getJobs(expr, allowNoMatch)),
    },
    {
      method: 'DELETE',
      url: `${D}/:job_id`,
      operationId: 'ml.delete_job',
      tag: 'elastic',
      summary: 'Delete a job with its results and snapshots (an open job only with force).',
      params: JobIdParam,
      querystring: Q({
        force: QBool('Delete an open job.'),
        wait_for_completion: QBool('Accepted for compatibility (deletion is synchronous).'),
        delete_user_annotations: QBool('Accepted for compatibility.'),
      }),
      handler: async (req) => {
        const jobId = params(req).job_id;
        const force = qbool(query(req).force);
        // as Elastic: the job's datafeed is deleted first, with the same force (only once the job
        // itself may go: it exists, and is closed unless forced)
        await service.jobConfig(jobId);
        if (!force && service.isOpen(jobId)) throw new VigilError('JOB_STATE_CONFLICT', `Cannot delete job [${jobId}] because the job is opened`);
        await datafeedsFor(service).datafeeds.deleteForJob(jobId, force);
        await service.deleteJob(jobId, force);
        return { acknowledged: true };
      },
    },
    {
      method: 'POST',
      url: `${D}/:job_id/_update`,
      operationId: 'ml.update_job',
      tag: 'elastic',
      summary: 'Update a job’s updatable settings.',
      params: JobIdParam,
      querystring: Q({}),
      bodyName: 'job_update',
      body: Type.Object({}, { additionalProperties: true, description: 'groups, description, detectors (description, custom_rules), model_plot_config, analysis_limits, background_persist_interval, renormalization_window_days, results_retention_days, model_snapshot_retention_days, daily_model_snapshot_retention_after_days, custom_settings, allow_lazy_open, model_prune_window.' }),
      handler: async (req) => service.updateJob(params(req).job_id, req.body),
    },
    {
      method: 'POST',
      url: `${D}/:job_id/_open`,
      operationId: 'ml.open_job',
      tag: 'elastic',
      summary: 'Open a job (restores its newest model snapshot).',
      params: JobIdParam,
      querystring: Q({ timeout: Type.Optional(Type.String({ description: 'Accepted for compatibility.' })) }),
      bodyName: 'open_job',
      body: Body({ timeout: Type.Optional(Type.String()), job_id: Type.Optional(Type.String()) }),
      handler: async (req) => service.openJob(params(req).job_id),
    },
    {
      method: 'POST',
      url: `${D}/:job_id/_close`,
      operationId: 'ml.close_job',
      tag: 'elastic',
      summary: 'Close jobs (ids, groups, wildcards, _all); persists the model unless force.',
      params: JobIdParam,
      querystring: Q({
        force: QBool('Close without persisting the model (the write-ahead log keeps the data).'),
        allow_no_match: QBool('Allow an expression that matches nothing (default true).'),
        allow_no_jobs: QBool('Deprecated name of allow_no_match.'),
        timeout: Type.Optional(Type.String()),
      }),
      bodyName: 'close_job',
      body: Body({ force: Type.Optional(Type.Boolean()), allow_no_match: Type.Optional(Type.Boolean()), timeout: Type.Optional(Type.String()), job_id: Type.Optional(Type.String()) }),
      handler: async (req) => {
        const p = mergeParams(query(req), body(req)) as Record<string, unknown>;
        const o = { force: qbool(p.force), allowNoMatch: qbool(p.allow_no_match ?? p.allow_no_jobs, true) };
        // as Elastic: the datafeeds of the jobs are stopped first, with the same force
        await datafeedsFor(service).datafeeds.stopForJobs(await service.expand(params(req).job_id, o.allowNoMatch), { force: o.force });
        return service.closeJobs(params(req).job_id, o);
      },
    },
    {
      method: 'POST',
      url: `${D}/:job_id/_data`,
      operationId: 'ml.post_data',
      tag: 'elastic',
      summary: 'Send data to an open job: newline-delimited JSON documents or a JSON array. Durable before the reply.',
      params: JobIdParam,
      querystring: Q({ reset_start: DateTimeSchema('Accepted for compatibility.'), reset_end: DateTimeSchema('Accepted for compatibility.') }),
      bodyKind: 'data',
      rawBody: {
        contentTypes: ['application/x-ndjson', 'application/vnd.elasticsearch+x-ndjson', 'application/json'],
        description: 'One JSON document per line (or whitespace-separated documents), or one JSON array of documents.',
      },
      response: { description: 'The job’s data_counts after the batch.' },
      handler: async (req) => service.postData(params(req).job_id, req.body as Buffer),
    },
    {
      method: 'POST',
      url: `${D}/:job_id/_flush`,
      operationId: 'ml.flush_job',
      tag: 'elastic',
      summary: 'Flush a job: interim results, advance or skip time.',
      params: JobIdParam,
      querystring: Q({
        calc_interim: QBool('Calculate interim results for the latest buckets.'),
        start: DateTimeSchema('Start of the interim results range (with calc_interim).'),
        end: DateTimeSchema('End of the interim results range (with calc_interim).'),
        advance_time: DateTimeSchema('Finalise buckets up to this time.'),
        skip_time: DateTimeSchema('Skip to this time without results.'),
      }),
      bodyName: 'flush_job',
      body: Body({
        calc_interim: Type.Optional(Type.Boolean()),
        start: DateTimeSchema('See the query parameter.'),
        end: DateTimeSchema('See the query parameter.'),
        advance_time: DateTimeSchema('See the query parameter.'),
        skip_time: DateTimeSchema('See the query parameter.'),
      }),
      handler: async (req) => service.flushJob(params(req).job_id, flushOptions(mergeParams(query(req), body(req)) as Record<string, unknown>)),
    },
    {
      method: 'GET',
      url: `${D}/_stats`,
      operationId: 'ml.get_job_stats',
      tag: 'elastic',
      summary: 'Usage statistics of every job.',
      querystring: Q({ allow_no_match: QBool('Allow an expression that matches nothing (default true).') }),
      handler: jobList((expr, allowNoMatch) => service.stats(expr, allowNoMatch)),
    },
    {
      method: 'GET',
      url: `${D}/:job_id/_stats`,
      operationId: 'ml.get_job_stats',
      tag: 'elastic',
      summary: 'Usage statistics of jobs: data_counts, model_size_stats, timing_stats, state, node, open_time.',
      params: JobIdParam,
      querystring: Q({ allow_no_match: QBool('Allow an expression that matches nothing (default true).') }),
      handler: jobList((expr, allowNoMatch) => service.stats(expr, allowNoMatch)),
    },
    {
      method: ['GET', 'POST'],
      url: `${D}/:job_id/results/buckets`,
      operationId: 'ml.get_buckets',
      tag: 'elastic',
      summary: 'Bucket results.',
      params: JobIdParam,
      querystring: Q({ ...resultsQuery, anomaly_score: Type.Optional(Type.Number({ description: 'Minimum anomaly_score.' })), expand: QBool('Include the bucket’s records.') }),
      bodyName: 'get_buckets',
      body: Body({ ...resultsBody, anomaly_score: Type.Optional(Type.Number()), expand: Type.Optional(Type.Boolean()), timestamp: DateTimeSchema('A single bucket.') }),
      handler: results((ids, p) => {
        const ts = (p as { timestamp?: unknown }).timestamp;
        return getBuckets(service.store, ids, p, ts === undefined ? undefined : String(ts));
      }),
    },
    {
      method: ['GET', 'POST'],
      url: `${D}/:job_id/results/buckets/:timestamp`,
      operationId: 'ml.get_buckets',
      tag: 'elastic',
      summary: 'One bucket result by timestamp.',
      params: Type.Object({ job_id: Type.String(), timestamp: Type.String({ description: 'Epoch ms, epoch seconds or ISO 8601.' }) }, { additionalProperties: false }),
      querystring: Q({ ...resultsQuery, anomaly_score: Type.Optional(Type.Number()), expand: QBool('Include the bucket’s records.') }),
      bodyName: 'get_buckets',
      body: Body({ ...resultsBody, anomaly_score: Type.Optional(Type.Number()), expand: Type.Optional(Type.Boolean()) }),
      handler: results((ids, p, req) => getBuckets(service.store, ids, p, params(req).timestamp)),
    },
    {
      method: ['GET', 'POST'],
      url: `${D}/:job_id/results/records`,
      operationId: 'ml.get_records',
      tag: 'elastic',
      summary: 'Anomaly records (default: by record_score, descending).',
      params: JobIdParam,
      querystring: Q({ ...resultsQuery, record_score: Type.Optional(Type.Number({ description: 'Minimum record_score.' })) }),
      bodyName: 'get_records',
      body: Body({ ...resultsBody, record_score: Type.Optional(Type.Number()) }),
      handler: results((ids, p) => getRecords(service.store, ids, p)),
    },
    {
      method: ['GET', 'POST'],
      url: `${D}/:job_id/results/influencers`,
      operationId: 'ml.get_influencers',
      tag: 'elastic',
      summary: 'Influencer results (default: by influencer_score, descending).',
      params: JobIdParam,
      querystring: Q({ ...resultsQuery, influencer_score: Type.Optional(Type.Number({ description: 'Minimum influencer_score.' })) }),
      bodyName: 'get_influencers',
      body: Body({ ...resultsBody, influencer_score: Type.Optional(Type.Number()) }),
      handler: results((ids, p) => getInfluencers(service.store, ids, p)),
    },
    {
      method: ['GET', 'POST'],
      url: `${D}/:job_id/results/overall_buckets`,
      operationId: 'ml.get_overall_buckets',
      tag: 'elastic',
      summary: 'Overall buckets across jobs (ids, groups, wildcards, _all): mean of the top_n job scores per bucket_span.',
      params: JobIdParam,
      querystring: Q({
        top_n: Type.Optional(Type.Integer({ description: 'Number of top job scores averaged (default 1).' })),
        bucket_span: Type.Optional(Type.String({ description: 'Span of the overall buckets (default: the largest job bucket_span).' })),
        overall_score: Type.Optional(Type.Number({ description: 'Minimum overall_score.' })),
        exclude_interim: QBool('Leave out interim results.'),
        start: DateTimeSchema('Overall buckets at or after this time.'),
        end: DateTimeSchema('Overall buckets before this time.'),
        allow_no_match: QBool('Allow an expression that matches nothing (default true).'),
        allow_no_jobs: QBool('Deprecated name of allow_no_match.'),
      }),
      bodyName: 'get_overall_buckets',
      body: Body({
        top_n: Type.Optional(Type.Integer()),
        bucket_span: Type.Optional(Type.String()),
        overall_score: Type.Optional(Type.Union([Type.Number(), Type.String()])),
        exclude_interim: Type.Optional(Type.Boolean()),
        start: DateTimeSchema('See the query parameter.'),
        end: DateTimeSchema('See the query parameter.'),
        allow_no_match: Type.Optional(Type.Boolean()),
        allow_no_jobs: Type.Optional(Type.Boolean()),
      }),
      handler: async (req) => {
        const p = mergeParams(query(req), body(req)) as Record<string, unknown>;
        const ids = await service.expand(params(req).job_id, qbool(p.allow_no_match ?? p.allow_no_jobs, true));
        const jobs = await Promise.all(ids.map(async (id) => ({ job_id: id, bucketSpanMs: jobSettings(await service.jobConfig(id)).bucketSpanMs })));
        return getOverallBuckets(service.store, jobs, p);
      },
    },
    {
      method: ['GET', 'POST'],
      url: `${D}/:job_id/results/model_plot`,
      operationId: 'vigil.get_model_plot',
      tag: 'vigil',
      summary: 'Vigil extension: model-plot documents (actual, model_median, model_lower, model_upper per bucket and entity) for jobs with model_plot_config enabled.',
      params: JobIdParam,
      querystring: Q({
        ...resultsQuery,
        detector_index: Type.Optional(Type.Integer({ description: 'Only this detector.' })),
        partition_field_value: Type.Optional(Type.String({ description: 'Only this partition.' })),
        by_field_value: Type.Optional(Type.String({ description: 'Only this by-field value.' })),
        over_field_value: Type.Optional(Type.String({ description: 'Only this over-field value.' })),
      }),
      bodyName: 'get_model_plot',
      body: Body({
        ...resultsBody,
        detector_index: Type.Optional(Type.Integer()),
        partition_field_value: Type.Optional(Type.String()),
        by_field_value: Type.Optional(Type.String()),
        over_field_value: Type.Optional(Type.String()),
      }),
      response: { description: '{ count, model_plot: [...] }, sorted by timestamp (ascending unless desc).' },
      handler: results((ids, p) => getModelPlot(service.store, ids, p)),
    },
    ...(['', '/:category_id'] as const).map(
      (suffix): RouteSpec => ({
        method: ['GET', 'POST'],
        url: `${D}/:job_id/results/categories${suffix}`,
        operationId: 'ml.get_categories',
        tag: 'elastic',
        summary: suffix
          ? 'One category definition by id. Vigil has no log categorization (jobs cannot have categorization_field_name), so an existing job has none: { count: 0, categories: [] }; an unknown job answers 404.'
          : 'Category definitions of a job. Vigil has no log categorization (jobs cannot have categorization_field_name), so an existing job answers { count: 0, categories: [] } (paging checked as Elastic does); an unknown job answers 404.',
        params: suffix
          ? Type.Object({ job_id: Type.String({ description: 'One job id.' }), category_id: Type.String({ description: 'A category id (a long).' }) }, { additionalProperties: false })
          : Type.Object({ job_id: Type.String({ description: 'One job id.' }) }, { additionalProperties: false }),
        querystring: Q({
          from: Type.Optional(Type.Integer({ description: 'Skips this many categories (default 0; not with a category_id).' })),
          size: Type.Optional(Type.Integer({ description: 'Returns at most this many categories (default 100; not with a category_id).' })),
          partition_field_value: Type.Optional(Type.String({ description: 'Only categories of this partition.' })),
        }),
        // Elastic's parser names itself after the action in body errors
        bodyName: 'cluster:monitor/xpack/ml/job/results/categories/get',
        body: Body({
          job_id: Type.Optional(Type.String()),
          category_id: Type.Optional(Type.Integer()),
          page: Page,
          partition_field_value: Type.Optional(Type.String()),
        }),
        response: { description: '{ count, categories: [...] } (always empty in Vigil).' },
        permission: { privilege: 'read', job: 'job_id' },
        handler: async (req) => getCategories(service, req),
      }),
    ),
    {
      method: ['GET', 'POST'],
      url: `${D}/:job_id/model_snapshots`,
      operationId: 'ml.get_model_snapshots',
      tag: 'elastic',
      summary: 'Model snapshots of a job; start/end on the snapshot time, sort (default timestamp) ascending unless desc, paging.',
      params: JobIdParam,
      querystring: Q({ from: Type.Optional(Type.Integer()), size: Type.Optional(Type.Integer()), desc: QBool('Sort descending.'), sort: Type.Optional(Type.String()), start: DateTimeSchema(''), end: DateTimeSchema('') }),
      bodyName: 'get_model_snapshots',
      body: Body({ desc: Type.Optional(Type.Boolean()), sort: Type.Optional(Type.String()), page: Page, start: DateTimeSchema(''), end: DateTimeSchema('') }),
      handler: async (req) => {
        const b = body(req);
        const page = (b.page as { from?: number; size?: number } | undefined) ?? {};
        return snapshotsOf(service, params(req).job_id, undefined, { ...query(req), ...b, from: page.from ?? query(req).from, size: page.size ?? query(req).size });
      },
    },
    {
      method: 'POST',
      url: `${D}/_validate`,
      operationId: 'ml.validate',
      tag: 'elastic',
      summary: 'Validate a job configuration without creating it.',
      querystring: Q({}),
      bodyName: 'job_details',
      body: JobPutBody,
      handler: async (req) => {
        const b = body(req);
        validateJobConfig(typeof b.job_id === 'string' ? b.job_id : 'validate', b);
        return { acknowledged: true };
      },
    },
    {
      method: 'POST',
      url: `${D}/_validate/detector`,
      operationId: 'ml.validate_detector',
      tag: 'elastic',
      summary: 'Validate a detector.',
      querystring: Q({}),
      bodyName: 'detector',
      body: Type.Object({}, { additionalProperties: true }),
      handler: async (req) => {
        validateDetector(req.body);
        return { acknowledged: true };
      },
    },
  ];
  return routes;
}

