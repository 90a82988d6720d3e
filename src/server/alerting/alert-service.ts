/**
 * The alerting service: keeps the rules, evaluates them — when a job's results are written (the
 * job service's results hook calls `notifyResults`) and on a timer (so `no_data` fires when
 * nothing arrives at all) — records the alerts durably, and delivers them with retries.
 *
 * Guarantees:
 * - an alert is fsynced to the history (status `fired`) before its first delivery attempt, and is
 *   marked `delivered` only after the receiver accepted it (2xx, or the SMTP server's 250);
 * - an evaluation repeated for any reason (hook and timer, a replayed write-ahead log, a restart)
 *   produces the same idempotency keys, and a key already in the history is never recorded or
 *   delivered again;
 * - after a restart, deliveries not yet delivered resume on their schedule; an attempt that was in
 *   flight when the process died is sent again with the same idempotency key (at-least-once: the
 *   key lets the receiver drop the copy);
 * - a failed attempt is retried with exponential backoff (engine/alerting/backoff.ts); when the
 *   attempts run out the delivery is dead-lettered (status `dead_letter`, every attempt logged) and
 *   can be retried through the API.
 */
import type { AlertAction, AlertEvent, AlertRule, JobView, ResultLike, RetryPolicy } from '../../engine/alerting/index.js';
import { DEFAULT_RETRY, alertLink, emptyRuleJobState, evaluateRule, renderAlertRule, resultsWindow, retryDelay, ruleMatchesJob, validateAlertRule } from '../../engine/alerting/index.js';
import { VigilError } from '../../core/errors.js';
import { Serial } from '../../core/serial.js';
import { AlertStore, isFinished, overallStatus, type AlertRecord, type AlertStatus, type DeliveryState } from './alert-store.js';
import { actionTarget, attemptDelivery, closeTransports, type DeliveryConfig } from './deliver.js';

/** What alerting needs from the jobs side. */
export interface AlertJobsPort {
  /** Every job with what evaluation needs; `latest_bucket_time` only when `withLatestBucket`. */
  jobs(o: { withLatestBucket: boolean }): Promise<JobView[]>;
  /** A job's results of the given types with timestamp ≥ start, oldest first. */
  results(jobId: string, types: string[], start: number): Promise<ResultLike[]>;
}

export interface AlertServiceOptions {
  /** Directory of the alert log (the server uses `<data_dir>/alerts`). */
  dir: string;
  jobs: AlertJobsPort;
  delivery?: DeliveryConfig;
  retry?: Partial<RetryPolicy>;
  clock?: () => number;
  /** Timer period: no_data rules and due deliveries (default 5 s). */
  tickMs?: number;
  /** Every rule is also re-evaluated this often, whatever the hook said (default 60 s). */
  fullEvaluationMs?: number;
  /** false: no timers (tests call tick() and evaluate()). */
  timers?: boolean;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

export interface HistoryQuery {
  rule_id?: string;
  job_id?: string;
  status?: AlertStatus;
  kind?: string;
  /** Epoch ms, inclusive (detected_at). */
  start?: number;
  from?: number;
  size?: number;
}

export class AlertService {
  readonly store: AlertStore;
  private readonly port: AlertJobsPort;
  private delivery: DeliveryConfig;
  private readonly retry: RetryPolicy;
  private readonly clock: () => number;
  private log: NonNullable<AlertServiceOptions['log']>;
  private readonly evalQueue = new Serial();
  private readonly updates = new Serial();
  private readonly pendingJobs = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private tickTimer: NodeJS.Timeout | undefined;
  private fullTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Set by close(): no new attempts start. */
  private stopping = false;

  private constructor(store: AlertStore, o: AlertServiceOptions) {
    this.store = store;
    this.port = o.jobs;
    this.delivery = o.delivery ?? {};
    this.retry = { ...DEFAULT_RETRY, ...o.retry };
    this.clock = o.clock ?? Date.now;
    this.log = o.log ?? { info() {}, warn() {}, error() {} };
  }

  /** Opens the history in `o.dir`, resumes pending deliveries and starts the timers. */
  static async open(o: AlertServiceOptions): Promise<AlertService> {
    const store = await AlertStore.open(o.dir, { clock: o.clock, log: o.log });
    const s = new AlertService(store, o);
    const pending = store.listAlerts().filter((a) => !isFinished(a)).length;
    if (pending > 0) s.log.info({ pending }, 'alerting: resuming deliveries not yet delivered');
    if (o.timers !== false) {
      const tick = o.tickMs ?? 5000;
      s.tickTimer = setInterval(() => void s.tick().catch((err) => s.log.error({ err: String(err) }, 'alerting: timer evaluation failed')), tick);
      s.tickTimer.unref();
      s.fullTimer = setInterval(() => void s.evaluate().catch((err) => s.log.error({ err: String(err) }, 'alerting: evaluation failed')), o.fullEvaluationMs ?? 60_000);
      s.fullTimer.unref();
    }
    s.pump();
    return s;
  }

  /** Uses the app's logger. */
  setLogger(log: NonNullable<AlertServiceOptions['log']>): void {
    this.log = log;
  }

  /** The base URL of alert links, unless one was configured (the server calls it once it listens). */
  setDefaultPublicUrl(url: string): void {
    if (!this.delivery.publicUrl) this.delivery = { ...this.delivery, publicUrl: url };
  }

  // ------------------------------------------------------------------------------------------
  // rules

  async putRule(ruleId: string, body: unknown): Promise<{ created: boolean; rule: Record<string, unknown> }> {
    this.checkOpen();
    const rule = validateAlertRule(ruleId, body);
    const created = !this.store.getRule(ruleId);
    await this.store.putRule(rule);
    this.log.info({ rule_id: ruleId, created }, 'alert rule stored');
    void this.evaluate({ ruleId }).catch((err) => this.log.error({ err: String(err) }, 'alerting: evaluation failed'));
    return { created, rule: renderAlertRule(rule, { redact: true }) };
  }

  getRule(ruleId: string): Record<string, unknown> {
    const r = this.store.getRule(ruleId);
    if (!r) throw new VigilError('RESOURCE_NOT_FOUND', `No alert rule with id [${ruleId}]`);
    return renderAlertRule(r, { redact: true });
  }

  listRules(): Record<string, unknown>[] {
    return this.store.listRules().map((r) => renderAlertRule(r, { redact: true }));
  }

  async deleteRule(ruleId: string): Promise<void> {
    this.checkOpen();
    if (!this.store.getRule(ruleId)) throw new VigilError('RESOURCE_NOT_FOUND', `No alert rule with id [${ruleId}]`);
    await this.store.deleteRule(ruleId);
  }

  // ------------------------------------------------------------------------------------------
  // history

  history(q: HistoryQuery = {}): { count: number; alerts: Record<string, unknown>[] } {
    let all = this.store.listAlerts();
    if (q.rule_id) all = all.filter((a) => a.event.rule_id === q.rule_id);
    if (q.job_id) all = all.filter((a) => a.event.job_id === q.job_id);
    if (q.status) all = all.filter((a) => a.status === q.status);
    if (q.kind) all = all.filter((a) => a.event.kind === q.kind);
    if (q.start !== undefined) all = all.filter((a) => a.event.detected_at >= (q.start as number));
    all.sort((a, b) => b.event.detected_at - a.event.detected_at || b.event.event_time - a.event.event_time || (a.key < b.key ? -1 : 1));
    const from = q.from ?? 0;
    const size = q.size ?? 100;
    return { count: all.length, alerts: all.slice(from, from + size).map((a) => this.renderAlert(a)) };
  }

  getAlert(key: string): Record<string, unknown> {
    const a = this.store.getAlert(key);
    if (!a) throw new VigilError('RESOURCE_NOT_FOUND', `No alert with key [${key}]`);
    return this.renderAlert(a);
  }

  /** Sends a dead-lettered (or failing) alert again now, with a fresh set of attempts. */
  async retryAlert(key: string): Promise<Record<string, unknown>> {
    this.checkOpen();
    if (!this.store.getAlert(key)) throw new VigilError('RESOURCE_NOT_FOUND', `No alert with key [${key}]`);
    await this.updates.run(async () => {
      const rec = structuredClone(this.store.getAlert(key) as AlertRecord);
      const now = this.clock();
      for (const d of rec.deliveries) {
        if (d.status === 'dead_letter' || d.status === 'failed') {
          d.status = 'pending';
          d.attempts = 0;
          d.next_attempt_at = now;
        }
      }
      rec.status = overallStatus(rec);
      rec.updated_at = now;
      await this.store.updateAlert(rec);
    });
    this.pump();
    return this.getAlert(key);
  }

  private renderAlert(a: AlertRecord): Record<string, unknown> {
    const e = a.event;
    return {
      key: a.key,
      status: a.status,
      rule_id: e.rule_id,
      job_id: e.job_id,
      kind: e.kind,
      phase: e.phase,
      severity: e.severity,
      score: e.score,
      time: new Date(e.event_time).toISOString(),
      timestamp: e.event_time,
      detected_at: new Date(e.detected_at).toISOString(),
      result_type: e.result_type,
      actual: e.actual,
      typical: e.typical,
      entity: e.entity,
      is_interim: e.is_interim,
      suppressed: e.suppressed,
      explanation: e.explanation,
      details: e.details,
      link: alertLink(e, this.delivery),
      deliveries: a.deliveries.map((d) => ({
        type: d.type,
        target: d.target,
        status: d.status,
        attempts: d.attempts,
        next_attempt_at: d.next_attempt_at === null ? null : new Date(d.next_attempt_at).toISOString(),
        delivered_at: d.delivered_at === null ? null : new Date(d.delivered_at).toISOString(),
        last_error: d.last_error,
        log: d.log.map((l) => ({ ...l, at: new Date(l.at).toISOString() })),
      })),
    };
  }

  // ------------------------------------------------------------------------------------------
  // evaluation

  /** The results hook: the job's results changed; its rules are evaluated soon (coalesced). */
  notifyResults(jobId: string): void {
    if (this.closed || this.pendingJobs.has(jobId)) return;
    this.pendingJobs.add(jobId);
    void this.evalQueue
      .run(async () => {
        this.pendingJobs.delete(jobId);
        await this.evaluateNow({ jobId, skipNoData: true });
      })
      .catch((err) => this.log.error({ job_id: jobId, err: String(err) }, 'alerting: evaluation after results failed'));
  }

  /** One timer tick: no_data rules against the wall clock, and deliveries that are due. */
  async tick(): Promise<void> {
    if (this.closed) return;
    await this.evalQueue.run(() => this.evaluateNow({ onlyNoData: true }));
    this.pump();
  }

  /** Evaluates every enabled rule (or those of one rule / job) now; returns the alerts recorded. */
  evaluate(o: { ruleId?: string; jobId?: string } = {}): Promise<number> {
    return this.evalQueue.run(() => this.evaluateNow(o));
  }

  private async evaluateNow(o: { ruleId?: string; jobId?: string; onlyNoData?: boolean; skipNoData?: boolean }): Promise<number> {
    if (this.closed) return 0;
    let rules = this.store.listRules().filter((r) => r.enabled && (!o.ruleId || r.rule_id === o.ruleId));
    if (o.onlyNoData) rules = rules.filter((r) => r.condition.type === 'no_data');
    if (o.skipNoData) rules = rules.filter((r) => r.condition.type !== 'no_data');
    if (rules.length === 0) return 0;
    const withLatestBucket = rules.some((r) => r.condition.type !== 'no_data');
    const jobs = (await this.port.jobs({ withLatestBucket })).filter((j) => !o.jobId || j.job_id === o.jobId);
    let recorded = 0;
    for (const rule of rules) {
      for (const job of jobs) {
        if (!ruleMatchesJob(rule, job.job_id, job.groups)) continue;
        const now = this.clock();
        const w = resultsWindow(rule, job, now);
        const docs = w ? await this.port.results(job.job_id, w.types, w.start) : [];
        const state = this.store.getState(rule.rule_id, job.job_id) ?? emptyRuleJobState();
        const out = evaluateRule({ rule, job, docs, now, state, isKnown: (k) => this.store.hasAlert(k) });
        const records = out.events.map((e) => this.newRecord(e, rule, now));
        await this.store.recordEvaluation(records, { rule_id: rule.rule_id, job_id: job.job_id, state: out.state });
        for (const r of records) {
          recorded++;
          this.log.info({ key: r.key, rule_id: rule.rule_id, job_id: job.job_id, kind: r.event.kind, phase: r.event.phase, status: r.status }, r.event.suppressed ? 'alert suppressed' : 'alert fired');
        }
      }
    }
    if (recorded > 0) this.pump();
    return recorded;
  }

  private newRecord(e: AlertEvent, rule: AlertRule, now: number): AlertRecord {
    const actions: AlertAction[] = e.suppressed ? [] : rule.actions;
    const deliveries: DeliveryState[] = actions.map((a, i) => ({
      action: i,
      type: a.type,
      target: actionTarget(a),
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      delivered_at: null,
      last_error: null,
      log: [],
    }));
    const rec: AlertRecord = { key: e.key, event: e, status: 'fired', actions, deliveries, created_at: now, updated_at: now };
    rec.status = overallStatus(rec);
    return rec;
  }

  // ------------------------------------------------------------------------------------------
  // delivery

  /** Starts every due attempt not already in flight, and sets a wake-up for the next one. */
  private pump(): void {
    if (this.closed || this.stopping) return;
    const now = this.clock();
    let next = Infinity;
    for (const a of this.store.listAlerts()) {
      if (isFinished(a)) continue;
      for (const d of a.deliveries) {
        if (d.status !== 'pending' && d.status !== 'failed') continue;
        const id = `${a.key}#${d.action}`;
        if (this.inFlight.has(id)) continue;
        const due = d.next_attempt_at ?? now;
        if (due <= now) {
          const p = this.attempt(a.key, d.action)
            .catch((err) => this.log.error({ key: a.key, err: String(err) }, 'alerting: recording a delivery attempt failed'))
            .finally(() => {
            this.inFlight.delete(id);
            this.pump();
          });
          this.inFlight.set(id, p);
        } else next = Math.min(next, due);
      }
    }
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (Number.isFinite(next)) {
      this.wakeTimer = setTimeout(() => this.pump(), Math.max(0, next - now));
      this.wakeTimer.unref();
    }
  }

  private async attempt(key: string, actionIndex: number): Promise<void> {
    const rec = this.store.getAlert(key);
    if (!rec) return;
    const d = rec.deliveries.find((x) => x.action === actionIndex);
    const action = rec.actions[actionIndex];
    if (!d || !action) return;
    const attemptNo = d.attempts + 1;
    const result = await attemptDelivery(action, rec.event, this.store.getRule(rec.event.rule_id), this.delivery, attemptNo);
    if (this.closed) return; // the process is going away: the attempt is repeated after the restart
    await this.updates.run(async () => {
      const cur = structuredClone(this.store.getAlert(key) as AlertRecord);
      const ds = cur.deliveries.find((x) => x.action === actionIndex) as DeliveryState;
      const now = this.clock();
      ds.attempts = attemptNo;
      ds.log = [...ds.log, { at: now, ok: result.ok, ...(result.status !== undefined ? { status: result.status } : {}), ...(result.error ? { error: result.error } : {}) }].slice(-20);
      if (result.ok) {
        ds.status = 'delivered';
        ds.delivered_at = now;
        ds.next_attempt_at = null;
        ds.last_error = null;
      } else {
        const delay = retryDelay(attemptNo, `${key}#${actionIndex}`, this.retry);
        ds.last_error = result.error ?? 'failed';
        if (delay === null) {
          ds.status = 'dead_letter';
          ds.next_attempt_at = null;
          this.log.error({ key, rule_id: cur.event.rule_id, job_id: cur.event.job_id, target: ds.target, attempts: attemptNo, error: ds.last_error }, 'alert delivery dead-lettered');
        } else {
          ds.status = 'failed';
          ds.next_attempt_at = now + delay;
          this.log.warn({ key, target: ds.target, attempt: attemptNo, retry_in_ms: delay, error: ds.last_error }, 'alert delivery failed; will retry');
        }
      }
      cur.status = overallStatus(cur);
      cur.updated_at = now;
      await this.store.updateAlert(cur);
    });
  }

  /** Resolves when every delivery is delivered or dead-lettered, and nothing is in flight (tests). */
  async idle(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      await this.evalQueue.run(async () => undefined);
      await Promise.all([...this.inFlight.values()]);
      await this.updates.run(async () => undefined);
      if (this.inFlight.size === 0 && this.store.listAlerts().every(isFinished)) return;
      if (Date.now() > until) throw new Error('alerting did not become idle');
      this.pump();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new VigilError('SHUTTING_DOWN', 'alerting is shutting down');
  }

  /**
   * Stops timers and waits (up to `graceMs`) for attempts in flight to be recorded; attempts still
   * running after that are repeated at the next start.
   */
  async close(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.fullTimer) clearInterval(this.fullTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    await Promise.race([Promise.all([...this.inFlight.values()]), new Promise((r) => setTimeout(r, graceMs).unref())]);
    this.closed = true;
    await this.evalQueue.run(async () => undefined);
    await this.updates.run(async () => undefined);
    await this.store.close();
    closeTransports();
  }

  /** Drops everything without waiting or writing (tests: a crash). */
  async abandon(): Promise<void> {
    this.closed = true;
    this.stopping = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.fullTimer) clearInterval(this.fullTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    await this.store.close().catch(() => undefined);
  }
}
