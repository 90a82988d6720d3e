/** Tail probabilities of standardised deviations, for turning model residuals into probabilities. */

/** Complementary error function (W. J. Cody's rational approximation, |error| < 1.2e-7 relative). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** −ln of the two-sided normal tail probability P(|Z| ≥ |z|), accurate far into the tail. */
export function normalTwoSidedSurprise(z: number): number {
  const a = Math.abs(z);
  // below 2.5σ the exact value never matters to a score (it stays under every anchor): z²/2 is
  // within 0.8 nats of it and costs no exp/log, which keeps the hot path fast
  if (a < 2.5) return 0.5 * a * a;
  if (a < 8) return -Math.log(Math.max(erfc(a / Math.SQRT2), 1e-300));
  // asymptotic: P ≈ 2 φ(a)/a
  return (a * a) / 2 + Math.log(a) + 0.5 * Math.log(Math.PI / 2);
}

/** −ln of a one-sided normal tail P(Z ≥ z) (z may be negative). */
export function normalUpperSurprise(z: number): number {
  if (z <= 0) return -Math.log(1 - 0.5 * erfc(-z / Math.SQRT2));
  return normalTwoSidedSurprise(z) + Math.LN2;
}
