#!/usr/bin/env bash
# Regenerates the M4 Weekly tables of docs/forecasting.md:
#   bash experiments/forecast/m4-weekly.sh [DATA_DIR]
# Vigil's models (periods detected per series, then period 52 given), then — when R's forecast
# package and python3-statsmodels are installed — the same series through them, scored by Vigil's
# scorer. Prints markdown rows.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-/work/shared/data/m4-weekly}"
npx tsc -p tsconfig.build.json >&2 || echo "(tsc reported errors, elsewhere in the tree as a rule; using what it emitted)" >&2
md() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const r of JSON.parse(s))console.log(`| ${r.model}${process.argv[1]} | ${r.smape.toFixed(3)} | ${r.mase.toFixed(3)} | ${r.owa.toFixed(3)} | ${r.msis.toFixed(3)} | ${r.coverage.toFixed(3)} | ${r.seconds.toFixed(2)} |`)})' "$1"; }
hdr() { echo; echo "$1"; echo; echo "| model | sMAPE | MASE | OWA | MSIS | cov95 | seconds |"; echo "| --- | --- | --- | --- | --- | --- | --- |"; }
hdr "### periods from the weekly step (--bucket-span 7d)"
node bin/vigil.js eval-forecast "$DATA/Weekly-train.csv" "$DATA/Weekly-test.csv" --period 1 --horizon 13 --bucket-span 7d --format json | md ""
hdr "### blind detection (no step)"
node bin/vigil.js eval-forecast "$DATA/Weekly-train.csv" "$DATA/Weekly-test.csv" --period 1 --horizon 13 \
  --models snaive,ses,damped,theta,mstl,auto --format json | md " (blind)"
hdr "### period 52 given"
node bin/vigil.js eval-forecast "$DATA/Weekly-train.csv" "$DATA/Weekly-test.csv" --period 1 --horizon 13 --model-period 52 \
  --models ses,holt,damped,theta,mstl,auto --format json | md " (period 52)"
echo; echo "### holdout from the train series (their last 13 values) and the same variants on the test"
node dist/experiments/forecast/periods.js holdout blindOld,stepOld,p52,blind,step "$DATA/"
node dist/experiments/forecast/periods.js test blindOld,stepOld,p52,blind,step "$DATA/"
[ "${VIGIL_SKIP_EXTERNAL:-}" = 1 ] && exit 0
TMP="$(mktemp -d)"
if command -v Rscript >/dev/null && Rscript -e 'library(forecast)' >/dev/null 2>&1; then
  Rscript experiments/forecast/r-forecast.R "$DATA" "$TMP/r.csv"
  node dist/experiments/forecast/score-external.js "$DATA" "$TMP/r.csv"
else
  echo "(R forecast package not installed: skipped)" >&2
fi
if /usr/bin/python3 -c 'import statsmodels' 2>/dev/null; then
  /usr/bin/python3 experiments/forecast/statsmodels_forecast.py "$DATA" "$TMP/sm.csv"
  node dist/experiments/forecast/score-external.js "$DATA" "$TMP/sm.csv"
else
  echo "(python3-statsmodels not installed: skipped)" >&2
fi
