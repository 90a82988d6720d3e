/**
 * Logger options for `vigil serve`: pino (fastify's logger) JSON lines with the request id
 * (`reqId`; an incoming X-Request-Id is kept) on every line of a request, and secrets censored wherever they would appear —
 * Authorization headers, passwords, password hashes, API keys.
 */
export interface VigilLoggerOptions {
  level: string;
  redact: { paths: string[]; censor: string };
}

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'password',
  'password_hash',
  'api_key',
  'encoded',
  '*.authorization',
  '*.password',
  '*.password_hash',
  '*.api_key',
  '*.encoded',
  '*.*.password',
  '*.*.api_key',
];

export function loggerOptions(level: string): VigilLoggerOptions {
  return { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
}
