#!/usr/bin/env bash
# IWLS 2022 through the main job's exact mode: `occam fit --exact` on every function (the same library call as
# `occam circuit synth`, run.sh), JOBS at a time; then the same table as run.sh (bench/iwls2022/table.py).
#   bench/iwls2022/fit_exact.sh [BUILD_DIR] [DEEPSYN_SECONDS] [JOBS] [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
deepsyn=${2:-5}
jobs=${3:-2}
data=${4:-${OCCAM_IWLS2022_DIR:-../shared/data/iwls2022}}
occam=$(realpath "$build/apps/occam/occam")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export occam data work deepsyn
one() {
  IFS=, read -r name inputs outputs _ _ _ _ _ _ _ best <<<"$1"
  start=$(date +%s.%N)
  "$occam" fit --exact --data "$data/$name.truth" --out "$work/$name" --exact-script strong \
    --deepsyn-seconds "$deepsyn" >"$work/$name.log" 2>&1 || { echo "FAILED $name" >&2; return; }
  end=$(date +%s.%N)
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); j.update(benchmark=sys.argv[2], best=int(sys.argv[3]), wall=float(sys.argv[5])-float(sys.argv[4])); print(json.dumps(j))' \
    "$work/$name/report.json" "$name" "$best" "$start" "$end" >"$work/$name.jsonl"
}
export -f one
tail -n +2 "$data/best_known.csv" | xargs -P "$jobs" -I{} bash -c 'one "{}"'
out=bench/iwls2022/results_fit_exact.jsonl
cat "$work"/ex*.jsonl | sort >"$out"
python3 bench/iwls2022/table.py "$out" strong "$deepsyn"
