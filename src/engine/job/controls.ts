/**
 * What a job is told beyond its configuration, and the Vigil extensions that shape its scores:
 * filters (the items custom-rule scopes refer to), the scheduled events of the calendars it belongs
 * to (skip_result, skip_model_update, force_time_shift), model-change annotations, and the
 * per-job sensitivity (`custom_settings.vigil_sensitivity`). Pure: the server passes them in.
 */
import { surpriseForScore, scoreFromSurprise } from '../../core/score/calibrator.js';
import { invalid } from './job-error.js';

/** A calendar's scheduled event as a job applies it (Elastic's shape; times epoch ms). */
export interface JobEvent {
  description: string;
  start_time: number;
  end_time: number;
  /** Results inside the event are not written (Elastic's default: true). */
  skip_result?: boolean;
  /** Models do not learn from buckets inside the event (Elastic's default: true). */
  skip_model_update?: boolean;
  /** Seconds added to the models' clock from the event's start on (daylight saving, clock changes). */
  force_time_shift?: number;
}

/** Filters by id and the job's scheduled events. */
export interface JobControls {
  filters: Record<string, readonly string[]>;
  events: readonly JobEvent[];
}

/** A model-change annotation (Elastic's annotation document, `event: model_change`). */
export interface AnnotationDoc {
  job_id: string;
  type: 'annotation';
  event: 'model_change';
  annotation: string;
  /** Epoch ms: the bucket the change was seen in. */
  timestamp: number;
  end_timestamp: number;
  detector_index: number;
  partition_field_name?: string;
  partition_field_value?: string;
  by_field_name?: string;
  by_field_value?: string;
  create_time: number;
  create_username: string;
  modified_time: number;
  modified_username: string;
  result_type: 'annotation';
}

/** The job's events in force over [start, end): the ones that overlap it. */
export function eventsIn(events: readonly JobEvent[], start: number, end: number): JobEvent[] {
  const out: JobEvent[] = [];
  for (const e of events) if (e.start_time < end && e.end_time > start) out.push(e);
  return out;
}

/**
 * The models' clock shift at `time`, ms: the sum of force_time_shift of the events that started at
 * or before it (the shift applies from the event's start on, as in Elastic).
 */
export function timeShiftAt(events: readonly JobEvent[], time: number): number {
  let s = 0;
  for (const e of events) if (e.force_time_shift && e.start_time <= time) s += e.force_time_shift * 1000;
  return s;
}

/** Named sensitivities and the factor they multiply the surprise (nats) by. */
export const SENSITIVITY_LEVELS: Record<string, number> = { low: 0.7, medium: 1, high: 1.4 };
const MIN_SENSITIVITY = 0.1;
const MAX_SENSITIVITY = 10;

/**
 * Validates `custom_settings.vigil_sensitivity`: `low`, `medium`, `high`, or a number in
 * [0.1, 10] (1 = medium). Throws Elastic's illegal_argument_exception with a clear message.
 */
export function validateSensitivity(value: unknown): void {
  if (value === undefined) return;
  if (typeof value === 'string' && value in SENSITIVITY_LEVELS) return;
  if (typeof value === 'number' && Number.isFinite(value) && value >= MIN_SENSITIVITY && value <= MAX_SENSITIVITY) return;
  throw invalid(
    `custom_settings.vigil_sensitivity must be one of [low, medium, high] or a number from ${MIN_SENSITIVITY} to ${MAX_SENSITIVITY} (1 = medium); got [${JSON.stringify(value)}]`,
  );
}

/**
 * The model each single-series entity of a job gets (`custom_settings.vigil_model`): `default`,
 * the lean online model, or `auto`, the default plus the matrix-profile shape detector (best
 * measured on NAB's development half; ≈ 2.3× the time and 68 KB instead of 8.7 KB per series).
 */
export const SERIES_MODELS = ['default', 'auto'] as const;

/** Validates `custom_settings.vigil_model` (absent: `default`). */
export function validateModel(value: unknown): void {
  if (value === undefined || (typeof value === 'string' && (SERIES_MODELS as readonly string[]).includes(value))) return;
  throw invalid(`custom_settings.vigil_model must be one of [${SERIES_MODELS.join(', ')}]; got [${JSON.stringify(value)}]`);
}

/** The series model of a job's configuration. */
export function modelOf(customSettings: Record<string, unknown> | undefined): string {
  const v = customSettings?.vigil_model;
  return typeof v === 'string' && (SERIES_MODELS as readonly string[]).includes(v) ? v : 'default';
}

/** The surprise factor of a job's configuration (1 when unset). */
export function sensitivityOf(customSettings: Record<string, unknown> | undefined): number {
  const v = customSettings?.vigil_sensitivity;
  if (typeof v === 'string') return SENSITIVITY_LEVELS[v] ?? 1;
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  return 1;
}

/**
 * A raw 0–100 score under a sensitivity: the score's surprise (nats) times the factor, back on
 * the 0–100 scale. 1 leaves scores as they are; models are not touched (no retraining).
 *
 * @example
 * withSensitivity(25, 1.4) // ≈ 50: a minor anomaly becomes major on high sensitivity
 */
export function withSensitivity(raw: number, factor: number): number {
  if (factor === 1 || !(raw > 0)) return raw;
  return Math.min(100, scoreFromSurprise(surpriseForScore(raw) * factor));
}
