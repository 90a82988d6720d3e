/**
 * How a route is declared: method, path, the JSON Schemas (TypeBox) of its path parameters, query
 * string and body, and its handler. The same declaration registers the route with fastify (which
 * validates with those schemas) and generates the OpenAPI document (openapi.ts), so the two cannot
 * drift apart.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Permission } from './security/roles.js';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';

export interface RouteSpec {
  method: HttpMethod | HttpMethod[];
  /** fastify path, e.g. `/_ml/anomaly_detectors/:job_id/_open`. */
  url: string;
  /** Elastic's API name (`ml.open_job`) or a Vigil one (`vigil.health`). */
  operationId: string;
  summary: string;
  /** `elastic` for Elastic-compatible APIs, `vigil` for Vigil extensions. */
  tag: 'elastic' | 'vigil';
  /** Name used in body parse errors, as Elastic's parsers name themselves (`get_buckets`). */
  bodyName?: string;
  params?: TSchema;
  querystring?: TSchema;
  /** JSON body schema (routes whose body is JSON). */
  body?: TSchema;
  /** `data`: the raw body is handed over (NDJSON / JSON array), described by `rawBody`. */
  bodyKind?: 'json' | 'data' | 'none';
  rawBody?: { contentTypes: string[]; description: string };
  /** Response description for the OpenAPI document. */
  response?: { description: string; schema?: TSchema };
  /** Who may call it (security/roles.ts); else the table in security/permissions.ts. Undeclared: admin only. */
  permission?: Permission;
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

/** Query parameters every Elastic endpoint accepts. */
export const COMMON_QUERY = {
  pretty: Type.Optional(Type.String({ description: 'Pretty-print the JSON response.' })),
  human: Type.Optional(Type.String({ description: 'Accepted for compatibility (ignored).' })),
  error_trace: Type.Optional(Type.String({ description: 'Accepted for compatibility (ignored).' })),
  filter_path: Type.Optional(Type.String({ description: 'Comma-separated paths of the response to keep (`*`, `**` wildcards, `-` to exclude).' })),
};

/** An Elastic boolean query parameter: `true`, `false`, or present without a value (true). */
export const QBool = (description: string): TSchema => Type.Optional(Type.Union([Type.Boolean(), Type.Literal('')], { description }));

/** Reads a QBool value. */
export function qbool(v: unknown, dflt = false): boolean {
  if (v === undefined) return dflt;
  return v === '' || v === true || v === 'true';
}

/** Elastic's DateTime: epoch ms, epoch seconds (≤ 10 digits), an ISO 8601 string or date math (jobs/time-param.ts). */
export const DateTimeSchema = (description: string): TSchema =>
  Type.Optional(Type.Union([Type.Number(), Type.String()], { description }));

export const JobIdParam = Type.Object(
  { job_id: Type.String({ description: 'Job id, or an expression where the API allows one (comma list, wildcards, group names, _all).' }) },
  { additionalProperties: false },
);
