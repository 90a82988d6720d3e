/**
 * Order statistics without a full sort (Hoare's quickselect, median-of-three pivot): the median and
 * MAD of training errors in O(n).
 */

/** Rearranges `a` so that a[k] is the k-th smallest value; returns it. NaN-free input. */
export function selectKth(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three to the middle
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** Median of the first n values of `a` (reorders them). */
export function medianOf(a: Float64Array, n = a.length): number {
  if (n === 0) return NaN;
  return selectKth(n === a.length ? a : a.subarray(0, n), n >> 1);
}
