/**
 * The fixed synthetic suites: lists of series specs, one category per anomaly kind family, at
 * 5-minute (14 days, 4032 rows) or hourly (16 weeks, 2688 rows) resolution. The `default` suite is
 * the "fixed synthetic suite" of docs/evaluation.md: change it only with a new suite name, so
 * published figures stay comparable.
 */
import { VigilError } from '../errors.js';
import { generateSeries, type NoiseModel, type SeriesSpec, type SynthKind, type SynthSeries } from './generate.js';

const M5 = { stepMs: 300_000, rows: 4032 };
const H1 = { stepMs: 3_600_000, rows: 2688 };
const gauss = (sigma: number): NoiseModel => ({ model: 'gaussian', sigma });
const heavy = (sigma: number, df = 3): NoiseModel => ({ model: 'student_t', sigma, df });
const counts: NoiseModel = { model: 'poisson' };

type Shape = Omit<SeriesSpec, 'category' | 'name' | 'anomalies'>;

/** The base shapes the suite reuses. */
const SHAPES = {
  gaussDaily5m: { ...M5, level: 100, daily: 'sine', amplitude: 20, noise: gauss(2) },
  heavyBusinessWeekly1h: { ...H1, level: 60, daily: 'business', amplitude: 50, weekly: true, noise: heavy(3) },
  countsBusiness5m: { ...M5, level: 10, daily: 'business', amplitude: 30, noise: counts },
  gaussTrendExtra1h: { ...H1, level: 50, trendPerDay: 0.2, daily: 'sine', amplitude: 10, extra: { periodMs: 6 * 3_600_000, amplitude: 3 }, noise: gauss(1.5) },
  countsWeekly1h: { ...H1, level: 30, daily: 'business', amplitude: 100, weekly: true, noise: counts },
  gaussWeekly1h: { ...H1, level: 200, daily: 'business', amplitude: 120, weekly: true, noise: gauss(6) },
  countsBusiness5mHigh: { ...M5, level: 20, daily: 'business', amplitude: 40, noise: counts },
  heavyDaily5m: { ...M5, level: 40, daily: 'sine', amplitude: 8, noise: heavy(1) },
} satisfies Record<string, Shape>;

function spec(category: string, name: string, shape: Shape, anomalies: SynthKind[], extra: Partial<SeriesSpec> = {}): SeriesSpec {
  return { ...shape, ...extra, category, name, anomalies };
}

const S = SHAPES;
const x3 = (k: SynthKind): SynthKind[] => [k, k, k];
const x2 = (k: SynthKind): SynthKind[] => [k, k];

/** The default suite (42 files, 10 categories). */
export function defaultSuite(): SeriesSpec[] {
  return [
    spec('spike', 'gauss_daily_5m', S.gaussDaily5m, x3('spike')),
    spec('spike', 'heavy_business_weekly_1h', S.heavyBusinessWeekly1h, x3('spike')),
    spec('spike', 'counts_business_5m', S.countsBusiness5m, x3('spike')),
    spec('spike', 'gauss_trend_extra_1h', S.gaussTrendExtra1h, x3('spike')),
    spec('dip', 'gauss_daily_5m', S.gaussDaily5m, x3('dip')),
    spec('dip', 'heavy_business_weekly_1h', S.heavyBusinessWeekly1h, x3('dip')),
    spec('dip', 'counts_business_5m', S.countsBusiness5mHigh, x3('dip')),
    spec('dip', 'gauss_trend_extra_1h', S.gaussTrendExtra1h, x3('dip')),
    spec('outage', 'missing_gauss_daily_5m', S.gaussDaily5m, x2('outage_missing')),
    spec('outage', 'missing_counts_weekly_1h', S.countsWeekly1h, x2('outage_missing')),
    spec('outage', 'zero_counts_business_5m', S.countsBusiness5mHigh, x2('outage_zero')),
    spec('outage', 'zero_counts_weekly_1h', S.countsWeekly1h, x2('outage_zero')),
    spec('level_shift', 'up_gauss_daily_5m', S.gaussDaily5m, ['level_shift_up']),
    spec('level_shift', 'down_heavy_weekly_1h', S.heavyBusinessWeekly1h, ['level_shift_down']),
    spec('level_shift', 'up_down_counts_5m', S.countsBusiness5mHigh, ['level_shift_up', 'level_shift_down']),
    spec('level_shift', 'down_up_gauss_weekly_1h', S.gaussWeekly1h, ['level_shift_down', 'level_shift_up']),
    spec('variance_change', 'gauss_daily_5m', S.gaussDaily5m, x2('variance_change')),
    spec('variance_change', 'heavy_daily_5m', S.heavyDaily5m, x2('variance_change')),
    spec('variance_change', 'counts_weekly_1h', S.countsWeekly1h, x2('variance_change')),
    spec('variance_change', 'gauss_weekly_1h', S.gaussWeekly1h, x2('variance_change')),
    spec('trend_change', 'gauss_daily_5m', S.gaussDaily5m, ['trend_change']),
    spec('trend_change', 'gauss_trend_extra_1h', S.gaussTrendExtra1h, ['trend_change']),
    spec('trend_change', 'counts_weekly_1h', S.countsWeekly1h, ['trend_change']),
    spec('trend_change', 'heavy_daily_5m', S.heavyDaily5m, ['trend_change']),
    spec('pattern', 'weekday_as_sunday_gauss_1h', S.gaussWeekly1h, x2('weekday_as_sunday')),
    spec('pattern', 'holiday_counts_1h', S.countsWeekly1h, x2('holiday')),
    spec('pattern', 'wellness_day_gauss_1h', S.gaussWeekly1h, x2('wellness_day')),
    spec('pattern', 'weekend_as_weekday_heavy_1h', S.heavyBusinessWeekly1h, x2('weekend_as_weekday')),
    spec('pattern', 'mixed_counts_1h', S.countsWeekly1h, ['weekday_as_sunday', 'wellness_day', 'weekend_as_weekday']),
    spec('pattern', 'mixed_gauss_1h', S.gaussWeekly1h, ['holiday', 'weekend_as_weekday', 'weekday_as_sunday']),
    spec('frequency_change', 'gauss_daily_5m', S.gaussDaily5m, ['frequency_change']),
    spec('frequency_change', 'counts_business_5m', S.countsBusiness5mHigh, ['frequency_change']),
    spec('frequency_change', 'gauss_weekly_1h', S.gaussWeekly1h, x2('frequency_change')),
    spec('frequency_change', 'heavy_business_weekly_1h', S.heavyBusinessWeekly1h, x2('frequency_change')),
    spec('irregular', 'jitter_gauss_5m', S.gaussDaily5m, ['spike', 'dip', 'spike'], { irregular: { jitter: 0.4, dropRate: 0.05, gaps: 6 } }),
    spec('irregular', 'jitter_level_shift_5m', S.heavyDaily5m, ['level_shift_up'], { irregular: { jitter: 0.3, dropRate: 0.08, gaps: 4 } }),
    spec('irregular', 'gaps_counts_weekly_1h', S.countsWeekly1h, ['spike', 'outage_zero'], { irregular: { jitter: 0.2, dropRate: 0.1, gaps: 8 } }),
    spec('irregular', 'gaps_heavy_weekly_1h', S.heavyBusinessWeekly1h, ['dip', 'variance_change'], { irregular: { jitter: 0.3, dropRate: 0.03, gaps: 5 } }),
    spec('no_anomaly', 'gauss_daily_5m', S.gaussDaily5m, []),
    spec('no_anomaly', 'counts_weekly_1h', S.countsWeekly1h, []),
    spec('no_anomaly', 'heavy_business_weekly_1h', S.heavyBusinessWeekly1h, []),
    spec('no_anomaly', 'irregular_gauss_5m', S.gaussDaily5m, [], { irregular: { jitter: 0.4, dropRate: 0.05, gaps: 6 } }),
  ];
}

export const SUITES: Record<string, () => SeriesSpec[]> = { default: defaultSuite };

export interface SuiteOptions {
  seed?: number;
  suite?: string;
  /** Keep only this many files, taken round-robin across categories. */
  files?: number;
}

/** Specs of a suite, optionally cut to `files` taken round-robin across categories. */
export function suiteSpecs(options: SuiteOptions = {}): SeriesSpec[] {
  const make = SUITES[options.suite ?? 'default'];
  if (!make) throw new VigilError('INVALID_ARGUMENT', `unknown suite [${options.suite}]; known: ${Object.keys(SUITES).join(', ')}`);
  const all = make();
  if (options.files === undefined || options.files >= all.length) return all;
  const byCat = new Map<string, SeriesSpec[]>();
  for (const s of all) byCat.set(s.category, [...(byCat.get(s.category) ?? []), s]);
  const picked: SeriesSpec[] = [];
  for (let round = 0; picked.length < options.files; round++) {
    for (const list of byCat.values()) if (round < list.length && picked.length < options.files) picked.push(list[round]);
  }
  return all.filter((s) => picked.includes(s));
}

/**
 * Generates a suite (default seed 1).
 *
 * @example generateSuite({ seed: 7, files: 10 }).map((s) => s.category + '/' + s.name)
 */
export function generateSuite(options: SuiteOptions = {}): SynthSeries[] {
  const seed = options.seed ?? 1;
  return suiteSpecs(options).map((s) => generateSeries(s, seed));
}
