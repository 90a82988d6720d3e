/**
 * M4's accuracy measures for one series: sMAPE, MASE (seasonal-difference scale), MSIS and
 * interval coverage; OWA combines averages against Naive2's.
 */

/** sMAPE in percent: (200/h) Σ |y − f| / (|y| + |f|) (terms with 0/0 count as 0). */
export function smape(actual: ArrayLike<number>, fc: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < actual.length; i++) {
    const den = Math.abs(actual[i]) + Math.abs(fc[i]);
    if (den > 0) s += Math.abs(actual[i] - fc[i]) / den;
  }
  return (200 * s) / actual.length;
}

/** Mean |y_t − y_{t−m}| over the training history (MASE and MSIS denominator). */
export function seasonalScale(train: ArrayLike<number>, m: number): number {
  let s = 0;
  let c = 0;
  for (let t = m; t < train.length; t++) {
    s += Math.abs(train[t] - train[t - m]);
    c++;
  }
  return c > 0 ? s / c : NaN;
}

export function mase(train: ArrayLike<number>, actual: ArrayLike<number>, fc: ArrayLike<number>, m: number, scale = seasonalScale(train, m)): number {
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += Math.abs(actual[i] - fc[i]);
  return s / actual.length / scale;
}

/** Mean scaled interval score at level 1 − alpha. */
export function msis(train: ArrayLike<number>, actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>, m: number, alpha = 0.05, scale = seasonalScale(train, m)): number {
  let s = 0;
  for (let i = 0; i < actual.length; i++) {
    const y = actual[i];
    s += upper[i] - lower[i];
    if (y < lower[i]) s += (2 / alpha) * (lower[i] - y);
    if (y > upper[i]) s += (2 / alpha) * (y - upper[i]);
  }
  return s / actual.length / scale;
}

/** Share of actual values inside [lower, upper]. */
export function coverage(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i] >= lower[i] && actual[i] <= upper[i]) c++;
  return c / actual.length;
}

/** OWA from average sMAPE/MASE of a method and of Naive2. */
export function owa(smapeAvg: number, maseAvg: number, smapeNaive2: number, maseNaive2: number): number {
  return 0.5 * (smapeAvg / smapeNaive2 + maseAvg / maseNaive2);
}
