/**
 * The one registry of Vigil's error codes. Every error the product raises on purpose is a
 * VigilError with a stable `code`; the HTTP layer maps `status` and `type` to Elastic-style error
 * bodies and the CLI maps them to exit codes. A test keeps this table and docs/errors.md in sync.
 */

export interface ErrorSpec {
  /** HTTP status the server answers with. */
  status: number;
  /** Elastic-compatible error `type` (what Elastic would call the exception). */
  type: string;
  /** What the user can do about it. */
  hint: string;
}

export const ERRORS = {
  INVALID_ARGUMENT: { status: 400, type: 'illegal_argument_exception', hint: 'Check the value named in the message.' },
  USAGE: { status: 400, type: 'illegal_argument_exception', hint: 'Run the command with --help to see its options.' },
  PARSE_ERROR: { status: 400, type: 'parse_exception', hint: 'Fix the input at the line and field named.' },
  BAD_TIMESTAMP_FORMAT: { status: 400, type: 'illegal_argument_exception', hint: 'Use ISO 8601, epoch, epoch_ms or a pattern such as yyyy-MM-dd HH:mm:ss.' },
  UNKNOWN_TIME_ZONE: { status: 400, type: 'illegal_argument_exception', hint: 'Use an IANA zone name such as Europe/Paris or UTC.' },
  BAD_DURATION: { status: 400, type: 'illegal_argument_exception', hint: 'Use a duration such as 30s, 5m, 1h or 1d.' },
  UNKNOWN_FUNCTION: { status: 400, type: 'illegal_argument_exception', hint: 'Use one of the detector functions listed by `vigil detect --help`.' },
  FIELD_NOT_FOUND: { status: 400, type: 'illegal_argument_exception', hint: 'Name a field that exists in the input, or omit the option to auto-detect it.' },
  NO_USABLE_DATA: { status: 400, type: 'illegal_argument_exception', hint: 'The input held no row with a valid time and value; check the field names and formats.' },
  FILE_NOT_FOUND: { status: 404, type: 'resource_not_found_exception', hint: 'Check the path.' },
  STATE_VERSION: { status: 400, type: 'illegal_state_exception', hint: 'The saved model was written by an incompatible version; retrain or reset it.' },
  STATE_TYPE: { status: 400, type: 'illegal_state_exception', hint: 'The saved state belongs to another kind of model.' },
  UNKNOWN_DETECTOR: { status: 400, type: 'illegal_argument_exception', hint: 'Use one of the detectors listed by `vigil eval --help`.' },
  UNKNOWN_MODEL: { status: 400, type: 'illegal_argument_exception', hint: 'Use one of the forecasting models listed by `vigil forecast --help`.' },
  NOT_ENOUGH_DATA: { status: 400, type: 'illegal_argument_exception', hint: 'Provide more history than the model needs.' },
  RESOURCE_NOT_FOUND: { status: 404, type: 'resource_not_found_exception', hint: 'Check the id; GET _ml/anomaly_detectors lists the jobs that exist.' },
  RESOURCE_EXISTS: { status: 400, type: 'resource_already_exists_exception', hint: 'Choose another id, or delete the existing resource first.' },
  JOB_STATE_CONFLICT: { status: 409, type: 'status_exception', hint: 'Open or close the job first (POST _ml/anomaly_detectors/<id>/_open or _close), or use force where the API allows it.' },
  BODY_PARSE: { status: 400, type: 'x_content_parse_exception', hint: 'Fix the field or line named in the message; unknown fields are refused.' },
  UNRECOGNIZED_PARAMETER: { status: 400, type: 'illegal_argument_exception', hint: 'Remove the query parameter named, or check its spelling against docs/api.md.' },
  BODY_TOO_LARGE: { status: 413, type: 'content_too_long_exception', hint: 'Send the data in smaller requests, or raise limits.max_body_bytes in the server configuration.' },
  NO_HANDLER: { status: 400, type: 'illegal_argument_exception', hint: 'Check the method and path against docs/api.md (GET /_vigil/openapi.json lists every route).' },
  CAPACITY: { status: 429, type: 'status_exception', hint: 'Close another job, or raise limits.max_open_jobs in the server configuration.' },
  SHUTTING_DOWN: { status: 503, type: 'node_closed_exception', hint: 'The server is stopping; retry once it is back.' },
  JOB_FAILED: { status: 409, type: 'status_exception', hint: 'The job failed while opening or processing; read the failure in _stats, fix it, then close with force and open again.' },
  DATAFEED_STATE_CONFLICT: { status: 409, type: 'status_exception', hint: 'Stop the datafeed first (POST _ml/datafeeds/<id>/_stop), or open its job before starting it.' },
  SOURCE_UNAVAILABLE: { status: 502, type: 'connect_transport_exception', hint: "Check that the datafeed's source is reachable and its credentials (vigil_source, from the environment) are right; a running datafeed retries on its own." },
  AUTHENTICATION: { status: 401, type: 'security_exception', hint: 'Send credentials: Authorization: ApiKey base64(id:api_key) (vigil api-key create) or Basic (a user of security.users).' },
  FORBIDDEN: { status: 403, type: 'security_exception', hint: 'Use credentials whose role (viewer < editor < admin) and job_groups scope cover this action.' },
  RATE_LIMITED: { status: 429, type: 'es_rejected_execution_exception', hint: 'Slow down and retry after the Retry-After seconds, or raise limits.rate_per_second / limits.rate_burst.' },
  LIMIT_EXCEEDED: { status: 429, type: 'status_exception', hint: 'A configured limit was reached (the message names it): free capacity (delete or close jobs, wait for runs to end) or raise the limits.* setting.' },
  INTERNAL: { status: 500, type: 'exception', hint: 'This is a bug in Vigil; please report it with the message.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'VigilError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  get type(): string {
    return ERRORS[this.code].type;
  }

  get hint(): string {
    return ERRORS[this.code].hint;
  }
}

/** Throws an INVALID_ARGUMENT error unless `condition` holds. */
export function check(condition: unknown, message: string, code: ErrorCode = 'INVALID_ARGUMENT'): asserts condition {
  if (!condition) throw new VigilError(code, message);
}
