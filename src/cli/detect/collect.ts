/**
 * Gathers what `vigil detect` reports from the stream of bucket results: anomalies (score > 0),
 * per-partition series for charts (bounded), missing-data runs, and totals.
 */
import type { BucketResult } from '../../engine/series-detection.js';
import { severityOf, type Severity } from '../../core/score/severity.js';
import type { AnomalyKind } from '../../core/detect/detector.js';

export interface AnomalyRecord {
  time: number;
  partition: string | null;
  score: number;
  severity: Severity;
  actual: number;
  typical: number;
  lower: number;
  upper: number;
  probability: number;
  multiBucketImpact: number;
  kind: AnomalyKind;
  explanation: string;
}

export interface MissingDataRun {
  partition: string | null;
  /** First missing bucket (epoch ms). */
  start: number;
  /** Buckets in the run. */
  length: number;
}

/** Growable per-partition arrays of bucket results (for charts and --all-buckets). */
export class SeriesColumns {
  n = 0;
  time = new Float64Array(1024);
  actual = new Float64Array(1024);
  typical = new Float64Array(1024);
  lower = new Float64Array(1024);
  upper = new Float64Array(1024);
  score = new Float64Array(1024);
  count = new Float64Array(1024);

  push(r: Readonly<BucketResult>): void {
    if (this.n === this.time.length) this.grow();
    const i = this.n++;
    this.time[i] = r.time;
    this.actual[i] = r.actual;
    this.typical[i] = r.typical;
    this.lower[i] = r.lower;
    this.upper[i] = r.upper;
    this.score[i] = r.score;
    this.count[i] = r.recordCount;
  }

  private grow(): void {
    const size = this.time.length * 2;
    for (const k of ['time', 'actual', 'typical', 'lower', 'upper', 'score', 'count'] as const) {
      const a = new Float64Array(size);
      a.set(this[k]);
      this[k] = a;
    }
  }

  view(k: 'time' | 'actual' | 'typical' | 'lower' | 'upper' | 'score' | 'count'): Float64Array {
    return this[k].subarray(0, this.n);
  }
}

export interface CollectOptions {
  /** Keep per-bucket series (charts, --all-buckets) for at most this many partitions. */
  keepSeriesFor: number;
  /** For count functions an empty bucket is a real zero to the model but still "no data" here. */
  emptyIsZero: boolean;
}

export class ResultCollector {
  readonly anomalies: AnomalyRecord[] = [];
  readonly missingRuns: MissingDataRun[] = [];
  readonly series = new Map<string | null, SeriesColumns>();
  buckets = 0;
  learningBuckets = 0;
  private readonly openRun = new Map<string | null, MissingDataRun>();

  constructor(private readonly options: CollectOptions) {}

  add(r: Readonly<BucketResult>): void {
    this.buckets++;
    if (r.learning) this.learningBuckets++;
    let cols = this.series.get(r.partition);
    if (!cols && this.series.size < this.options.keepSeriesFor) {
      cols = new SeriesColumns();
      this.series.set(r.partition, cols);
    }
    cols?.push(r);
    const missing = Number.isNaN(r.actual) || r.recordCount === 0;
    if (missing) {
      const run = this.openRun.get(r.partition);
      if (run) run.length++;
      else this.openRun.set(r.partition, { partition: r.partition, start: r.time, length: 1 });
    } else {
      const run = this.openRun.get(r.partition);
      if (run) {
        this.missingRuns.push(run);
        this.openRun.delete(r.partition);
      }
    }
    if (r.score > 0) {
      this.anomalies.push({
        time: r.time,
        partition: r.partition,
        score: r.score,
        severity: severityOf(r.score),
        actual: r.actual,
        typical: r.typical,
        lower: r.lower,
        upper: r.upper,
        probability: r.probability,
        multiBucketImpact: r.multiBucketImpact,
        kind: r.kind,
        explanation: r.explanation,
      });
    }
  }

  /** Ends open missing runs (a run still open at the end of the data is reported too). */
  finish(): void {
    for (const run of this.openRun.values()) this.missingRuns.push(run);
    this.openRun.clear();
    this.missingRuns.sort((a, b) => a.start - b.start);
  }

  longestRun(): MissingDataRun | null {
    let best: MissingDataRun | null = null;
    for (const r of this.missingRuns) if (!best || r.length > best.length) best = r;
    return best;
  }
}
