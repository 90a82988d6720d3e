/**
 * Nelder–Mead simplex minimiser (no derivatives). Out-of-bounds points are for the objective to
 * reject (return Infinity); the simplex then shrinks back inside.
 */
export interface NelderMeadOptions {
  /** Initial step per coordinate (default 10 % of |x| or 0.05). */
  step?: number[];
  maxEvals?: number;
  /** Stop when the simplex's f-range falls below tol·(|f|+tol). */
  tol?: number;
}

export function nelderMead(f: (x: Float64Array) => number, x0: ArrayLike<number>, opts: NelderMeadOptions = {}): { x: Float64Array; f: number; evals: number } {
  const d = x0.length;
  const maxEvals = opts.maxEvals ?? 200 * d;
  const tol = opts.tol ?? 1e-8;
  const pts: Float64Array[] = [];
  const fv: number[] = [];
  let evals = 0;
  const evalf = (x: Float64Array): number => {
    evals++;
    const v = f(x);
    return Number.isNaN(v) ? Infinity : v;
  };
  const p0 = Float64Array.from(x0);
  pts.push(p0);
  fv.push(evalf(p0));
  for (let i = 0; i < d; i++) {
    const p = Float64Array.from(x0);
    const s = opts.step?.[i] ?? (p[i] !== 0 ? 0.1 * Math.abs(p[i]) : 0.05);
    p[i] += s;
    let v = evalf(p);
    if (!Number.isFinite(v)) {
      p[i] = x0[i] - s;
      v = evalf(p);
    }
    pts.push(p);
    fv.push(v);
  }
  const order = new Array<number>(d + 1);
  const centroid = new Float64Array(d);
  const xr = new Float64Array(d);
  const xe = new Float64Array(d);
  const xc = new Float64Array(d);
  while (evals < maxEvals) {
    for (let i = 0; i <= d; i++) order[i] = i;
    order.sort((a, b) => fv[a] - fv[b]);
    const best = order[0];
    const worst = order[d];
    const second = order[d - 1];
    const fb = fv[best];
    const fw = fv[worst];
    if (Number.isFinite(fw) && Math.abs(fw - fb) <= tol * (Math.abs(fb) + tol)) break;
    centroid.fill(0);
    for (let k = 0; k < d; k++) {
      const p = pts[order[k]];
      for (let i = 0; i < d; i++) centroid[i] += p[i] / d;
    }
    const pw = pts[worst];
    for (let i = 0; i < d; i++) xr[i] = centroid[i] + (centroid[i] - pw[i]);
    const fr = evalf(xr);
    if (fr < fb) {
      for (let i = 0; i < d; i++) xe[i] = centroid[i] + 2 * (centroid[i] - pw[i]);
      const fe = evalf(xe);
      if (fe < fr) {
        pw.set(xe);
        fv[worst] = fe;
      } else {
        pw.set(xr);
        fv[worst] = fr;
      }
      continue;
    }
    if (fr < fv[second]) {
      pw.set(xr);
      fv[worst] = fr;
      continue;
    }
    const outside = fr < fw;
    for (let i = 0; i < d; i++) xc[i] = outside ? centroid[i] + 0.5 * (xr[i] - centroid[i]) : centroid[i] + 0.5 * (pw[i] - centroid[i]);
    const fc = evalf(xc);
    if (fc < (outside ? fr : fw)) {
      pw.set(xc);
      fv[worst] = fc;
      continue;
    }
    // shrink towards the best point
    const pb = pts[best];
    for (let k = 0; k <= d; k++) {
      if (k === best) continue;
      const p = pts[k];
      for (let i = 0; i < d; i++) p[i] = pb[i] + 0.5 * (p[i] - pb[i]);
      fv[k] = evalf(p);
    }
  }
  let bi = 0;
  for (let i = 1; i <= d; i++) if (fv[i] < fv[bi]) bi = i;
  return { x: Float64Array.from(pts[bi]), f: fv[bi], evals };
}
