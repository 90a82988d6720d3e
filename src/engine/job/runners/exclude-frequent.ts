/**
 * Elastic's `exclude_frequent`: by values and over members present in most recent buckets are
 * frequent, and their results are left out. Presence is a count of buckets decayed with a
 * half-life of 200 buckets, kept per by value ('b…') and over member ('o…') with its last bucket.
 */
import type { DetectorConfig } from '../config.js';
import type { RecordDoc } from '../results.js';

export class ExcludeFrequent {
  /** Results of frequent by values / over members are left out. */
  readonly by: boolean;
  readonly over: boolean;
  /** Presence of by values ('b…') and over members ('o…'): decayed bucket count and last bucket. */
  private readonly frequency = new Map<string, [number, number]>();
  private readonly decay = Math.exp(-Math.LN2 / 200);

  constructor(
    config: DetectorConfig,
    private readonly bucketSpanMs: number,
  ) {
    const ef = config.exclude_frequent;
    this.by = (ef === 'all' || ef === 'by') && config.by_field_name !== undefined;
    this.over = (ef === 'all' || ef === 'over') && config.over_field_name !== undefined;
  }

  /** Notes that a by value or over member appeared in a bucket. */
  touch(role: 'b' | 'o', value: string, bucket: number): void {
    const key = role + value;
    const f = this.frequency.get(key);
    if (!f) this.frequency.set(key, [1, bucket]);
    else if (f[1] !== bucket) {
      f[0] = f[0] * Math.pow(this.decay, (bucket - f[1]) / this.bucketSpanMs) + 1;
      f[1] = bucket;
    }
  }

  /** Frequent: present in more than half of the recent buckets (half-life 200 buckets). */
  private isFrequent(role: 'b' | 'o', value: string, bucket: number): boolean {
    const f = this.frequency.get(role + value);
    if (!f) return false;
    const w = f[0] * Math.pow(this.decay, Math.max(0, bucket - f[1]) / this.bucketSpanMs);
    return w * (1 - this.decay) > 0.5;
  }

  /** Whether a record is kept: not of a frequent over member or by value (causes of frequent by values are dropped). */
  keep(doc: RecordDoc, bucket: number): boolean {
    if (this.over && doc.over_field_value !== undefined && this.isFrequent('o', doc.over_field_value, bucket)) return false;
    if (this.by) {
      if (doc.by_field_value !== undefined && this.isFrequent('b', doc.by_field_value, bucket)) return false;
      if (doc.causes) {
        doc.causes = doc.causes.filter((c) => c.by_field_value === undefined || !this.isFrequent('b', c.by_field_value, bucket));
        if (doc.causes.length === 0) return false;
      }
    }
    return true;
  }

  /** Forgets values not seen since `before`. */
  prune(before: number): void {
    if (this.frequency.size === 0) return;
    for (const [k, f] of this.frequency) if (f[1] < before) this.frequency.delete(k);
  }

  bytes(): number {
    let bytes = 0;
    for (const k of this.frequency.keys()) bytes += 96 + 2 * k.length;
    return bytes;
  }

  /** Saved as [key, decayed count, last bucket] (absent when empty). */
  toState(): [string, number, number][] | undefined {
    return this.frequency.size ? [...this.frequency].map(([k, f]) => [k, f[0], f[1]]) : undefined;
  }

  restoreState(s: [string, number, number][] | undefined): void {
    for (const [k, w, b] of s ?? []) this.frequency.set(k, [w, b]);
  }
}
