#!/usr/bin/env bash
# IWLS 2020 "learning from examples" harness: for every function exNN, `occam fit` trains on train/exNN.train.pla,
# chooses on validation/exNN.valid.pla under the contest's budget of 5000 AND nodes, and writes exNN.aig. Each
# chosen circuit is then re-checked independently with `occam circuit eval` (AND count and validation accuracy
# from the AIGER file). Prints the markdown table (bench/iwls2020/table.py) and writes it to OUT/table.md.
# Usage: bench/iwls2020/run.sh [DATA_DIR] [OUT_DIR] [JOBS] [BUILD_DIR] [-- extra occam fit flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:-../shared/data/iwls2020}
out=${2:-runs/iwls2020}
jobs=${3:-2}
build=${4:-build}
shift $(( $# < 4 ? $# : 4 ))
[ "${1:-}" = "--" ] && shift
extra="$*"
occam=$(realpath "$build/apps/occam/occam")
mkdir -p "$out"
# The settings measured in docs/experiments/iwls2020.md: a small ResNet, an ℓ1 path, magnitude pruning with
# fine-tuning, 2–4 bit quantisation; occam fit's defaults add the input selection from the data, the float and
# quantised truth-table routes on views of ≤ 16 inputs, the lookup tables and per-word LUTs (docs/fit.md).
fit_flags="--max-ands 5000 --hidden 16 --depth 2 --epochs 30 --lambdas 1e-4,1e-3,3e-3 --keep 1,0.3,0.1,0.03
  --bits 2,3,4 --threads 1 --no-plots --no-progress $extra"
export occam data out fit_flags
run_one() {
  f=$1
  ex=$(basename "$f" .train.pla)
  valid="$data/validation/$ex.valid.pla"
  start=$(date +%s.%N)
  if "$occam" fit --data "$f" --valid "$valid" --out "$out/$ex" $fit_flags >"$out/$ex.log" 2>&1; then
    end=$(date +%s.%N)
    cp "$out/$ex/circuit.aig" "$out/$ex.aig"
    "$occam" circuit eval "$out/$ex.aig" --data "$valid" --json >"$out/$ex.eval.json"
    awk "BEGIN{print $end - $start}" >"$out/$ex.seconds"
  else
    echo "FAILED $ex (see $out/$ex.log)" >&2
  fi
}
export -f run_one
ls "$data"/train/*.train.pla | xargs -P "$jobs" -I{} bash -c 'run_one {}'
python3 bench/iwls2020/table.py "$out" | tee "$out/table.md"
