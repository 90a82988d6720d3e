export type { ScheduledEvent } from './scheduled-event.js';
export { holidayEvents, holidayCountries, holidayRegions, type HolidayOptions } from './holidays.js';
export { dstShiftEvents, type DstOptions } from './dst.js';
