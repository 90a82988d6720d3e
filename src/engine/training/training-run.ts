/**
 * Training runs as records the API and UI read while they happen (seed 000's monitor index): the
 * state (queued with its place in the queue, running, completed, failed, cancelled), the phase, one
 * row per hyperparameter trial (its validation-loss score, for the histogram) and one per epoch of
 * the full training (training and validation loss, for the curves), plus a numbered event log so a
 * reader can follow along (`eventsSince(seq)`).
 */
import type { EpochRecord } from '../../core/neural/fit-network.js';
import type { HyperParams } from '../../core/neural/spec.js';
import type { TrainingEvent, TrainingPhase, TrainingReport, TrialRecord } from '../../core/neural/trainer.js';

export type RunState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface TrialRow {
  index: number;
  status: TrialRecord['status'] | 'running';
  params: HyperParams;
  /** The trial's score: its lowest validation loss (NaN until it finishes). */
  valLoss: number | null;
  bestEpoch: number;
  epochs: EpochRecord[];
  stopReason: string | null;
  ms: number;
  error?: string;
}

export interface TrainingRunRecord {
  run_id: string;
  model_id: string;
  state: RunState;
  /** While queued: 1 = next to start. */
  queue_position: number | null;
  phase: TrainingPhase | null;
  created: number;
  started: number | null;
  finished: number | null;
  trials: TrialRow[];
  /** Epochs of the full training. */
  epochs: EpochRecord[];
  best: { trial: number; epoch: number; val_loss: number } | null;
  report: TrainingReport | null;
  error: string | null;
}

export interface RunEvent {
  seq: number;
  time: number;
  run_id: string;
  model_id: string;
  event: TrainingEvent | { type: 'state'; state: RunState; queue_position: number | null; error?: string };
}

/** Most events kept per run (older ones are dropped; the record itself stays complete). */
const MAX_EVENTS = 20_000;

export class TrainingRun {
  readonly record: TrainingRunRecord;
  readonly controller = new AbortController();
  private readonly events: RunEvent[] = [];
  private seq = 0;
  private readonly listeners = new Set<(e: RunEvent) => void>();

  constructor(runId: string, modelId: string, now = Date.now()) {
    this.record = {
      run_id: runId,
      model_id: modelId,
      state: 'queued',
      queue_position: null,
      phase: null,
      created: now,
      started: null,
      finished: null,
      trials: [],
      epochs: [],
      best: null,
      report: null,
      error: null,
    };
  }

  /** Restores a finished run read back from storage. */
  static fromRecord(r: TrainingRunRecord): TrainingRun {
    const run = new TrainingRun(r.run_id, r.model_id, r.created);
    Object.assign(run.record, r);
    return run;
  }

  subscribe(fn: (e: RunEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  eventsSince(seq = 0): RunEvent[] {
    return this.events.filter((e) => e.seq > seq);
  }

  get lastSeq(): number {
    return this.seq;
  }

  private push(event: RunEvent['event']): void {
    const e: RunEvent = { seq: ++this.seq, time: Date.now(), run_id: this.record.run_id, model_id: this.record.model_id, event };
    this.events.push(e);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        // a listener's failure must not stop training
      }
    }
  }

  setState(state: RunState, queuePosition: number | null = null, error?: string): void {
    const r = this.record;
    r.state = state;
    r.queue_position = state === 'queued' ? queuePosition : null;
    if (state === 'running' && r.started === null) r.started = Date.now();
    if (state === 'completed' || state === 'failed' || state === 'cancelled') r.finished = Date.now();
    if (error !== undefined) r.error = error;
    this.push({ type: 'state', state, queue_position: r.queue_position, ...(error !== undefined ? { error } : {}) });
  }

  get finished(): boolean {
    const s = this.record.state;
    return s === 'completed' || s === 'failed' || s === 'cancelled';
  }

  /** Applies a trainer event to the record and forwards it. */
  apply(e: TrainingEvent): void {
    const r = this.record;
    switch (e.type) {
      case 'phase':
        r.phase = e.phase;
        break;
      case 'trial_started':
        r.trials.push({ index: e.index, status: 'running', params: e.params, valLoss: null, bestEpoch: 0, epochs: [], stopReason: null, ms: 0 });
        break;
      case 'trial_epoch': {
        const t = r.trials.find((x) => x.index === e.index);
        if (t) t.epochs.push(e.epoch);
        break;
      }
      case 'trial': {
        const tr = e.trial;
        const row: TrialRow = {
          index: tr.index,
          status: tr.status,
          params: tr.params,
          valLoss: Number.isFinite(tr.valLoss) ? tr.valLoss : null,
          bestEpoch: tr.bestEpoch,
          epochs: tr.epochs,
          stopReason: tr.stopReason,
          ms: tr.ms,
          ...(tr.error ? { error: tr.error } : {}),
        };
        const k = r.trials.findIndex((x) => x.index === tr.index);
        if (k >= 0) r.trials[k] = row;
        else r.trials.push(row);
        break;
      }
      case 'epoch': {
        r.epochs.push(e.epoch);
        if (e.epoch.best) {
          const bestTrial = r.trials.filter((t) => t.valLoss !== null).reduce<TrialRow | null>((a, b) => (a === null || (b.valLoss as number) < (a.valLoss as number) ? b : a), null);
          r.best = { trial: bestTrial?.index ?? 0, epoch: e.epoch.epoch, val_loss: e.epoch.valLoss };
        }
        break;
      }
    }
    this.push(e);
  }
}
