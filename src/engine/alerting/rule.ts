/**
 * Alert rules: what to watch (jobs or groups), when to fire (an anomaly condition or one of three
 * data-downtime conditions), how often (suppression), and where to send it (actions). One JSON
 * shape serves as the HTTP body of `PUT /_vigil/alerts/rules/<rule_id>`, the stored row and the
 * test fixtures; `validateAlertRule` refuses unknown fields and bad values with a message naming
 * them, and fills in the defaults.
 *
 * @example
 * validateAlertRule('web-down', {
 *   jobs: ['web-requests'],
 *   condition: { type: 'no_data', buckets: 1 },
 *   actions: [{ type: 'webhook', url: 'http://127.0.0.1:9000/hook' }],
 * });
 */
import { VigilError } from '../../core/errors.js';
import { severityFloor, type Severity } from '../../core/score/severity.js';
import { formatDuration, parseDuration } from '../../core/time/duration.js';

/** Anomaly results of a level (record, bucket or influencer) scoring at least `min_score`. */
export interface AnomalyCondition {
  type: 'anomaly';
  result_type: 'record' | 'bucket' | 'influencer';
  /** 0–100; `severity: "major"` is read as 50 (Elastic's bands). */
  min_score: number;
  /** Results older than this before the job's newest result are not considered; null = automatic (max(window, 2 bucket spans)). */
  lookback_ms: number | null;
  /** Fire only when at least this many qualifying results fall within `window_ms` (ending at the result). */
  min_count: number;
  /** null = the lookback. */
  window_ms: number | null;
  /** Alert on interim (not yet final) results too. Default false: only final results alert. */
  include_interim: boolean;
}

/** The job has received no data for `buckets` bucket spans (wall clock against the job's latest data). */
export interface NoDataCondition {
  type: 'no_data';
  buckets: number;
  /** Extra allowance for pipelines that deliver late (Elastic's query_delay); default 0. */
  delay_ms: number;
  /**
   * `record_time` (default): now − the newest record's timestamp; for jobs fed in real time.
   * `arrival_time`: now − when data last arrived (data_counts.last_data_time); for jobs fed with a
   * constant lag or replayed history.
   */
  reference: 'record_time' | 'arrival_time';
}

/** A run of missing (empty) buckets longer than `max_buckets` within the window. */
export interface MissingRunCondition {
  type: 'missing_data_run';
  max_buckets: number;
  /** null = automatic (a day, or 4 × (max_buckets + 1) bucket spans when that is longer). */
  window_ms: number | null;
  include_interim: boolean;
}

/** The count falls below (`low`) or rises above (`high`) the model's expected range for `buckets` consecutive buckets. */
export interface VolumeCondition {
  type: 'volume';
  direction: 'low' | 'high' | 'both';
  buckets: number;
  /** Only this detector's records (default: any detector). */
  detector_index: number | null;
  include_interim: boolean;
}

export type AlertCondition = AnomalyCondition | NoDataCondition | MissingRunCondition | VolumeCondition;
export type ConditionType = AlertCondition['type'];

export interface WebhookAction {
  type: 'webhook';
  url: string;
  /** Extra request headers (an Authorization header, for example). */
  headers: Record<string, string>;
}

/** A Slack incoming-webhook (or compatible: Mattermost, Rocket.Chat, Teams' Slack connector) URL. */
export interface SlackAction {
  type: 'slack';
  url: string;
}

export interface EmailAction {
  type: 'email';
  to: string[];
  /** Default: the server's configured sender. */
  from: string | null;
}

export type AlertAction = WebhookAction | SlackAction | EmailAction;

export interface AlertRule {
  rule_id: string;
  description: string;
  enabled: boolean;
  /** Job ids, group names or wildcards (`web-*`, `*`). */
  jobs: string[];
  condition: AlertCondition;
  /** After an alert fires for a job, further firings of this rule for that job within this period (event time) are recorded as suppressed, not sent. */
  suppress_ms: number;
  /** Send a recovery notification when a downtime condition clears (default true; anomalies have no recovery). */
  notify_recovery: boolean;
  actions: AlertAction[];
}

const RULE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function invalid(message: string): VigilError {
  return new VigilError('INVALID_ARGUMENT', message);
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function only(o: Obj, where: string, allowed: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw invalid(`[${where}] unknown field [${k}]; known: ${allowed.join(', ')}`);
}

function duration(v: unknown, where: string): number {
  if (typeof v !== 'string' && typeof v !== 'number') throw invalid(`[${where}] must be a duration such as 15m or 1h, got ${JSON.stringify(v)}`);
  try {
    return parseDuration(v);
  } catch {
    throw invalid(`[${where}] must be a duration such as 15m or 1h, got ${JSON.stringify(v)}`);
  }
}

function optDuration(v: unknown, where: string): number | null {
  return v === undefined || v === null ? null : duration(v, where);
}

function posInt(v: unknown, where: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw invalid(`[${where}] must be a whole number ≥ 1, got ${JSON.stringify(v)}`);
  return v;
}

function bool(v: unknown, where: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw invalid(`[${where}] must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, where: string, values: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !values.includes(v as T)) throw invalid(`[${where}] must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function httpUrl(v: unknown, where: string): string {
  if (typeof v !== 'string') throw invalid(`[${where}] must be an http(s) URL`);
  if (v.includes(REDACTED) || v.includes(encodeURIComponent(REDACTED))) throw invalid(`[${where}] holds ${REDACTED}: give the real URL (the API hides it when showing rules)`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw invalid(`[${where}] is not a URL: ${JSON.stringify(v)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(`[${where}] must be an http(s) URL, got ${u.protocol}`);
  return v;
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

function minScore(c: Obj): number {
  if (c.min_score !== undefined && c.severity !== undefined) throw invalid('[condition] give min_score or severity, not both');
  if (c.severity !== undefined) {
    const s = oneOf(c.severity, 'condition.severity', ['warning', 'minor', 'major', 'critical'] as const, 'critical');
    return severityFloor(s as Severity);
  }
  if (c.min_score === undefined) return 75;
  if (typeof c.min_score !== 'number' || !(c.min_score >= 0 && c.min_score <= 100)) throw invalid(`[condition.min_score] must be a number from 0 to 100, got ${JSON.stringify(c.min_score)}`);
  return c.min_score;
}

function validateCondition(v: unknown): AlertCondition {
  if (!isObj(v)) throw invalid('[condition] is required: an object with a type (anomaly, no_data, missing_data_run or volume)');
  switch (v.type) {
    case 'anomaly':
      only(v, 'condition', ['type', 'result_type', 'min_score', 'severity', 'lookback', 'min_count', 'window', 'include_interim']);
      return {
        type: 'anomaly',
        result_type: oneOf(v.result_type, 'condition.result_type', ['record', 'bucket', 'influencer'] as const, 'record'),
        min_score: minScore(v),
        lookback_ms: optDuration(v.lookback, 'condition.lookback'),
        min_count: posInt(v.min_count, 'condition.min_count', 1),
        window_ms: optDuration(v.window, 'condition.window'),
        include_interim: bool(v.include_interim, 'condition.include_interim', false),
      };
    case 'no_data': {
      only(v, 'condition', ['type', 'buckets', 'delay', 'reference']);
      return {
        type: 'no_data',
        buckets: posInt(v.buckets, 'condition.buckets', 1),
        delay_ms: v.delay === undefined ? 0 : duration(v.delay, 'condition.delay'),
        reference: oneOf(v.reference, 'condition.reference', ['record_time', 'arrival_time'] as const, 'record_time'),
      };
    }
    case 'missing_data_run':
      only(v, 'condition', ['type', 'max_buckets', 'window', 'include_interim']);
      if (v.max_buckets === undefined) throw invalid('[condition.max_buckets] is required: the longest run of missing buckets tolerated');
      return {
        type: 'missing_data_run',
        max_buckets: posIntOrZero(v.max_buckets, 'condition.max_buckets'),
        window_ms: optDuration(v.window, 'condition.window'),
        include_interim: bool(v.include_interim, 'condition.include_interim', false),
      };
    case 'volume':
      only(v, 'condition', ['type', 'direction', 'buckets', 'detector_index', 'include_interim']);
      if (v.detector_index !== undefined && (typeof v.detector_index !== 'number' || !Number.isInteger(v.detector_index) || v.detector_index < 0)) {
        throw invalid(`[condition.detector_index] must be a whole number ≥ 0, got ${JSON.stringify(v.detector_index)}`);
      }
      return {
        type: 'volume',
        direction: oneOf(v.direction, 'condition.direction', ['low', 'high', 'both'] as const, 'both'),
        buckets: posInt(v.buckets, 'condition.buckets', 3),
        detector_index: (v.detector_index as number | undefined) ?? null,
        include_interim: bool(v.include_interim, 'condition.include_interim', false),
      };
    default:
      throw invalid(`[condition.type] must be one of anomaly, no_data, missing_data_run, volume, got ${JSON.stringify(v.type)}`);
  }
}

function posIntOrZero(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalid(`[${where}] must be a whole number ≥ 0, got ${JSON.stringify(v)}`);
  return v;
}

function validateAction(v: unknown, i: number): AlertAction {
  const where = `actions[${i}]`;
  if (!isObj(v)) throw invalid(`[${where}] must be an object with a type (webhook, slack or email)`);
  switch (v.type) {
    case 'webhook': {
      only(v, where, ['type', 'url', 'headers']);
      const headers: Record<string, string> = {};
      if (v.headers !== undefined) {
        if (!isObj(v.headers)) throw invalid(`[${where}.headers] must be an object of header names to string values`);
        for (const [k, h] of Object.entries(v.headers)) {
          if (typeof h !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k)) throw invalid(`[${where}.headers.${k}] must be a valid header name with a string value`);
          if (h === REDACTED) throw invalid(`[${where}.headers.${k}] is ${REDACTED}: give the real value (the API hides it when showing rules)`);
          headers[k] = h;
        }
      }
      return { type: 'webhook', url: httpUrl(v.url, `${where}.url`), headers };
    }
    case 'slack':
      only(v, where, ['type', 'url']);
      return { type: 'slack', url: httpUrl(v.url, `${where}.url`) };
    case 'email': {
      only(v, where, ['type', 'to', 'from']);
      const to = typeof v.to === 'string' ? [v.to] : v.to;
      if (!Array.isArray(to) || to.length === 0 || !to.every((a) => typeof a === 'string' && EMAIL.test(a))) {
        throw invalid(`[${where}.to] must be an e-mail address or a non-empty list of them`);
      }
      if (v.from !== undefined && (typeof v.from !== 'string' || !/@/.test(v.from))) throw invalid(`[${where}.from] must be an e-mail address`);
      return { type: 'email', to: to as string[], from: (v.from as string | undefined) ?? null };
    }
    default:
      throw invalid(`[${where}.type] must be webhook, slack or email, got ${JSON.stringify(v.type)}`);
  }
}

/** Validates a rule body (the id comes from the URL) and fills in the defaults. */
export function validateAlertRule(ruleId: string, body: unknown): AlertRule {
  if (!RULE_ID.test(ruleId)) throw invalid(`rule id [${ruleId}] must be 1–64 lowercase letters, digits, '-' or '_', starting with a letter or digit`);
  if (!isObj(body)) throw invalid('the rule must be a JSON object');
  only(body, 'rule', ['rule_id', 'description', 'enabled', 'jobs', 'job_id', 'condition', 'suppress_for', 'notify_recovery', 'actions']);
  if (body.rule_id !== undefined && body.rule_id !== ruleId) throw invalid(`[rule_id] ${JSON.stringify(body.rule_id)} differs from the id in the URL [${ruleId}]`);
  if (body.jobs !== undefined && body.job_id !== undefined) throw invalid('give jobs or job_id, not both');
  const rawJobs = body.jobs ?? body.job_id;
  const jobs = typeof rawJobs === 'string' ? rawJobs.split(',').map((s) => s.trim()) : rawJobs;
  if (!Array.isArray(jobs) || jobs.length === 0 || !jobs.every((j) => typeof j === 'string' && /^[a-z0-9*][a-z0-9_.*-]*$/.test(j))) {
    throw invalid('[jobs] is required: a list of job ids, group names or wildcards such as web-*');
  }
  if (body.description !== undefined && typeof body.description !== 'string') throw invalid('[description] must be a string');
  const actions = body.actions === undefined ? [] : body.actions;
  if (!Array.isArray(actions)) throw invalid('[actions] must be a list');
  return {
    rule_id: ruleId,
    description: (body.description as string | undefined) ?? '',
    enabled: bool(body.enabled, 'enabled', true),
    jobs: [...new Set(jobs as string[])],
    condition: validateCondition(body.condition),
    suppress_ms: body.suppress_for === undefined ? 0 : duration(body.suppress_for, 'suppress_for'),
    notify_recovery: bool(body.notify_recovery, 'notify_recovery', true),
    actions: actions.map(validateAction),
  };
}

/** What redaction puts in place of a secret; a rule holding it is refused (PUT the real value). */
export const REDACTED = '<redacted>';

/**
 * Hides what can carry a secret: webhook header values, a URL's user info and query, and the path
 * of a Slack-compatible webhook (its path is the token).
 */
export function redactUrl(url: string, slack: boolean): string {
  try {
    const u = new URL(url);
    const path = slack ? `/${u.pathname.split('/').filter(Boolean)[0] ?? ''}/${REDACTED}` : u.pathname;
    return `${u.protocol}//${u.host}${path}${u.search ? `?${REDACTED}` : ''}`;
  } catch {
    return REDACTED;
  }
}

/**
 * The rule as the API shows it (durations written back as text, so a GET body can be PUT again;
 * with `redact`, secrets are replaced by `<redacted>` and such a body has to be given them back).
 */
export function renderAlertRule(rule: AlertRule, o: { redact?: boolean } = {}): Record<string, unknown> {
  const c = rule.condition;
  const cond: Record<string, unknown> = { ...c };
  for (const [k, out] of [
    ['lookback_ms', 'lookback'],
    ['window_ms', 'window'],
    ['delay_ms', 'delay'],
  ] as const) {
    if (k in cond) {
      const v = cond[k] as number | null;
      delete cond[k];
      if (v !== null && !(k === 'delay_ms' && v === 0)) cond[out] = formatDuration(v);
    }
  }
  if ('detector_index' in cond && cond.detector_index === null) delete cond.detector_index;
  return {
    rule_id: rule.rule_id,
    description: rule.description,
    enabled: rule.enabled,
    jobs: rule.jobs,
    condition: cond,
    ...(rule.suppress_ms > 0 ? { suppress_for: formatDuration(rule.suppress_ms) } : {}),
    notify_recovery: rule.notify_recovery,
    actions: rule.actions.map((a) => {
      if (a.type === 'email') return a.from === null ? { type: a.type, to: a.to } : a;
      const url = o.redact ? redactUrl(a.url, a.type === 'slack') : a.url;
      if (a.type === 'slack') return { type: a.type, url };
      const headers = o.redact ? Object.fromEntries(Object.keys(a.headers).map((k) => [k, REDACTED])) : a.headers;
      return Object.keys(headers).length === 0 ? { type: a.type, url } : { type: a.type, url, headers };
    }),
  };
}

/** Whether a job (by id and groups) is watched by the rule's job list (ids, group names, `*` wildcards). */
export function ruleMatchesJob(rule: Pick<AlertRule, 'jobs'>, jobId: string, groups: readonly string[]): boolean {
  for (const pattern of rule.jobs) {
    if (pattern === '*' || pattern === '_all') return true;
    if (pattern.includes('*')) {
      const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
      if (re.test(jobId) || groups.some((g) => re.test(g))) return true;
    } else if (pattern === jobId || groups.includes(pattern)) return true;
  }
  return false;
}
