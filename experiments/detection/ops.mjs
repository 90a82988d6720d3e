#!/usr/bin/env node
// The ops scenario (src/core/test-kit/ops-scenario.ts) through the job path the acceptance test uses:
// best score per injected event and every minor-or-above alert outside the events once learned.
// Usage: node experiments/detection/ops.mjs [SPEC_JSON] [seed]   (needs a build; the test kit is
// not in dist, so the scenario module is bundled to /tmp with esbuild on each run)
import { execFileSync } from 'node:child_process';
execFileSync('node_modules/.bin/esbuild', ['src/core/test-kit/ops-scenario.ts', '--bundle', '--format=esm', '--platform=node', '--outfile=/tmp/vigil-ops-scenario.mjs', '--log-level=error']);
const { opsScenario } = await import('/tmp/vigil-ops-scenario.mjs');
import { SeriesDetection } from '../../dist/src/engine/series-detection.js';
import '../../dist/src/core/detect/all.js';

const spec = process.argv[2] ? JSON.parse(process.argv[2]) : undefined;
const seed = Number(process.argv[3] ?? 7);
const H = 3_600_000;
const s = opsScenario(seed);
const anomalies = [];
const det = new SeriesDetection({ function: 'mean', bucketSpanMs: s.spanMs, ...(spec ? { detectorSpec: spec } : {}) }, (r) => {
  if (r.score > 0) anomalies.push({ time: r.time, score: r.score, kind: r.kind });
});
for (let i = 0; i < s.times.length; i++) det.add(s.times[i], s.values[i]);
det.flush();
const learned = s.times[0] + 14 * 24 * H;
const parts = [];
for (const e of s.events) {
  const hits = anomalies.filter((a) => a.time >= e.start - 2 * s.spanMs && a.time < Math.min(e.end, e.start + 12 * H) + s.spanMs);
  const best = hits.reduce((m, a) => (a.score > m.score ? a : m), { score: 0, kind: '-' });
  parts.push(`${e.kind} ${best.score.toFixed(0)}${best.kind !== '-' ? ` (${best.kind})` : ''}`);
}
const outside = anomalies.filter((a) => a.time >= learned && a.score >= 25 && !s.events.some((e) => a.time >= e.start - 2 * s.spanMs && a.time < e.end + 6 * H));
console.log(`OPS seed ${seed}: ${parts.join(' | ')} | outside ≥25: ${outside.length}`);
