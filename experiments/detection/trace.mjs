#!/usr/bin/env node
// Traces the default detector's internals over one NAB-layout file (debugging aid).
// Usage: node experiments/detection/trace.mjs DATA_FILE [SPEC_JSON] [from] [to]
// Prints: row, value, typical, z, single/multi/var surprises, calibrated, score, kind for rows in [from, to)
// (or for every row with a score > 0 when no range is given).
import { readFileSync } from 'node:fs';
import { parseNabCsv } from '../../dist/src/core/eval/nab-csv.js';
import { scorePoints } from '../../dist/src/core/detect/score-points.js';
import '../../dist/src/core/detect/all.js';
import { DefaultDetector } from '../../dist/src/core/detect/default/default-detector.js';

const [file, specText, fromText, toText] = process.argv.slice(2);
const spec = specText ? JSON.parse(specText) : {};
const t = parseNabCsv(readFileSync(file, 'utf8'));
const rows = new Map(); // by bucket time (scorePoints adds missing buckets, so indices drift after a gap)
const proto = DefaultDetector.prototype;
const origUpdate = proto.update;
proto.update = function (time, value, out) {
  const cal = this.calibrator;
  const origCal = cal.calibrate;
  let raw = NaN;
  let calibrated = NaN;
  cal.calibrate = (x, low) => ((raw = x), (calibrated = origCal.call(cal, x, low)));
  origUpdate.call(this, time, value, out);
  cal.calibrate = origCal;
  const sigma = (out.upper - out.typical) / 1.959963985;
  rows.set(time, { vals: [out.typical, (value - out.typical) / sigma, this.mShort, Math.sqrt(this.m2), this.vShort, raw, calibrated, out.kind, this.active, this.alarm.inEvent ? 'E' : '-'] });
};
const res = scorePoints(t.times, t.values, { detector: 'default', spec });
const from = fromText ? Number(fromText) : 0;
const to = toText ? Number(toText) : t.times.length;
// buckets start on span boundaries, rows may not: match each row to the last bucket at or before it
const keys = [...rows.keys()].sort((x, y) => x - y);
const bucketOf = (time) => {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (keys[mid] <= time) lo = mid;
    else hi = mid - 1;
  }
  return keys[lo];
};
for (let i = from; i < to; i++) {
  if (!fromText && !(res.scores[i] > 0)) continue;
  const d = rows.get(bucketOf(t.times[i])) ?? {};
  console.log([i, t.stamps[i], t.values[i], ...(d.vals ?? []).map((x) => (typeof x === 'number' ? x.toFixed(2) : x)), (res.scores[i] * 100).toFixed(1)].join('\t'));
}
