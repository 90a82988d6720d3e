/**
 * One delivery attempt of an alert to one action: an HTTP webhook (JSON body), a Slack-compatible
 * incoming webhook, or an e-mail over SMTP (nodemailer). Each attempt carries the alert's
 * idempotency key — the `Idempotency-Key` header and `idempotency_key` in the body for webhooks,
 * the Message-ID and `X-Vigil-Idempotency-Key` header for e-mail — so a receiver can drop the
 * copy a retry or a restart may send. The attempt never throws: it reports ok or the error.
 */
import { createTransport, type Transporter } from 'nodemailer';
import type { AlertAction, AlertEvent, AlertRule, LinkOptions } from '../../engine/alerting/index.js';
import { emailMessage, redactUrl, slackBody, webhookBody } from '../../engine/alerting/index.js';

export interface SmtpConfig {
  /** An SMTP URL (`smtp://user:pass@host:587`, `smtps://…:465`) or nodemailer transport options. */
  url?: string;
  host?: string;
  port?: number;
  secure?: boolean;
  user?: string;
  pass?: string;
  /** Default sender of alert e-mails. */
  from: string;
  /** Accept self-signed certificates (test receivers). */
  allowInvalidCerts?: boolean;
  /** Never upgrade with STARTTLS (test receivers on loopback). */
  ignoreTLS?: boolean;
}

export interface DeliveryConfig extends LinkOptions {
  smtp?: SmtpConfig | null;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  userAgent?: string;
}

export interface AttemptResult {
  ok: boolean;
  /** HTTP status, or the SMTP response code. */
  status?: number;
  error?: string;
}

/** Where an action delivers to, for the history (no credentials: the URL's user info and query are dropped). */
export function actionTarget(a: AlertAction): string {
  if (a.type === 'email') return `mailto:${a.to.join(',')}`;
  if (a.type === 'slack') return redactUrl(a.url, true);
  try {
    const u = new URL(a.url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return a.type;
  }
}

const transports = new Map<string, Transporter>();

function transportFor(smtp: SmtpConfig): Transporter {
  const id = JSON.stringify(smtp);
  let t = transports.get(id);
  if (!t) {
    const tls = smtp.allowInvalidCerts ? { rejectUnauthorized: false } : undefined;
    t = smtp.url
      ? createTransport({ url: smtp.url, ...(tls ? { tls } : {}), connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 })
      : createTransport({
          host: smtp.host ?? '127.0.0.1',
          port: smtp.port ?? 25,
          secure: smtp.secure ?? false,
          ignoreTLS: smtp.ignoreTLS ?? false,
          ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
          ...(tls ? { tls } : {}),
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 20_000,
        });
    transports.set(id, t);
  }
  return t;
}

async function postJson(url: string, body: unknown, headers: Record<string, string>, cfg: DeliveryConfig): Promise<AttemptResult> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': cfg.userAgent ?? 'vigil-alerting', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(cfg.timeoutMs ?? 10_000),
      redirect: 'follow',
    });
    // drain the body so the connection is released
    const text = await res.text().catch(() => '');
    if (res.ok) return { ok: true, status: res.status };
    return { ok: false, status: res.status, error: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `timed out after ${cfg.timeoutMs ?? 10_000} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, error: why };
  }
}

/**
 * Attempts one delivery.
 *
 * @example
 * await attemptDelivery({ type: 'webhook', url: 'http://127.0.0.1:9000/', headers: {} }, event, rule, { publicUrl }, 1)
 * // → { ok: true, status: 200 } or { ok: false, error: 'ECONNREFUSED' }
 */
export async function attemptDelivery(action: AlertAction, event: AlertEvent, rule: AlertRule | undefined, cfg: DeliveryConfig, attempt: number): Promise<AttemptResult> {
  const common = { 'idempotency-key': event.key, 'x-vigil-idempotency-key': event.key, 'x-vigil-attempt': String(attempt) };
  switch (action.type) {
    case 'webhook':
      return postJson(action.url, { ...webhookBody(event, rule, cfg), attempt }, { ...action.headers, ...common }, cfg);
    case 'slack':
      return postJson(action.url, slackBody(event, cfg), common, cfg);
    case 'email': {
      const smtp = cfg.smtp;
      if (!smtp) return { ok: false, error: 'no SMTP server configured (set VIGIL_SMTP_URL and VIGIL_SMTP_FROM)' };
      const m = emailMessage(event, { ...cfg, domain: (action.from ?? smtp.from).split('@')[1]?.replace(/>.*/, '') });
      try {
        const info = await transportFor(smtp).sendMail({
          from: action.from ?? smtp.from,
          to: action.to,
          subject: m.subject,
          text: m.text,
          messageId: m.messageId,
          headers: { ...m.headers, 'X-Vigil-Attempt': String(attempt) },
        });
        const code = Number.parseInt(String((info as { response?: string }).response ?? '250'), 10);
        return { ok: true, status: Number.isFinite(code) ? code : 250 };
      } catch (err) {
        const e = err as Error & { responseCode?: number; code?: string };
        return { ok: false, status: e.responseCode, error: `${e.code ? e.code + ': ' : ''}${e.message}`.slice(0, 300) };
      }
    }
  }
}

/** Closes pooled SMTP connections (tests, shutdown). */
export function closeTransports(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}
