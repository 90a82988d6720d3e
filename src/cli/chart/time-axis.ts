/**
 * Regular, readable time-axis ticks for static charts (SVG/PNG): a step from a fixed ladder
 * (seconds … years) chosen to fit the plot width, ticks aligned to whole units, and labels that
 * show the date at day boundaries and the year where it changes. Times are wall-clock ms read in
 * UTC (see time-zone.ts). The interactive HTML chart keeps ECharts' own zoom-aware ticks.
 */

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

type Step = { ms: number } | { months: number };
const LADDER: Step[] = [
  { ms: S }, { ms: 5 * S }, { ms: 15 * S }, { ms: 30 * S },
  { ms: M }, { ms: 5 * M }, { ms: 15 * M }, { ms: 30 * M },
  { ms: H }, { ms: 2 * H }, { ms: 3 * H }, { ms: 6 * H }, { ms: 12 * H },
  { ms: D }, { ms: 2 * D }, { ms: 7 * D }, { ms: 14 * D },
  { months: 1 }, { months: 2 }, { months: 3 }, { months: 6 },
  { months: 12 }, { months: 24 }, { months: 60 }, { months: 120 }, { months: 600 },
];

export interface TimeTicks {
  values: number[];
  labels: string[];
}

const pad = (n: number) => String(n).padStart(2, '0');

function approxMs(s: Step): number {
  return 'ms' in s ? s.ms : s.months * 30.44 * D;
}

/** Ticks between min and max (wall-clock ms), at most about `maxTicks` of them. */
export function timeTicks(min: number, max: number, maxTicks: number): TimeTicks {
  if (!(max > min)) return { values: [min], labels: [formatDay(min, true)] };
  const span = max - min;
  const step = LADDER.find((s) => span / approxMs(s) <= Math.max(2, maxTicks)) ?? LADDER[LADDER.length - 1];
  const values: number[] = [];
  if ('ms' in step) {
    // weeks start on Monday (1970-01-05 was a Monday)
    const origin = step.ms === 7 * D || step.ms === 14 * D ? 4 * D : 0;
    for (let t = Math.ceil((min - origin) / step.ms) * step.ms + origin; t <= max; t += step.ms) values.push(t);
  } else {
    const d = new Date(min);
    let y = d.getUTCFullYear();
    let m = d.getUTCMonth();
    m = Math.floor(m / step.months) * step.months;
    if (step.months >= 12) {
      const years = step.months / 12;
      y = Math.floor(y / years) * years;
      m = 0;
    }
    for (let guard = 0; guard < 10_000; guard++) {
      const t = Date.UTC(y, m, 1);
      if (t > max) break;
      if (t >= min) values.push(t);
      m += step.months;
      y += Math.floor(m / 12);
      m %= 12;
    }
  }
  const labels = values.map((t, i) => label(t, step, i === 0 ? undefined : values[i - 1]));
  return { values, labels };
}

function formatDay(t: number, withYear: boolean): string {
  const d = new Date(t);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}${withYear ? `, ${d.getUTCFullYear()}` : ''}`;
}

function label(t: number, step: Step, prev: number | undefined): string {
  const d = new Date(t);
  const yearChanged = prev === undefined || new Date(prev).getUTCFullYear() !== d.getUTCFullYear();
  if ('months' in step) {
    if (step.months >= 12) return String(d.getUTCFullYear());
    return d.getUTCMonth() === 0 || yearChanged ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}` : MONTHS[d.getUTCMonth()];
  }
  if (step.ms >= D) return formatDay(t, yearChanged);
  const midnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0;
  if (midnight && step.ms >= M) return formatDay(t, yearChanged);
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  const text = step.ms < M ? `${hm}:${pad(d.getUTCSeconds())}` : hm;
  return prev === undefined ? `${formatDay(t, true)} ${text}` : text;
}
