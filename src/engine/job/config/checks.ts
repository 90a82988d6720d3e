/**
 * Small checks and helpers shared by the configuration's section validators (job, analysis_config,
 * analysis_limits, `_update`), each with Elastic's message.
 */
import { invalidGroupMessage, isValidId } from '../ids.js';
import { JobConfigError, invalid } from '../job-error.js';
import { formatNumber, formatTimeValue } from '../units.js';

export const DAY_MS = 86_400_000;
export const MIB = 1024 * 1024;

const CATEGORIZATION_REFUSED =
  'log categorization is not supported by Vigil: remove [{0}] (categorization_field_name, categorization_filters, categorization_analyzer and mlcategory are not available)';

export function categorizationRefused(field: string): JobConfigError {
  return invalid(CATEGORIZATION_REFUSED.replace('{0}', field));
}

export const isEmpty = (s: string | undefined): s is undefined => s === undefined || s === '';

export function emptyToUndefined(s: string | undefined): string | undefined {
  return s === '' ? undefined : s;
}

export function checkNotLessThan(min: number, name: string, value: number | undefined): void {
  if (value !== undefined && value < min) throw invalid(`${name} cannot be less than ${formatNumber(min)}. Value = ${formatNumber(value)}`);
}

export function checkRetentionConsistent(daily: number | undefined, retention: number): void {
  if (daily !== undefined && daily > retention) {
    throw invalid(`The value of 'daily_model_snapshot_retention_after_days' [${daily}] cannot be greater than 'model_snapshot_retention_days' [${retention}]`);
  }
}

export function checkGroups(groups: string[], jobId: string): void {
  for (const g of groups) {
    if (!isValidId(g)) throw invalid(invalidGroupMessage(g));
    if (g === jobId) {
      throw new JobConfigError(
        `job and group names must be unique but job [${g}] and group [${g}] have the same name`,
        'resource_already_exists_exception',
      );
    }
  }
}

/** background_persist_interval (ms): a whole number of seconds, at least an hour. */
export function checkBackgroundPersistInterval(ms: number): void {
  if (ms % 1000 !== 0) throw invalid(`background_persist_interval has to be a multiple of 1s; actual was '${formatTimeValue(ms)}'`);
  if (ms / 1000 < 3600) throw invalid(`background_persist_interval cannot be less than ${formatNumber(3600)}. Value = ${formatNumber(ms / 1000)}`);
}

/** model_prune_window (ms): a multiple of the bucket span, at least two of them. */
export function checkPruneWindow(ms: number, bucketSpanMs: number): void {
  if (ms % bucketSpanMs !== 0) {
    throw invalid(`model_prune_window [${formatTimeValue(ms)}] must be a multiple of bucket_span [${formatTimeValue(bucketSpanMs)}]`);
  }
  if (ms / bucketSpanMs < 2) {
    throw invalid(`model_prune_window [${formatTimeValue(ms)}] must be at least 2 times greater than bucket_span [${formatTimeValue(bucketSpanMs)}]`);
  }
}
