/**
 * What a job is told beyond its configuration, and the Vigil extensions that shape its scores:
 * filters (the items custom-rule scopes refer to), the scheduled events of the calendars it belongs
 * to (skip_result, skip_model_update, force_time_shift), model-change annotations, and the
 * per-job sensitivity (`custom_settings.vigil_sensitivity`). Pure: the server passes them in.
 */
import { surpriseForScore, scoreFromSurprise } from '../../core/score/calibrator.js';
import { DEFAULT_DETECTOR } from '../../core/detect/registry.js';
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
 * The model each single-series entity of a job gets (`custom_settings.vigil_model`):
 *   - `auto` (the default for jobs created since it measured best): the point model plus the
 *     matrix-profile shape detector, the larger score wins (src/core/detect/family/auto.ts);
 *   - `point`: the point model alone (detector type `default`; `default` is accepted as its older
 *     name): about half the time and memory per series, blind to changes of rhythm.
 * Fixed when the job is created (JobConfig.series_model); jobs created before `auto` became the
 * default carry no series_model and keep the point model.
 */
export const SERIES_MODELS = ['auto', 'point', 'default'] as const;
/** The model of jobs that name none. */
export const DEFAULT_SERIES_MODEL = DEFAULT_DETECTOR;
/** Detector type of each name. */
const DETECTOR_OF: Record<string, string> = { auto: 'auto', point: 'default', default: 'default' };
/** The model's name as users read it. */
const NAME_OF: Record<string, string> = { auto: 'auto', default: 'point' };

/** Validates `custom_settings.vigil_model` (absent: the job gets DEFAULT_SERIES_MODEL). */
export function validateModel(value: unknown): void {
  if (value === undefined || (typeof value === 'string' && (SERIES_MODELS as readonly string[]).includes(value))) return;
  throw invalid(`custom_settings.vigil_model must be one of [auto, point]; got [${JSON.stringify(value)}]`);
}

/** The detector type custom_settings ask for, or undefined when they name none. */
export function requestedModel(customSettings: Record<string, unknown> | undefined): string | undefined {
  const v = customSettings?.vigil_model;
  return typeof v === 'string' ? DETECTOR_OF[v] : undefined;
}

/** The detector type of a job's single-series entities (see SERIES_MODELS). */
export function seriesModelOf(config: { series_model?: string; custom_settings?: Record<string, unknown> }): string {
  return config.series_model ?? requestedModel(config.custom_settings) ?? 'default';
}

/** A detector type's name in messages (`point` for the point model). */
export function modelName(type: string): string {
  return NAME_OF[type] ?? type;
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
