// Development harness: which periods are detected on the M4 Weekly TRAIN series, blind (ACF scan)
// and with the weekly step as a prior (calendar candidates tested for significance).
// Run: node dist/experiments/forecast/periods-m4.js [data dir]
import { readFileSync } from 'node:fs';
import { parseM4Csv } from '../../src/core/forecast/m4.js';
import { detectCalendarPeriods, detectPeriods, WEEK_MS } from '../../src/core/forecast/season.js';

const dir = process.argv[2] ?? '/work/shared/data/m4-weekly/';
const train = parseM4Csv(readFileSync(dir + 'Weekly-train.csv', 'utf8')).map((s) => s.values);
const tally = (f: (y: Float64Array) => string) => {
  const counts = new Map<string, number>();
  for (const y of train) counts.set(f(y), (counts.get(f(y)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}:${v}`).join(' ');
};
console.log('blind:', tally((y) => detectPeriods(y).join('+') || 'none'));
console.log('weekly step:', tally((y) => detectCalendarPeriods(y, WEEK_MS).map((t) => t.period.toFixed(1)).join('+') || 'none'));
console.log('too short for 3 years:', train.filter((y) => y.length < 3 * 52.18).length);
