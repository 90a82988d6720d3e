#!/usr/bin/env node
// Per-file view of a results folder at one threshold: where each detection falls relative to NAB's
// windows (position p in [-1, 0] inside, distance in widths after the previous window outside).
// Usage: node experiments/detection/analyse.mjs RESULTS_DIR/DETECTOR DATA_DIR THRESHOLD [filter]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [resDir, dataDir, thr, filter] = process.argv.slice(2);
const threshold = Number(thr);
const windows = JSON.parse(readFileSync(join(dataDir, 'labels/combined_windows.json'), 'utf8'));
const ts = (s) => Date.parse(s.replace(' ', 'T').slice(0, 19) + 'Z');
let totFp = 0;
let totTp = 0;
let totMiss = 0;
for (const cat of readdirSync(resDir).sort()) {
  for (const f of readdirSync(join(resDir, cat)).sort()) {
    const name = `${cat}/${f.replace(/^[^_]+_/, '')}`;
    if (filter && !name.includes(filter)) continue;
    const lines = readFileSync(join(resDir, cat, f), 'utf8').trim().split(/\r?\n/).slice(1);
    const rows = lines.map((l) => l.split(','));
    const times = rows.map((r) => ts(r[0]));
    const scores = rows.map((r) => Number(r[2]));
    const n = rows.length;
    const prob = Math.min(Math.floor(0.15 * n), 750);
    const wins = (windows[name] ?? []).map(([a, b]) => {
      const s = times.findIndex((t) => t >= ts(a));
      let e = times.findIndex((t) => t > ts(b));
      if (e < 0) e = n;
      return [s, e - 1];
    });
    const parts = [];
    let fp = 0;
    const best = new Map();
    for (let i = prob; i < n; i++) {
      if (!(scores[i] >= threshold)) continue;
      const wi = wins.findIndex(([s, e]) => i >= s && i <= e);
      if (wi >= 0) {
        const [s, e] = wins[wi];
        const p = -(e - i + 1) / (e - s + 1);
        if (!best.has(wi)) {
          best.set(wi, p);
          parts.push(`W${wi}@${p.toFixed(2)}(${(scores[i] * 100).toFixed(0)})`);
        }
      } else {
        fp++;
        let prev = -1;
        for (let k = 0; k < wins.length; k++) if (wins[k][1] < i) prev = k;
        const d = prev >= 0 ? (i - wins[prev][1]) / (wins[prev][1] - wins[prev][0]) : Infinity;
        parts.push(`fp${i}${d < 3 ? `+${d.toFixed(1)}w` : ''}(${(scores[i] * 100).toFixed(0)})`);
      }
    }
    const miss = wins.filter((w, k) => !best.has(k) && w[1] >= prob).length;
    totFp += fp;
    totTp += best.size;
    totMiss += miss;
    const ww = wins.length ? wins[0][1] - wins[0][0] + 1 : 0;
    console.log(`${name} n=${n} prob=${prob} win=${ww} [${wins.map((w) => w.join('-')).join(' ')}] fp=${fp} miss=${miss}\n   ${parts.join(' ')}`);
  }
}
console.log(`detected ${totTp}, missed ${totMiss}, fp ${totFp}`);
