/**
 * The Numenta Anomaly Benchmark score, as NAB v1.1's `nab/sweeper.py` and `nab/runner.py` compute it:
 * probationary period, scaled-sigmoid window weights, one corpus-wide threshold per profile chosen
 * by sweeping every distinct anomaly score, and normalisation between the null detector and a
 * perfect one. Pure: files come in as arrays.
 *
 * Details kept from NAB's scorer:
 * - the first min(floor(0.15·n), 750) rows of a file are not scored (probation);
 * - a window is entered on the first row whose time reaches its start and left after the row at its
 *   end (edges inclusive); in a window, row i is worth σ(−(right − i + 1)/width)·A_TP/σ(−1);
 * - each window keeps the best (earliest) of its detections, an undetected window is worth −A_FN;
 * - outside windows a detection costs A_FP·σ(|i − prevRight|/(prevWidth − 1)), −A_FP·1 when no
 *   window came before or when more than 3 widths past it;
 * - a detection is a row with anomaly_score ≥ threshold; the sweep starts at 1.1 (no detection),
 *   keeps the first best score in descending-threshold order;
 * - normalised = 100·(S − S_null)/(S_perfect − S_null), S_perfect = A_TP × all windows in the labels,
 *   S_null = −A_FN × windows that reach past probation (what the null detector scores).
 */

/** NAB application profile weights. */
export interface CostProfile {
  tp: number;
  fp: number;
  fn: number;
}

export const NAB_PROFILES = {
  standard: { tp: 1.0, fp: 0.11, fn: 1.0 },
  reward_low_FP_rate: { tp: 1.0, fp: 0.22, fn: 1.0 },
  reward_low_FN_rate: { tp: 1.0, fp: 0.11, fn: 2.0 },
} as const satisfies Record<string, CostProfile>;

export type NabProfileName = keyof typeof NAB_PROFILES;
export const NAB_PROFILE_NAMES = Object.keys(NAB_PROFILES) as NabProfileName[];

/** One file to score: row times, the detector's scores and the labelled windows (epoch ms, inclusive). */
export interface NabFileInput {
  name: string;
  times: Float64Array;
  scores: Float64Array;
  windows: ReadonlyArray<readonly [number, number]>;
}

/** σ scaled to (−1, 1): 2/(1+e^{5x}) − 1, and −1 beyond 3 (NAB's `scaledSigmoid`). */
export function scaledSigmoid(x: number): number {
  if (x > 3.0) return -1.0;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

/** NAB's probationary length for a file of `n` rows. */
export function probationLength(n: number, probationPercent = 0.15): number {
  return Math.min(Math.floor(probationPercent * n), probationPercent * 5000);
}

/**
 * Per-row facts for the sweep, profile-independent: for every scored row its anomaly score, the
 * unweighted sigmoid value and its window (global id, −1 outside).
 */
export interface SweepRows {
  /** Anomaly score per scored row. */
  score: Float64Array;
  /** Unweighted sigmoid (in window: σ(position); outside: σ(distance past previous window) or −1). */
  sigma: Float64Array;
  /** Global window id, −1 outside any window. */
  window: Int32Array;
  /** Index of the file each row belongs to. */
  file: Int32Array;
  /** Row index in its file. */
  row: Int32Array;
  /** Windows per file (all, including those inside probation). */
  windowsPerFile: Int32Array;
  /** Windows per file that have at least one scored row (what the null detector is charged for). */
  scoredWindowsPerFile: Int32Array;
  /** File of each global window id. */
  windowFile: Int32Array;
}

/** First index with times[i] ≥ t (strict: times[i] > t), times sorted; n when none. */
export function lowerBound(times: Float64Array, t: number, strict = false): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t || (strict && times[mid] === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Computes the profile-independent sweep rows of a corpus (NAB's `calcSweepScore`, unweighted). */
export function prepareSweep(files: readonly NabFileInput[], probationPercent = 0.15): SweepRows {
  let total = 0;
  const probations = files.map((f) => {
    const p = probationLength(f.times.length, probationPercent);
    total += Math.max(0, f.times.length - Math.ceil(p));
    return p;
  });
  const score = new Float64Array(total);
  const sigma = new Float64Array(total);
  const window = new Int32Array(total);
  const file = new Int32Array(total);
  const row = new Int32Array(total);
  const windowsPerFile = new Int32Array(files.length);
  const scoredWindowsPerFile = new Int32Array(files.length);
  const windowFile: number[] = [];
  let k = 0;
  for (let f = 0; f < files.length; f++) {
    const { times, scores } = files[f];
    const n = times.length;
    if (scores.length !== n) throw new Error(`${files[f].name}: ${scores.length} scores for ${n} rows`);
    const wins = [...files[f].windows].sort((a, b) => a[0] - b[0]);
    windowsPerFile[f] = wins.length;
    // window edges as row indices: left = first row at or after start, right = last row at or before end
    const edges = wins.map(([s, e]) => [lowerBound(times, s), lowerBound(times, e, true) - 1] as const);
    const probation = probations[f];
    let w = 0; // next window to enter
    let inWin = -1; // current window (local index)
    let curRight = -1;
    let curWidth = 0;
    let prevRight = -1;
    let prevWidth = 0;
    const firstGlobal = windowFile.length;
    for (let j = 0; j < wins.length; j++) windowFile.push(f);
    const seen = new Uint8Array(wins.length);
    for (let i = 0; i < n; i++) {
      if (inWin < 0 && w < edges.length && i >= edges[w][0] && edges[w][1] >= edges[w][0]) {
        inWin = w;
        curRight = edges[w][1];
        curWidth = curRight - edges[w][0] + 1;
        w++;
      }
      let s: number;
      if (inWin >= 0) {
        s = scaledSigmoid(-(curRight - i + 1) / curWidth);
      } else if (prevRight < 0) {
        s = -1.0;
      } else {
        s = prevWidth > 1 ? scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1)) : -1.0;
      }
      if (i >= probation) {
        score[k] = scores[i];
        sigma[k] = s;
        window[k] = inWin >= 0 ? firstGlobal + inWin : -1;
        if (inWin >= 0 && !seen[inWin]) {
          seen[inWin] = 1;
          scoredWindowsPerFile[f]++;
        }
        file[k] = f;
        row[k] = i;
        k++;
      }
      if (inWin >= 0 && i === curRight) {
        prevRight = curRight;
        prevWidth = curWidth;
        inWin = -1;
      }
      // windows that contain no row at all (or start after the last row) are never entered
      while (inWin < 0 && w < edges.length && edges[w][1] < edges[w][0]) w++;
    }
  }
  return { score, sigma, window, file, row, windowsPerFile, scoredWindowsPerFile, windowFile: Int32Array.from(windowFile) };
}

const MAX_TP = scaledSigmoid(-1.0);

/** Weighted sweep score of one row under a profile. */
function weighted(rows: SweepRows, k: number, p: CostProfile): number {
  return rows.window[k] >= 0 ? (rows.sigma[k] * p.tp) / MAX_TP : rows.sigma[k] * p.fp;
}

/** A point on the sweep: the corpus score when every row scoring ≥ threshold is a detection. */
export interface ThresholdScore {
  threshold: number;
  score: number;
}

/**
 * Sweeps every distinct score (NAB's `calcScoreByThreshold` + optimiser) and returns the best
 * threshold with its raw corpus score; ties keep the highest threshold.
 */
export function optimiseThreshold(rows: SweepRows, profile: CostProfile, order?: Uint32Array): ThresholdScore {
  const idx = order ?? sortByScoreDesc(rows.score);
  const nWin = rows.windowFile.length;
  // only windows with scored rows take part (NAB's allWindows come from the scored rows)
  const present = new Uint8Array(nWin);
  for (let k = 0; k < rows.window.length; k++) if (rows.window[k] >= 0) present[rows.window[k]] = 1;
  const winScore = new Float64Array(nWin);
  let winSum = 0;
  for (let w = 0; w < nWin; w++) {
    if (present[w]) {
      winScore[w] = -profile.fn;
      winSum -= profile.fn;
    }
  }
  let fpSum = 0;
  let curThreshold = 1.1;
  let best: ThresholdScore = { threshold: curThreshold, score: fpSum + winSum };
  for (let j = 0; j < idx.length; j++) {
    const k = idx[j];
    const s = rows.score[k];
    if (s !== curThreshold) {
      const cur = fpSum + winSum;
      if (cur > best.score) best = { threshold: curThreshold, score: cur };
      curThreshold = s;
    }
    const v = weighted(rows, k, profile);
    const w = rows.window[k];
    if (w < 0) fpSum += v;
    else if (v > winScore[w]) {
      winSum += v - winScore[w];
      winScore[w] = v;
    }
  }
  const cur = fpSum + winSum;
  if (cur > best.score) best = { threshold: curThreshold, score: cur };
  return best;
}

/** Row order by descending score (stable). */
export function sortByScoreDesc(score: Float64Array): Uint32Array {
  const idx = new Uint32Array(score.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  idx.sort((a, b) => score[b] - score[a] || a - b);
  return idx;
}

/** Raw score per file and the counts behind it, at a given threshold. */
export interface FileScore {
  name: string;
  score: number;
  /** Windows detected / windows scored / all windows. */
  detectedWindows: number;
  scoredWindows: number;
  windows: number;
  /** Detections outside windows. */
  falsePositives: number;
}

/** Scores every file at `threshold` (NAB's per-file `scoreDataSet`). */
export function scoreFilesAt(rows: SweepRows, files: readonly NabFileInput[], profile: CostProfile, threshold: number): FileScore[] {
  const out: FileScore[] = files.map((f, i) => ({
    name: f.name,
    score: -profile.fn * rows.scoredWindowsPerFile[i],
    detectedWindows: 0,
    scoredWindows: rows.scoredWindowsPerFile[i],
    windows: rows.windowsPerFile[i],
    falsePositives: 0,
  }));
  const best = new Float64Array(rows.windowFile.length).fill(-Infinity);
  for (let k = 0; k < rows.score.length; k++) {
    if (!(rows.score[k] >= threshold)) continue;
    const v = weighted(rows, k, profile);
    const w = rows.window[k];
    if (w < 0) {
      out[rows.file[k]].score += v;
      out[rows.file[k]].falsePositives++;
    } else if (v > best[w]) best[w] = v;
  }
  for (let w = 0; w < best.length; w++) {
    if (best[w] === -Infinity) continue;
    const fs = out[rows.windowFile[w]];
    fs.score += best[w] + profile.fn;
    fs.detectedWindows++;
  }
  return out;
}

/** NAB's normalisation: 100·(S − S_null)/(S_perfect − S_null); NaN when there is no window. */
export function normaliseScore(raw: number, profile: CostProfile, windows: number, scoredWindows: number): number {
  const perfect = profile.tp * windows;
  const nullScore = -profile.fn * scoredWindows;
  if (perfect - nullScore === 0) return NaN;
  return (100 * (raw - nullScore)) / (perfect - nullScore);
}

/** The result of scoring a corpus under one profile. */
export interface NabProfileResult {
  threshold: number;
  raw: number;
  /** Normalised score (what NAB reports). */
  score: number;
  files: FileScore[];
}

export type NabResult = Record<NabProfileName, NabProfileResult>;

/**
 * Scores a corpus with NAB's three profiles: optimal corpus-wide threshold, raw and normalised
 * score, and per-file breakdown at that threshold.
 *
 * @example
 * const r = scoreNab(files);
 * r.standard.score // e.g. 51.57 for twitterADVec on nab-dev
 */
export function scoreNab(files: readonly NabFileInput[], probationPercent = 0.15): NabResult {
  const rows = prepareSweep(files, probationPercent);
  const order = sortByScoreDesc(rows.score);
  let windows = 0;
  let scoredWindows = 0;
  for (let f = 0; f < files.length; f++) {
    windows += rows.windowsPerFile[f];
    scoredWindows += rows.scoredWindowsPerFile[f];
  }
  const result = {} as NabResult;
  for (const name of NAB_PROFILE_NAMES) {
    const profile = NAB_PROFILES[name];
    const best = optimiseThreshold(rows, profile, order);
    const perFile = scoreFilesAt(rows, files, profile, best.threshold);
    result[name] = {
      threshold: best.threshold,
      raw: best.score,
      score: normaliseScore(best.score, profile, windows, scoredWindows),
      files: perFile,
    };
  }
  return result;
}

/** Rounds as NAB prints its scores (two decimals). */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
