/**
 * What one entity's records add up to in one open bucket: weighted count, sums, min/max, the values
 * (median), the distinct terms with their counts (distinct_count, info_content, rare), points
 * (lat_long, event times) and, per influencer field, the influencer values seen with their counts.
 * A slot is reset and reused when its bucket closes. State is plain JSON so an open bucket survives
 * a snapshot mid-bucket.
 */
import { medianInPlace } from '../../core/bucket/functions.js';

export interface SlotAccState {
  b: number;
  c: number;
  n: number;
  s: number;
  w: number;
  sh: number;
  d: number;
  d2: number;
  mn: number | null;
  mx: number | null;
  v?: number[];
  t?: [string, number][];
  p?: number[];
  i?: [string, number][][];
}

export class SlotAcc {
  /** Bucket start this slot holds (NaN when free). */
  bucket = NaN;
  /** Records (weighted by the summary count). */
  count = 0;
  /** Numeric values added. */
  n = 0;
  /** Weighted sum of values and the weights (mean). */
  sum = 0;
  wsum = 0;
  /** varp: first value and sums of deviations from it. */
  shift = 0;
  dsum = 0;
  dsum2 = 0;
  min = Infinity;
  max = -Infinity;
  values: number[] | null = null;
  terms: Map<string, number> | null = null;
  points: number[] | null = null;
  influence: Map<string, number>[] | null = null;

  reset(bucket: number): void {
    this.bucket = bucket;
    this.count = 0;
    this.n = 0;
    this.sum = 0;
    this.wsum = 0;
    this.shift = 0;
    this.dsum = 0;
    this.dsum2 = 0;
    this.min = Infinity;
    this.max = -Infinity;
    if (this.values) this.values.length = 0;
    if (this.terms) this.terms.clear();
    if (this.points) this.points.length = 0;
    if (this.influence) for (const m of this.influence) m.clear();
  }

  addValue(x: number, weight: number, keepValues: boolean): void {
    if (this.n === 0) this.shift = x;
    this.n++;
    this.sum += x * weight;
    this.wsum += weight;
    const d = x - this.shift;
    this.dsum += d;
    this.dsum2 += d * d;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (keepValues) (this.values ??= []).push(x);
  }

  addTerm(term: string, weight: number): void {
    const t = (this.terms ??= new Map());
    t.set(term, (t.get(term) ?? 0) + weight);
  }

  addPoint(...xs: number[]): void {
    (this.points ??= []).push(...xs);
  }

  addInfluence(field: number, fields: number, value: string, weight: number): void {
    if (!this.influence) {
      this.influence = [];
      for (let i = 0; i < fields; i++) this.influence.push(new Map());
    }
    const m = this.influence[field];
    m.set(value, (m.get(value) ?? 0) + weight);
  }

  mean(): number {
    return this.wsum > 0 ? this.sum / this.wsum : NaN;
  }

  varp(): number {
    if (this.n === 0) return NaN;
    const v = (this.dsum2 - (this.dsum * this.dsum) / this.n) / this.n;
    return v > 0 ? v : 0;
  }

  median(): number {
    if (!this.values || this.values.length === 0) return NaN;
    return medianInPlace(Float64Array.from(this.values), 0, this.values.length);
  }

  toState(): SlotAccState {
    const s: SlotAccState = {
      b: this.bucket,
      c: this.count,
      n: this.n,
      s: this.sum,
      w: this.wsum,
      sh: this.shift,
      d: this.dsum,
      d2: this.dsum2,
      mn: Number.isFinite(this.min) ? this.min : null,
      mx: Number.isFinite(this.max) ? this.max : null,
    };
    if (this.values && this.values.length) s.v = [...this.values];
    if (this.terms && this.terms.size) s.t = [...this.terms];
    if (this.points && this.points.length) s.p = [...this.points];
    if (this.influence && this.influence.some((m) => m.size > 0)) s.i = this.influence.map((m) => [...m]);
    return s;
  }

  static fromState(s: SlotAccState): SlotAcc {
    const a = new SlotAcc();
    a.bucket = s.b === null ? NaN : s.b;
    a.count = s.c;
    a.n = s.n;
    a.sum = s.s;
    a.wsum = s.w;
    a.shift = s.sh;
    a.dsum = s.d;
    a.dsum2 = s.d2;
    a.min = s.mn === null ? Infinity : s.mn;
    a.max = s.mx === null ? -Infinity : s.mx;
    if (s.v) a.values = [...s.v];
    if (s.t) a.terms = new Map(s.t);
    if (s.p) a.points = [...s.p];
    if (s.i) a.influence = s.i.map((e) => new Map(e));
    return a;
  }
}
