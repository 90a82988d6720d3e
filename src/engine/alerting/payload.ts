/**
 * What receivers get, without I/O: the webhook's JSON body, a Slack-compatible message and an
 * e-mail (subject, text, headers). Every form carries the idempotency key and a link to the job's
 * viewer at the event's time.
 */
import { humanDuration, type AlertEvent } from './evaluate.js';
import type { AlertRule } from './rule.js';
import { renderAlertRule } from './rule.js';

export interface LinkOptions {
  /** Base URL people reach the server at (e.g. https://vigil.example.com); no link without it. */
  publicUrl?: string | null;
  /** `{public_url}`, `{job_id}`, `{time}` (ISO 8601) and `{time_ms}` are replaced. */
  linkTemplate?: string;
}

export const DEFAULT_LINK_TEMPLATE = '{public_url}/app/#/jobs/{job_id}/viewer?time={time}';

/** The viewer link of an alert, or null without a public URL. */
export function alertLink(e: Pick<AlertEvent, 'job_id' | 'event_time'>, o: LinkOptions): string | null {
  if (!o.publicUrl) return null;
  const base = o.publicUrl.replace(/\/+$/, '');
  return (o.linkTemplate ?? DEFAULT_LINK_TEMPLATE)
    .replaceAll('{public_url}', base)
    .replaceAll('{job_id}', encodeURIComponent(e.job_id))
    .replaceAll('{time}', encodeURIComponent(new Date(e.event_time).toISOString()))
    .replaceAll('{time_ms}', String(e.event_time));
}

const KIND_TEXT: Record<AlertEvent['kind'], string> = {
  anomaly: 'anomaly',
  no_data: 'no data',
  missing_data_run: 'missing data',
  volume_low: 'volume below expected',
  volume_high: 'volume above expected',
};

/** A short title: "critical: no data — job web-requests (rule web-down)". */
export function alertTitle(e: AlertEvent): string {
  const what = e.phase === 'recovered' ? `recovered: ${KIND_TEXT[e.kind]}` : `${e.severity}: ${KIND_TEXT[e.kind]}`;
  return `${what} — job ${e.job_id} (rule ${e.rule_id})`;
}

/**
 * The webhook body.
 *
 * @example
 * webhookBody(event, rule, { publicUrl: 'http://localhost:9200' }).idempotency_key === event.key
 */
export function webhookBody(e: AlertEvent, rule: AlertRule | undefined, o: LinkOptions): Record<string, unknown> {
  return {
    idempotency_key: e.key,
    title: alertTitle(e),
    rule: rule ? { rule_id: rule.rule_id, description: rule.description, condition: renderAlertRule(rule).condition } : { rule_id: e.rule_id },
    job_id: e.job_id,
    kind: e.kind,
    phase: e.phase,
    time: new Date(e.event_time).toISOString(),
    timestamp: e.event_time,
    detected_at: new Date(e.detected_at).toISOString(),
    severity: e.severity,
    score: e.score,
    result_type: e.result_type,
    actual: e.actual,
    typical: e.typical,
    entity: e.entity,
    is_interim: e.is_interim,
    explanation: e.explanation,
    details: e.details,
    link: alertLink(e, o),
  };
}

const COLOURS: Record<AlertEvent['severity'], string> = {
  ok: '#2eb886',
  warning: '#8bc8fb',
  minor: '#fdec25',
  major: '#fba740',
  critical: '#fe5050',
};

function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack incoming-webhook message (`text` for notifications, an attachment with the facts). */
export function slackBody(e: AlertEvent, o: LinkOptions): Record<string, unknown> {
  const link = alertLink(e, o);
  const icon = e.phase === 'recovered' ? ':large_green_circle:' : e.severity === 'critical' ? ':red_circle:' : ':large_orange_circle:';
  const fields: { title: string; value: string; short: boolean }[] = [
    { title: 'Job', value: e.job_id, short: true },
    { title: 'Time', value: new Date(e.event_time).toISOString(), short: true },
  ];
  if (e.score !== null) fields.push({ title: 'Score', value: String(e.score), short: true });
  if (e.actual) fields.push({ title: 'Actual', value: e.actual.join(', '), short: true });
  if (e.typical) fields.push({ title: 'Typical', value: e.typical.join(', '), short: true });
  return {
    text: `${icon} *${slackEscape(alertTitle(e))}*\n${slackEscape(e.explanation)}${link ? `\n<${link}|Open in Vigil>` : ''}`,
    attachments: [{ color: COLOURS[e.severity], fields, footer: `Vigil · idempotency key ${e.key}`, ts: Math.floor(e.event_time / 1000) }],
  };
}

export interface EmailMessage {
  subject: string;
  text: string;
  /** Message-ID derived from the key: mail systems drop a second copy with the same id. */
  messageId: string;
  headers: Record<string, string>;
}

/** The e-mail of an alert. */
export function emailMessage(e: AlertEvent, o: LinkOptions & { domain?: string }): EmailMessage {
  const link = alertLink(e, o);
  const lines = [
    alertTitle(e),
    '',
    e.explanation,
    '',
    `Job:       ${e.job_id}`,
    `Rule:      ${e.rule_id}`,
    `Time:      ${new Date(e.event_time).toISOString()}`,
    `Severity:  ${e.severity}`,
  ];
  if (e.score !== null) lines.push(`Score:     ${e.score}`);
  if (e.actual) lines.push(`Actual:    ${e.actual.join(', ')}`);
  if (e.typical) lines.push(`Typical:   ${e.typical.join(', ')}`);
  if (typeof e.details.silence_ms === 'number') lines.push(`Silence:   ${humanDuration(e.details.silence_ms)}`);
  if (link) lines.push('', `Open in Vigil: ${link}`);
  lines.push('', `Idempotency key: ${e.key}`);
  return {
    subject: `[Vigil] ${alertTitle(e)}`,
    text: lines.join('\n') + '\n',
    messageId: `<${e.key}@${o.domain ?? 'vigil.local'}>`,
    headers: { 'X-Vigil-Idempotency-Key': e.key, 'X-Vigil-Rule': e.rule_id, 'X-Vigil-Job': e.job_id },
  };
}
