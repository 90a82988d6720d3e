/**
 * Seasonality helpers: autocorrelation, M4's 90 % seasonality test, classical decomposition
 * (as R's `decompose`), period detection and gap filling. Pure functions on Float64Arrays.
 */

/** Autocorrelations r_1..r_maxLag (index k holds lag k; index 0 is 1), as R's `acf`. */
export function acf(y: Float64Array, maxLag: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(maxLag + 1);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  const d = new Float64Array(n);
  let den = 0;
  for (let i = 0; i < n; i++) {
    d[i] = y[i] - mean;
    den += d[i] * d[i];
  }
  out[0] = 1;
  if (den === 0) return out;
  for (let k = 1; k <= maxLag && k < n; k++) {
    let s = 0;
    for (let i = k; i < n; i++) s += d[i] * d[i - k];
    out[k] = s / den;
  }
  return out;
}

/**
 * M4's seasonality test (the organisers' R benchmark code): seasonal when |r_m| exceeds the 90 %
 * limit 1.645·sqrt((1 + 2 Σ_{k<m} r_k²)/n). Needs n ≥ 3m, and m within R's default acf lag.max
 * (10·log10 n), else not seasonal.
 */
export function seasonalityTest(y: Float64Array, m: number): boolean {
  const n = y.length;
  if (m <= 1 || n < 3 * m) return false;
  const lagMax = Math.floor(10 * Math.log10(n));
  if (m > lagMax) return false;
  const r = acf(y, m);
  let s = 1;
  for (let k = 1; k < m; k++) s += 2 * r[k] * r[k];
  const limit = (1.645 / Math.sqrt(n)) * Math.sqrt(s);
  return Math.abs(r[m]) > limit;
}

/** Centered moving average of order m (2×m for even m), NaN at the ends, as R's decompose. */
export function centeredMovingAverage(y: Float64Array, m: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(n).fill(NaN);
  if (m % 2 === 1) {
    const half = (m - 1) / 2;
    let s = 0;
    for (let i = 0; i < m && i < n; i++) s += y[i];
    for (let c = half; c + half < n; c++) {
      if (c > half) s += y[c + half] - y[c - half - 1];
      out[c] = s / m;
    }
  } else {
    const half = m / 2;
    // weights 0.5, 1 … 1, 0.5 over m + 1 points
    let s = 0;
    for (let i = 0; i <= m && i < n; i++) s += y[i];
    for (let c = half; c + half < n; c++) {
      if (c > half) s += y[c + half] - y[c - half - 1];
      out[c] = (s - 0.5 * y[c - half] - 0.5 * y[c + half]) / m;
    }
  }
  return out;
}

/**
 * Seasonal indices of a classical decomposition (R's `decompose`): index p applies to times
 * t with t % m === p. Multiplicative indices average 1; additive ones average 0.
 */
export function classicalSeasonalIndices(y: Float64Array, m: number, type: 'multiplicative' | 'additive' = 'multiplicative'): Float64Array {
  const n = y.length;
  const trend = centeredMovingAverage(y, m);
  const sum = new Float64Array(m);
  const cnt = new Float64Array(m);
  for (let t = 0; t < n; t++) {
    const tr = trend[t];
    if (Number.isNaN(tr)) continue;
    const v = type === 'multiplicative' ? y[t] / tr : y[t] - tr;
    if (!Number.isFinite(v)) continue;
    sum[t % m] += v;
    cnt[t % m] += 1;
  }
  const idx = new Float64Array(m);
  let mean = 0;
  for (let p = 0; p < m; p++) {
    idx[p] = cnt[p] > 0 ? sum[p] / cnt[p] : type === 'multiplicative' ? 1 : 0;
    mean += idx[p];
  }
  mean /= m;
  for (let p = 0; p < m; p++) idx[p] = type === 'multiplicative' ? (mean !== 0 ? idx[p] / mean : 1) : idx[p] - mean;
  return idx;
}

/** Result of M4-style seasonal adjustment: adjusted series and the index for any time t. */
export interface SeasonalAdjustment {
  adjusted: Float64Array;
  /** Multiplicative index for time t (t may be ≥ n); null when no adjustment was made. */
  indices: Float64Array | null;
  period: number;
}

/**
 * M4's seasonal adjustment: when `m > 1` and the 90 % test says seasonal (and the series is
 * positive), divide by classical multiplicative indices; else leave the series alone.
 * `tested`: the caller has already run its own seasonality test.
 */
export function seasonalAdjust(y: Float64Array, m: number, tested = false): SeasonalAdjustment {
  if (m > 1 && (tested || seasonalityTest(y, m)) && allPositive(y)) {
    const idx = classicalSeasonalIndices(y, m, 'multiplicative');
    let ok = true;
    for (let p = 0; p < m; p++) if (!(idx[p] > 0) || !Number.isFinite(idx[p])) ok = false;
    if (ok) {
      const adjusted = new Float64Array(y.length);
      for (let t = 0; t < y.length; t++) adjusted[t] = y[t] / idx[t % m];
      return { adjusted, indices: idx, period: m };
    }
  }
  return { adjusted: y, indices: null, period: 1 };
}

export function allPositive(y: Float64Array): boolean {
  for (let i = 0; i < y.length; i++) if (!(y[i] > 0)) return false;
  return true;
}

/**
 * Detects seasonal periods from the autocorrelation of the differenced series: local maxima of the
 * ACF above `threshold` (and the 90 % limit), strongest first, at most `max` periods, each needing
 * at least `minCycles` cycles of history, strongest first. Returns [] when nothing is seasonal.
 */
export function detectPeriods(y: Float64Array, opts: { maxPeriod?: number; max?: number; threshold?: number; minCycles?: number } = {}): number[] {
  const n = y.length;
  const minCycles = opts.minCycles ?? 3;
  const maxPeriod = Math.min(opts.maxPeriod ?? 400, Math.floor(n / minCycles));
  if (maxPeriod < 2 || n < 8) return [];
  // detrend by a first difference so trends do not masquerade as long periods
  const d = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) d[i - 1] = y[i] - y[i - 1];
  // harmonic-averaged autocorrelation: R(k) = mean of r(k), r(2k), r(3k) (those within reach).
  // A true period repeats at its multiples, a neighbour that wins r(k) by noise does not, so
  // R peaks sharply at the period itself.
  const reach = Math.min(n - 3, 2 * maxPeriod + 2);
  const rr = acf(d, reach);
  const r = new Float64Array(maxPeriod + 2);
  for (let k = 1; k <= maxPeriod + 1; k++) {
    let s = 0;
    let c = 0;
    for (let i = 1; i <= 3 && i * k <= reach; i++) {
      s += rr[i * k];
      c++;
    }
    r[k] = s / c;
  }
  const limit = 1.645 / Math.sqrt(n);
  const threshold = Math.max(opts.threshold ?? 0.2, 2 * limit);
  // peaks in ascending lag order; a multiple of an accepted period counts only when its
  // autocorrelation clearly beats the base's (a weekly cycle on top of a daily one), so the
  // harmonics of one cycle (48, 72, 96 … of 24) are not taken for periods of their own
  const accepted: { lag: number; r: number }[] = [];
  for (let k = 2; k <= maxPeriod; k++) {
    if (!(r[k] > threshold && r[k] >= r[k - 1] && r[k] >= r[k + 1])) continue;
    const bases = accepted.filter((a) => k % a.lag === 0 || Math.abs(k / a.lag - Math.round(k / a.lag)) * a.lag <= 1);
    if (bases.some((b) => !(k >= 4 * b.lag && r[k] > b.r + 0.05))) continue;
    accepted.push({ lag: k, r: r[k] });
  }
  accepted.sort((a, b) => b.r - a.r);
  const chosen = accepted.slice(0, opts.max ?? 2).map((a) => a.lag);
  return chosen;
}

/** Calendar cycles in milliseconds (a year of 365.2425 days). */
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
export const YEAR_MS = 365.2425 * DAY_MS;

/**
 * Candidate seasonal periods, in steps, for data with one point every `stepMs`: the calendar
 * cycles (day, week, year; quarter and month too when a step is a week or longer) that span at
 * least 2 steps, shortest first. Periods may be fractional (a year of weekly data is 52.18 steps).
 *
 * @example calendarPeriods(3_600_000) // [24, 168, 8765.82]
 */
export function calendarPeriods(stepMs: number, opts: { subYear?: boolean } = {}): number[] {
  if (!(stepMs > 0)) return [];
  const cycles = [DAY_MS, WEEK_MS, YEAR_MS];
  if ((opts.subYear ?? true) && stepMs >= WEEK_MS * 0.99) cycles.push(YEAR_MS / 12, YEAR_MS / 4);
  const out: number[] = [];
  for (const c of cycles) {
    const m = c / stepMs;
    // a cycle that is (nearly) a whole number of steps is used as that integer
    const r = Math.round(m);
    const p = Math.abs(m - r) < 1e-6 * m ? r : m;
    if (p >= 2 - 1e-9 && !out.some((q) => Math.abs(q - p) < 0.5)) out.push(p);
  }
  return out.sort((a, b) => a - b);
}

/** Knobs of calendar period detection (defaults in brackets). */
export interface PeriodDetectionOptions {
  /** Normal quantile of the significance limit [1.645, M4's 90 %]. */
  z?: number;
  /** Smallest autocorrelation accepted whatever the limit [0]. */
  minR?: number;
  /** Cycles of history a candidate needs [3]. */
  minCycles?: number;
  /** Consider quarter and month for weekly (and longer) steps [true]. */
  subYear?: boolean;
  /** Most periods returned [2]. */
  max?: number;
}

/** Outcome of testing one candidate period. */
export interface PeriodTest {
  /** The candidate (may be fractional). */
  period: number;
  /** The integer lag tested (the rounded period). */
  lag: number;
  /** Autocorrelation at `lag` of the series detrended by a centred moving average over one period. */
  r: number;
  /** The 90 % limit for r (Bartlett, as M4's seasonality test). */
  limit: number;
  significant: boolean;
}

/**
 * Tests whether `y` has a seasonal cycle of `period` steps: the series is detrended by a centred
 * moving average over one period (which a cycle of that length averages out of), and the
 * autocorrelation of the rest at the rounded period must exceed a 90 % limit in the form of M4's,
 * 1.645·sqrt((1 + 2 Σ_{k<m} ρ_k²)/n), where ρ are the autocorrelations of the rest less its
 * per-phase means, and `minR`. Needs `minCycles` cycles of history.
 */
export function testPeriod(y: Float64Array, period: number, opts: PeriodDetectionOptions = {}): PeriodTest {
  const lag = Math.round(period);
  const n = y.length;
  const none = { period, lag, r: 0, limit: Infinity, significant: false };
  if (lag < 2 || n < (opts.minCycles ?? 3) * period) return none;
  const trend = centeredMovingAverage(y, lag);
  const half = Math.floor(lag / 2);
  const len = n - 2 * half;
  if (len < 2 * lag + 2) return none;
  const d = new Float64Array(len);
  for (let i = 0; i < len; i++) d[i] = y[i + half] - trend[i + half];
  const r = acf(d, lag);
  // Bartlett's variance from the autocorrelations of the rest less its per-phase means: without a
  // cycle that removal changes little (the test keeps its size); with one, the cycle no longer
  // inflates the limit (a smooth yearly wave has large r_k at every lag below the period)
  const phase = new Float64Array(lag);
  const cnt = new Float64Array(lag);
  for (let i = 0; i < len; i++) {
    phase[(i + half) % lag] += d[i];
    cnt[(i + half) % lag]++;
  }
  for (let p = 0; p < lag; p++) phase[p] = cnt[p] > 0 ? phase[p] / cnt[p] : 0;
  const e = new Float64Array(len);
  for (let i = 0; i < len; i++) e[i] = d[i] - phase[(i + half) % lag];
  const rho = acf(e, lag - 1);
  let s = 1;
  for (let k = 1; k < lag; k++) s += 2 * rho[k] * rho[k];
  const limit = ((opts.z ?? 1.645) / Math.sqrt(len)) * Math.sqrt(s);
  return { period, lag, r: r[lag], limit, significant: r[lag] > limit && r[lag] > (opts.minR ?? 0) };
}

/**
 * Seasonal periods from the data's step (bucket span): the calendar candidates
 * (`calendarPeriods`), shortest first, each tested by `testPeriod` on the series less the cycles
 * already accepted (so a weekly cycle is not credited for a daily one that repeats inside it, and a
 * yearly cycle is tested without the weekly one inflating the limit). Returned strongest first, at
 * most `max`. A shorter period that is a near divisor of a stronger accepted one (13 or 4.35
 * beside 52.18 weeks) is dropped, so a yearly cycle's harmonics are not taken for quarterly or
 * monthly cycles.
 */
export function detectCalendarPeriods(y: Float64Array, stepMs: number, opts: PeriodDetectionOptions & { candidates?: number[] } = {}): PeriodTest[] {
  const candidates = [...(opts.candidates ?? calendarPeriods(stepMs, opts))].sort((a, b) => a - b);
  let rest = y;
  const accepted: PeriodTest[] = [];
  for (const p of candidates) {
    const t = testPeriod(rest, p, opts);
    if (!t.significant) continue;
    accepted.push(t);
    rest = removeSeasonalProfile(rest, t.lag);
  }
  accepted.sort((a, b) => b.r - a.r);
  const out: PeriodTest[] = [];
  for (const t of accepted) {
    if (out.some((a) => a.period > t.period && isNearMultiple(a.period, t.period))) continue;
    out.push(t);
  }
  return out.slice(0, opts.max ?? 2);
}

/** y less its additive per-phase profile of period m (means of y − centred moving average). */
function removeSeasonalProfile(y: Float64Array, m: number): Float64Array {
  const n = y.length;
  const trend = centeredMovingAverage(y, m);
  const sum = new Float64Array(m);
  const cnt = new Float64Array(m);
  for (let t = 0; t < n; t++) {
    if (Number.isNaN(trend[t])) continue;
    sum[t % m] += y[t] - trend[t];
    cnt[t % m]++;
  }
  let mean = 0;
  for (let p = 0; p < m; p++) {
    sum[p] = cnt[p] > 0 ? sum[p] / cnt[p] : 0;
    mean += sum[p] / m;
  }
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) out[t] = y[t] - (sum[t % m] - mean);
  return out;
}

function isNearMultiple(big: number, small: number): boolean {
  const q = big / small;
  return Math.abs(q - Math.round(q)) < 0.1;
}

/**
 * Multiplicative seasonal factors from a Fourier series on an exact (possibly fractional) period:
 * log(y / centred moving average) is regressed on `terms` sine/cosine pairs of period `m`, by least
 * squares. Returns the coefficients [a1, b1, a2, b2, …] for phase (t + offset) / m, or null when
 * the series is not positive or the fit fails. `factorAt` evaluates them. With type 'additive'
 * (series with zeros or negative values), y − moving average is regressed instead and
 * `fourierSumAt` gives the seasonal term to subtract.
 */
export function fourierSeasonalCoefficients(y: Float64Array, m: number, terms: number, offset = 0, type: 'multiplicative' | 'additive' = 'multiplicative'): Float64Array | null {
  const n = y.length;
  const lag = Math.round(m);
  const additive = type === 'additive';
  if (lag < 2 || (!additive && !allPositive(y))) return null;
  const K = Math.max(1, Math.min(terms, Math.floor(lag / 2)));
  const trend = centeredMovingAverage(y, lag);
  const p = 2 * K;
  const ata = new Float64Array(p * p);
  const atb = new Float64Array(p);
  const row = new Float64Array(p);
  let count = 0;
  for (let t = 0; t < n; t++) {
    const tr = trend[t];
    if (additive ? !Number.isFinite(tr) : !(tr > 0)) continue;
    const v = additive ? y[t] - tr : Math.log(y[t] / tr);
    if (!Number.isFinite(v)) continue;
    fourierRow(row, t + offset, m, K);
    for (let i = 0; i < p; i++) {
      atb[i] += row[i] * v;
      for (let j = 0; j <= i; j++) ata[i * p + j] += row[i] * row[j];
    }
    count++;
  }
  if (count < p + 2) return null;
  for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) ata[j * p + i] = ata[i * p + j];
  return solveSymmetric(ata, atb, p);
}

/** exp of the Fourier series `coef` at time t (same offset convention as the fit). */
export function fourierFactorAt(coef: Float64Array, t: number, m: number): number {
  return Math.exp(fourierSumAt(coef, t, m));
}

/** The Fourier series `coef` at time t: the additive seasonal term (fitted with type 'additive'). */
export function fourierSumAt(coef: Float64Array, t: number, m: number): number {
  let s = 0;
  const K = coef.length / 2;
  for (let k = 1; k <= K; k++) {
    const w = (2 * Math.PI * k * t) / m;
    s += coef[2 * k - 2] * Math.cos(w) + coef[2 * k - 1] * Math.sin(w);
  }
  return s;
}

function fourierRow(row: Float64Array, t: number, m: number, K: number): void {
  for (let k = 1; k <= K; k++) {
    const w = (2 * Math.PI * k * t) / m;
    row[2 * k - 2] = Math.cos(w);
    row[2 * k - 1] = Math.sin(w);
  }
}

/** Solves A x = b for a small symmetric positive (semi)definite A by Gaussian elimination with a ridge. */
function solveSymmetric(a: Float64Array, b: Float64Array, p: number): Float64Array | null {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  let tr = 0;
  for (let i = 0; i < p; i++) tr += m[i * p + i];
  const ridge = 1e-9 * (tr / p || 1);
  for (let i = 0; i < p; i++) m[i * p + i] += ridge;
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(m[r * p + c]) > Math.abs(m[piv * p + c])) piv = r;
    if (Math.abs(m[piv * p + c]) < 1e-300) return null;
    if (piv !== c) {
      for (let k = 0; k < p; k++) [m[c * p + k], m[piv * p + k]] = [m[piv * p + k], m[c * p + k]];
      [x[c], x[piv]] = [x[piv], x[c]];
    }
    for (let r = c + 1; r < p; r++) {
      const f = m[r * p + c] / m[c * p + c];
      if (f === 0) continue;
      for (let k = c; k < p; k++) m[r * p + k] -= f * m[c * p + k];
      x[r] -= f * x[c];
    }
  }
  for (let c = p - 1; c >= 0; c--) {
    let s = x[c];
    for (let k = c + 1; k < p; k++) s -= m[c * p + k] * x[k];
    x[c] = s / m[c * p + c];
    if (!Number.isFinite(x[c])) return null;
  }
  return x;
}

/**
 * Fills NaN by linear interpolation between the nearest valid neighbours (constant at the ends).
 * Returns the input itself when it has no NaN. All-NaN input gives zeros.
 */
export function interpolateMissing(y: Float64Array): Float64Array {
  let any = false;
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i])) { any = true; break; }
  if (!any) return y;
  const out = Float64Array.from(y);
  const n = out.length;
  let prev = -1;
  for (let i = 0; i <= n; i++) {
    if (i < n && !Number.isFinite(out[i])) continue;
    // out[prev] and out[i] valid (or sentinels); fill between
    const gapStart = prev + 1;
    if (i > gapStart) {
      const left = prev >= 0 ? out[prev] : i < n ? out[i] : 0;
      const right = i < n ? out[i] : left;
      const span = i - prev;
      for (let j = gapStart; j < i; j++) {
        out[j] = prev >= 0 && i < n ? left + ((right - left) * (j - prev)) / span : prev >= 0 ? left : right;
      }
    }
    prev = i;
  }
  return out;
}
