/**
 * The error every job-engine rule raises: a VigilError (so the server's one error mapper handles
 * it) that carries Elastic's exception `type` for the case at hand — `x_content_parse_exception` for
 * a body that does not parse (unknown field, wrong type), `illegal_argument_exception` or
 * `status_exception` for a value that breaks a rule — and, like Elastic, an optional `caused_by`.
 */
import { VigilError } from '../../core/errors.js';

export type ElasticErrorType =
  | 'x_content_parse_exception'
  | 'illegal_argument_exception'
  | 'status_exception'
  | 'resource_already_exists_exception'
  | 'illegal_state_exception';

export interface ElasticCause {
  type: string;
  reason: string;
}

export class JobConfigError extends VigilError {
  readonly elasticType: ElasticErrorType;
  readonly causedBy: ElasticCause | undefined;

  constructor(message: string, elasticType: ElasticErrorType = 'illegal_argument_exception', causedBy?: ElasticCause) {
    super('INVALID_ARGUMENT', message, causedBy ? { caused_by: causedBy } : undefined);
    this.name = 'JobConfigError';
    this.elasticType = elasticType;
    this.causedBy = causedBy;
  }

  /** Elastic's error type for this case (overrides the registry's generic one). */
  override get type(): string {
    return this.elasticType;
  }

  /** 400 for every configuration error, as Elastic answers them. */
  override get status(): number {
    return 400;
  }
}

/** A rule broken (Elastic's IllegalArgumentException / bad request). */
export function invalid(message: string): JobConfigError {
  return new JobConfigError(message, 'illegal_argument_exception');
}

/** A body that does not parse (Elastic's XContentParseException), optionally with its cause. */
export function parseError(message: string, cause?: ElasticCause): JobConfigError {
  return new JobConfigError(message, 'x_content_parse_exception', cause);
}
