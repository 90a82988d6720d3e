/**
 * Streaming detection over records: records → buckets (Elastic's functions, latency window,
 * partitions) → one detector per partition → one result per bucket. No I/O: the CLI feeds it rows
 * from files, the jobs service will feed it posted data. Results are written into a reused object
 * and handed to a callback, so millions of buckets cost no garbage.
 */
import { createBucketizer, type Bucketizer, type BucketizerCounts } from '../core/bucket/bucketizer.js';
import { parseFunction, type FunctionSpec } from '../core/bucket/functions.js';
import { newOutput, type Detector, type DetectorOutput } from '../core/detect/detector.js';
import { DEFAULT_DETECTOR, createDetector } from '../core/detect/registry.js';
import '../core/detect/all.js';

export interface SeriesDetectionOptions {
  /** Elastic detector function (`mean`, `high_count`, `distinct_count`, …). */
  function: string;
  bucketSpanMs: number;
  /** How late a record may arrive and still count (Elastic's latency). */
  latencyMs?: number;
  /** One model per value of the partition field. */
  partitioned?: boolean;
  /** Detector type (default `default`) and its spec. */
  detector?: string;
  detectorSpec?: Record<string, unknown>;
}

/** One bucket's result. The object is reused between calls: copy what you keep. */
export interface BucketResult extends DetectorOutput {
  partition: string | null;
  /** Bucket start, epoch ms. */
  time: number;
  /** The bucket's value (NaN when missing). */
  actual: number;
  /** Records in the bucket. */
  recordCount: number;
  /** The detector's stated cold-start: true while the model is still learning. */
  learning: boolean;
}

export type OnResult = (result: Readonly<BucketResult>) => void;

export class SeriesDetection {
  readonly fn: FunctionSpec;
  private readonly bucketizer: Bucketizer;
  private readonly detectors = new Map<string | null, { detector: Detector; seen: number }>();
  private readonly result: BucketResult;

  constructor(
    readonly options: SeriesDetectionOptions,
    private readonly onResult: OnResult,
  ) {
    this.fn = parseFunction(options.function);
    this.result = { ...newOutput(), partition: null, time: 0, actual: NaN, recordCount: 0, learning: true };
    this.bucketizer = createBucketizer({
      spanMs: options.bucketSpanMs,
      function: this.fn,
      latencyMs: options.latencyMs ?? 0,
      partitioned: options.partitioned ?? false,
      onBucket: (partition, start, value, count) => this.onBucket(partition, start, value, count),
    });
  }

  /** Adds one record; false when it was rejected as out of order (its bucket already closed) or undated. */
  add(time: number, value: number, category?: string, partition?: string): boolean {
    return this.bucketizer.add(time, value, category, partition);
  }

  /** Closes every open bucket. */
  flush(): void {
    this.bucketizer.flush();
  }

  counts(): BucketizerCounts {
    return this.bucketizer.counts();
  }

  /** The detector of a partition (null when not partitioned), once it has seen data. */
  detectorOf(partition: string | null): Detector | undefined {
    return this.detectors.get(partition)?.detector;
  }

  partitions(): (string | null)[] {
    return [...this.detectors.keys()];
  }

  /** Model memory over all partitions, bytes. */
  memoryBytes(): number {
    let total = 0;
    for (const { detector } of this.detectors.values()) total += detector.memoryBytes();
    return total;
  }

  private onBucket(partition: string | null, start: number, value: number, count: number): void {
    let entry = this.detectors.get(partition);
    if (!entry) {
      const detector = createDetector(
        this.options.detector ?? DEFAULT_DETECTOR,
        { bucketSpanMs: this.options.bucketSpanMs, side: this.fn.side, isCount: this.fn.isCount },
        this.options.detectorSpec,
      );
      entry = { detector, seen: 0 };
      this.detectors.set(partition, entry);
    }
    const r = this.result;
    entry.detector.update(start, value, r);
    entry.seen++;
    r.partition = partition;
    r.time = start;
    r.actual = value;
    r.recordCount = count;
    r.learning = entry.seen <= entry.detector.coldStartBuckets;
    this.onResult(r);
  }
}
