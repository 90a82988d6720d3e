/**
 * A seeded, realistic operations metric with known events, used by the demo dataset, the
 * foundation's acceptance test and the README chart: web requests per 5 minutes over five weeks with
 * daily and weekly seasonality (quiet nights and weekends) and Poisson noise, and after three weeks of
 * normal history: a spike, a weekday that behaves like a Sunday, a dip, an outage (zero requests for
 * three hours), a level shift, plus a two-hour gap with no rows at all.
 */
import { Random } from '../random.js';

export interface ScenarioEvent {
  kind: 'spike' | 'weekday_like_sunday' | 'dip' | 'outage' | 'level_shift' | 'gap';
  start: number;
  end: number;
  description: string;
}

export interface OpsScenario {
  times: Float64Array;
  values: Float64Array;
  events: ScenarioEvent[];
  spanMs: number;
}

const H = 3_600_000;
const D = 24 * H;

/** Expected requests per 5 minutes at time t (no events). */
function baseline(t: number, start: number): number {
  const hour = ((t - start) % D) / H;
  const day = Math.floor((t - start) / D) % 7; // 0 = Monday
  const daily = 0.25 + 0.75 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI)) ** 1.5 + 0.1 * Math.exp(-((hour - 20) ** 2) / 4);
  const weekly = day >= 5 ? 0.45 : 1;
  return 400 * daily * weekly + 20;
}

export function opsScenario(seed = 7): OpsScenario {
  const rng = new Random(seed);
  const start = Date.UTC(2024, 0, 1); // a Monday
  const spanMs = 5 * 60_000;
  const n = 35 * 288;
  const ev = (kind: ScenarioEvent['kind'], day: number, fromH: number, toH: number, description: string): ScenarioEvent => ({
    kind,
    start: start + day * D + fromH * H,
    end: start + day * D + toH * H,
    description,
  });
  const events: ScenarioEvent[] = [
    ev('gap', 17, 13, 15, 'no rows for two hours (collector down)'),
    ev('spike', 21, 14, 14.5, 'traffic spike ×2.2 for 30 minutes'),
    ev('weekday_like_sunday', 23, 0, 24, 'a Wednesday as quiet as a Sunday'),
    ev('dip', 25, 10, 10 + 1 / 3, 'traffic dip to 45 % for 20 minutes'),
    ev('outage', 28, 9, 12, 'outage: zero requests for three hours'),
    ev('level_shift', 30, 12, 35 * 24, 'level shift: traffic up 35 % for good'),
  ];
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = start + i * spanMs;
    let mean = baseline(t, start);
    let zero = false;
    let skip = false;
    for (const e of events) {
      if (t < e.start || t >= e.end) continue;
      if (e.kind === 'gap') skip = true;
      else if (e.kind === 'spike') mean *= 2.2;
      else if (e.kind === 'dip') mean *= 0.45;
      else if (e.kind === 'outage') zero = true;
      else if (e.kind === 'level_shift') mean *= 1.35;
      else if (e.kind === 'weekday_like_sunday') mean = baseline(t + 4 * D, start);
    }
    const v = zero ? 0 : rng.poisson(mean);
    if (skip) continue;
    times.push(t);
    values.push(v);
  }
  return { times: Float64Array.from(times), values: Float64Array.from(values), events, spanMs };
}

/** The scenario as CSV text (`timestamp,requests`, ISO 8601 UTC). */
export function opsScenarioCsv(seed = 7): string {
  const s = opsScenario(seed);
  const lines = ['timestamp,requests'];
  for (let i = 0; i < s.times.length; i++) lines.push(`${new Date(s.times[i]).toISOString().replace('.000Z', 'Z')},${s.values[i]}`);
  return lines.join('\n') + '\n';
}
