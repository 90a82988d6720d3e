/** Forecasting: models behind one interface, calibrated intervals, M4 metrics. */
export type { Forecast, ForecastInterval, Forecaster, ForecasterOptions, ForecasterStateBody, ForecasterStateSpec, ModelFit } from './types.js';
export { DEFAULT_LEVELS } from './types.js';
export { createForecaster, forecast, forecasterFromState, listModels, modelNames, type ModelInfo } from './registry.js';
export { FORECASTER_STATE_TYPE, FORECASTER_STATE_VERSION, MIN_VALUES as MIN_FORECAST_VALUES } from './base.js';
export { acf, seasonalityTest, detectPeriods, detectCalendarPeriods, calendarPeriods, testPeriod, interpolateMissing, classicalSeasonalIndices, seasonalAdjust } from './season.js';
export { fitEts, autoEts, specName, type EtsSpec, type EtsModel } from './ets.js';
export { smape, mase, msis, coverage, owa, seasonalScale } from './metrics.js';
