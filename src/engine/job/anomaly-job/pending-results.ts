/**
 * The results a job made since they were last handed out (drained), and Elastic's interim rule:
 * interim results preview open buckets; once handed out, the next final bucket or interim
 * calculation tells the caller to delete them (`clearInterim`), and pending ones not yet handed
 * out are simply dropped.
 */
import type { JobResults } from '../results.js';

export function emptyResults(): JobResults {
  return { clearInterim: false, buckets: [], records: [], influencers: [], modelPlots: [], annotations: [] };
}

export class PendingResults {
  results: JobResults = emptyResults();
  /** Interim results were handed out by a drain and not yet cleared. */
  interimOut = false;
  /** Whether `results` may hold interim results (set when any are emitted): spares {@link supersedeInterim} a scan per final bucket. */
  mayHoldInterim = false;

  /** Interim results are out of date (a bucket becomes final, or interim results are calculated again). */
  supersedeInterim(): void {
    if (this.interimOut) this.results.clearInterim = true;
    if (!this.mayHoldInterim) return;
    this.mayHoldInterim = false;
    const p = this.results;
    if (p.buckets.some((b) => b.is_interim)) {
      p.buckets = p.buckets.filter((b) => !b.is_interim);
      p.records = p.records.filter((b) => !b.is_interim);
      p.influencers = p.influencers.filter((b) => !b.is_interim);
      p.modelPlots = p.modelPlots.filter((b) => !b.is_interim);
    }
  }

  /** Hands the results over and starts anew. */
  drain(): JobResults {
    const out = this.results;
    this.results = emptyResults();
    this.mayHoldInterim = false;
    if (out.buckets.some((b) => b.is_interim)) this.interimOut = true;
    else if (out.clearInterim) this.interimOut = false;
    return out;
  }

  /** Restores saved results (JobStateBody.pending and .interimOut). */
  restore(results: JobResults, interimOut: boolean): void {
    this.results = structuredClone(results);
    this.mayHoldInterim = this.results.buckets.some((d) => d.is_interim);
    this.interimOut = interimOut;
  }
}
