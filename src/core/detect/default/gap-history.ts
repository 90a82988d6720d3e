/**
 * The default detector's gap history: how long the runs of missing buckets in this series have
 * been, so that data returning after a gap can be scored by how rare a gap that long is here.
 */

/** Gap history: counts of past missing runs by length, in log2 classes (1, 2, 3–4, 5–8, … buckets). */
const GAP_CLASSES = 16;

/** The gap history's part of the detector's saved state (these keys, in this order). */
export interface GapHistoryState {
  gapRun: number;
  gaps: number[];
}

export class GapHistory {
  /** Missing buckets in the current run. */
  run = 0;
  /** Past runs counted by length class. */
  readonly counts = new Float64Array(GAP_CLASSES);

  /**
   * Data returned: the surprise of the run of missing buckets that just ended (see surprise), and
   * the run starts over. `scored`: whether this detector scores gaps at all (two-sided, past its
   * cold start); `buckets`: all buckets seen, the missing ones included.
   */
  end(prior: number, scored: boolean, buckets: number): number {
    const result = this.surprise(this.run, prior, scored, buckets);
    this.run = 0;
    return result;
  }

  /**
   * Surprise (nats) of a run of `len` missing buckets that just ended, then records it: −ln of the
   * rate of gaps per bucket seen times the share of gaps at least this long (a heavy-tailed prior). A series that
   * often drops a few buckets is not surprised by another short gap; a first gap many hours long
   * after weeks of data is rare. Only for two-sided detection (a gap is neither high nor low).
   */
  private surprise(len: number, q: number, scored: boolean, buckets: number): number {
    const cls = Math.min(GAP_CLASSES - 1, len <= 1 ? 0 : Math.ceil(Math.log2(len)));
    let result = 0;
    if (q > 0 && scored) {
      // past runs whose class reaches len (a class holds lengths (2^(c−1), 2^c]): conservative
      let seen = 0;
      for (let c = cls; c < GAP_CLASSES; c++) seen += this.counts[c];
      const before = buckets - len;
      let runs = 0;
      for (let c = 0; c < GAP_CLASSES; c++) runs += this.counts[c];
      // how often a gap starts here, times how often a gap is at least this long: past gaps plus a
      // heavy-tailed prior (one pseudo-gap, P(length ≥ L) = L^−q), so a series that often has gaps
      // is not alarmed by a long one as much as a series that never had one
      result = -Math.log((runs + 0.5) / (before + 1)) - Math.log((seen + len ** -q) / (runs + 1));
    }
    this.counts[cls] += 1;
    return result > 0 ? result : 0;
  }

  toState(): GapHistoryState {
    return { gapRun: this.run, gaps: Array.from(this.counts) };
  }

  restore(s: GapHistoryState): void {
    this.run = s.gapRun;
    this.counts.set(s.gaps);
  }
}
