/**
 * The models a detector's runners hold, as one set of types, and their versioned state: a saved
 * model is restored by its state's type, and interim results score a copy made through it (so the
 * real models learn each bucket once, when it is final).
 */
import type { Detector } from '../../../core/detect/detector.js';
import { GeoModel } from '../../../core/detect/lat-long/geo-model.js';
import { PopulationModel } from '../../../core/detect/population/population-model.js';
import { RareModel } from '../../../core/detect/rare/rare-model.js';
import { restoreDetector } from '../../../core/detect/registry.js';
import { TimeModel } from '../../../core/detect/time-of-day/time-model.js';
import '../../../core/detect/default/default-detector.js';
import type { ModelState } from '../../../core/state.js';
import type { EventModel } from './event-models.js';

/** A series entity's model: the default detector (one per feature) or an event model. */
export type SeriesModel = Detector | EventModel;
/** A population or rare group's model. */
export type GroupModel = PopulationModel | RareModel | EventModel;

/** A model from its saved state, by the state's type. */
export function restoreModel(state: ModelState): SeriesModel | GroupModel {
  switch (state.type) {
    case 'population':
      return PopulationModel.fromState(state);
    case 'rare':
      return RareModel.fromState(state);
    case 'time_of_day':
      return TimeModel.fromState(state);
    case 'lat_long':
      return GeoModel.fromState(state);
    default:
      return restoreDetector(state);
  }
}

/** A copy of a model through its state (for interim scoring). */
export function copyModel<M extends SeriesModel | GroupModel>(m: M): M {
  return restoreModel(m.toState()) as M;
}
