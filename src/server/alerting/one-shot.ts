/**
 * One-shot alerts for `vigil detect FILE --alert-webhook URL`: one webhook per anomalous event of
 * severity major or above (score ≥ 50) and one per missing-data run, in the same JSON body and
 * with the same idempotency keys as the server's alerts (rule `detect`, job = the file name), so
 * running detect twice over the same file lets the receiver drop the repeats. Each delivery is
 * retried with backoff a few times; the caller learns how many failed.
 */
import { basename } from 'node:path';
import { VigilError } from '../../core/errors.js';
import { severityOf } from '../../core/score/severity.js';
import { formatDuration } from '../../core/time/duration.js';
import { alertKey, retryDelay, withoutResult, type AlertEvent, type AlertSeverity } from '../../engine/alerting/index.js';
import { attemptDelivery } from './deliver.js';

export interface OneShotAnomaly {
  time: number;
  partition: string | null;
  score: number;
  actual: number;
  typical: number;
  lower: number;
  upper: number;
  kind: string;
  explanation: string;
}

export interface OneShotMissingRun {
  partition: string | null;
  start: number;
  length: number;
}

export interface OneShotInput {
  url: string;
  /** The input file ('-' for stdin). */
  file: string;
  spanMs: number;
  functionName: string;
  field: string | null;
  partitionField: string | null;
  anomalies: readonly OneShotAnomaly[];
  missingRuns: readonly OneShotMissingRun[];
  /** Lowest score alerted (default 50: major and above). */
  minScore?: number;
  attempts?: number;
  /** First retry delay (default 1 s). */
  retryMs?: number;
  clock?: () => number;
}

export interface OneShotResult {
  sent: number;
  failed: { key: string; error: string }[];
  anomalies: number;
  missingRuns: number;
}

/** The alerts detect would send (without sending them). */
export function oneShotEvents(o: OneShotInput): AlertEvent[] {
  const now = (o.clock ?? Date.now)();
  const job = o.file === '-' ? 'stdin' : basename(o.file);
  const minScore = o.minScore ?? 50;
  const entity = (p: string | null): Record<string, string> => (p !== null && o.partitionField ? { partition_field_name: o.partitionField, partition_field_value: p } : {});
  const events: AlertEvent[] = [];
  for (const a of o.anomalies) {
    if (!(a.score >= minScore)) continue;
    events.push({
      key: alertKey({ ruleId: 'detect', jobId: job, eventTime: a.time, kind: 'anomaly', phase: 'fired', entity: a.partition ?? undefined }),
      rule_id: 'detect',
      job_id: job,
      kind: 'anomaly',
      phase: 'fired',
      event_time: a.time,
      severity: severityOf(a.score) as AlertSeverity,
      score: Math.round(a.score * 10) / 10,
      result_type: 'record',
      actual: Number.isFinite(a.actual) ? [a.actual] : null,
      typical: Number.isFinite(a.typical) ? [a.typical] : null,
      entity: entity(a.partition),
      is_interim: false,
      explanation: a.explanation,
      details: { function: o.functionName, ...(o.field ? { field_name: o.field } : {}), anomaly_kind: a.kind, lower: a.lower, upper: a.upper, bucket_span: formatDuration(o.spanMs) },
      suppressed: false,
      detected_at: now,
    });
  }
  for (const r of o.missingRuns) {
    events.push({
      key: alertKey({ ruleId: 'detect', jobId: job, eventTime: r.start, kind: 'missing_data_run', phase: 'fired', entity: r.partition ?? undefined }),
      rule_id: 'detect',
      job_id: job,
      kind: 'missing_data_run',
      phase: 'fired',
      event_time: r.start,
      severity: 'critical',
      ...withoutResult(entity(r.partition)),
      explanation: `no data for ${r.length} bucket${r.length === 1 ? '' : 's'} (${formatDuration(r.length * o.spanMs)}) from ${new Date(r.start).toISOString()}${r.partition !== null && o.partitionField ? ` (${o.partitionField}=${r.partition})` : ''}`,
      details: { run_start: new Date(r.start).toISOString(), missing_buckets: r.length, bucket_span: formatDuration(o.spanMs) },
      suppressed: false,
      detected_at: now,
    });
  }
  return events.sort((a, b) => a.event_time - b.event_time);
}

/** Sends the alerts one after another (in time order), each retried with backoff. */
export async function sendOneShotAlerts(o: OneShotInput): Promise<OneShotResult> {
  let u: URL | undefined;
  try {
    u = new URL(o.url);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) throw new VigilError('USAGE', `--alert-webhook must be an http(s) URL, got [${o.url}]`);
  const events = oneShotEvents(o);
  const attempts = o.attempts ?? 4;
  const policy = { initialMs: o.retryMs ?? 1000, maxDelayMs: 30_000, maxAttempts: attempts, jitter: 0.25 };
  const res: OneShotResult = { sent: 0, failed: [], anomalies: events.filter((e) => e.kind === 'anomaly').length, missingRuns: events.filter((e) => e.kind === 'missing_data_run').length };
  for (const e of events) {
    let error = '';
    for (let n = 1; ; n++) {
      const r = await attemptDelivery({ type: 'webhook', url: o.url, headers: {} }, e, undefined, {}, n);
      if (r.ok) {
        res.sent++;
        break;
      }
      error = r.error ?? 'failed';
      const delay = retryDelay(n, e.key, policy);
      if (delay === null) {
        res.failed.push({ key: e.key, error });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  return res;
}

/** One line for stderr: what was sent where, and what could not be. */
export function reportOneShot(r: OneShotResult, url: string): string {
  const what = `${r.anomalies} anomal${r.anomalies === 1 ? 'y' : 'ies'} (major or above), ${r.missingRuns} missing-data run${r.missingRuns === 1 ? '' : 's'}`;
  let text = `alerts: ${r.sent} of ${r.sent + r.failed.length} sent to ${url} (${what})\n`;
  for (const f of r.failed) text += `alerts: could not deliver ${f.key}: ${f.error}\n`;
  return text;
}
