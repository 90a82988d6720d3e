/**
 * The job-control documents of the jobs service: Elastic's filters, calendars and scheduled
 * events, and annotations (user and model-change). Small, rarely written collections kept in
 * memory and, with a directory, persisted as JSON files replaced atomically (write, fsync,
 * rename) on every change, so a change acknowledged survives a crash. Results and models stay
 * in the Store; these documents are configuration the jobs read.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** Elastic's filter document. */
export interface FilterDoc {
  filter_id: string;
  description?: string;
  items: string[];
}

/** Elastic's calendar document. */
export interface CalendarDoc {
  calendar_id: string;
  description?: string;
  /** Job ids and group names. */
  job_ids: string[];
}

/** Elastic's scheduled event document (times epoch ms). */
export interface EventDoc {
  event_id: string;
  calendar_id: string;
  description: string;
  start_time: number;
  end_time: number;
  skip_result: boolean;
  skip_model_update: boolean;
  force_time_shift?: number;
}

/** Elastic's ML annotation document, with its id. */
export interface AnnotationDoc {
  annotation_id: string;
  job_id: string;
  annotation: string;
  /** Epoch ms. */
  timestamp: number;
  end_timestamp: number;
  type: 'annotation' | 'comment';
  /** `user` for annotations people make; `model_change` for the engine's. */
  event: string;
  create_time: number;
  create_username: string;
  modified_time: number;
  modified_username: string;
  detector_index?: number;
  partition_field_name?: string;
  partition_field_value?: string;
  over_field_name?: string;
  over_field_value?: string;
  by_field_name?: string;
  by_field_value?: string;
  result_type?: string;
}

interface Data {
  filters: Record<string, FilterDoc>;
  calendars: Record<string, CalendarDoc>;
  events: Record<string, EventDoc>;
}

/** Annotations kept per job at most; the oldest model-change ones go first. */
const MAX_ANNOTATIONS_PER_JOB = 20_000;

export class ControlStore {
  private data: Data = { filters: {}, calendars: {}, events: {} };
  private readonly annotations = new Map<string, Map<string, AnnotationDoc>>();
  private tail: Promise<unknown> = Promise.resolve();

  /** @param dir where the JSON files live (created); without it nothing is persisted (tests). */
  private constructor(private readonly dir: string | undefined) {}

  static memory(): ControlStore {
    return new ControlStore(undefined);
  }

  /** Opens (creating) `<dir>/control.json` and `<dir>/annotations/<job>.json`. */
  static open(dir: string): ControlStore {
    mkdirSync(join(dir, 'annotations'), { recursive: true });
    const s = new ControlStore(dir);
    const file = join(dir, 'control.json');
    if (existsSync(file)) s.data = { filters: {}, calendars: {}, events: {}, ...(JSON.parse(readFileSync(file, 'utf8')) as Partial<Data>) };
    return s;
  }

  /** Runs mutations one at a time (each persists before the next). */
  private serial<T>(fn: () => T): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private writeAtomic(path: string, text: string): void {
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, text);
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }

  private persist(): void {
    if (this.dir) this.writeAtomic(join(this.dir, 'control.json'), JSON.stringify(this.data));
  }

  /**
   * Applies `fn` to a copy of the documents and commits it only when `fn` returns without
   * throwing: a failed request leaves nothing half-applied.
   */
  update<T>(fn: (d: Data) => T): Promise<T> {
    return this.serial(() => {
      const draft = structuredClone(this.data);
      const out = fn(draft);
      const before = this.data;
      this.data = draft;
      try {
        this.persist();
      } catch (err) {
        this.data = before;
        throw err;
      }
      return out;
    });
  }

  /** A read-only view of the documents (callers must not modify it). */
  read(): Readonly<Data> {
    return this.data;
  }

  // ------------------------------------------------------------------------------------------
  // annotations

  private jobAnnotations(jobId: string): Map<string, AnnotationDoc> {
    let m = this.annotations.get(jobId);
    if (!m) {
      m = new Map();
      if (this.dir) {
        const file = join(this.dir, 'annotations', `${jobId}.json`);
        if (existsSync(file)) for (const a of JSON.parse(readFileSync(file, 'utf8')) as AnnotationDoc[]) m.set(a.annotation_id, a);
      }
      this.annotations.set(jobId, m);
    }
    return m;
  }

  private persistAnnotations(jobId: string): void {
    if (!this.dir) return;
    const m = this.jobAnnotations(jobId);
    const file = join(this.dir, 'annotations', `${jobId}.json`);
    if (m.size === 0) rmSync(file, { force: true });
    else this.writeAtomic(file, JSON.stringify([...m.values()]));
  }

  listAnnotations(jobId: string): AnnotationDoc[] {
    return [...this.jobAnnotations(jobId).values()];
  }

  /** Stores annotations by id (replacing), then persists the job's file. */
  putAnnotations(jobId: string, docs: AnnotationDoc[]): Promise<void> {
    return this.serial(() => {
      const m = this.jobAnnotations(jobId);
      for (const d of docs) m.set(d.annotation_id, d);
      if (m.size > MAX_ANNOTATIONS_PER_JOB) {
        const auto = [...m.values()].filter((a) => a.event === 'model_change').sort((a, b) => a.timestamp - b.timestamp);
        for (const a of auto.slice(0, m.size - MAX_ANNOTATIONS_PER_JOB)) m.delete(a.annotation_id);
      }
      this.persistAnnotations(jobId);
    });
  }

  /** Deletes the annotations of a job for which `which` is true; returns how many. */
  deleteAnnotations(jobId: string, which: (a: AnnotationDoc) => boolean): Promise<number> {
    return this.serial(() => {
      const m = this.jobAnnotations(jobId);
      let n = 0;
      for (const [id, a] of m) {
        if (which(a)) {
          m.delete(id);
          n++;
        }
      }
      if (n > 0) this.persistAnnotations(jobId);
      return n;
    });
  }
}
