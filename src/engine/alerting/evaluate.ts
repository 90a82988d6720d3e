/**
 * Rule evaluation without I/O: given a rule, a view of one job (bucket span, latest data times),
 * the job's results in the window the rule needs, the wall clock and the rule's state for that
 * job, it returns the alerts to record (fired, suppressed or recovered) and the next state.
 *
 * Every alert carries a key derived from the rule, the job, the event's data time and its kind
 * (keys.ts), so evaluating the same results twice — on the results hook and on the timer, or after
 * a restart — yields the same keys; `isKnown` (the alert history) drops the repeats. The state
 * holds what the results alone cannot tell: which downtime episodes are open (fired, not yet
 * recovered) and when the rule last fired for the job (suppression).
 *
 * Conditions:
 * - `anomaly`: results of the chosen level (record, bucket, influencer) scoring ≥ min_score within
 *   the lookback before the job's newest bucket; at most one alert per bucket time; with
 *   `min_count`, only when that many qualifying results fall in the window ending at the bucket.
 *   Interim results are ignored unless `include_interim`.
 * - `no_data`: now − the job's latest data time ≥ buckets × bucket span (+ delay), for open jobs
 *   (counted from the job's opening when that is later); one alert per silence, and a recovery
 *   when data arrives again.
 * - `missing_data_run`: a run of empty or absent buckets longer than max_buckets in the window;
 *   a recovery when a bucket with data follows it.
 * - `volume`: a detector's actual value below (or above) the model's bounds for `buckets`
 *   consecutive buckets, per series (partition/by/over value); a recovery when it returns within
 *   the bounds.
 */
import { severityOf, type Severity } from '../../core/score/severity.js';
import { formatDuration } from '../../core/time/duration.js';
import { alertKey, type AlertKind, type AlertPhase } from './keys.js';
import type { AlertRule, AnomalyCondition, MissingRunCondition, NoDataCondition, VolumeCondition } from './rule.js';

/** An Elastic-shaped results document (bucket, record, influencer, model_plot). */
export type ResultLike = Record<string, unknown> & { result_type: string; timestamp: number; job_id: string };

/** What evaluation needs to know about a job. */
export interface JobView {
  job_id: string;
  groups: string[];
  bucket_span_ms: number;
  /** `opened`, `closed` or `failed`; no_data fires for opened jobs only. */
  state: string;
  /** data_counts.latest_record_timestamp (epoch ms, data time). */
  latest_record_timestamp?: number;
  /** data_counts.last_data_time (epoch ms, wall clock of the last data received). */
  last_data_time?: number;
  /** Start of the newest final bucket result (epoch ms). */
  latest_bucket_time?: number;
  /**
   * Wall clock of the job's last opening (epoch ms). A job gets no data while it is closed, so
   * until data arrives after the opening a silence is counted from the opening: a job opened again
   * after a night closed is not alerted on before its datafeed had the threshold to catch up.
   */
  opened_at?: number;
}

/** One open downtime episode (fired, not yet recovered). */
export interface OpenEpisode {
  kind: AlertKind;
  /** Data time the episode started at (no_data: the last data before the silence; runs: the first bucket of the run). */
  start: number;
  key: string;
  /** True when its firing was suppressed (its recovery is then suppressed too). */
  suppressed: boolean;
  /** Series of a volume episode. */
  entity?: string;
}

/** What a rule remembers per job between evaluations (persisted with the alert history). */
export interface RuleJobState {
  /** Open episodes by series key ('' for job-level conditions). */
  open: Record<string, OpenEpisode>;
  /** Event time of the last alert of the rule for the job that was not suppressed (null: none yet). */
  last_fired_time: number | null;
}

export function emptyRuleJobState(): RuleJobState {
  return { open: {}, last_fired_time: null };
}

export type AlertSeverity = Exclude<Severity, 'none'> | 'ok';

/** An alert as recorded in the history and sent to receivers. */
export interface AlertEvent {
  /** Idempotency key (keys.ts). */
  key: string;
  rule_id: string;
  job_id: string;
  kind: AlertKind;
  phase: AlertPhase;
  /** Data time of the event (epoch ms): the bucket of an anomaly, the start of a downtime episode. */
  event_time: number;
  /** `ok` for recoveries. */
  severity: AlertSeverity;
  /** Score of the anomaly (0–100), or of the highest-scoring record of a volume episode; null otherwise. */
  score: number | null;
  result_type: 'record' | 'bucket' | 'influencer' | null;
  actual: number[] | null;
  typical: number[] | null;
  /** Series fields: partition/by/over field names and values, or the influencer field and value. */
  entity: Record<string, string>;
  is_interim: boolean;
  /** One sentence a person can act on. */
  explanation: string;
  /** Condition-specific facts: run lengths, counts in window, silence duration, other anomalies at the time. */
  details: Record<string, unknown>;
  /** True when suppression kept it from being sent (it is still recorded). */
  suppressed: boolean;
  /** Wall clock when evaluation produced it (epoch ms). */
  detected_at: number;
}

export interface EvaluationInput {
  rule: AlertRule;
  job: JobView;
  /** Results of the job from `resultsWindow(...).start` on, of the types it names. */
  docs: readonly ResultLike[];
  /** Wall clock (epoch ms). */
  now: number;
  state: RuleJobState;
  /** Whether an alert with this key is already in the history. */
  isKnown: (key: string) => boolean;
}

export interface EvaluationOutput {
  events: AlertEvent[];
  state: RuleJobState;
}

/** Which results a rule needs for a job: the result types and the earliest timestamp (inclusive). null: none (no_data needs only the job view). */
export function resultsWindow(rule: AlertRule, job: JobView, now: number): { types: ('bucket' | 'record' | 'influencer' | 'model_plot')[]; start: number } | null {
  const c = rule.condition;
  const span = job.bucket_span_ms;
  const ref = job.latest_bucket_time ?? now;
  switch (c.type) {
    case 'anomaly': {
      const { lookback, window } = anomalyWindows(c, span);
      const types: ('bucket' | 'record' | 'influencer')[] = c.result_type === 'bucket' ? ['bucket', 'record'] : [c.result_type];
      return { types, start: ref - lookback - window };
    }
    case 'missing_data_run':
      return { types: ['bucket'], start: ref - missingRunWindow(c, span) };
    case 'volume':
      return { types: ['bucket', 'record', 'model_plot'], start: ref - volumeWindow(c, span) };
    case 'no_data':
      return null;
  }
}

function anomalyWindows(c: AnomalyCondition, span: number): { lookback: number; window: number } {
  const lookback = c.lookback_ms ?? Math.max(c.window_ms ?? 0, 2 * span);
  const window = c.window_ms ?? lookback;
  return { lookback, window };
}

function missingRunWindow(c: MissingRunCondition, span: number): number {
  return c.window_ms ?? Math.max(86_400_000, 4 * (c.max_buckets + 1) * span);
}

function volumeWindow(c: VolumeCondition, span: number): number {
  return Math.max(86_400_000, 4 * c.buckets * span);
}

/** Evaluates one rule for one job. Pure: the same input gives the same output. */
export function evaluateRule(input: EvaluationInput): EvaluationOutput {
  const state: RuleJobState = { open: { ...input.state.open }, last_fired_time: input.state.last_fired_time };
  if (!input.rule.enabled) return { events: [], state };
  const c = input.rule.condition;
  const ctx: Ctx = { ...input, state, events: [], emitted: new Set() };
  switch (c.type) {
    case 'anomaly':
      evaluateAnomaly(ctx, c);
      break;
    case 'no_data':
      evaluateNoData(ctx, c);
      break;
    case 'missing_data_run':
      evaluateMissingRun(ctx, c);
      break;
    case 'volume':
      evaluateVolume(ctx, c);
      break;
  }
  return { events: ctx.events, state };
}

interface Ctx extends EvaluationInput {
  state: RuleJobState;
  events: AlertEvent[];
  /** Keys produced by this evaluation (a run can be seen from two sides in one pass). */
  emitted: Set<string>;
}

type Draft = Omit<AlertEvent, 'key' | 'rule_id' | 'job_id' | 'suppressed' | 'detected_at'> & { entityKey?: string };

/** Adds a firing, applying the history (known keys) and suppression; returns its key and whether it was suppressed (null when already known). */
function fire(ctx: Ctx, d: Draft): { key: string; suppressed: boolean; known: boolean } {
  const key = alertKey({ ruleId: ctx.rule.rule_id, jobId: ctx.job.job_id, eventTime: d.event_time, kind: d.kind, phase: 'fired', entity: d.entityKey });
  if (ctx.isKnown(key) || ctx.emitted.has(key)) return { key, suppressed: false, known: true };
  ctx.emitted.add(key);
  const last = ctx.state.last_fired_time;
  const suppressed = ctx.rule.suppress_ms > 0 && last !== null && Math.abs(d.event_time - last) < ctx.rule.suppress_ms;
  if (!suppressed) ctx.state.last_fired_time = last === null ? d.event_time : Math.max(last, d.event_time);
  const { entityKey: _, ...rest } = d;
  ctx.events.push({ ...rest, key, rule_id: ctx.rule.rule_id, job_id: ctx.job.job_id, suppressed, detected_at: ctx.now });
  return { key, suppressed, known: false };
}

function recover(ctx: Ctx, ep: OpenEpisode, d: Omit<Draft, 'phase' | 'severity' | 'kind' | 'event_time'>): void {
  if (!ctx.rule.notify_recovery) return;
  const key = alertKey({ ruleId: ctx.rule.rule_id, jobId: ctx.job.job_id, eventTime: ep.start, kind: ep.kind, phase: 'recovered', entity: ep.entity });
  if (ctx.isKnown(key) || ctx.emitted.has(key)) return;
  ctx.emitted.add(key);
  const { entityKey: _, ...rest } = d;
  ctx.events.push({
    ...rest,
    kind: ep.kind,
    phase: 'recovered',
    event_time: ep.start,
    severity: 'ok',
    key,
    rule_id: ctx.rule.rule_id,
    job_id: ctx.job.job_id,
    suppressed: ep.suppressed,
    detected_at: ctx.now,
  });
}

/**
 * The fields of an alert that no result stands behind (no_data, missing-data runs, recoveries):
 * no score, result type, actual or typical value, not interim; `entity` the series, if any.
 */
export function withoutResult(entity: Record<string, string> = {}): Pick<AlertEvent, 'score' | 'result_type' | 'actual' | 'typical' | 'entity' | 'is_interim'> {
  return { score: null, result_type: null, actual: null, typical: null, entity, is_interim: false };
}

const iso = (t: number): string => new Date(t).toISOString();
const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** "10m 1s", "2h 5m", "3d 4h": the two largest units, for people. */
export function humanDuration(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.floor(ms / 1000) * 1000);
  for (const [u, size] of units) {
    if (parts.length === 2) break;
    const n = Math.floor(rest / size);
    if (n > 0 || parts.length > 0) {
      if (n > 0) parts.push(`${n}${u}`);
      rest -= n * size;
      if (parts.length > 0 && n === 0) break;
    }
  }
  return parts.length ? parts.join(' ') : `${ms}ms`;
}

function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toPrecision(4) : String(Math.round(v * 1000) / 1000);
}

function numbers(v: unknown): number[] | null {
  if (typeof v === 'number') return [v];
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function entityOf(d: ResultLike): Record<string, string> {
  const e: Record<string, string> = {};
  for (const k of ['partition_field_name', 'partition_field_value', 'by_field_name', 'by_field_value', 'over_field_name', 'over_field_value', 'influencer_field_name', 'influencer_field_value']) {
    const v = d[k];
    if (typeof v === 'string' || typeof v === 'number') e[k] = String(v);
  }
  return e;
}

function entityText(e: Record<string, string>): string {
  const parts: string[] = [];
  for (const p of ['partition', 'by', 'over', 'influencer']) {
    const n = e[`${p}_field_name`];
    const v = e[`${p}_field_value`];
    if (n !== undefined && v !== undefined) parts.push(`${n}=${v}`);
  }
  return parts.join(', ');
}

function scoreOf(d: ResultLike, type: string): number {
  const f = type === 'record' ? 'record_score' : type === 'bucket' ? 'anomaly_score' : 'influencer_score';
  const v = d[f];
  return typeof v === 'number' ? v : 0;
}

/** What a record says in words: "mean(latency) 843 vs typical 363.4 (bounds 316.9 … 409.9), spike, host=a". */
export function describeRecord(r: ResultLike): string {
  const fn = str(r.function) ?? 'value';
  const field = str(r.field_name);
  const what = field ? `${fn}(${field})` : fn;
  const actual = numbers(r.actual);
  const typical = numbers(r.typical);
  const ex = (r.anomaly_score_explanation ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  if (actual && typical) {
    const high = actual[0] > typical[0];
    parts.push(`${what} unusually ${high ? 'high' : 'low'}: ${actual.map(num).join(', ')} vs typical ${typical.map(num).join(', ')}`);
  } else if (actual) parts.push(`${what} ${actual.map(num).join(', ')}`);
  else parts.push(what);
  if (typeof ex.lower_confidence_bound === 'number' && typeof ex.upper_confidence_bound === 'number') {
    parts[0] += ` (expected ${num(ex.lower_confidence_bound)} … ${num(ex.upper_confidence_bound)})`;
  }
  const ent = entityText(entityOf(r));
  if (ent) parts.push(ent);
  return parts.join('; ');
}

// ---------------------------------------------------------------------------------------------
// anomaly

function evaluateAnomaly(ctx: Ctx, c: AnomalyCondition): void {
  const span = ctx.job.bucket_span_ms;
  const { lookback, window } = anomalyWindows(c, span);
  const ref = ctx.job.latest_bucket_time ?? Math.max(-Infinity, ...ctx.docs.map((d) => d.timestamp));
  if (!Number.isFinite(ref)) return;
  const qualifying = ctx.docs
    .filter((d) => d.result_type === c.result_type && (c.include_interim || d.is_interim !== true) && scoreOf(d, c.result_type) >= c.min_score && scoreOf(d, c.result_type) > 0)
    .sort((a, b) => a.timestamp - b.timestamp);
  const records = c.result_type === 'bucket' ? ctx.docs.filter((d) => d.result_type === 'record' && (c.include_interim || d.is_interim !== true)) : [];
  const byTime = new Map<number, ResultLike[]>();
  for (const d of qualifying) {
    if (d.timestamp < ref - lookback) continue;
    let g = byTime.get(d.timestamp);
    if (!g) byTime.set(d.timestamp, (g = []));
    g.push(d);
  }
  const times = [...byTime.keys()].sort((a, b) => a - b);
  for (const t of times) {
    const group = byTime.get(t) as ResultLike[];
    let count = 0;
    if (c.min_count > 1) {
      for (const d of qualifying) if (d.timestamp > t - window && d.timestamp <= t) count++;
      if (count < c.min_count) continue;
    }
    group.sort((a, b) => scoreOf(b, c.result_type) - scoreOf(a, c.result_type));
    const top = group[0];
    const score = scoreOf(top, c.result_type);
    // a bucket alert shows its highest-scoring record's values
    const rec = c.result_type === 'record' ? top : c.result_type === 'bucket' ? records.filter((r) => r.timestamp === t).sort((a, b) => scoreOf(b, 'record') - scoreOf(a, 'record'))[0] : undefined;
    const entity = entityOf(c.result_type === 'influencer' ? top : (rec ?? top));
    let explanation: string;
    if (c.result_type === 'influencer') explanation = `influencer ${entityText(entity)} scored ${num(score)}`;
    else if (rec) explanation = describeRecord(rec);
    else explanation = `bucket anomaly score ${num(score)} (${num(Number(top.event_count ?? 0))} events)`;
    const sev = severityOf(score);
    const details: Record<string, unknown> = {};
    if (group.length > 1) details.results_at_time = group.length;
    if (c.min_count > 1) details.count_in_window = count;
    if (rec) {
      details.function = rec.function;
      if (rec.field_name !== undefined) details.field_name = rec.field_name;
      if (rec.anomaly_score_explanation !== undefined) details.anomaly_score_explanation = rec.anomaly_score_explanation;
      if (typeof rec.probability === 'number') details.probability = rec.probability;
      if (typeof rec.detector_index === 'number') details.detector_index = rec.detector_index;
    }
    if (c.result_type === 'bucket' && typeof top.event_count === 'number') details.event_count = top.event_count;
    fire(ctx, {
      kind: 'anomaly',
      phase: 'fired',
      event_time: t,
      severity: sev === 'none' ? 'warning' : sev,
      score: Math.round(score * 1000) / 1000,
      result_type: c.result_type,
      actual: rec ? numbers(rec.actual) : null,
      typical: rec ? numbers(rec.typical) : null,
      entity,
      is_interim: group.some((d) => d.is_interim === true),
      explanation,
      details,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// no data

function evaluateNoData(ctx: Ctx, c: NoDataCondition): void {
  const span = ctx.job.bucket_span_ms;
  const ref = c.reference === 'record_time' ? ctx.job.latest_record_timestamp : ctx.job.last_data_time;
  const open = ctx.state.open[''];
  if (open && ref !== undefined && ref > open.start) {
    recover(ctx, open, {
      ...withoutResult(),
      explanation: `data is arriving again for job ${ctx.job.job_id}: ${c.reference === 'record_time' ? 'newest record' : 'data received'} at ${iso(ref)}, after silence since ${iso(open.start)}`,
      details: { last_data_before: iso(open.start), data_again_at: iso(ref), silence: humanDuration(ref - open.start) },
    });
    delete ctx.state.open[''];
  }
  if (ctx.state.open[''] || ref === undefined || ctx.job.state !== 'opened') return;
  // no data reaches a closed job: until data arrives after its opening, its silence starts at the
  // opening (if that is later)
  const opened = ctx.job.opened_at;
  const sinceOpening = opened !== undefined && !(ctx.job.last_data_time !== undefined && ctx.job.last_data_time >= opened);
  const since = sinceOpening && opened > ref ? opened : ref;
  const silent = ctx.now - since - c.delay_ms;
  const threshold = c.buckets * span;
  if (silent < threshold) return;
  const res = fire(ctx, {
    kind: 'no_data',
    phase: 'fired',
    event_time: ref,
    severity: 'critical',
    ...withoutResult(),
    explanation: `job ${ctx.job.job_id} has received no data for ${humanDuration(ctx.now - ref)} (${plural(Math.floor((ctx.now - ref) / span), 'bucket span')} of ${formatDuration(span)}); ${c.reference === 'record_time' ? 'newest record' : 'last data received'} at ${iso(ref)}`,
    details: { last_data_time: iso(ref), silence_ms: ctx.now - ref, bucket_span: formatDuration(span), buckets_without_data: Math.floor((ctx.now - ref) / span), threshold_buckets: c.buckets, reference: c.reference, ...(since !== ref ? { opened_at: iso(since) } : {}) },
  });
  ctx.state.open[''] = { kind: 'no_data', start: ref, key: res.key, suppressed: res.suppressed };
}

// ---------------------------------------------------------------------------------------------
// runs (missing data, volume)

interface Run {
  start: number;
  last: number;
  length: number;
  /** A later bucket shows the condition cleared. */
  closed: boolean;
  /** Time of the bucket that ended it. */
  endedAt?: number;
  /** The run may have started before the first bucket seen. */
  truncated: boolean;
  docs: ResultLike[];
}

/** True when run `r` is the open episode `ep` still going (a truncated run may have started before the window). */
function continuesEpisode(r: Run, ep: OpenEpisode): boolean {
  return !r.closed && (r.start === ep.start || (r.truncated && ep.start <= r.start));
}

/** Runs of consecutive flagged bucket slots; `seen` are the bucket times that have a result at all. */
function runsOf(flagged: Map<number, ResultLike | null>, span: number, firstSeen: number, lastSeen: number, seenAfter: (t: number) => number | undefined): Run[] {
  const times = [...flagged.keys()].sort((a, b) => a - b);
  const runs: Run[] = [];
  let cur: Run | undefined;
  for (const t of times) {
    if (cur && t === cur.last + span) {
      cur.last = t;
      cur.length++;
    } else {
      if (cur) runs.push(cur);
      cur = { start: t, last: t, length: 1, closed: false, truncated: t <= firstSeen, docs: [] };
    }
    const d = flagged.get(t);
    if (d) cur.docs.push(d);
  }
  if (cur) runs.push(cur);
  for (const r of runs) {
    const after = seenAfter(r.last);
    if (after !== undefined && after <= lastSeen) {
      r.closed = true;
      r.endedAt = after;
    }
  }
  return runs;
}

function evaluateMissingRun(ctx: Ctx, c: MissingRunCondition): void {
  const span = ctx.job.bucket_span_ms;
  const buckets = ctx.docs.filter((d) => d.result_type === 'bucket' && (c.include_interim || d.is_interim !== true)).sort((a, b) => a.timestamp - b.timestamp);
  if (buckets.length === 0) return;
  const first = buckets[0].timestamp;
  const last = buckets[buckets.length - 1].timestamp;
  const withData = buckets.filter((b) => Number(b.event_count ?? 0) > 0).map((b) => b.timestamp);
  const flagged = new Map<number, ResultLike | null>();
  // empty buckets, and bucket slots with no result between two results
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i];
    if (!(Number(b.event_count ?? 0) > 0)) flagged.set(b.timestamp, b);
    const next = buckets[i + 1];
    if (next) for (let t = b.timestamp + span; t < next.timestamp; t += span) flagged.set(t, null);
  }
  const nextWithData = (t: number): number | undefined => withData.find((x) => x > t);
  const runs = runsOf(flagged, span, first, last, nextWithData);
  const open = ctx.state.open[''];
  if (open) {
    const after = nextWithData(open.start);
    const stillOpen = runs.find((r) => continuesEpisode(r, open));
    if (!stillOpen && after !== undefined) {
      const run = runs.find((r) => r.start === open.start);
      recover(ctx, open, {
        ...withoutResult(),
        explanation: `data is back for job ${ctx.job.job_id} at ${iso(after)} after ${run ? run.length : Math.round((after - open.start) / span)} missing buckets from ${iso(open.start)}`,
        details: { run_start: iso(open.start), data_again_at: iso(after), missing_buckets: run ? run.length : Math.round((after - open.start) / span) },
      });
      delete ctx.state.open[''];
    }
  }
  for (const r of runs) {
    if (r.length <= c.max_buckets) continue;
    const cur = ctx.state.open[''];
    if (cur && continuesEpisode(r, cur)) continue; // the open episode, already fired
    const draft: Draft = {
      kind: 'missing_data_run',
      phase: 'fired',
      event_time: r.start,
      severity: 'critical',
      ...withoutResult(),
      explanation: `job ${ctx.job.job_id} has a run of ${r.length} missing buckets (${formatDuration(r.length * span)}) from ${iso(r.start)}${r.closed ? `; data returned at ${iso(r.endedAt as number)}` : ', still missing at the newest result'} (more than ${c.max_buckets} tolerated)`,
      details: { run_start: iso(r.start), missing_buckets: r.length, max_buckets: c.max_buckets, bucket_span: formatDuration(span), ended: r.closed ? iso(r.endedAt as number) : null },
    };
    const res = fire(ctx, draft);
    const ep: OpenEpisode = { kind: 'missing_data_run', start: r.start, key: res.key, suppressed: res.suppressed };
    if (r.closed) {
      recover(ctx, ep, {
        ...withoutResult(),
        explanation: `data is back for job ${ctx.job.job_id} at ${iso(r.endedAt as number)} after ${r.length} missing buckets from ${iso(r.start)}`,
        details: { run_start: iso(r.start), data_again_at: iso(r.endedAt as number), missing_buckets: r.length },
      });
    } else {
      ctx.state.open[''] = ep;
    }
  }
}

function volumeEntityKey(d: ResultLike): string {
  return [d.detector_index ?? 0, d.partition_field_value ?? '', d.by_field_value ?? '', d.over_field_value ?? ''].map(String).join('\u0001');
}

/** low / high / null for a record or model_plot document. */
function outOfRange(d: ResultLike): { dir: 'low' | 'high'; actual: number; lower?: number; upper?: number; typical?: number } | null {
  if (d.result_type === 'model_plot') {
    const a = Number(d.actual);
    const lo = Number(d.model_lower);
    const hi = Number(d.model_upper);
    if (!Number.isFinite(a)) return null;
    if (a < lo) return { dir: 'low', actual: a, lower: lo, upper: hi, typical: Number(d.model_median) };
    if (a > hi) return { dir: 'high', actual: a, lower: lo, upper: hi, typical: Number(d.model_median) };
    return null;
  }
  const actual = numbers(d.actual)?.[0];
  if (actual === undefined) return null;
  const typical = numbers(d.typical)?.[0];
  const ex = (d.anomaly_score_explanation ?? {}) as Record<string, unknown>;
  const lo = typeof ex.lower_confidence_bound === 'number' ? ex.lower_confidence_bound : undefined;
  const hi = typeof ex.upper_confidence_bound === 'number' ? ex.upper_confidence_bound : undefined;
  if (lo !== undefined && actual < lo) return { dir: 'low', actual, lower: lo, upper: hi, typical };
  if (hi !== undefined && actual > hi) return { dir: 'high', actual, lower: lo, upper: hi, typical };
  if (lo === undefined && hi === undefined && typical !== undefined && actual !== typical) return { dir: actual < typical ? 'low' : 'high', actual, typical };
  return null;
}

function evaluateVolume(ctx: Ctx, c: VolumeCondition): void {
  const span = ctx.job.bucket_span_ms;
  const usable = (d: ResultLike): boolean => c.include_interim || d.is_interim !== true;
  const bucketTimes = [...new Set(ctx.docs.filter((d) => d.result_type === 'bucket' && usable(d)).map((d) => d.timestamp))].sort((a, b) => a - b);
  const obs = ctx.docs.filter((d) => (d.result_type === 'record' || d.result_type === 'model_plot') && usable(d) && (c.detector_index === null || d.detector_index === c.detector_index));
  for (const d of obs) if (!bucketTimes.includes(d.timestamp)) bucketTimes.push(d.timestamp);
  bucketTimes.sort((a, b) => a - b);
  if (bucketTimes.length === 0) return;
  const first = bucketTimes[0];
  const last = bucketTimes[bucketTimes.length - 1];
  // per series and direction: the flagged bucket times (a record wins over a model_plot of the same bucket)
  const flags = new Map<string, { dir: 'low' | 'high'; entity: Record<string, string>; times: Map<number, ResultLike | null>; info: Map<number, ReturnType<typeof outOfRange>> }>();
  const sorted = [...obs].sort((a, b) => (a.result_type === b.result_type ? 0 : a.result_type === 'model_plot' ? -1 : 1));
  for (const d of sorted) {
    const o = outOfRange(d);
    if (!o || (c.direction !== 'both' && o.dir !== c.direction)) continue;
    const key = `${volumeEntityKey(d)}\u0002${o.dir}`;
    let f = flags.get(key);
    if (!f) flags.set(key, (f = { dir: o.dir, entity: entityOf(d), times: new Map(), info: new Map() }));
    f.times.set(d.timestamp, d);
    f.info.set(d.timestamp, o);
  }
  const inRangeAfter = (f: { times: Map<number, unknown> }) => (t: number) => bucketTimes.find((x) => x > t && !f.times.has(x));
  // recoveries of open episodes whose series is back in range
  for (const [k, ep] of Object.entries(ctx.state.open)) {
    const f = flags.get(k);
    const after = f ? inRangeAfter(f)(ep.start) : bucketTimes.find((x) => x > ep.start);
    const stillOpen = f ? runsOf(f.times, span, first, last, inRangeAfter(f)).some((r) => continuesEpisode(r, ep)) : false;
    if (!stillOpen && after !== undefined) {
      const dir = ep.kind === 'volume_low' ? 'low' : 'high';
      const entity = f?.entity ?? {};
      recover(ctx, ep, {
        ...withoutResult(entity),
        explanation: `volume is back within the expected range for job ${ctx.job.job_id}${entityText(entity) ? ` (${entityText(entity)})` : ''} at ${iso(after)} (was ${dir} from ${iso(ep.start)})`,
        details: { run_start: iso(ep.start), back_in_range_at: iso(after) },
      });
      delete ctx.state.open[k];
    }
  }
  for (const [k, f] of flags) {
    for (const r of runsOf(f.times, span, first, last, inRangeAfter(f))) {
      if (r.length < c.buckets) continue;
      const cur = ctx.state.open[k];
      if (cur && continuesEpisode(r, cur)) continue;
      const kind: AlertKind = f.dir === 'low' ? 'volume_low' : 'volume_high';
      const lastInfo = f.info.get(r.last) as NonNullable<ReturnType<typeof outOfRange>>;
      const maxScore = Math.max(0, ...r.docs.map((d) => Number(d.record_score ?? 0)));
      const ent = entityText(f.entity);
      const res = fire(ctx, {
        kind,
        phase: 'fired',
        event_time: r.start,
        severity: maxScore > 0 ? (severityOf(maxScore) as AlertSeverity) : 'major',
        score: maxScore > 0 ? Math.round(maxScore * 1000) / 1000 : null,
        result_type: 'record',
        actual: [lastInfo.actual],
        typical: lastInfo.typical !== undefined && Number.isFinite(lastInfo.typical) ? [lastInfo.typical] : null,
        entity: f.entity,
        is_interim: false,
        explanation: `volume ${f.dir === 'low' ? 'below' : 'above'} the expected range for ${r.length} consecutive buckets from ${iso(r.start)}${ent ? ` (${ent})` : ''}: latest ${num(lastInfo.actual)}${lastInfo.lower !== undefined && lastInfo.upper !== undefined ? ` vs expected ${num(lastInfo.lower)} … ${num(lastInfo.upper)}` : lastInfo.typical !== undefined ? ` vs typical ${num(lastInfo.typical)}` : ''}${r.closed ? `; back in range at ${iso(r.endedAt as number)}` : ''}`,
        details: { run_start: iso(r.start), consecutive_buckets: r.length, threshold_buckets: c.buckets, direction: f.dir, ended: r.closed ? iso(r.endedAt as number) : null },
        entityKey: k,
      });
      const ep: OpenEpisode = { kind, start: r.start, key: res.key, suppressed: res.suppressed, entity: k };
      if (r.closed) {
        recover(ctx, ep, {
          ...withoutResult(f.entity),
          explanation: `volume is back within the expected range for job ${ctx.job.job_id}${ent ? ` (${ent})` : ''} at ${iso(r.endedAt as number)} (was ${f.dir} for ${r.length} buckets from ${iso(r.start)})`,
          details: { run_start: iso(r.start), back_in_range_at: iso(r.endedAt as number), consecutive_buckets: r.length },
        });
      } else ctx.state.open[k] = ep;
    }
  }
}
