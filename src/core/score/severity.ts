/** Elastic's severity bands over the 0–100 record score. */
export type Severity = 'none' | 'warning' | 'minor' | 'major' | 'critical';

export function severityOf(score: number): Severity {
  if (!(score > 0)) return 'none';
  if (score < 25) return 'warning';
  if (score < 50) return 'minor';
  if (score < 75) return 'major';
  return 'critical';
}

/** Elastic's colours for the bands (blue, yellow, orange, red). */
export const SEVERITY_COLOURS: Record<Severity, string> = {
  none: '#9aa5b1',
  warning: '#8bc8fb',
  minor: '#fdec25',
  major: '#fba740',
  critical: '#fe5050',
};

/** Lower score bound of a named severity, for `--min-severity` style filters. */
export function severityFloor(s: Severity): number {
  return { none: 0, warning: 0.0001, minor: 25, major: 50, critical: 75 }[s];
}
