/**
 * Forecast routes: Elastic's `POST _ml/anomaly_detectors/<id>/_forecast` and `DELETE …/_forecast[/<ids>]`,
 * and Vigil's read routes for the stored forecasts (Elastic users read them from the results index):
 * `GET|POST …/results/forecast` (one forecast's model_forecast documents) and
 * `GET …/results/forecast_stats` (the job's forecasts). The work is in forecast-service.ts.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import type { ForecastRequest } from '../../engine/forecast/index.js';
import type { JobService } from '../jobs/job-service.js';
import { mergeParams } from '../jobs/results-query.js';
import { parseTimeParam } from '../jobs/time-param.js';
import { COMMON_QUERY, DateTimeSchema, QBool, qbool, type RouteSpec } from '../route-spec.js';
import { ForecastService } from './forecast-service.js';

const D = '/_ml/anomaly_detectors';
const Q = (props: Record<string, TSchema>) => Type.Object({ ...COMMON_QUERY, ...props }, { additionalProperties: false });
const TimeValue = (description: string): TSchema => Type.Optional(Type.Union([Type.String(), Type.Integer()], { description }));
const JobParam = Type.Object({ job_id: Type.String({ description: 'Job id.' }) }, { additionalProperties: false });

const params = (req: FastifyRequest): Record<string, string> => req.params as Record<string, string>;
const query = (req: FastifyRequest): Record<string, unknown> => (req.query as Record<string, unknown>) ?? {};
const body = (req: FastifyRequest): Record<string, unknown> => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});

const FORECAST_PARAMS = {
  duration: TimeValue('How far ahead to forecast (time value such as 3d; default 1d; at least the bucket span, at most 3650d).'),
  expires_in: TimeValue('How long the forecast is kept (default 14d; 0 keeps it until deleted).'),
  max_model_memory: Type.Optional(Type.Union([Type.String(), Type.Integer()], { description: 'Memory the forecast may use (byte size such as 20mb; at least 1mb, under 500mb and under 40 % of the job’s model_memory_limit, else reduced with a message).' })),
};

const num = (v: unknown, name: string): number | undefined => {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new VigilError('INVALID_ARGUMENT', `Failed to parse [${name}] with value [${String(v)}]`);
  return n;
};
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

export function forecastRoutes(service: JobService): RouteSpec[] {
  const forecasts = new ForecastService(service);
  const readQuery = {
    forecast_id: Type.Optional(Type.String({ description: 'The forecast (default: the newest one).' })),
    start: DateTimeSchema('Forecast buckets at or after this time.'),
    end: DateTimeSchema('Forecast buckets before this time.'),
    detector_index: Type.Optional(Type.Integer({ description: 'Only this detector.' })),
    partition_field_value: Type.Optional(Type.String({ description: 'Only this partition.' })),
    by_field_value: Type.Optional(Type.String({ description: 'Only this by-field value.' })),
    from: Type.Optional(Type.Integer({ description: 'Skips this many documents (default 0).' })),
    size: Type.Optional(Type.Integer({ description: 'Returns at most this many documents (default 10000; from + size ≤ 10000).' })),
  };
  const read = async (req: FastifyRequest) => {
    const p = mergeParams(query(req), body(req)) as Record<string, unknown>;
    return forecasts.read(params(req).job_id, {
      forecastId: str(p.forecast_id),
      start: p.start === undefined ? undefined : parseTimeParam('start', p.start),
      end: p.end === undefined ? undefined : parseTimeParam('end', p.end),
      detectorIndex: num(p.detector_index, 'detector_index'),
      partitionFieldValue: str(p.partition_field_value),
      byFieldValue: str(p.by_field_value),
      from: num(p.from, 'from'),
      size: num(p.size, 'size'),
    });
  };
  return [
    {
      method: 'POST',
      url: `${D}/:job_id/_forecast`,
      operationId: 'ml.forecast',
      tag: 'elastic',
      summary:
        'Forecast an open job: per modelled series (detector × partition × by value) the predicted bucket value and its 95 % bounds for each future bucket, from the series’ kept bucket history (the last three weeks of buckets, 336–2 016). Runs before it answers; read the result with results/forecast.',
      params: JobParam,
      querystring: Q(FORECAST_PARAMS),
      bodyName: 'forecast_job',
      body: Type.Object({ job_id: Type.Optional(Type.String()), ...FORECAST_PARAMS }, { additionalProperties: false }),
      response: { description: '{ acknowledged: true, forecast_id }.' },
      handler: async (req) => {
        const jobId = params(req).job_id;
        const b = body(req);
        if (b.job_id !== undefined && b.job_id !== jobId) {
          throw new VigilError('INVALID_ARGUMENT', `Inconsistent job_id; '${String(b.job_id)}' specified in the body differs from '${jobId}' specified as a URL argument`);
        }
        // as Elastic: a body replaces the query parameters
        const src = Object.keys(b).some((k) => k !== 'job_id') ? b : query(req);
        const request: ForecastRequest = {};
        for (const k of ['duration', 'expires_in', 'max_model_memory'] as const) if (src[k] !== undefined && src[k] !== '') request[k] = src[k] as string | number;
        return forecasts.forecast(jobId, request);
      },
    },
    ...(['', '/:forecast_id'] as const).map(
      (suffix): RouteSpec => ({
        method: 'DELETE',
        url: `${D}/:job_id/_forecast${suffix}`,
        operationId: 'ml.delete_forecast',
        tag: 'elastic',
        summary: suffix
          ? 'Delete forecasts of a job: an id, a comma list, wildcards or _all.'
          : 'Delete every forecast of a job.',
        params: suffix ? Type.Object({ job_id: Type.String({ description: 'Job id.' }), forecast_id: Type.String({ description: 'Forecast ids (comma list, wildcards) or _all.' }) }, { additionalProperties: false }) : JobParam,
        querystring: Q({
          allow_no_forecasts: QBool('With _all (or no id): answer acknowledged when the job has no forecasts (default true); else 404.'),
          timeout: Type.Optional(Type.String({ description: 'Accepted for compatibility (deletion is synchronous).' })),
        }),
        handler: async (req) => forecasts.delete(params(req).job_id, params(req).forecast_id, qbool(query(req).allow_no_forecasts, true)),
      }),
    ),
    {
      method: ['GET', 'POST'],
      url: `${D}/:job_id/results/forecast`,
      operationId: 'vigil.get_forecast',
      tag: 'vigil',
      summary:
        'Vigil extension: a forecast’s model_forecast documents (timestamp, forecast_prediction, forecast_lower, forecast_upper at 95 %, detector_index, partition/by field values) sorted by timestamp then series, with its request stats. Elastic keeps them in its results index.',
      params: JobParam,
      querystring: Q(readQuery),
      bodyName: 'get_forecast',
      body: Type.Object(
        {
          forecast_id: Type.Optional(Type.String()),
          start: DateTimeSchema('See the query parameter.'),
          end: DateTimeSchema('See the query parameter.'),
          detector_index: Type.Optional(Type.Integer()),
          partition_field_value: Type.Optional(Type.String()),
          by_field_value: Type.Optional(Type.String()),
          page: Type.Optional(Type.Object({ from: Type.Optional(Type.Integer()), size: Type.Optional(Type.Integer()) }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
      response: { description: '{ count, forecast: <model_forecast_request_stats>, model_forecast: [...] }; 404 for an unknown or expired forecast.' },
      handler: async (req) => {
        const b = body(req);
        const page = (b.page as { from?: number; size?: number } | undefined) ?? {};
        req.body = { ...b, page: undefined, from: page.from, size: page.size };
        return read(req);
      },
    },
    {
      method: 'GET',
      url: `${D}/:job_id/results/forecast_stats`,
      operationId: 'vigil.get_forecast_stats',
      tag: 'vigil',
      summary: 'Vigil extension: the job’s forecasts (model_forecast_request_stats documents: forecast_id, status, start/end, create and expiry times, records, messages), oldest first.',
      params: JobParam,
      querystring: Q({}),
      response: { description: '{ count, forecasts: [...] }.' },
      handler: async (req) => {
        const list = await forecasts.list(params(req).job_id);
        return { count: list.length, forecasts: list };
      },
    },
  ];
}
