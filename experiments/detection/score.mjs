#!/usr/bin/env node
// One-line summary of a detector configuration on nab-dev and the synthetic suite (seed 1).
// Usage: node experiments/detection/score.mjs [--detector NAME] [--spec JSON] [--require MODULE] [--per-file]
// Needs a build (node scripts/ensure-ready.mjs) and /tmp/synth (node bin/vigil.js synth --out /tmp/synth --seed 1).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
const pass = [];
let det = 'default';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--detector') det = args[++i];
  else pass.push(args[i]);
}
if (!existsSync('/tmp/synth')) execFileSync('node', ['bin/vigil.js', 'synth', '--out', '/tmp/synth', '--seed', '1']);
function run(dir) {
  const out = execFileSync('node', ['bin/vigil.js', 'eval', dir, '--detector', det, '--format', 'json', '--out', `/tmp/er-${process.pid}`, ...pass], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out)[0];
}
const nab = run('../shared/data/nab-dev');
const syn = run('/tmp/synth');
const f = (x) => x.toFixed(1);
const cats = nab.categories.filter((c) => c.nab.standard !== null).map((c) => `${c.category.replace(/^(real|artificial)/, '').slice(0, 6)} ${f(c.nab.standard)}`).join(' | ');
console.log(`NAB ${f(nab.nab.standard)}/${f(nab.nab.reward_low_FP_rate)}/${f(nab.nab.reward_low_FN_rate)} F1 ${nab.regions.f1} (tp ${nab.regions.tp} fp ${nab.regions.fp} tad ${nab.regions.tad}/${nab.regions.ta}) ${nab.seconds}s`);
console.log(`    ${cats}`);
const weak = syn.kinds.filter((k) => k.rate < 0.8).map((k) => `${k.kind} ${Math.round(k.rate * 100)}%`).join(', ');
console.log(`SYN ${f(syn.nab.standard)}/${f(syn.nab.reward_low_FP_rate)}/${f(syn.nab.reward_low_FN_rate)} F1 ${syn.regions.f1} (tp ${syn.regions.tp} fp ${syn.regions.fp} tad ${syn.regions.tad}/${syn.regions.ta}) ${syn.seconds}s  <80%: ${weak || 'none'}`);
