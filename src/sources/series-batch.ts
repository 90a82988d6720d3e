/**
 * The unit the readers emit: up to `batchSize` accepted records as parallel typed arrays, so the
 * layers above can run their hot loops without per-record objects. Batches are freshly allocated
 * and belong to the consumer (the reader never reuses or mutates one after yielding it).
 */

export interface SeriesBatch {
  /** Records in this batch; every array below has exactly this length. */
  n: number;
  /** Epoch milliseconds (may be fractional). */
  time: Float64Array;
  /** The value as a number (valueKind 'number'); NaN for valueKind 'none' and 'string'. */
  value: Float64Array;
  /** 1-based physical line where the record starts; for JSON arrays the 0-based element index. */
  line: Float64Array;
  /** Value of the partition field, when one is given; else null. */
  partition: string[] | null;
  /** The value field as text (valueKind 'string', e.g. for distinct_count); else null. */
  category: string[] | null;
  /**
   * The timestamp text as in the input (option keepRawTime), CSV quoting removed; for a JSON number
   * its shortest decimal form (JSON.parse does not keep the original spelling). Else null.
   */
  rawTime: string[] | null;
}

/** Collects accepted records and cuts them into batches; also tracks the newest time for latency checks. */
export class BatchSink {
  /** Newest accepted time so far (−Infinity before the first). */
  newest = -Infinity;
  oldest = Infinity;
  /** Batches ready to be handed out. */
  readonly ready: SeriesBatch[] = [];
  private n = 0;
  private time!: Float64Array;
  private value!: Float64Array;
  private line!: Float64Array;
  private partition: string[] | null = null;
  private category: string[] | null = null;
  private rawTime: string[] | null = null;

  constructor(
    private readonly size: number,
    private readonly withPartition: boolean,
    private readonly withCategory: boolean,
    private readonly withRawTime: boolean,
  ) {
    this.allocate();
  }

  private allocate(): void {
    this.n = 0;
    this.time = new Float64Array(this.size);
    this.value = new Float64Array(this.size);
    this.line = new Float64Array(this.size);
    this.partition = this.withPartition ? [] : null;
    this.category = this.withCategory ? [] : null;
    this.rawTime = this.withRawTime ? [] : null;
  }

  /** Appends one accepted record (string arguments are ignored unless that column is kept). */
  push(time: number, value: number, line: number, partition: string | null, category: string | null, rawTime: string | null): void {
    const n = this.n;
    this.time[n] = time;
    this.value[n] = value;
    this.line[n] = line;
    if (this.partition !== null) this.partition.push(partition ?? '');
    if (this.category !== null) this.category.push(category ?? '');
    if (this.rawTime !== null) this.rawTime.push(rawTime ?? '');
    if (time > this.newest) this.newest = time;
    if (time < this.oldest) this.oldest = time;
    this.n = n + 1;
    if (this.n === this.size) this.cut();
  }

  /** Moves the records collected so far (if any) into a batch in `ready`. */
  cut(): void {
    const n = this.n;
    if (n === 0) return;
    const whole = n === this.size;
    this.ready.push({
      n,
      time: whole ? this.time : this.time.slice(0, n),
      value: whole ? this.value : this.value.slice(0, n),
      line: whole ? this.line : this.line.slice(0, n),
      partition: this.partition,
      category: this.category,
      rawTime: this.rawTime,
    });
    this.allocate();
  }
}
