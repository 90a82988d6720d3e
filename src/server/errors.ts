/**
 * The one error mapper of the server: every error becomes Elastic's error body
 * `{ error: { root_cause: [{ type, reason }], type, reason, caused_by? }, status }` with the HTTP
 * status of the error registry (src/core/errors.ts). Schema validation failures are phrased as
 * Elastic phrases them (unknown fields, unrecognised parameters, wrong types).
 */
import { ERRORS, VigilError, type ErrorCode } from '../core/errors.js';

export interface ElasticErrorBody {
  error: { root_cause: { type: string; reason: string }[]; type: string; reason: string; caused_by?: { type: string; reason: string } };
  status: number;
}

export function errorBody(status: number, type: string, reason: string, causedBy?: { type: string; reason: string }): ElasticErrorBody {
  const error: ElasticErrorBody['error'] = { root_cause: [{ type, reason }], type, reason };
  if (causedBy) error.caused_by = causedBy;
  return { error, status };
}

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

interface ValidationFailure {
  validation: AjvError[];
  validationContext?: string;
}

function fieldPath(e: AjvError): string {
  return e.instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
}

/** Maps an error to Elastic's status and body. `ctx` names the request for messages. */
export function toElasticError(err: unknown, ctx: { path: string; bodyName?: string; query?: Record<string, unknown> }): { status: number; body: ElasticErrorBody } {
  if (err instanceof VigilError) {
    const cause = (err.details?.caused_by as { type: string; reason: string } | undefined) ?? undefined;
    return { status: err.status, body: errorBody(err.status, err.type, err.message, cause) };
  }
  const e = err as Partial<ValidationFailure> & { statusCode?: number; code?: string; message?: string };
  if (Array.isArray(e.validation) && e.validation.length > 0) {
    return fromValidation(e as ValidationFailure, ctx);
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
    return make('BODY_TOO_LARGE', `request body is larger than the server accepts (limits.max_body_bytes)`);
  }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return make('BODY_PARSE', e.message ?? 'unsupported content type');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, body: errorBody(e.statusCode, 'illegal_argument_exception', e.message ?? 'bad request') };
  }
  const reason = (err as Error)?.message ?? String(err);
  return { status: 500, body: errorBody(500, ERRORS.INTERNAL.type, reason) };
}

function make(code: ErrorCode, reason: string, causedBy?: { type: string; reason: string }): { status: number; body: ElasticErrorBody } {
  const spec = ERRORS[code];
  return { status: spec.status, body: errorBody(spec.status, spec.type, reason, causedBy) };
}

function fromValidation(e: ValidationFailure, ctx: { path: string; bodyName?: string; query?: Record<string, unknown> }): { status: number; body: ElasticErrorBody } {
  const first = e.validation.find((v) => v.keyword === 'additionalProperties') ?? e.validation[0];
  const where = e.validationContext ?? 'body';
  const field = fieldPath(first);
  if (where === 'querystring') {
    if (first.keyword === 'additionalProperties') {
      return make('UNRECOGNIZED_PARAMETER', `request [${ctx.path}] contains unrecognized parameter: [${String(first.params.additionalProperty)}]`);
    }
    const value = ctx.query?.[field];
    return make('INVALID_ARGUMENT', `Failed to parse value [${String(value)}] for parameter [${field}]: ${first.message ?? 'invalid'}`);
  }
  if (where === 'params') return make('INVALID_ARGUMENT', `invalid path parameter [${field}]: ${first.message ?? 'invalid'}`);
  const name = ctx.bodyName ?? 'request';
  if (first.keyword === 'additionalProperties') {
    const unknown = String(first.params.additionalProperty);
    return make('BODY_PARSE', `[${name}] unknown field [${field ? field + '.' : ''}${unknown}]`);
  }
  if (first.keyword === 'required') {
    return make('BODY_PARSE', `[${name}] Required [${field ? field + '.' : ''}${String(first.params.missingProperty)}]`);
  }
  const reason = `[${name}] failed to parse field [${field || 'body'}]`;
  return make('BODY_PARSE', reason, { type: 'illegal_argument_exception', reason: `${field || 'body'} ${first.message ?? 'is invalid'}` });
}
