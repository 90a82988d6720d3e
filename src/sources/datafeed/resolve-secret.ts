/**
 * Credentials for sources come from configuration or the environment, never from stored results
 * or logs. A datafeed's `vigil_source` refers to them instead of holding them: `{ "env": "NAME" }`
 * or the string `"env:NAME"` (the value of environment variable NAME), or `"${NAME}"` inside a
 * string (substituted). Stored datafeed configs keep the reference, not the value; `redactUrl`
 * removes a password from a URL before it appears in a message.
 */
import { VigilError } from '../../core/errors.js';

export type SecretRef = string | { env: string };

/** Resolves a secret reference against `env` (default process.env). */
export function resolveSecret(ref: SecretRef | undefined, what: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (ref === undefined) return undefined;
  const lookup = (name: string): string => {
    const v = env[name];
    if (v === undefined || v === '') throw new VigilError('INVALID_ARGUMENT', `${what} refers to environment variable ${name}, which is not set`);
    return v;
  };
  if (typeof ref === 'object' && ref !== null && typeof ref.env === 'string') return lookup(ref.env);
  if (typeof ref !== 'string') throw new VigilError('INVALID_ARGUMENT', `${what} must be a string or { "env": "NAME" }`);
  if (ref.startsWith('env:')) return lookup(ref.slice(4));
  return ref.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => lookup(name));
}

/** True when the reference holds a literal secret rather than pointing at the environment. */
export function isLiteralSecret(ref: SecretRef | undefined): boolean {
  if (ref === undefined) return false;
  if (typeof ref === 'object') return false;
  return !ref.startsWith('env:') && !/\$\{[A-Za-z_][A-Za-z0-9_]*\}/.test(ref);
}

/** A URL with its password (and any `password=` query parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) if (/pass|secret|token|key/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return url.replace(/:\/\/([^:/@]+):[^@]*@/, '://$1:***@').replace(/(password|secret|token)=[^\s&]+/gi, '$1=***');
  }
}
