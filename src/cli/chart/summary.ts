/** Counting anomalies by severity for chart titles: "12 anomalies: 2 critical, 3 major, …". */
import { severityOf, type Severity } from '../../core/score/severity.js';
import type { ChartAnomaly } from './types.js';

/** Severities from most to least severe. */
export const SEVERITY_ORDER: Severity[] = ['critical', 'major', 'minor', 'warning', 'none'];

export function countBySeverity(anomalies: readonly ChartAnomaly[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, major: 0, minor: 0, warning: 0, none: 0 };
  for (const a of anomalies) counts[severityOf(a.score)]++;
  return counts;
}

/**
 * @example
 * summariseAnomalies([{ time: 0, value: 1, score: 90 }]) // "1 anomaly: 1 critical"
 */
export function summariseAnomalies(anomalies: readonly ChartAnomaly[]): string {
  const n = anomalies.length;
  if (n === 0) return 'No anomalies';
  const counts = countBySeverity(anomalies);
  const parts = SEVERITY_ORDER.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s === 'none' ? 'unscored' : s}`);
  return `${n} ${n === 1 ? 'anomaly' : 'anomalies'}: ${parts.join(', ')}`;
}
