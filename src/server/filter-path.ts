/**
 * Elastic's `filter_path` response filtering: a comma list of dotted paths; `*` matches any one
 * key, `**` any number of levels; arrays are looked through; a leading `-` excludes.
 */
type Json = unknown;

function matchKey(pattern: string, key: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === key;
  return new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$').test(key);
}

function include(value: Json, paths: string[][]): Json | undefined {
  if (paths.some((p) => p.length === 0)) return value;
  if (Array.isArray(value)) {
    const out = value.map((v) => include(v, paths)).filter((v) => v !== undefined);
    return out.length ? out : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(value as Record<string, Json>)) {
    const next: string[][] = [];
    for (const p of paths) {
      if (p[0] === '**') {
        next.push(p); // keep descending
        if (p.length > 1 && matchKey(p[1], k)) next.push(p.slice(2));
        if (p.length === 1) next.push([]);
      } else if (matchKey(p[0], k)) next.push(p.slice(1));
    }
    if (next.length === 0) continue;
    const sub = include(v, next);
    if (sub !== undefined) out[k] = sub;
  }
  return Object.keys(out).length ? out : undefined;
}

function exclude(value: Json, path: string[]): Json {
  if (path.length === 0) return undefined;
  if (Array.isArray(value)) return value.map((v) => exclude(v, path));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(value as Record<string, Json>)) {
    if (matchKey(path[0], k)) {
      const sub = exclude(v, path.slice(1));
      if (sub !== undefined) out[k] = sub;
    } else out[k] = v;
  }
  return out;
}

export function filterPath(value: Json, spec: string): Json {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const inc = parts.filter((p) => !p.startsWith('-')).map((p) => p.split('.'));
  const exc = parts.filter((p) => p.startsWith('-')).map((p) => p.slice(1).split('.'));
  let out = inc.length ? (include(value, inc) ?? {}) : value;
  for (const e of exc) out = exclude(out, e) ?? {};
  return out;
}
