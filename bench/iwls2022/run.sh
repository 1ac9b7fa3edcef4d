#!/usr/bin/env bash
# IWLS 2022 contest functions: `occam circuit synth` (ISOP and Shannon candidates, each through ABC, the
# smallest wins; see docs/circuit.md "Truth-table synthesis") against the best AND counts known from the
# contest (best_known.csv: the smallest of the seven teams' results).
#   bench/iwls2022/run.sh [BUILD_DIR] [SCRIPT] [DEEPSYN_SECONDS] [MAX_INPUTS]
# Defaults: build-synth, strong, 5, 16. Runs one function at a time under nice; writes the per-function
# table and the summary (geometric-mean ratio, counts within 1.0x / 1.5x / 2x) to stdout as markdown and
# the raw JSON lines to bench/iwls2022/results.jsonl. Every result is verified by exhaustive simulation
# inside `occam circuit synth` (params.verify); a mismatch would abort the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-synth}
script=${2:-strong}
deepsyn=${3:-5}
max_inputs=${4:-16}
data=${OCCAM_IWLS2022_DIR:-/work/shared/data/iwls2022}
occam="$build/apps/occam/occam"
py=/usr/bin/python3  # the system interpreter starts fast (a pyenv shim first on PATH does not)
[ -x "$py" ] || py=python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=bench/iwls2022/results.jsonl
: >"$out"
tail -n +2 "$data/best_known.csv" | while IFS=, read -r name inputs outputs _ _ _ _ _ _ _ best; do
  [ "$inputs" -le "$max_inputs" ] || continue
  start=$(date +%s.%N)
  j=$(nice "$occam" circuit synth "$data/$name.truth" --out "$work/$name.aig" --script "$script" \
        --deepsyn-seconds "$deepsyn" --json)
  end=$(date +%s.%N)
  "$py" -c 'import json,sys; j=json.loads(sys.argv[1]); j.update(benchmark=sys.argv[2], best=int(sys.argv[3]), wall=float(sys.argv[5])-float(sys.argv[4])); print(json.dumps(j)); print("%s: %d vs %d (%.1f s)" % (sys.argv[2], j["ands"], j["best"], j["wall"]), file=sys.stderr)' \
    "$j" "$name" "$best" "$start" "$end" >>"$out"
done
"$py" bench/iwls2022/table.py "$out" "$script" "$deepsyn"
