/**
 * Hash routing: every view and its state live in the URL (`#/viewer/web?from=…&to=…&entity=…`),
 * so any screen can be bookmarked, shared and reloaded.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** Path segments: `#/viewer/web` → ['viewer', 'web']. */
  parts: string[];
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params };
}

/**
 * The view a path names, with the alias alerts link to: `#/jobs/<job>/viewer` (the alert link
 * template, src/engine/alerting/payload.ts) is the Single Metric Viewer of `<job>`, like `#/viewer/<job>`.
 */
export function viewOf(parts: string[]): { section: string; arg?: string } {
  const [section = 'jobs', arg] = parts;
  if (section === 'jobs' && arg !== undefined && arg !== 'new' && parts[2] === 'viewer') return { section: 'viewer', arg };
  return { section, arg };
}

/** A time in a URL parameter: epoch milliseconds or an ISO 8601 date; undefined when it is neither. */
export function timeParam(v: string | null): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  const t = /^-?\d+$/.test(v.trim()) ? Number(v) : Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/** Builds `#/a/b?x=1`, leaving out empty parameters. */
export function href(parts: string[], params: Record<string, string | number | undefined | null> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`;
}

export function navigate(parts: string[], params: Record<string, string | number | undefined | null> = {}, replace = false): void {
  const h = href(parts, params);
  if (replace) history.replaceState(null, '', h);
  else location.hash = h;
  if (replace) window.dispatchEvent(new Event('vigil:route'));
}

/** Updates some parameters of the current route in place (no new history entry). */
export function setParams(update: Record<string, string | number | undefined | null>): void {
  const r = parseHash(location.hash);
  const all: Record<string, string | number | undefined | null> = Object.fromEntries(r.params.entries());
  Object.assign(all, update);
  navigate(r.parts, all, true);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = (): void => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', on);
    window.addEventListener('vigil:route', on);
    return () => {
      window.removeEventListener('hashchange', on);
      window.removeEventListener('vigil:route', on);
    };
  }, []);
  return route;
}
