/**
 * The event families (time_of_day / time_of_week and lat_long): the model that learns when or
 * where a bucket's events happened, and how an entity's (or an over member's) events are scored
 * against it. Shared by the series runner (one model per entity) and the population runner (one
 * per group). Event times are moved by the bucket's force_time_shift; locations never are.
 */
import { GeoModel, newGeoScore } from '../../../core/detect/lat-long/geo-model.js';
import { TimeModel, newTimeScore, timeModelSpec } from '../../../core/detect/time-of-day/time-model.js';
import type { FunctionInfo } from '../functions.js';

export type EventModel = TimeModel | GeoModel;

/** One entity's events in a bucket, scored. */
export interface EventScore {
  raw: number;
  probability: number;
  /** Seconds into the period (time) or the point (lat_long), and the model's typical one. */
  actual: number[];
  typical: number[];
  geo?: { actual_point: string; typical_point: string };
}

/** A new model for a time or lat_long function. */
export function newEventModel(info: FunctionInfo): EventModel {
  return info.family === 'time' ? new TimeModel(timeModelSpec(info.periodMs as number)) : new GeoModel();
}

/** What the model sees of a bucket's points: event times moved by the clock shift, locations as they are. */
export function eventInput(model: EventModel, points: number[], shiftMs: number): number[] {
  return model instanceof TimeModel ? shiftTimes(points, shiftMs) : points;
}

/** Scores the events (as {@link eventInput} gives them) against the model; learns nothing. */
export function scoreEvents(model: EventModel, input: number[]): EventScore {
  if (model instanceof TimeModel) {
    const ts = newTimeScore();
    model.score(input, ts);
    return { raw: ts.score, probability: ts.probability, actual: [ts.actualSeconds], typical: [ts.typicalSeconds] };
  }
  const gs = newGeoScore();
  model.score(input, gs);
  return {
    raw: gs.score,
    probability: gs.probability,
    actual: [...gs.actual],
    typical: [...gs.typical],
    geo: { actual_point: `${gs.actual[0]},${gs.actual[1]}`, typical_point: `${gs.typical[0]},${gs.typical[1]}` },
  };
}

export function shiftTimes(times: number[], shiftMs: number): number[] {
  return shiftMs === 0 || times.length === 0 ? times : times.map((t) => t + shiftMs);
}
