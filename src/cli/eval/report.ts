/**
 * Presentation of evaluation results: the JSON shape of `vigil eval --format json` and the text
 * tables (one detector in detail, or several side by side).
 */
import type { DetectorEvaluation } from '../../core/eval/evaluate.js';
import type { RegionScores } from '../../core/eval/region-metrics.js';
import { columns } from '../columns.js';

export { columns };

export interface DetectorRun {
  detector: string;
  evaluation: DetectorEvaluation;
  /** Wall-clock seconds (scoring the corpus, or reading it for --score-only). */
  seconds: number;
  /** Where the results files were written, if they were. */
  resultsDir?: string;
}

const r2 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);
const r3 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);

function regionsJson(r: RegionScores): Record<string, number | null> {
  return { ta: r.ta, tad: r.tad, tp: r.tp, fp: r.fp, precision: r3(r.precision), recall: r3(r.recall), f1: r3(r.f1) };
}

function nabJson(n: DetectorEvaluation['nab']): Record<string, number | null> {
  return { standard: r2(n.standard), reward_low_FP_rate: r2(n.reward_low_FP_rate), reward_low_FN_rate: r2(n.reward_low_FN_rate) };
}

/** The JSON object of one detector (`--format json` prints an array of these). */
export function toJson(run: DetectorRun): Record<string, unknown> {
  const e = run.evaluation;
  return {
    detector: run.detector,
    nab: nabJson(e.nab),
    regions: regionsJson(e.regions),
    seconds: r2(run.seconds),
    thresholds: e.thresholds,
    files: e.files,
    windows: e.windows,
    pointwise_f1: r3(e.pointwise.f1),
    point_adjusted_f1: r3(e.pointAdjusted.f1),
    mttd: { detected: e.mttd.detected, rows: r2(e.mttd.rows), seconds: r2(e.mttd.ms / 1000) },
    categories: e.categories.map((c) => ({
      category: c.category,
      files: c.files,
      windows: c.windows,
      nab: nabJson(c.nab),
      regions: regionsJson(c.regions),
    })),
    ...(e.kinds ? { kinds: e.kinds.map((k) => ({ ...k, rate: r3(k.rate) })) } : {}),
  };
}

const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '—');
const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');

/** Formats a duration in ms for people: 45 s, 12 min, 3.5 h, 2.1 d. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const a = Math.abs(ms);
  const sign = ms < 0 ? '−' : '';
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(0)} s`;
  if (a < 3_600_000) return `${sign}${(a / 60_000).toFixed(0)} min`;
  if (a < 86_400_000) return `${sign}${(a / 3_600_000).toFixed(1)} h`;
  return `${sign}${(a / 86_400_000).toFixed(1)} d`;
}

const REGION_HEAD = ['TA', 'TAD', 'TP', 'FP', 'precision', 'recall', 'F1'];
const regionCells = (r: RegionScores): string[] => [String(r.ta), String(r.tad), String(r.tp), String(r.fp), f3(r.precision), f3(r.recall), f3(r.f1)];

/** Detailed text report of one detector: per category and overall. */
export function formatDetector(run: DetectorRun, corpus: string): string {
  const e = run.evaluation;
  const rows: string[][] = [['category', 'files', 'windows', 'standard', 'low_FP', 'low_FN', ...REGION_HEAD]];
  for (const c of e.categories) {
    rows.push([c.category, String(c.files), String(c.windows), f2(c.nab.standard), f2(c.nab.reward_low_FP_rate), f2(c.nab.reward_low_FN_rate), ...regionCells(c.regions)]);
  }
  rows.push(['overall', String(e.files), String(e.windows), f2(e.nab.standard), f2(e.nab.reward_low_FP_rate), f2(e.nab.reward_low_FN_rate), ...regionCells(e.regions)]);
  const t = e.thresholds;
  const lines = [
    `Detector ${run.detector} on ${corpus}: ${e.files} files, ${e.windows} windows, ${run.seconds.toFixed(2)} s`,
    ...(run.resultsDir ? [`Results (NAB layout): ${run.resultsDir}`] : []),
    '',
    columns(rows),
    '',
    `NAB: normalised scores (null detector 0, perfect 100), each profile with one threshold for the whole corpus: ` +
      `standard ≥ ${fmtThreshold(t.standard)}, reward_low_FP_rate ≥ ${fmtThreshold(t.reward_low_FP_rate)}, reward_low_FN_rate ≥ ${fmtThreshold(t.reward_low_FN_rate)}; ` +
      `per category at those thresholds; — where a category has no window.`,
    `Region metrics: detections are rows scoring ≥ ${fmtThreshold(t.standard)} (the standard profile's optimal threshold), outside NAB's probation; ` +
      `a run of consecutive flagged rows is one detection, a TP when at least half of it lies in a window; recall = TAD/TA.`,
    `Point-wise F1 ${f3(e.pointwise.f1)}, point-adjusted F1 ${f3(e.pointAdjusted.f1)}; mean time to detect ${f2(e.mttd.rows)} rows ` +
      `(${humanDuration(e.mttd.ms)}) over ${e.mttd.detected} detected windows, from the labelled onset (window start when unlabelled).`,
  ];
  if (e.kinds) lines.push('', formatKinds(e));
  return lines.join('\n') + '\n';
}

function fmtThreshold(t: number): string {
  return t > 1 ? `${t} (none)` : String(Number(t.toPrecision(4)));
}

/** Per-kind detection rates (labels/kinds.json). */
export function formatKinds(e: DetectorEvaluation): string {
  const rows: string[][] = [['anomaly kind', 'windows', 'detected', 'rate']];
  for (const k of e.kinds ?? []) rows.push([k.kind, String(k.count), String(k.detected), `${(100 * k.rate).toFixed(0)} %`]);
  return 'Detection rate per anomaly kind (a window counts as detected when a flagged row lies in it):\n' + columns(rows);
}

/** Side-by-side text table of several detectors, then the standard score per category. */
export function formatSideBySide(runs: readonly DetectorRun[], corpus: string): string {
  const rows: string[][] = [['detector', 'standard', 'low_FP', 'low_FN', ...REGION_HEAD, 'pw-F1', 'PA-F1', 'MTTD', 'seconds']];
  for (const r of runs) {
    const e = r.evaluation;
    rows.push([
      r.detector,
      f2(e.nab.standard),
      f2(e.nab.reward_low_FP_rate),
      f2(e.nab.reward_low_FN_rate),
      ...regionCells(e.regions),
      f3(e.pointwise.f1),
      f3(e.pointAdjusted.f1),
      humanDuration(e.mttd.ms),
      r.seconds.toFixed(2),
    ]);
  }
  const first = runs[0]?.evaluation;
  const cats = first ? first.categories.map((c) => c.category) : [];
  const byCat: string[][] = [['NAB standard by category', ...runs.map((r) => r.detector)]];
  for (const c of cats) {
    byCat.push([c, ...runs.map((r) => f2(r.evaluation.categories.find((x) => x.category === c)?.nab.standard ?? NaN))]);
  }
  const lines = [
    `${runs.length} detectors on ${corpus}: ${first?.files ?? 0} files, ${first?.windows ?? 0} windows`,
    '',
    columns(rows),
    '',
    columns(byCat),
    '',
    'NAB scores normalised (null 0, perfect 100), one corpus-wide threshold per profile; region metrics count rows scoring ≥ the ' +
      "detector's standard-profile threshold, runs of flagged rows as one detection (TP when ≥ half inside a window).",
  ];
  if (runs.some((r) => r.evaluation.kinds)) {
    const kinds = [...new Set(runs.flatMap((r) => (r.evaluation.kinds ?? []).map((k) => k.kind)))].sort();
    const kr: string[][] = [['detection rate by kind', ...runs.map((r) => r.detector)]];
    for (const k of kinds) {
      kr.push([k, ...runs.map((r) => {
        const s = r.evaluation.kinds?.find((x) => x.kind === k);
        return s ? `${(100 * s.rate).toFixed(0)} %` : '—';
      })]);
    }
    lines.push('', columns(kr));
  }
  return lines.join('\n') + '\n';
}
