/**
 * Elastic's anomaly-detection function catalogue as the job configuration sees it: every function
 * name and shortcut Elastic accepts, what each requires (field_name required or forbidden, by/over
 * field required or refused) and which Vigil model analyses it. Log categorisation is not offered.
 */
import type { Side } from '../../core/detect/detector.js';

/** Which model family analyses a function. */
export type FunctionFamily =
  | 'count' // count, high_count, low_count, non_zero_count… (bucket count → default detector)
  | 'distinct_count' // distinct values of field_name per bucket → default detector
  | 'metric' // mean, median, min, max, sum, non_null_sum, varp, metric → default detector
  | 'info_content' // information content of field_name's values per bucket → default detector
  | 'rare' // rare, freq_rare: how rare a by value is (frequency model)
  | 'time' // time_of_day, time_of_week: when events happen (time histogram)
  | 'lat_long'; // location model

export interface FunctionInfo {
  /** Elastic's full name, as rendered in configs and results. */
  name: string;
  family: FunctionFamily;
  side: Side;
  /** field_name must be given (true) or must not be (false). */
  needsField: boolean;
  /** May be used without field_name, by_field_name and over_field_name. */
  countWithoutField: boolean;
  needsBy: boolean;
  needsOver: boolean;
  /** over_field_name refused (non_zero_count family). */
  noOver: boolean;
  /** Custom rule conditions may only apply to time. */
  timeConditionsOnly: boolean;
  /**
   * For the count/metric/distinct_count families: the bucket function name Vigil's bucketizer
   * knows (`low_count`, `high_mean`, `distinct_count`…).
   */
  bucketFunction?: string;
  /** For time functions: the period, ms. */
  periodMs?: number;
}

const DAY = 86_400_000;

const table = new Map<string, FunctionInfo>();

function add(name: string, info: Omit<FunctionInfo, 'name' | 'side' | 'countWithoutField' | 'needsBy' | 'needsOver' | 'noOver' | 'timeConditionsOnly'> & Partial<FunctionInfo>, aliases: string[] = []): void {
  const side: Side = name.startsWith('high_') ? 'high' : name.startsWith('low_') ? 'low' : 'both';
  const full: FunctionInfo = {
    name,
    side,
    countWithoutField: false,
    needsBy: false,
    needsOver: false,
    noOver: false,
    timeConditionsOnly: false,
    ...info,
  };
  table.set(name, full);
  for (const a of aliases) table.set(a, full);
}

for (const prefix of ['', 'high_', 'low_']) {
  add(`${prefix}count`, { family: 'count', needsField: false, countWithoutField: true, bucketFunction: `${prefix}count` });
  add(
    `${prefix}non_zero_count`,
    { family: 'count', needsField: false, countWithoutField: true, noOver: true, bucketFunction: `${prefix}non_zero_count` },
    [`${prefix}nzc`],
  );
  add(`${prefix}distinct_count`, { family: 'distinct_count', needsField: true, bucketFunction: `${prefix}distinct_count` }, [`${prefix}dc`]);
  add(`${prefix}info_content`, { family: 'info_content', needsField: true });
  for (const base of ['mean', 'avg', 'median', 'sum', 'non_null_sum', 'varp']) {
    add(`${prefix}${base}`, { family: 'metric', needsField: true, bucketFunction: `${prefix}${base}` });
  }
}
add('min', { family: 'metric', needsField: true, bucketFunction: 'min' });
add('max', { family: 'metric', needsField: true, bucketFunction: 'max' });
add('metric', { family: 'metric', needsField: true, bucketFunction: 'metric', timeConditionsOnly: true });
add('rare', { family: 'rare', needsField: false, needsBy: true, timeConditionsOnly: true });
add('freq_rare', { family: 'rare', needsField: false, needsBy: true, needsOver: true, timeConditionsOnly: true });
add('time_of_day', { family: 'time', needsField: false, countWithoutField: true, periodMs: DAY });
add('time_of_week', { family: 'time', needsField: false, countWithoutField: true, periodMs: 7 * DAY });
add('lat_long', { family: 'lat_long', needsField: true, timeConditionsOnly: true });

/** Every name Elastic accepts (full names and shortcuts). */
export const ELASTIC_FUNCTION_NAMES: readonly string[] = Object.freeze([...table.keys()]);

/** The function a name stands for, or undefined (names are case-sensitive, as in Elastic). */
export function lookupFunction(name: string): FunctionInfo | undefined {
  return table.get(name);
}
