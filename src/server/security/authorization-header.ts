/**
 * Parses the Authorization header the official Elasticsearch clients send: `ApiKey base64(id:key)`
 * (client option `auth: { apiKey }`, either the encoded string or `{ id, api_key }`) and
 * `Basic base64(user:password)` (`auth: { username, password }`).
 */
export type Credentials =
  | { kind: 'api_key'; id: string; key: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'invalid'; reason: string };

const MAX_HEADER = 4096;

function decode(b64: string): string | undefined {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(b64)) return undefined;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  return text.includes(':') ? text : undefined;
}

export function parseAuthorization(header: string | string[] | undefined): Credentials | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) return { kind: 'invalid', reason: 'more than one Authorization header' };
  if (header.length > MAX_HEADER) return { kind: 'invalid', reason: 'Authorization header too long' };
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!m) return { kind: 'invalid', reason: 'malformed Authorization header' };
  const scheme = m[1].toLowerCase();
  const text = decode(m[2]);
  if (scheme === 'apikey') {
    if (!text) return { kind: 'invalid', reason: 'the ApiKey credentials are not base64(id:api_key)' };
    const i = text.indexOf(':');
    return { kind: 'api_key', id: text.slice(0, i), key: text.slice(i + 1) };
  }
  if (scheme === 'basic') {
    if (!text) return { kind: 'invalid', reason: 'the Basic credentials are not base64(username:password)' };
    const i = text.indexOf(':');
    return { kind: 'basic', username: text.slice(0, i), password: text.slice(i + 1) };
  }
  return { kind: 'invalid', reason: `unsupported authentication scheme [${m[1].slice(0, 20)}]` };
}
