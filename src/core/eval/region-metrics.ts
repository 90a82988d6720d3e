/**
 * Region-labelled detection metrics (after Splunk's evaluation of its anomaly-detection app), plus
 * the point-wise and point-adjusted F1 and the time to detect. Pure, on row indices.
 *
 * A detection is one flagged row or a run of consecutive flagged rows; it is a true positive when
 * at least half of its rows fall inside one labelled region, otherwise a false positive.
 * TA = labelled regions, TAD = regions holding at least one flagged row; precision = TP/(TP+FP),
 * recall = TAD/TA, F1 their harmonic mean. Ratios with a zero denominator are 0.
 */

/** A labelled region as inclusive row indices. */
export interface Region {
  start: number;
  end: number;
  /** Row where the anomaly itself begins (for time to detect); default `start`. */
  onset?: number;
}

/** Runs of consecutive flagged rows, as inclusive [start, end] pairs. */
export function detectionRuns(flags: ArrayLike<number>): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let start = -1;
  for (let i = 0; i < flags.length; i++) {
    if (flags[i]) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      runs.push([start, i - 1]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([start, flags.length - 1]);
  return runs;
}

export interface RegionCounts {
  /** True anomalies: labelled regions. */
  ta: number;
  /** True anomalies detected: regions with at least one flagged row. */
  tad: number;
  /** Detections at least half inside one region. */
  tp: number;
  /** Other detections. */
  fp: number;
}

export interface RegionScores extends RegionCounts {
  precision: number;
  recall: number;
  f1: number;
}

/** Counts TA, TAD, TP, FP for one series; `detected[r]` says whether region r was detected. */
export function countRegions(flags: ArrayLike<number>, regions: readonly Region[]): RegionCounts & { detected: boolean[] } {
  const sorted = [...regions].sort((a, b) => a.start - b.start);
  const detected = regions.map((r) => {
    for (let i = Math.max(0, r.start); i <= r.end && i < flags.length; i++) if (flags[i]) return true;
    return false;
  });
  let tp = 0;
  let fp = 0;
  for (const [s, e] of detectionRuns(flags)) {
    const len = e - s + 1;
    let best = 0;
    for (const r of sorted) {
      if (r.start > e) break;
      const overlap = Math.min(e, r.end) - Math.max(s, r.start) + 1;
      if (overlap > best) best = overlap;
    }
    if (2 * best >= len) tp++;
    else fp++;
  }
  return { ta: regions.length, tad: detected.filter(Boolean).length, tp, fp, detected };
}

function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

function harmonic(p: number, r: number): number {
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

/** Precision, recall and F1 from (summed) counts. */
export function regionScores(c: RegionCounts): RegionScores {
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tad, c.ta);
  return { ta: c.ta, tad: c.tad, tp: c.tp, fp: c.fp, precision, recall, f1: harmonic(precision, recall) };
}

/** Adds region counts (micro-averaging over files or categories). */
export function addCounts(a: RegionCounts, b: RegionCounts): RegionCounts {
  return { ta: a.ta + b.ta, tad: a.tad + b.tad, tp: a.tp + b.tp, fp: a.fp + b.fp };
}

export const NO_COUNTS: RegionCounts = { ta: 0, tad: 0, tp: 0, fp: 0 };

/** Point-wise confusion counts. */
export interface PointCounts {
  tp: number;
  fp: number;
  fn: number;
}

export interface PointScores extends PointCounts {
  precision: number;
  recall: number;
  f1: number;
}

function inRegions(n: number, regions: readonly Region[]): Uint8Array {
  const truth = new Uint8Array(n);
  for (const r of regions) for (let i = Math.max(0, r.start); i <= r.end && i < n; i++) truth[i] = 1;
  return truth;
}

/** Point-wise counts: every row is a sample, positive when inside a region. */
export function pointCounts(flags: ArrayLike<number>, regions: readonly Region[], adjusted = false): PointCounts {
  const n = flags.length;
  const truth = inRegions(n, regions);
  const pred = new Uint8Array(n);
  for (let i = 0; i < n; i++) pred[i] = flags[i] ? 1 : 0;
  if (adjusted) {
    // point adjustment (Xu et al. 2018): a region with any flagged row counts as wholly detected
    for (const r of regions) {
      let hit = false;
      for (let i = Math.max(0, r.start); i <= r.end && i < n; i++) if (pred[i]) hit = true;
      if (hit) for (let i = Math.max(0, r.start); i <= r.end && i < n; i++) pred[i] = 1;
    }
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < n; i++) {
    if (pred[i] && truth[i]) tp++;
    else if (pred[i]) fp++;
    else if (truth[i]) fn++;
  }
  return { tp, fp, fn };
}

/** Precision, recall, F1 from point counts. */
export function pointScores(c: PointCounts): PointScores {
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  return { ...c, precision, recall, f1: harmonic(precision, recall) };
}

/** Point-wise F1 of one series. */
export function pointF1(flags: ArrayLike<number>, regions: readonly Region[]): PointScores {
  return pointScores(pointCounts(flags, regions, false));
}

/** Point-adjusted F1 of one series (every row of a detected region counts as detected). */
export function pointAdjustedF1(flags: ArrayLike<number>, regions: readonly Region[]): PointScores {
  return pointScores(pointCounts(flags, regions, true));
}

/** Delays from each detected region's onset to its first flagged row. */
export interface DetectionDelays {
  /** Rows from onset to the first flagged row in the region (negative: flagged before the onset). */
  rows: number[];
  /** The same in time units (times[first] − times[onset]), when times were given. */
  ms: number[];
}

/** Delays to detection for every region with a flagged row. */
export function detectionDelays(flags: ArrayLike<number>, regions: readonly Region[], times?: ArrayLike<number>): DetectionDelays {
  const rows: number[] = [];
  const ms: number[] = [];
  for (const r of regions) {
    let first = -1;
    for (let i = Math.max(0, r.start); i <= r.end && i < flags.length; i++) {
      if (flags[i]) {
        first = i;
        break;
      }
    }
    if (first < 0) continue;
    const onset = r.onset ?? r.start;
    rows.push(first - onset);
    if (times) ms.push(times[first] - times[Math.min(Math.max(onset, 0), times.length - 1)]);
  }
  return { rows, ms };
}

export interface MeanTimeToDetect {
  /** Regions detected (the number of delays averaged). */
  detected: number;
  /** Mean delay in rows (NaN when nothing was detected). */
  rows: number;
  /** Mean delay in milliseconds (NaN when nothing was detected or no times). */
  ms: number;
}

/** Mean time to detect over the delays of one or more series. */
export function meanTimeToDetect(delays: DetectionDelays): MeanTimeToDetect {
  const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  return { detected: delays.rows.length, rows: mean(delays.rows), ms: mean(delays.ms) };
}
