/**
 * Durable alerting state in the data directory: rules, per-(rule, job) evaluation state and the
 * alert history with each delivery's attempts, kept in memory and in one append-only NDJSON log
 * (`<data_dir>/alerts/alerts.ndjson`). Every change is one line, written and fsynced before the
 * call returns — an alert is on disk before its first delivery attempt, and marked delivered only
 * after the receiver answered. Opening replays the log (a torn last line from a crash is cut
 * off); when the log holds much more than the live state it is compacted: a snapshot is written to
 * a temporary file, fsynced and renamed over the log. Compaction keeps every unfinished alert and
 * the newest `maxHistory` finished ones (never those younger than `minHistoryAgeMs`, so their keys
 * still stop repeats).
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readFile, rename, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { AlertEvent, AlertRule, RuleJobState } from '../../engine/alerting/index.js';

export type AlertStatus = 'fired' | 'delivered' | 'failed' | 'dead_letter' | 'suppressed' | 'recorded';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dead_letter';

export interface AttemptLog {
  at: number;
  ok: boolean;
  status?: number;
  error?: string;
}

export interface DeliveryState {
  /** Index of the action in the rule when the alert fired. */
  action: number;
  type: 'webhook' | 'slack' | 'email';
  target: string;
  status: DeliveryStatus;
  attempts: number;
  /** Epoch ms of the next attempt (pending / failed). */
  next_attempt_at: number | null;
  delivered_at: number | null;
  last_error: string | null;
  /** The last attempts (at most 20). */
  log: AttemptLog[];
}

export interface AlertRecord {
  key: string;
  event: AlertEvent;
  status: AlertStatus;
  /** The actions as they were when the alert fired (a later rule change does not re-route it). */
  actions: import('../../engine/alerting/index.js').AlertAction[];
  deliveries: DeliveryState[];
  created_at: number;
  updated_at: number;
}

type LogLine =
  | { t: 'rule'; rule: AlertRule; at: number }
  | { t: 'rule_del'; rule_id: string }
  | { t: 'state'; rule_id: string; job_id: string; state: RuleJobState }
  | { t: 'alert'; alert: AlertRecord };

export interface AlertStoreOptions {
  /** Finished alerts kept at compaction (default 10 000). */
  maxHistory?: number;
  /** Finished alerts younger than this are kept whatever their number (default 7 days). */
  minHistoryAgeMs?: number;
  clock?: () => number;
  log?: { warn(obj: object, msg?: string): void };
}

const FILE = 'alerts.ndjson';

/** Overall status from the deliveries. */
export function overallStatus(r: Pick<AlertRecord, 'event' | 'deliveries'>): AlertStatus {
  if (r.event.suppressed) return 'suppressed';
  if (r.deliveries.length === 0) return 'recorded';
  if (r.deliveries.every((d) => d.status === 'delivered')) return 'delivered';
  if (r.deliveries.some((d) => d.status === 'failed')) return 'failed';
  if (r.deliveries.some((d) => d.status === 'pending')) return 'fired';
  return 'dead_letter';
}

export function isFinished(r: AlertRecord): boolean {
  return r.deliveries.every((d) => d.status === 'delivered' || d.status === 'dead_letter');
}

export class AlertStore {
  readonly dir: string;
  readonly path: string;
  private fh: FileHandle | undefined;
  private readonly rules = new Map<string, { rule: AlertRule; at: number }>();
  private readonly states = new Map<string, RuleJobState>();
  private readonly alerts = new Map<string, AlertRecord>();
  private lines = 0;
  private writing: Promise<unknown> = Promise.resolve();
  private readonly opts: Required<Pick<AlertStoreOptions, 'maxHistory' | 'minHistoryAgeMs' | 'clock'>> & { log: AlertStoreOptions['log'] };

  private constructor(dir: string, o: AlertStoreOptions) {
    this.dir = dir;
    this.path = join(dir, FILE);
    this.opts = { maxHistory: o.maxHistory ?? 10_000, minHistoryAgeMs: o.minHistoryAgeMs ?? 7 * 86_400_000, clock: o.clock ?? Date.now, log: o.log };
  }

  /** Opens (creating) the store in `dir`, replaying its log. */
  static async open(dir: string, o: AlertStoreOptions = {}): Promise<AlertStore> {
    await mkdir(dir, { recursive: true });
    const s = new AlertStore(dir, o);
    await s.load();
    s.fh = await open(s.path, 'a');
    return s;
  }

  private async load(): Promise<void> {
    let buf: Buffer;
    try {
      buf = await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let pos = 0;
    let good = 0; // bytes up to the end of the last complete, readable line
    while (pos < buf.length) {
      const nl = buf.indexOf(0x0a, pos);
      const end = nl < 0 ? buf.length : nl + 1;
      const line = buf.subarray(pos, nl < 0 ? buf.length : nl).toString('utf8');
      pos = end;
      if (line.trim() === '') {
        if (nl >= 0) good = end;
        continue;
      }
      let rec: LogLine | undefined;
      try {
        rec = JSON.parse(line) as LogLine;
      } catch {
        rec = undefined;
      }
      const lastLine = buf.subarray(pos).toString('utf8').trim() === '';
      if (!rec || nl < 0) {
        if (lastLine) {
          // a torn last line (crash mid-write; complete lines always end with a newline): cut it off
          this.opts.log?.warn({ path: this.path, offset: good }, 'alert log: torn last line removed');
          await truncate(this.path, good);
          return;
        }
        this.opts.log?.warn({ path: this.path, offset: pos }, 'alert log: unreadable line skipped');
        good = end;
        continue;
      }
      this.apply(rec);
      this.lines++;
      good = end;
    }
  }

  private apply(rec: LogLine): void {
    switch (rec.t) {
      case 'rule':
        this.rules.set(rec.rule.rule_id, { rule: rec.rule, at: rec.at });
        break;
      case 'rule_del':
        this.rules.delete(rec.rule_id);
        for (const k of [...this.states.keys()]) if (k.startsWith(`${rec.rule_id}\u0000`)) this.states.delete(k);
        break;
      case 'state':
        this.states.set(`${rec.rule_id}\u0000${rec.job_id}`, rec.state);
        break;
      case 'alert':
        this.alerts.set(rec.alert.key, rec.alert);
        break;
    }
  }

  /** Appends lines and fsyncs (writes are serialised), then applies them in memory. */
  private append(recs: LogLine[]): Promise<void> {
    const run = async (): Promise<void> => {
      if (!this.fh) throw new Error('alert store is closed');
      await this.fh.appendFile(recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
      await this.fh.sync();
      for (const r of recs) this.apply(r);
      this.lines += recs.length;
      if (this.lines > 1000 && this.lines > 3 * this.liveCount()) await this.compactNow();
    };
    const p = this.writing.then(run, run);
    this.writing = p.catch(() => undefined);
    return p;
  }

  private liveCount(): number {
    return this.rules.size + this.states.size + this.alerts.size;
  }

  // rules

  listRules(): AlertRule[] {
    return [...this.rules.values()].map((r) => r.rule).sort((a, b) => a.rule_id.localeCompare(b.rule_id));
  }

  getRule(id: string): AlertRule | undefined {
    return this.rules.get(id)?.rule;
  }

  async putRule(rule: AlertRule): Promise<void> {
    await this.append([{ t: 'rule', rule, at: this.opts.clock() }]);
  }

  async deleteRule(id: string): Promise<void> {
    await this.append([{ t: 'rule_del', rule_id: id }]);
  }

  // evaluation state

  getState(ruleId: string, jobId: string): RuleJobState | undefined {
    return this.states.get(`${ruleId}\u0000${jobId}`);
  }

  // alerts

  hasAlert(key: string): boolean {
    return this.alerts.has(key);
  }

  getAlert(key: string): AlertRecord | undefined {
    return this.alerts.get(key);
  }

  listAlerts(): AlertRecord[] {
    return [...this.alerts.values()];
  }

  /** Records new alerts and the rule's next state for the job in one fsynced write. */
  async recordEvaluation(alerts: AlertRecord[], state?: { rule_id: string; job_id: string; state: RuleJobState }): Promise<void> {
    const recs: LogLine[] = alerts.map((alert) => ({ t: 'alert', alert }));
    if (state) {
      const prev = this.getState(state.rule_id, state.job_id);
      if (!prev || JSON.stringify(prev) !== JSON.stringify(state.state)) recs.push({ t: 'state', ...state });
    }
    if (recs.length > 0) await this.append(recs);
  }

  async updateAlert(alert: AlertRecord): Promise<void> {
    await this.append([{ t: 'alert', alert }]);
  }

  /** Rewrites the log as a snapshot of the live state (older finished alerts beyond the retention dropped). */
  compact(): Promise<void> {
    const p = this.writing.then(
      () => this.compactNow(),
      () => this.compactNow(),
    );
    this.writing = p.catch(() => undefined);
    return p;
  }

  private async compactNow(): Promise<void> {
    const now = this.opts.clock();
    const finished = [...this.alerts.values()].filter(isFinished).sort((a, b) => b.updated_at - a.updated_at);
    for (let i = this.opts.maxHistory; i < finished.length; i++) {
      if (now - finished[i].updated_at > this.opts.minHistoryAgeMs) this.alerts.delete(finished[i].key);
    }
    const out: string[] = [];
    for (const r of this.rules.values()) out.push(JSON.stringify({ t: 'rule', rule: r.rule, at: r.at }));
    for (const [k, state] of this.states) {
      const [rule_id, job_id] = k.split('\u0000');
      out.push(JSON.stringify({ t: 'state', rule_id, job_id, state }));
    }
    for (const a of [...this.alerts.values()].sort((x, y) => x.created_at - y.created_at)) out.push(JSON.stringify({ t: 'alert', alert: a }));
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(out.length ? out.join('\n') + '\n' : '');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.fh?.close();
    await rename(tmp, this.path);
    const dfd = openSync(this.dir, 'r');
    try {
      fsyncSync(dfd);
    } catch {
      // some file systems refuse fsync on a directory
    } finally {
      closeSync(dfd);
    }
    this.fh = await open(this.path, 'a');
    this.lines = out.length;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.fh?.close();
    this.fh = undefined;
  }
}
