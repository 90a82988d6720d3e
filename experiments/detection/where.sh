#!/bin/sh
# Per-file detections of the default detector (or SPEC) on one corpus at its standard-profile threshold.
# Usage: sh experiments/detection/where.sh nab|syn [SPEC_JSON] [filter]
set -e
case "$1" in nab) dir=../shared/data/nab-dev ;; syn) dir=/tmp/synth ;; *) echo "nab|syn" >&2; exit 2 ;; esac
out=/tmp/where-$1
rm -rf "$out"
node bin/vigil.js eval "$dir" --detector default ${2:+--spec "$2"} --format json --out "$out" > "$out.json"
thr=$(node -e "console.log(require('$out.json')[0].thresholds.standard)")
echo "threshold $thr"
node experiments/detection/analyse.mjs "$out/default" "$dir" "$thr" $3
