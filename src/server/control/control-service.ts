/**
 * Job control beyond the job life cycle: Elastic's filters (`_ml/filters`), calendars and
 * scheduled events (`_ml/calendars`), annotations (Vigil's endpoint over Elastic's annotation
 * documents), with Elastic's messages. It joins the jobs service through its hooks: open jobs are
 * told the filters and events in force (and told again when they change), configurations are
 * checked for the filters they name, and the engine's model-change annotations are stored.
 */
import { createHash } from 'node:crypto';
import { VigilError } from '../../core/errors.js';
import { dstShiftEvents, holidayEvents } from '../../core/calendar/index.js';
import { invalidIdMessage, isValidId, referencedFilters, type JobConfig, type JobControls, type JobEvent } from '../../engine/job/index.js';
import { ControlStore, type AnnotationDoc, type CalendarDoc, type EventDoc, type FilterDoc } from '../../store/control-store.js';
import type { JobService } from '../jobs/job-service.js';
import { parseTimeParam } from '../jobs/time-param.js';

const MAX_FILTER_ITEMS = 10_000;
const MAX_EVENTS_PER_REQUEST = 10_000;

export interface Page {
  from?: number;
  size?: number;
}

function page<T>(items: T[], p: Page): T[] {
  const from = p.from ?? 0;
  const size = p.size ?? 100;
  if (from < 0) throw new VigilError('INVALID_ARGUMENT', `Parameter [from] cannot be < 0`);
  if (size < 0) throw new VigilError('INVALID_ARGUMENT', `Parameter [size] cannot be < 0`);
  if (from + size > 10_000) throw new VigilError('INVALID_ARGUMENT', `Parameter [from] + [size] cannot be > 10000`);
  return items.slice(from, from + size);
}

function checkId(field: string, id: string): void {
  if (!isValidId(id)) throw new VigilError('INVALID_ARGUMENT', invalidIdMessage(field, id));
  if (id.length > 64) throw new VigilError('INVALID_ARGUMENT', `Invalid ${field}; '${id}' cannot contain more than 64 characters.`);
}

function wildcard(expr: string): RegExp {
  return new RegExp('^' + expr.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
}

function stringItems(name: string, v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new VigilError('BODY_PARSE', `[${name}] must be an array of strings`);
  return v as string[];
}

const hash = (text: string): string => createHash('sha1').update(text).digest('hex').slice(0, 20);

export class ControlService {
  constructor(
    readonly service: JobService,
    readonly store: ControlStore,
  ) {
    service.setHooks({
      controlsFor: async (jobId, config) => this.controlsFor(jobId, config),
      checkConfig: async (config) => this.checkConfig(config),
      onAnnotations: async (jobId, docs) => this.storeModelChanges(jobId, docs),
      onWipe: async (jobId, o) => {
        await this.store.deleteAnnotations(jobId, (a) => (o.after === undefined || a.timestamp >= o.after) && (a.event !== 'user' || o.userAnnotations));
      },
      onDelete: async (jobId) => this.forgetJob(jobId),
    });
  }

  // ------------------------------------------------------------------------------------------
  // what jobs are told

  /** Filters the job's rules name and the events of the calendars it (or one of its groups) belongs to. */
  async controlsFor(jobId: string, config: JobConfig): Promise<JobControls> {
    const d = this.store.read();
    const filters: Record<string, string[]> = {};
    for (const id of referencedFilters(config)) filters[id] = d.filters[id]?.items ?? [];
    const names = new Set([jobId, ...config.groups]);
    const calendars = new Set(Object.values(d.calendars).filter((c) => c.job_ids.some((j) => names.has(j))).map((c) => c.calendar_id));
    const events: JobEvent[] = Object.values(d.events)
      .filter((e) => calendars.has(e.calendar_id))
      .sort((a, b) => a.start_time - b.start_time || (a.event_id < b.event_id ? -1 : 1))
      .map((e) => {
        const ev: JobEvent = { description: e.description, start_time: e.start_time, end_time: e.end_time, skip_result: e.skip_result, skip_model_update: e.skip_model_update };
        if (e.force_time_shift) ev.force_time_shift = e.force_time_shift;
        return ev;
      });
    return { filters, events };
  }

  async checkConfig(config: JobConfig): Promise<void> {
    const d = this.store.read();
    for (const id of referencedFilters(config)) if (!d.filters[id]) throw new VigilError('RESOURCE_NOT_FOUND', `No filter with id [${id}] exists`);
  }

  /** Open jobs pick up changed filters and events (from their next bucket on). */
  private async refresh(): Promise<void> {
    await this.service.refreshControls();
  }

  // ------------------------------------------------------------------------------------------
  // filters

  async putFilter(id: string, body: Record<string, unknown>): Promise<FilterDoc> {
    checkId('filter_id', id);
    if (body.filter_id !== undefined && body.filter_id !== id) {
      throw new VigilError('INVALID_ARGUMENT', `Inconsistent filter_id; '${String(body.filter_id)}' specified in the body differs from '${id}' specified as a URL argument`);
    }
    const items = [...new Set(stringItems('items', body.items))].sort();
    if (items.length > MAX_FILTER_ITEMS) throw new VigilError('INVALID_ARGUMENT', `Filter [${id}] contains too many items; up to [${MAX_FILTER_ITEMS}] items are allowed`);
    const doc: FilterDoc = { filter_id: id, items };
    if (typeof body.description === 'string') doc.description = body.description;
    await this.store.update((d) => {
      if (d.filters[id]) throw new VigilError('RESOURCE_EXISTS', `A filter with id [${id}] already exists`);
      d.filters[id] = doc;
    });
    return doc;
  }

  getFilters(id: string | undefined, p: Page): { count: number; filters: FilterDoc[] } {
    const all = Object.values(this.store.read().filters).sort((a, b) => (a.filter_id < b.filter_id ? -1 : 1));
    if (id !== undefined && id !== '_all' && id !== '*') {
      const f = this.store.read().filters[id];
      if (!f) throw new VigilError('RESOURCE_NOT_FOUND', `No filter with id [${id}] exists`);
      return { count: 1, filters: [structuredClone(f)] };
    }
    return { count: all.length, filters: page(all, p).map((f) => structuredClone(f)) };
  }

  async updateFilter(id: string, body: Record<string, unknown>): Promise<FilterDoc> {
    const add = stringItems('add_items', body.add_items);
    const remove = stringItems('remove_items', body.remove_items);
    const doc = await this.store.update((d) => {
      const f = d.filters[id];
      if (!f) throw new VigilError('RESOURCE_NOT_FOUND', `No filter with id [${id}] exists`);
      const items = new Set(f.items);
      for (const x of add) items.add(x);
      for (const x of remove) {
        if (!items.has(x)) throw new VigilError('INVALID_ARGUMENT', `Cannot remove item [${x}] as it is not present in filter [${id}]`);
        items.delete(x);
      }
      if (items.size > MAX_FILTER_ITEMS) throw new VigilError('INVALID_ARGUMENT', `Filter [${id}] contains too many items; up to [${MAX_FILTER_ITEMS}] items are allowed`);
      f.items = [...items].sort();
      if (typeof body.description === 'string') f.description = body.description;
      return structuredClone(f);
    });
    await this.refresh();
    return doc;
  }

  async deleteFilter(id: string): Promise<void> {
    const users = (await this.service.store.listJobs()).filter((j) => referencedFilters(j.config as JobConfig).includes(id)).map((j) => j.job_id);
    await this.store.update((d) => {
      if (!d.filters[id]) throw new VigilError('RESOURCE_NOT_FOUND', `No filter with id [${id}] exists`);
      if (users.length > 0) throw new VigilError('JOB_STATE_CONFLICT', `Cannot delete filter [${id}] currently used by jobs [${users.join(', ')}]`);
      delete d.filters[id];
    });
  }

  // ------------------------------------------------------------------------------------------
  // calendars

  private async checkJobIds(jobIds: string[]): Promise<void> {
    const jobs = await this.service.store.listJobs();
    for (const j of jobIds) {
      if (!jobs.some((x) => x.job_id === j || x.groups.includes(j))) throw new VigilError('RESOURCE_NOT_FOUND', `No known job with id '${j}'`);
    }
  }

  async putCalendar(id: string, body: Record<string, unknown>): Promise<CalendarDoc> {
    checkId('calendar_id', id);
    if (body.calendar_id !== undefined && body.calendar_id !== id) {
      throw new VigilError('INVALID_ARGUMENT', `Inconsistent calendar_id; '${String(body.calendar_id)}' specified in the body differs from '${id}' specified as a URL argument`);
    }
    const jobIds = [...new Set(stringItems('job_ids', body.job_ids))].sort();
    await this.checkJobIds(jobIds);
    const doc: CalendarDoc = { calendar_id: id, job_ids: jobIds };
    if (typeof body.description === 'string') doc.description = body.description;
    await this.store.update((d) => {
      if (d.calendars[id]) throw new VigilError('RESOURCE_EXISTS', `A calendar with id [${id}] already exists`);
      d.calendars[id] = doc;
    });
    await this.refresh();
    return doc;
  }

  /** Calendars of an expression (id, comma list, wildcards, `_all`); explicit ids that match nothing are 404. */
  private matchCalendars(expr: string | undefined): CalendarDoc[] {
    const all = Object.values(this.store.read().calendars).sort((a, b) => (a.calendar_id < b.calendar_id ? -1 : 1));
    if (expr === undefined || expr === '' || expr === '_all' || expr === '*') return all;
    const out = new Map<string, CalendarDoc>();
    for (const token of expr.split(',').map((t) => t.trim()).filter(Boolean)) {
      if (token.includes('*')) {
        const re = wildcard(token);
        for (const c of all) if (re.test(c.calendar_id)) out.set(c.calendar_id, c);
      } else {
        const c = this.store.read().calendars[token];
        if (!c) throw new VigilError('RESOURCE_NOT_FOUND', `No calendar with id [${token}]`);
        out.set(c.calendar_id, c);
      }
    }
    return [...out.values()];
  }

  getCalendars(expr: string | undefined, p: Page): { count: number; calendars: CalendarDoc[] } {
    const list = this.matchCalendars(expr);
    return { count: list.length, calendars: page(list, p).map((c) => structuredClone(c)) };
  }

  async deleteCalendar(id: string): Promise<void> {
    await this.store.update((d) => {
      if (!d.calendars[id]) throw new VigilError('RESOURCE_NOT_FOUND', `No calendar with id [${id}]`);
      delete d.calendars[id];
      for (const [k, e] of Object.entries(d.events)) if (e.calendar_id === id) delete d.events[k];
    });
    await this.refresh();
  }

  /** A deleted job leaves the calendars that name it (as Elastic's delete job does); its groups stay. */
  private async forgetJob(jobId: string): Promise<void> {
    if (!Object.values(this.store.read().calendars).some((c) => c.job_ids.includes(jobId))) return;
    await this.store.update((d) => {
      for (const c of Object.values(d.calendars)) c.job_ids = c.job_ids.filter((j) => j !== jobId);
    });
  }

  async calendarJobs(id: string, jobExpr: string, add: boolean): Promise<CalendarDoc> {
    const ids = jobExpr.split(',').map((s) => s.trim()).filter(Boolean);
    if (add) await this.checkJobIds(ids);
    const doc = await this.store.update((d) => {
      const c = d.calendars[id];
      if (!c) throw new VigilError('RESOURCE_NOT_FOUND', `No calendar with id [${id}]`);
      const set = new Set(c.job_ids);
      for (const j of ids) {
        if (add) set.add(j);
        else if (!set.delete(j)) throw new VigilError('RESOURCE_NOT_FOUND', `Cannot remove [${j}] as it is not present in calendar [${id}]`);
      }
      c.job_ids = [...set].sort();
      return structuredClone(c);
    });
    await this.refresh();
    return doc;
  }

  // ------------------------------------------------------------------------------------------
  // scheduled events

  private toEvent(calendarId: string, raw: unknown, i: number): EventDoc {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new VigilError('BODY_PARSE', `[events] item ${i} must be an object`);
    const e = raw as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!['description', 'start_time', 'end_time', 'skip_result', 'skip_model_update', 'force_time_shift', 'calendar_id', 'event_id'].includes(k)) {
        throw new VigilError('BODY_PARSE', `[scheduled_event] unknown field [${k}]`);
      }
    }
    for (const f of ['description', 'start_time', 'end_time']) {
      if (e[f] === undefined || e[f] === null || e[f] === '') throw new VigilError('INVALID_ARGUMENT', `Field [${f}] cannot be null`);
    }
    if (typeof e.description !== 'string') throw new VigilError('BODY_PARSE', '[scheduled_event] failed to parse field [description]');
    if (e.calendar_id !== undefined && e.calendar_id !== calendarId) {
      throw new VigilError('INVALID_ARGUMENT', `Inconsistent calendar_id; '${String(e.calendar_id)}' specified in the body differs from '${calendarId}' specified as a URL argument`);
    }
    const start = parseTimeParam('start_time', e.start_time);
    const end = parseTimeParam('end_time', e.end_time);
    if (!(start < end)) {
      throw new VigilError('INVALID_ARGUMENT', `Event start time [${new Date(start).toISOString()}] must come before end time [${new Date(end).toISOString()}]`);
    }
    for (const f of ['skip_result', 'skip_model_update'] as const) {
      if (e[f] !== undefined && typeof e[f] !== 'boolean') throw new VigilError('BODY_PARSE', `[scheduled_event] failed to parse field [${f}]`);
    }
    const shift = e.force_time_shift;
    if (shift !== undefined && (typeof shift !== 'number' || !Number.isInteger(shift) || Math.abs(shift) > 7 * 86_400)) {
      throw new VigilError('INVALID_ARGUMENT', `[force_time_shift] must be a whole number of seconds within a week; got [${JSON.stringify(shift)}]`);
    }
    const doc: EventDoc = {
      event_id: '',
      calendar_id: calendarId,
      description: e.description,
      start_time: start,
      end_time: end,
      skip_result: (e.skip_result as boolean | undefined) ?? true,
      skip_model_update: (e.skip_model_update as boolean | undefined) ?? true,
    };
    if (shift) doc.force_time_shift = shift as number;
    doc.event_id = hash(`${calendarId}|${start}|${end}|${doc.description}|${shift ?? 0}`);
    return doc;
  }

  /** POST events: all are validated before any is stored. */
  async postEvents(calendarId: string, body: Record<string, unknown>): Promise<{ events: EventDoc[] }> {
    const raw = body.events;
    if (!Array.isArray(raw)) throw new VigilError('BODY_PARSE', '[events] is required and must be an array');
    if (raw.length === 0) throw new VigilError('INVALID_ARGUMENT', 'At least 1 event is required');
    if (raw.length > MAX_EVENTS_PER_REQUEST) throw new VigilError('INVALID_ARGUMENT', `At most ${MAX_EVENTS_PER_REQUEST} events may be posted at once`);
    const events = raw.map((e, i) => this.toEvent(calendarId, e, i));
    return this.addEvents(calendarId, events);
  }

  private async addEvents(calendarId: string, events: EventDoc[]): Promise<{ events: EventDoc[] }> {
    await this.store.update((d) => {
      if (!d.calendars[calendarId]) throw new VigilError('RESOURCE_NOT_FOUND', `No calendar with id [${calendarId}]`);
      for (const e of events) d.events[e.event_id] = e;
    });
    await this.refresh();
    return { events: events.map((e) => structuredClone(e)) };
  }

  /**
   * Vigil extension: events generated into a calendar from a country's (region's) public holidays
   * and from a time zone's daylight-saving changes.
   */
  async generateEvents(calendarId: string, body: Record<string, unknown>): Promise<{ events: EventDoc[] }> {
    const events: EventDoc[] = [];
    const h = body.holidays as Record<string, unknown> | undefined;
    const dst = body.daylight_saving as Record<string, unknown> | undefined;
    if (!h && !dst) throw new VigilError('INVALID_ARGUMENT', 'give [holidays] ({country, region?, from_year, to_year}) and/or [daylight_saving] ({time_zone, start, end})');
    if (h) {
      if (typeof h.country !== 'string') throw new VigilError('INVALID_ARGUMENT', 'Field [holidays.country] cannot be null');
      const fromYear = Number(h.from_year);
      const toYear = Number(h.to_year ?? h.from_year);
      for (const ev of holidayEvents({
        country: h.country,
        region: typeof h.region === 'string' ? h.region : undefined,
        fromYear,
        toYear,
        types: Array.isArray(h.types) ? (h.types as ('public' | 'bank')[]) : undefined,
        skipResult: typeof h.skip_result === 'boolean' ? h.skip_result : undefined,
        skipModelUpdate: typeof h.skip_model_update === 'boolean' ? h.skip_model_update : undefined,
      })) {
        events.push(this.toEvent(calendarId, ev, events.length));
      }
    }
    if (dst) {
      if (typeof dst.time_zone !== 'string') throw new VigilError('INVALID_ARGUMENT', 'Field [daylight_saving.time_zone] cannot be null');
      if (dst.start === undefined || dst.end === undefined) throw new VigilError('INVALID_ARGUMENT', 'Field [daylight_saving.start] and [daylight_saving.end] cannot be null');
      const from = parseTimeParam('start', dst.start);
      const to = parseTimeParam('end', dst.end);
      for (const ev of dstShiftEvents({ timeZone: dst.time_zone, from, to })) events.push(this.toEvent(calendarId, ev, events.length));
    }
    if (events.length === 0) return { events: [] };
    return this.addEvents(calendarId, events);
  }

  getEvents(calendarExpr: string, q: { job_id?: string; start?: unknown; end?: unknown } & Page): Promise<{ count: number; events: EventDoc[] }> {
    return (async () => {
      let calendars = this.matchCalendars(calendarExpr);
      if (q.job_id !== undefined) {
        const rec = await this.service.store.getJob(q.job_id);
        if (!rec) throw new VigilError('RESOURCE_NOT_FOUND', `No known job with id '${q.job_id}'`);
        const names = new Set([q.job_id, ...rec.groups]);
        calendars = calendars.filter((c) => c.job_ids.some((j) => names.has(j)));
      }
      const ids = new Set(calendars.map((c) => c.calendar_id));
      const start = q.start === undefined || q.start === '' ? -Infinity : parseTimeParam('start', q.start);
      const end = q.end === undefined || q.end === '' ? Infinity : parseTimeParam('end', q.end);
      const list = Object.values(this.store.read().events)
        .filter((e) => ids.has(e.calendar_id) && e.end_time > start && e.start_time < end)
        .sort((a, b) => a.start_time - b.start_time || (a.event_id < b.event_id ? -1 : 1));
      return { count: list.length, events: page(list, q).map((e) => structuredClone(e)) };
    })();
  }

  async deleteEvent(calendarId: string, eventId: string): Promise<void> {
    await this.store.update((d) => {
      if (!d.calendars[calendarId]) throw new VigilError('RESOURCE_NOT_FOUND', `No calendar with id [${calendarId}]`);
      const e = d.events[eventId];
      if (!e) throw new VigilError('RESOURCE_NOT_FOUND', `No event with id [${eventId}]`);
      if (e.calendar_id !== calendarId) throw new VigilError('INVALID_ARGUMENT', `Event [${eventId}] has calendar_id [${e.calendar_id}] which does not match the calendar_id [${calendarId}] of the request`);
      delete d.events[eventId];
    });
    await this.refresh();
  }

  // ------------------------------------------------------------------------------------------
  // annotations

  private async storeModelChanges(jobId: string, docs: Record<string, unknown>[]): Promise<void> {
    const out: AnnotationDoc[] = docs.map((d) => {
      const id = hash(`${jobId}|${String(d.timestamp)}|${String(d.detector_index)}|${String(d.partition_field_value)}|${String(d.by_field_value)}|${String(d.annotation)}`);
      return { ...(d as unknown as AnnotationDoc), annotation_id: id };
    });
    await this.store.putAnnotations(jobId, out);
  }

  private async requireJob(jobId: string): Promise<void> {
    if (!(await this.service.store.getJob(jobId))) throw new VigilError('RESOURCE_NOT_FOUND', `No known job with id '${jobId}'`);
  }

  private annotationFields(body: Record<string, unknown>, base: Partial<AnnotationDoc>): Partial<AnnotationDoc> {
    const out: Partial<AnnotationDoc> = { ...base };
    const allowed = [
      'annotation',
      'timestamp',
      'end_timestamp',
      'type',
      'detector_index',
      'partition_field_name',
      'partition_field_value',
      'over_field_name',
      'over_field_value',
      'by_field_name',
      'by_field_value',
      'username',
    ];
    for (const k of Object.keys(body)) if (!allowed.includes(k)) throw new VigilError('BODY_PARSE', `[annotation] unknown field [${k}]`);
    if (body.annotation !== undefined) {
      if (typeof body.annotation !== 'string' || body.annotation.trim() === '') throw new VigilError('INVALID_ARGUMENT', '[annotation] must be a non-empty string');
      out.annotation = body.annotation;
    }
    if (body.timestamp !== undefined) out.timestamp = parseTimeParam('timestamp', body.timestamp);
    if (body.end_timestamp !== undefined) out.end_timestamp = parseTimeParam('end_timestamp', body.end_timestamp);
    if (body.type !== undefined) {
      if (body.type !== 'annotation' && body.type !== 'comment') throw new VigilError('INVALID_ARGUMENT', '[type] must be annotation or comment');
      out.type = body.type;
    }
    if (body.detector_index !== undefined) {
      if (!Number.isInteger(body.detector_index) || (body.detector_index as number) < 0) throw new VigilError('INVALID_ARGUMENT', '[detector_index] must be a non-negative integer');
      out.detector_index = body.detector_index as number;
    }
    for (const k of ['partition_field_name', 'partition_field_value', 'over_field_name', 'over_field_value', 'by_field_name', 'by_field_value'] as const) {
      if (body[k] !== undefined) {
        if (typeof body[k] !== 'string') throw new VigilError('BODY_PARSE', `[annotation] failed to parse field [${k}]`);
        out[k] = body[k] as string;
      }
    }
    return out;
  }

  async createAnnotation(jobId: string, body: Record<string, unknown>): Promise<AnnotationDoc> {
    await this.requireJob(jobId);
    if (body.annotation === undefined) throw new VigilError('INVALID_ARGUMENT', 'Field [annotation] cannot be null');
    if (body.timestamp === undefined) throw new VigilError('INVALID_ARGUMENT', 'Field [timestamp] cannot be null');
    const now = Date.now();
    const user = typeof body.username === 'string' ? body.username : 'vigil';
    const f = this.annotationFields(body, {});
    const doc: AnnotationDoc = {
      annotation_id: '',
      job_id: jobId,
      annotation: f.annotation as string,
      timestamp: f.timestamp as number,
      end_timestamp: f.end_timestamp ?? (f.timestamp as number),
      type: f.type ?? 'annotation',
      event: 'user',
      create_time: now,
      create_username: user,
      modified_time: now,
      modified_username: user,
      ...f,
    } as AnnotationDoc;
    if (doc.end_timestamp < doc.timestamp) throw new VigilError('INVALID_ARGUMENT', `[end_timestamp] cannot be before [timestamp]`);
    doc.annotation_id = hash(`${jobId}|user|${now}|${Math.random()}`);
    delete (doc as Partial<AnnotationDoc> & { username?: string }).username;
    await this.store.putAnnotations(jobId, [doc]);
    return doc;
  }

  async listAnnotations(jobId: string, q: { start?: unknown; end?: unknown; event?: string } & Page): Promise<{ count: number; annotations: AnnotationDoc[] }> {
    await this.requireJob(jobId);
    const start = q.start === undefined || q.start === '' ? -Infinity : parseTimeParam('start', q.start);
    const end = q.end === undefined || q.end === '' ? Infinity : parseTimeParam('end', q.end);
    const list = this.store
      .listAnnotations(jobId)
      .filter((a) => a.end_timestamp >= start && a.timestamp < end && (q.event === undefined || a.event === q.event))
      .sort((a, b) => a.timestamp - b.timestamp || (a.annotation_id < b.annotation_id ? -1 : 1));
    return { count: list.length, annotations: page(list, q) };
  }

  async updateAnnotation(jobId: string, id: string, body: Record<string, unknown>): Promise<AnnotationDoc> {
    await this.requireJob(jobId);
    const a = this.store.listAnnotations(jobId).find((x) => x.annotation_id === id);
    if (!a) throw new VigilError('RESOURCE_NOT_FOUND', `No annotation with id [${id}] exists for job [${jobId}]`);
    const f = this.annotationFields(body, {});
    const user = typeof body.username === 'string' ? body.username : 'vigil';
    const next: AnnotationDoc = { ...a, ...f, modified_time: Date.now(), modified_username: user } as AnnotationDoc;
    delete (next as Partial<AnnotationDoc> & { username?: string }).username;
    if (next.end_timestamp < next.timestamp) throw new VigilError('INVALID_ARGUMENT', `[end_timestamp] cannot be before [timestamp]`);
    await this.store.putAnnotations(jobId, [next]);
    return next;
  }

  async deleteAnnotation(jobId: string, id: string): Promise<void> {
    await this.requireJob(jobId);
    const n = await this.store.deleteAnnotations(jobId, (a) => a.annotation_id === id);
    if (n === 0) throw new VigilError('RESOURCE_NOT_FOUND', `No annotation with id [${id}] exists for job [${jobId}]`);
  }
}

/** The control service of a jobs service: attached once (server.ts gives a persistent store), else made on first use in memory. */
const attached = new WeakMap<JobService, ControlService>();

export function attachControl(service: JobService, store: ControlStore): ControlService {
  const c = new ControlService(service, store);
  attached.set(service, c);
  return c;
}

export function controlOf(service: JobService): ControlService {
  return attached.get(service) ?? attachControl(service, ControlStore.memory());
}
