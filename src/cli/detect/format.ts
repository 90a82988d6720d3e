/**
 * Presentation of `vigil detect` results: a human table, JSON, NDJSON and CSV.
 */
import { formatDuration } from '../../core/time/duration.js';
import type { AnomalyRecord, MissingDataRun, ResultCollector } from './collect.js';

export interface DetectSummary {
  file: string;
  function: string;
  field: string | null;
  partitionField: string | null;
  bucketSpan: string;
  bucketSpanReason: string | null;
  detector: string;
  rows: number;
  badRows: number;
  buckets: number;
  partitions: number;
  coldStartBuckets: number;
  seasonality: string[];
  modelBytes: number;
  seconds: number;
}

export function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : '';
}

export function num(v: number): string {
  if (!Number.isFinite(v)) return '';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e7 || a < 1e-3)) return v.toExponential(4);
  return String(Number(v.toPrecision(6)));
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function padStart(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

/** A plain-text table with aligned columns. */
export function textTable(header: string[], rows: string[][], rightAlign: boolean[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (rightAlign[i] ? padStart(c, widths[i]) : pad(c, widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatTable(summary: DetectSummary, collector: ResultCollector, inputReport: string | null, minScore = 0): string {
  const out: string[] = [];
  const s = summary;
  out.push(
    `${s.file}: ${s.rows.toLocaleString('en-US')} rows → ${s.buckets.toLocaleString('en-US')} buckets of ${s.bucketSpan}` +
      (s.partitions > 1 ? ` in ${s.partitions} partitions (${s.partitionField})` : '') +
      `, ${s.function}${s.field ? `(${s.field})` : ''}, detector ${s.detector}, ${s.seconds.toFixed(2)} s`,
  );
  if (s.bucketSpanReason) out.push(`bucket span: ${s.bucketSpanReason}`);
  out.push(
    `model: ${s.seasonality.length ? s.seasonality.join(' + ') + ' seasonality learned' : 'no seasonality found'}; ` +
      `first ${s.coldStartBuckets} buckets of each series are learning (not scored); ${(s.modelBytes / 1024).toFixed(1)} KB of model state`,
  );
  if (inputReport) out.push(inputReport);
  out.push('');
  const anomalies = collector.anomalies.filter((a) => a.score >= minScore);
  const hidden = collector.anomalies.length - anomalies.length;
  const hiddenNote = hidden > 0 ? ` (${hidden} more below score ${minScore} not listed; --min-score 0 lists them)` : '';
  if (anomalies.length === 0) {
    out.push(`No anomalies${minScore > 0 ? ` with a score of ${minScore} or more` : ''}.${hiddenNote}`);
  } else {
    const partitioned = anomalies.some((a) => a.partition !== null);
    const header = ['time', ...(partitioned ? ['partition'] : []), 'severity', 'score', 'actual', 'typical', '95% bounds', 'kind', 'explanation'];
    const rows = anomalies.map((a) => [
      isoTime(a.time),
      ...(partitioned ? [a.partition ?? ''] : []),
      a.severity,
      a.score.toFixed(1),
      num(a.actual),
      num(a.typical),
      `${num(a.lower)} … ${num(a.upper)}`,
      a.kind,
      a.explanation,
    ]);
    const right = header.map((h) => h === 'score' || h === 'actual' || h === 'typical');
    out.push(`${anomalies.length} ${anomalies.length === 1 ? 'anomaly' : 'anomalies'}${minScore > 0 ? ` with a score of ${minScore} or more` : ''}${hiddenNote}:`);
    out.push(textTable(header, rows, right));
  }
  const runs = collector.missingRuns;
  if (runs.length > 0) {
    const longest = collector.longestRun()!;
    out.push('');
    out.push(
      `Missing data: ${runs.length} ${runs.length === 1 ? 'run' : 'runs'} of buckets with no data, ${runs.reduce((t, r) => t + r.length, 0)} buckets in all; ` +
        `longest ${longest.length} buckets from ${isoTime(longest.start)}${longest.partition !== null ? ` (${longest.partition})` : ''}.`,
    );
    const top = [...runs].sort((a, b) => b.length - a.length || a.start - b.start).slice(0, 10).sort((a, b) => a.start - b.start);
    out.push(textTable(['start', 'buckets', ...(runs.some((r) => r.partition !== null) ? ['partition'] : [])], top.map((r) => [isoTime(r.start), String(r.length), ...(r.partition !== null ? [r.partition] : [])]), [false, true]));
    if (runs.length > top.length) out.push(`(the ${top.length} longest of ${runs.length} runs shown; --format json lists all)`);
  }
  return out.join('\n') + '\n';
}

function anomalyJson(a: AnomalyRecord): Record<string, unknown> {
  return {
    timestamp: isoTime(a.time),
    time: a.time,
    ...(a.partition !== null ? { partition: a.partition } : {}),
    record_score: round(a.score, 3),
    severity: a.severity,
    actual: finite(a.actual),
    typical: finite(a.typical),
    lower: finite(a.lower),
    upper: finite(a.upper),
    probability: a.probability,
    multi_bucket_impact: a.multiBucketImpact,
    kind: a.kind,
    explanation: a.explanation,
  };
}

function runJson(r: MissingDataRun, spanMs: number): Record<string, unknown> {
  return {
    start: isoTime(r.start),
    end: isoTime(r.start + r.length * spanMs),
    buckets: r.length,
    ...(r.partition !== null ? { partition: r.partition } : {}),
  };
}

export function formatJson(summary: DetectSummary, collector: ResultCollector, input: unknown, spanMs: number, buckets?: unknown[]): string {
  return (
    JSON.stringify(
      {
        summary,
        input,
        anomalies: collector.anomalies.map(anomalyJson),
        missing_data: { runs: collector.missingRuns.map((r) => runJson(r, spanMs)), longest: collector.longestRun()?.length ?? 0 },
        ...(buckets ? { buckets } : {}),
      },
      null,
      2,
    ) + '\n'
  );
}

export function formatNdjson(collector: ResultCollector): string {
  return collector.anomalies.map((a) => JSON.stringify(anomalyJson(a))).join('\n') + (collector.anomalies.length ? '\n' : '');
}

const CSV_HEADER = 'timestamp,partition,record_score,severity,actual,typical,lower,upper,probability,multi_bucket_impact,kind,explanation';

export function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsv(collector: ResultCollector): string {
  const lines = [CSV_HEADER];
  for (const a of collector.anomalies) {
    lines.push(
      [isoTime(a.time), csvCell(a.partition ?? ''), a.score.toFixed(3), a.severity, num(a.actual), num(a.typical), num(a.lower), num(a.upper), String(a.probability), String(a.multiBucketImpact), a.kind, csvCell(a.explanation)].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

export function describeSpan(ms: number): string {
  return formatDuration(ms);
}

function round(v: number, d: number): number {
  const k = 10 ** d;
  return Math.round(v * k) / k;
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
