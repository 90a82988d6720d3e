/**
 * Decimal number text → double, straight from bytes, without allocating a substring in the common
 * case (≤ 15 significant digits, exponent within ±22: exact mantissa ÷ exact power of ten, which
 * IEEE division rounds correctly). Anything longer falls back to Number() on the text.
 */

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Parses [start, end) of `b` (surrounding spaces and tabs allowed) as a decimal number:
 * `[+-]digits[.digits][(e|E)[+-]digits]`, also `.5` and `5.`. Returns NaN for anything else,
 * including empty text, "NaN", "Infinity" and hex.
 */
export function parseNumberBytes(b: Uint8Array, start: number, end: number): number {
  while (start < end && (b[start] === 32 || b[start] === 9)) start++;
  while (end > start && (b[end - 1] === 32 || b[end - 1] === 9)) end--;
  let p = start;
  if (p >= end) return NaN;
  let neg = false;
  let c = b[p];
  if (c === 45 || c === 43) {
    neg = c === 45;
    p++;
  }
  let mant = 0;
  let digits = 0; // significant digits accumulated
  let seen = 0; // digits seen at all
  let scale = 0; // power of ten to apply
  while (p < end) {
    c = b[p] - 48;
    if (c < 0 || c > 9) break;
    if (digits < 16) {
      mant = mant * 10 + c;
      if (mant !== 0) digits++;
    } else scale++;
    seen++;
    p++;
  }
  if (p < end && b[p] === 46) {
    p++;
    while (p < end) {
      c = b[p] - 48;
      if (c < 0 || c > 9) break;
      if (digits < 16) {
        mant = mant * 10 + c;
        if (mant !== 0) digits++;
        scale--;
      }
      seen++;
      p++;
    }
  }
  if (seen === 0) return NaN;
  if (p < end && (b[p] === 101 || b[p] === 69)) {
    p++;
    let eneg = false;
    if (p < end && (b[p] === 45 || b[p] === 43)) {
      eneg = b[p] === 45;
      p++;
    }
    let ex = 0;
    let en = 0;
    while (p < end) {
      c = b[p] - 48;
      if (c < 0 || c > 9) break;
      if (ex < 100000) ex = ex * 10 + c;
      en++;
      p++;
    }
    if (en === 0) return NaN;
    scale += eneg ? -ex : ex;
  }
  if (p !== end) return NaN;
  let v: number;
  if (digits <= 15 && scale >= -22 && scale <= 22) {
    v = scale < 0 ? mant / POW10[-scale] : mant * POW10[scale];
  } else {
    v = Number(latin1(b, start, end));
    if (!Number.isFinite(v)) return NaN;
    return v;
  }
  return neg ? -v : v;
}

function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}
