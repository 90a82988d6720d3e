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
