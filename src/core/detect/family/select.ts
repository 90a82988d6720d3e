/**
 * Order statistics without a full sort (Hoare's quickselect, median-of-three pivot): the median and
 * MAD of training errors in O(n).
 */
import { selectInPlace } from '../../bucket/functions.js';

/** Rearranges `a` so that a[k] is the k-th smallest value; returns it. NaN-free input. */
export function selectKth(a: Float64Array, k: number): number {
  return selectInPlace(a, 0, a.length - 1, k);
}

/** Median of the first n values of `a` (reorders them). */
export function medianOf(a: Float64Array, n = a.length): number {
  if (n === 0) return NaN;
  return selectKth(n === a.length ? a : a.subarray(0, n), n >> 1);
}
