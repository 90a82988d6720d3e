/**
 * The records of a job's write-ahead log: what each kind holds, and their replay in order when a
 * job opens (a record that fails is logged and skipped: it failed the same way when first applied,
 * the engine being deterministic).
 */
import type { JobConfig, JobControls } from '../../engine/job/index.js';
import type { FlushOptions } from './engine-port.js';
import { parseDataBody } from './parse-data.js';

/** A `_data` body, as posted. */
export const WAL_DATA = 1;
/** A `_flush`'s options (JSON). */
export const WAL_FLUSH = 2;
/** A configuration `_update` applied to the open job (JSON). */
export const WAL_CONFIG = 3;
/** Filters and scheduled events the job was told (src/server/control), replayed in place. */
export const WAL_CONTROL = 4;
/** Written after a revert so sequence numbers stay above every snapshot's (replay ignores it). */
export const WAL_MARK = 5;

export interface WalRecord {
  seq: number;
  kind: number;
  payload: Buffer;
}

/** What replaying applies to the job. */
export interface WalReplay {
  data(docs: Record<string, unknown>[], bytes: number): Promise<void>;
  flush(options: FlushOptions): Promise<unknown>;
  config(config: JobConfig): void;
  controls(controls: JobControls): void;
  /** A record that failed (logged; replay goes on). */
  failed(seq: number, err: unknown): void;
}

export async function replayWal(records: readonly WalRecord[], apply: WalReplay): Promise<void> {
  for (const r of records) {
    try {
      if (r.kind === WAL_DATA) await apply.data(parseDataBody(r.payload).docs, r.payload.length);
      else if (r.kind === WAL_FLUSH) await apply.flush(JSON.parse(r.payload.toString('utf8')) as FlushOptions);
      else if (r.kind === WAL_CONFIG) apply.config(JSON.parse(r.payload.toString('utf8')) as JobConfig);
      else if (r.kind === WAL_CONTROL) apply.controls(JSON.parse(r.payload.toString('utf8')) as JobControls);
    } catch (err) {
      // it failed the same way when it was first applied (the engine is deterministic)
      apply.failed(r.seq, err);
    }
  }
}
