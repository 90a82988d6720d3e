/**
 * Elastic's time units ("5m", "90s", "1500ms", "-1") and byte-size units ("1024mb", "1gb", 512)
 * read the way Elasticsearch reads them, with its error messages, and Elastic's number formatting
 * for messages ("3,600").
 */
import { JobConfigError, invalid } from './job-error.js';

const TIME_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['nanos', 1e-6],
  ['micros', 1e-3],
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
];

/**
 * Reads an Elastic time value. Numbers are refused as Elastic refuses them (a unit is required);
 * "0" and "-1" are the only unit-less values. Fractions are refused ("1.5h").
 *
 * @example parseTimeValue('10m', 'bucket_span') // 600000
 * @throws JobConfigError with Elastic's message naming the setting.
 */
export function parseTimeValue(value: unknown, setting: string): number {
  if (typeof value !== 'string') {
    throw new JobConfigError(
      `failed to parse setting [${setting}] with value [${String(value)}] as a time value: unit is missing or unrecognized`,
      'illegal_argument_exception',
    );
  }
  const text = value.trim().toLowerCase();
  if (text === '0') return 0;
  if (text === '-1') return -1;
  for (const [suffix, ms] of [...TIME_UNITS].sort((a, b) => b[0].length - a[0].length)) {
    if (!text.endsWith(suffix)) continue;
    const num = text.slice(0, text.length - suffix.length).trim();
    if (/^-?\d+$/.test(num)) {
      const n = Number(num);
      if (n < 0 && !(n === -1)) {
        throw invalid(`failed to parse setting [${setting}] with value [${value}] as a time value: negative durations are not supported`);
      }
      return n * ms;
    }
    if (/^-?\d*\.\d+$/.test(num)) throw invalid(`failed to parse [${value}], fractional time values are not supported`);
    break;
  }
  throw invalid(`failed to parse setting [${setting}] with value [${value}] as a time value: unit is missing or unrecognized`);
}

/** Elastic's TimeValue.toString: the largest unit ≥ 1, at most one decimal ("90s" → "1.5m"). */
export function formatTimeValue(ms: number): string {
  if (ms < 0) return String(ms);
  const units: ReadonlyArray<readonly [string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  for (const [suffix, size] of units) {
    if (ms >= size || suffix === 'ms') {
      const v = Math.round((ms / size) * 10) / 10;
      return `${v}${suffix}`;
    }
  }
  return `${ms}ms`;
}

/** Exact time value text for a duration: the largest unit that divides it ("30d", "600s"). */
export function timeValueText(ms: number): string {
  for (const [suffix, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${suffix}`;
  }
  return `${ms}ms`;
}

const BYTE_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['kb', 1024],
  ['k', 1024],
  ['mb', 1024 ** 2],
  ['m', 1024 ** 2],
  ['gb', 1024 ** 3],
  ['g', 1024 ** 3],
  ['tb', 1024 ** 4],
  ['t', 1024 ** 4],
  ['pb', 1024 ** 5],
  ['p', 1024 ** 5],
  ['b', 1],
];

/**
 * Reads an Elastic byte size ("1024mb", "1gb", "500kb", "2048b"); a plain number is refused here
 * (callers decide what a number means: model_memory_limit treats it as MiB).
 */
export function parseByteSize(value: string, setting: string): number {
  const text = value.trim().toLowerCase();
  if (text === '0') return 0;
  if (text === '-1') return -1;
  for (const [suffix, size] of BYTE_UNITS) {
    if (!text.endsWith(suffix)) continue;
    const num = text.slice(0, text.length - suffix.length).trim();
    if (/^\d+(\.\d+)?$/.test(num)) return Math.floor(Number(num) * size);
    break;
  }
  throw invalid(`failed to parse setting [${setting}] with value [${value}] as a size in bytes: unit is missing or unrecognized`);
}

/** Java's MessageFormat {n,number}: grouped thousands ("3,600"). */
export function formatNumber(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/** Elastic's ByteSizeValue.toString style for messages ("1mb", "1.5gb", "512b"). */
export function formatBytes(bytes: number): string {
  const units: ReadonlyArray<readonly [string, number]> = [
    ['pb', 1024 ** 5],
    ['tb', 1024 ** 4],
    ['gb', 1024 ** 3],
    ['mb', 1024 ** 2],
    ['kb', 1024],
  ];
  for (const [suffix, size] of units) {
    if (bytes >= size) return `${Math.round((bytes / size) * 10) / 10}${suffix}`;
  }
  return `${bytes}b`;
}
