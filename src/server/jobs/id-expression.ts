/**
 * Elastic's job id expressions: a job id, a group name, a comma-separated list of them, wildcards
 * (`web-*`), or `_all` / `*` / nothing for every job. Explicit ids that match nothing are an error
 * (`No known job with id 'a,b'`); wildcards that match nothing are an error only when
 * allow_no_match is false.
 */
import { VigilError } from '../../core/errors.js';

export interface JobIdentity {
  job_id: string;
  groups: string[];
}

function wildcardRegex(token: string): RegExp {
  return new RegExp('^' + token.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
}

export function isAll(expr: string | undefined): boolean {
  const t = (expr ?? '').trim();
  return t === '' || t === '_all' || t === '*';
}

/** Expands the expression to the matching job ids, sorted. */
export function expandJobIds(expr: string | undefined, jobs: JobIdentity[], allowNoMatch = true): string[] {
  const out = new Set<string>();
  if (isAll(expr)) {
    for (const j of jobs) out.add(j.job_id);
    if (out.size === 0 && !allowNoMatch) throw new VigilError('RESOURCE_NOT_FOUND', `No known job with id '${(expr ?? '').trim() || '_all'}'`);
    return [...out].sort();
  }
  const missing: string[] = [];
  for (const raw of (expr ?? '').split(',')) {
    const token = raw.trim();
    if (token === '') continue;
    let matched = false;
    if (token === '_all' || token === '*') {
      for (const j of jobs) out.add(j.job_id);
      matched = jobs.length > 0;
    } else if (token.includes('*')) {
      const re = wildcardRegex(token);
      for (const j of jobs) {
        if (re.test(j.job_id) || j.groups.some((g) => re.test(g))) {
          out.add(j.job_id);
          matched = true;
        }
      }
      if (!matched && allowNoMatch) matched = true;
    } else {
      for (const j of jobs) {
        if (j.job_id === token || j.groups.includes(token)) {
          out.add(j.job_id);
          matched = true;
        }
      }
    }
    if (!matched) missing.push(token);
  }
  if (missing.length > 0) throw new VigilError('RESOURCE_NOT_FOUND', `No known job with id '${missing.join(',')}'`);
  return [...out].sort();
}
