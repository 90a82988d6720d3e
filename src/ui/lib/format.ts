/** Formatting shared by the views: times (UTC), numbers, bytes, spans, and severity bands. */

export interface Severity {
  key: 'low' | 'warning' | 'minor' | 'major' | 'critical';
  label: string;
  color: string;
  min: number;
}

/** Elastic's bands: warning < 25 ≤ minor < 50 ≤ major < 75 ≤ critical (blue, yellow, orange, red). */
export const SEVERITIES: Severity[] = [
  { key: 'critical', label: 'critical', color: '#e7433c', min: 75 },
  { key: 'major', label: 'major', color: '#f5a13a', min: 50 },
  { key: 'minor', label: 'minor', color: '#f2d12c', min: 25 },
  { key: 'warning', label: 'warning', color: '#76b7ea', min: 3 },
  { key: 'low', label: 'low', color: '#d3e6f6', min: 0 },
];

export function severityOf(score: number): Severity {
  for (const s of SEVERITIES) if (score >= s.min) return s;
  return SEVERITIES[SEVERITIES.length - 1];
}

/** A swim-lane cell colour: no colour under 1, then the severity colour. */
export function scoreColor(score: number | undefined): string {
  if (score === undefined || !(score >= 1)) return 'transparent';
  return severityOf(score).color;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** 2024-01-22 14:05 (UTC); seconds when they are not zero. */
export function fmtTime(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const s = d.getUTCSeconds();
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${s ? `:${pad(s)}` : ''}`;
}

export function fmtDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export function fmtNum(x: number | undefined | null, digits = 4): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e9 || a < 1e-3)) return x.toExponential(2);
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

export function fmtCount(x: number | string | undefined): string {
  const n = typeof x === 'string' ? Number(x) : x;
  return n === undefined || !Number.isFinite(n) ? '—' : n.toLocaleString('en-US');
}

export function fmtBytes(b: number | undefined): string {
  if (b === undefined || !Number.isFinite(b)) return '—';
  if (b < 1024) return `${b} B`;
  if (b < 1024 ** 2) return `${(b / 1024).toFixed(1)} KB`;
  if (b < 1024 ** 3) return `${(b / 1024 ** 2).toFixed(1)} MB`;
  return `${(b / 1024 ** 3).toFixed(2)} GB`;
}

export function fmtProbability(p: number | undefined): string {
  if (p === undefined || !Number.isFinite(p)) return '—';
  if (p < 0.001) return p.toExponential(1);
  return p.toPrecision(2);
}

const UNITS: [string, number][] = [
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** Elastic time value → ms ("15m" → 900000); NaN when it is not one. */
export function parseSpan(text: string): number {
  const m = /^\s*(\d+)\s*(ms|s|m|h|d|w)\s*$/.exec(text);
  if (!m) return NaN;
  const unit = m[2] === 'ms' ? 1 : UNITS.find((u) => u[0] === m[2])![1];
  return Number(m[1]) * unit;
}

export function fmtSpan(ms: number): string {
  for (const [u, size] of UNITS) if (ms >= size && ms % size === 0) return `${ms / size}${u}`;
  return `${ms}ms`;
}

/** A human duration ("3 days", "2 hours"). */
export function fmtDuration(ms: number): string {
  const units: [string, number][] = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1000],
  ];
  for (const [name, size] of units) {
    if (ms >= size) {
      const n = Math.round((ms / size) * 10) / 10;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}

/** An entity's label: "host = web-1 · status = 500". */
export function entityLabel(d: { partition_field_name?: string; partition_field_value?: string; by_field_name?: string; by_field_value?: string; over_field_name?: string; over_field_value?: string }): string {
  const parts: string[] = [];
  if (d.partition_field_value !== undefined) parts.push(`${d.partition_field_name ?? 'partition'} = ${d.partition_field_value}`);
  if (d.by_field_value !== undefined) parts.push(`${d.by_field_name ?? 'by'} = ${d.by_field_value}`);
  if (d.over_field_value !== undefined) parts.push(`${d.over_field_name ?? 'over'} = ${d.over_field_value}`);
  return parts.join(' · ');
}
