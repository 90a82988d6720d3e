/**
 * Where datafeeds are kept: their configuration (Elastic's shape plus `vigil_source`, with
 * secret references, never secret values), whether they are started, how far they have read
 * (`run.position`: every document before it has been posted to the job), their counters, the
 * delayed-data annotations and the per-bucket document counts of the last check window.
 *
 * The file store writes one JSON file per datafeed with write-to-temporary, fsync, rename, so a
 * crash leaves the old or the new record, never a torn one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DatafeedAnnotation {
  annotation: string;
  create_time: number;
  timestamp: number;
  end_timestamp: number;
  job_id: string;
  type: 'annotation';
  event: 'delayed_data';
  detector_index?: number;
  create_username: string;
}

export interface DatafeedRun {
  /** Epoch ms; the first time asked for. */
  start: number;
  /** Epoch ms, exclusive; none for a live datafeed. */
  end?: number;
  /** Every document before this time (epoch ms) has been posted to the job. */
  position: number;
  started_at: number;
  lookback_done: boolean;
}

export interface DatafeedCounters {
  search_count: number;
  pages: number;
  documents_posted: number;
  source_documents: number;
  bucket_count: number;
  total_search_time_ms: number;
  total_post_time_ms: number;
  empty_searches: number;
  seen_data: boolean;
  last_error?: string;
  last_error_time?: number;
  missing_documents: number;
  latest_missing_bucket?: number;
  delayed_checks: number;
  next_delayed_check?: number;
  stopped_reason?: string;
}

export interface DatafeedRecord {
  datafeed_id: string;
  job_id: string;
  /** The validated config in Elastic's shape, with `vigil_source` when given. */
  config: Record<string, unknown>;
  state: 'started' | 'stopped';
  run?: DatafeedRun;
  counters: DatafeedCounters;
  annotations: DatafeedAnnotation[];
  /** Documents posted per bucket start (ms), for the delayed-data check window. */
  sent: Record<string, number>;
}

export function emptyCounters(): DatafeedCounters {
  return {
    search_count: 0,
    pages: 0,
    documents_posted: 0,
    source_documents: 0,
    bucket_count: 0,
    total_search_time_ms: 0,
    total_post_time_ms: 0,
    empty_searches: 0,
    seen_data: false,
    missing_documents: 0,
    delayed_checks: 0,
  };
}

export interface DatafeedStore {
  list(): Promise<DatafeedRecord[]>;
  get(id: string): Promise<DatafeedRecord | undefined>;
  put(rec: DatafeedRecord): Promise<void>;
  delete(id: string): Promise<void>;
}

export class MemoryDatafeedStore implements DatafeedStore {
  private readonly recs = new Map<string, string>();
  async list(): Promise<DatafeedRecord[]> {
    return [...this.recs.values()].map((s) => JSON.parse(s) as DatafeedRecord).sort((a, b) => a.datafeed_id.localeCompare(b.datafeed_id));
  }
  async get(id: string): Promise<DatafeedRecord | undefined> {
    const s = this.recs.get(id);
    return s === undefined ? undefined : (JSON.parse(s) as DatafeedRecord);
  }
  async put(rec: DatafeedRecord): Promise<void> {
    this.recs.set(rec.datafeed_id, JSON.stringify(rec));
  }
  async delete(id: string): Promise<void> {
    this.recs.delete(id);
  }
}

export class FileDatafeedStore implements DatafeedStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  private path(id: string): string {
    return join(this.dir, `${id}.json`);
  }
  async list(): Promise<DatafeedRecord[]> {
    const out: DatafeedRecord[] = [];
    for (const f of readdirSync(this.dir).sort()) {
      if (!f.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as DatafeedRecord);
      } catch {
        /* a stray temporary file */
      }
    }
    return out;
  }
  async get(id: string): Promise<DatafeedRecord | undefined> {
    try {
      return JSON.parse(readFileSync(this.path(id), 'utf8')) as DatafeedRecord;
    } catch {
      return undefined;
    }
  }
  async put(rec: DatafeedRecord): Promise<void> {
    const tmp = join(this.dir, `.${rec.datafeed_id}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(rec));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path(rec.datafeed_id));
  }
  async delete(id: string): Promise<void> {
    rmSync(this.path(id), { force: true });
  }
}
