/**
 * One detector's evaluation over a labelled corpus: NAB scores (three profiles, per category and
 * overall) and the region metrics, point-wise / point-adjusted F1, mean time to detect and, when
 * the labels carry anomaly kinds, the detection rate per kind. Pure: scores come in as arrays.
 *
 * Region metrics count as detections the rows scoring ≥ the detector's optimal threshold for NAB's
 * standard profile (so one threshold serves both views), with NAB's probationary rows left out: a
 * window wholly inside probation is not a true anomaly there, a flag inside probation not a
 * detection. Counts are summed over files (micro-averaged) before ratios are taken.
 */
import {
  NAB_PROFILE_NAMES,
  NAB_PROFILES,
  lowerBound,
  normaliseScore,
  probationLength,
  scoreNab,
  type NabProfileName,
} from './nab-score.js';
import {
  NO_COUNTS,
  addCounts,
  countRegions,
  detectionDelays,
  meanTimeToDetect,
  pointCounts,
  pointScores,
  regionScores,
  type DetectionDelays,
  type MeanTimeToDetect,
  type PointCounts,
  type PointScores,
  type Region,
  type RegionCounts,
  type RegionScores,
} from './region-metrics.js';

/** One file's scores and labels. */
export interface EvalFileInput {
  /** `<category>/<name>.csv`. */
  key: string;
  category: string;
  times: Float64Array;
  /** anomaly_score per row, in [0, 1]. */
  scores: Float64Array;
  /** Windows, epoch ms inclusive. */
  windows: ReadonlyArray<readonly [number, number]>;
  /** Labelled onsets (epoch ms); an onset inside a window is where time to detect counts from. */
  onsets?: readonly number[];
  /** Anomaly kind per window (same order as `windows` sorted by start), when known. */
  kinds?: readonly string[];
}

export type NabScores = Record<NabProfileName, number>;

export interface CategoryReport {
  category: string;
  files: number;
  windows: number;
  /** Normalised NAB score per profile at the corpus-wide thresholds; NaN when the category has no window. */
  nab: NabScores;
  /** Raw (unnormalised) NAB score per profile. */
  nabRaw: NabScores;
  regions: RegionScores;
}

export interface KindReport {
  kind: string;
  /** Windows of that kind (outside probation). */
  count: number;
  detected: number;
  rate: number;
}

export interface DetectorEvaluation {
  files: number;
  windows: number;
  nab: NabScores;
  thresholds: NabScores;
  regions: RegionScores;
  pointwise: PointScores;
  pointAdjusted: PointScores;
  mttd: MeanTimeToDetect;
  categories: CategoryReport[];
  /** Present when any file carried kinds. */
  kinds: KindReport[] | undefined;
}

/** Windows of a file as row-index regions (dropping those with no row after probation). */
export function windowRegions(file: EvalFileInput, probation: number): Array<Region & { kind?: string }> {
  const order = file.windows.map((w, i) => i).sort((a, b) => file.windows[a][0] - file.windows[b][0]);
  const regions: Array<Region & { kind?: string }> = [];
  for (let j = 0; j < order.length; j++) {
    const [s, e] = file.windows[order[j]];
    const start = lowerBound(file.times, s);
    const end = lowerBound(file.times, e, true) - 1;
    if (end < start || end < probation) continue;
    let onset = start;
    const labelled = file.onsets?.find((t) => t >= s && t <= e);
    if (labelled !== undefined) onset = lowerBound(file.times, labelled);
    regions.push({ start: Math.max(start, Math.ceil(probation)), end, onset, kind: file.kinds?.[j] });
  }
  return regions;
}

/**
 * Evaluates one detector's scores over a corpus.
 *
 * @example
 * const ev = evaluateCorpus(files);
 * ev.nab.standard; ev.regions.f1; ev.categories[0].nab.standard
 */
export function evaluateCorpus(files: readonly EvalFileInput[]): DetectorEvaluation {
  const nab = scoreNab(files.map((f) => ({ name: f.key, times: f.times, scores: f.scores, windows: f.windows })));
  const threshold = nab.standard.threshold;
  const cats = [...new Set(files.map((f) => f.category))].sort();
  const catIndex = new Map(cats.map((c, i) => [c, i]));
  const catRegions: RegionCounts[] = cats.map(() => NO_COUNTS);
  let regions: RegionCounts = NO_COUNTS;
  const point: PointCounts = { tp: 0, fp: 0, fn: 0 };
  const adjusted: PointCounts = { tp: 0, fp: 0, fn: 0 };
  const delays: DetectionDelays = { rows: [], ms: [] };
  const kindStats = new Map<string, { count: number; detected: number }>();
  let anyKinds = false;
  for (const f of files) {
    const n = f.times.length;
    const probation = probationLength(n);
    const flags = new Uint8Array(n);
    for (let i = Math.ceil(probation); i < n; i++) if (f.scores[i] >= threshold) flags[i] = 1;
    const regs = windowRegions(f, probation);
    const c = countRegions(flags, regs);
    regions = addCounts(regions, c);
    const ci = catIndex.get(f.category)!;
    catRegions[ci] = addCounts(catRegions[ci], c);
    // point-wise metrics over scored rows only
    const scoredFlags = flags.subarray(Math.ceil(probation));
    const shifted = regs.map((r) => ({ start: r.start - Math.ceil(probation), end: r.end - Math.ceil(probation) }));
    for (const [acc, adj] of [
      [point, false],
      [adjusted, true],
    ] as const) {
      const pc = pointCounts(scoredFlags, shifted, adj);
      acc.tp += pc.tp;
      acc.fp += pc.fp;
      acc.fn += pc.fn;
    }
    const d = detectionDelays(flags, regs, f.times);
    delays.rows.push(...d.rows);
    delays.ms.push(...d.ms);
    if (f.kinds) {
      anyKinds = true;
      regs.forEach((r, i) => {
        const k = r.kind ?? 'unknown';
        const s = kindStats.get(k) ?? { count: 0, detected: 0 };
        s.count++;
        if (c.detected[i]) s.detected++;
        kindStats.set(k, s);
      });
    }
  }
  const categories: CategoryReport[] = cats.map((category, ci) => {
    const idx = files.map((f, i) => i).filter((i) => files[i].category === category);
    const nabCat = {} as NabScores;
    const rawCat = {} as NabScores;
    let windows = 0;
    for (const i of idx) windows += nab.standard.files[i].windows;
    for (const p of NAB_PROFILE_NAMES) {
      let raw = 0;
      let scored = 0;
      for (const i of idx) {
        raw += nab[p].files[i].score;
        scored += nab[p].files[i].scoredWindows;
      }
      rawCat[p] = raw;
      nabCat[p] = normaliseScore(raw, NAB_PROFILES[p], windows, scored);
    }
    return { category, files: idx.length, windows, nab: nabCat, nabRaw: rawCat, regions: regionScores(catRegions[ci]) };
  });
  const scores = {} as NabScores;
  const thresholds = {} as NabScores;
  for (const p of NAB_PROFILE_NAMES) {
    scores[p] = nab[p].score;
    thresholds[p] = nab[p].threshold;
  }
  return {
    files: files.length,
    windows: categories.reduce((a, c) => a + c.windows, 0),
    nab: scores,
    thresholds,
    regions: regionScores(regions),
    pointwise: pointScores(point),
    pointAdjusted: pointScores(adjusted),
    mttd: meanTimeToDetect(delays),
    categories,
    kinds: anyKinds
      ? [...kindStats.entries()]
          .sort((a, b) => a[0].localeCompare(b[0]))
          .map(([kind, s]) => ({ kind, count: s.count, detected: s.detected, rate: s.count ? s.detected / s.count : 0 }))
      : undefined,
  };
}
