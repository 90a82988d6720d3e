/**
 * Elastic's identifier rules for jobs, groups, datafeeds and results index names.
 */

/** Longest id Elastic accepts. */
export const ID_LENGTH_LIMIT = 64;

const VALID_ID = /^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$/;

/**
 * Lowercase alphanumerics, hyphens and underscores, starting and ending with an alphanumeric.
 * (Elastic also lets a '.' through in the middle; Vigil does not, as its message says.)
 */
export function isValidId(id: string): boolean {
  return VALID_ID.test(id);
}

/** Elastic's message for an id that breaks the pattern; `field` is e.g. `job_id`. */
export function invalidIdMessage(field: string, id: string): string {
  return `Invalid ${field}; '${id}' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric`;
}

export function invalidGroupMessage(group: string): string {
  return `Invalid group id '${group}'; must be non-empty string and may contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric`;
}
