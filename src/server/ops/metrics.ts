/**
 * A small Prometheus metrics registry (text exposition format 0.0.4), without dependencies.
 * `metrics` is the process-wide registry `/metrics` serves; any module may add to it:
 *
 * @example
 *   import { metrics } from '../ops/metrics.js';
 *   const deliveries = metrics.counter('vigil_alert_deliveries_total', 'Alert deliveries by channel and outcome.', ['channel', 'outcome']);
 *   deliveries.inc({ channel: 'email', outcome: 'sent' });
 *   const queue = metrics.gauge('vigil_alert_queue_length', 'Alerts waiting to be delivered.');
 *   queue.set({}, pending.length);
 *
 * Registering a name again returns the existing metric (same type and labels), so modules and
 * test apps can register freely. Collectors run before each scrape to refresh gauges.
 */

type Labels = Record<string, string | number>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

abstract class Metric {
  protected readonly values = new Map<string, { labels: Labels; value: number }>();
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  protected key(labels: Labels): string {
    for (const k of Object.keys(labels)) if (!this.labelNames.includes(k)) throw new Error(`metric ${this.name} has no label ${k}`);
    return this.labelNames.map((n) => String(labels[n] ?? '')).join('\u0000');
  }

  protected series(suffix: string, labels: Labels, value: number, extra?: [string, string]): string {
    const parts = this.labelNames.filter((n) => labels[n] !== undefined).map((n) => `${n}="${escapeLabel(String(labels[n]))}"`);
    if (extra) parts.push(`${extra[0]}="${extra[1]}"`);
    return `${this.name}${suffix}${parts.length ? `{${parts.join(',')}}` : ''} ${fmt(value)}`;
  }

  /** Removes every series (gauges refreshed by a collector). */
  reset(): void {
    this.values.clear();
  }

  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.values.values()) out.push(this.series('', labels, value));
    return out;
  }
}

export class Counter extends Metric {
  readonly type = 'counter' as const;
  inc(labels: Labels = {}, n = 1): void {
    if (!(n >= 0)) throw new Error(`counter ${this.name} can only go up`);
    const k = this.key(labels);
    const cur = this.values.get(k);
    if (cur) cur.value += n;
    else this.values.set(k, { labels: { ...labels }, value: n });
  }
  get(labels: Labels = {}): number {
    return this.values.get(this.key(labels))?.value ?? 0;
  }
}

export class Gauge extends Metric {
  readonly type = 'gauge' as const;
  set(labels: Labels, v: number): void {
    this.values.set(this.key(labels), { labels: { ...labels }, value: v });
  }
  inc(labels: Labels = {}, n = 1): void {
    const k = this.key(labels);
    const cur = this.values.get(k);
    if (cur) cur.value += n;
    else this.values.set(k, { labels: { ...labels }, value: n });
  }
  dec(labels: Labels = {}, n = 1): void {
    this.inc(labels, -n);
  }
  get(labels: Labels = {}): number {
    return this.values.get(this.key(labels))?.value ?? 0;
  }
}

export class Histogram extends Metric {
  readonly type = 'histogram' as const;
  private readonly h = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, labelNames: readonly string[], readonly buckets: readonly number[]) {
    super(name, help, labelNames);
  }
  observe(labels: Labels, v: number): void {
    const k = this.key(labels);
    let e = this.h.get(k);
    if (!e) this.h.set(k, (e = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) e.counts[i]++;
    e.sum += v;
    e.count++;
  }
  count(labels: Labels = {}): number {
    return this.h.get(this.key(labels))?.count ?? 0;
  }
  override reset(): void {
    this.h.clear();
  }
  override render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const e of this.h.values()) {
      this.buckets.forEach((b, i) => out.push(this.series('_bucket', e.labels, e.counts[i], ['le', fmt(b)])));
      out.push(this.series('_bucket', e.labels, e.count, ['le', '+Inf']));
      out.push(this.series('_sum', e.labels, e.sum));
      out.push(this.series('_count', e.labels, e.count));
    }
    return out;
  }
}

export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Registry {
  private readonly metrics = new Map<string, Metric>();
  private readonly collectors = new Set<() => void | Promise<void>>();

  private get<M extends Metric>(name: string, make: () => M, type: Metric['type'], labelNames: readonly string[]): M {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name ${name}`);
    const m = this.metrics.get(name);
    if (m) {
      if (m.type !== type || m.labelNames.join() !== labelNames.join()) throw new Error(`metric ${name} is already registered as a ${m.type} with labels [${m.labelNames.join()}]`);
      return m as M;
    }
    const made = make();
    this.metrics.set(name, made);
    return made;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.get(name, () => new Counter(name, help, labelNames), 'counter', labelNames);
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.get(name, () => new Gauge(name, help, labelNames), 'gauge', labelNames);
  }
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets: readonly number[] = LATENCY_BUCKETS): Histogram {
    return this.get(name, () => new Histogram(name, help, labelNames, buckets), 'histogram', labelNames);
  }

  /** Runs before every scrape (refresh gauges from live state); returns a function that removes it. */
  collect(fn: () => void | Promise<void>): () => void {
    this.collectors.add(fn);
    return () => this.collectors.delete(fn);
  }

  async render(): Promise<string> {
    for (const c of this.collectors) {
      try {
        await c();
      } catch {
        // a failing collector leaves its gauges as they were; the scrape still answers
      }
    }
    const lines: string[] = [];
    for (const m of [...this.metrics.values()].sort((a, b) => a.name.localeCompare(b.name))) lines.push(...m.render());
    return lines.join('\n') + '\n';
  }
}

/** The process-wide registry served at /metrics. */
export const metrics = new Registry();
