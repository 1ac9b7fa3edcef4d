#!/usr/bin/env bash
# Per-word truth-table synthesis (network_to_circuit_params::lut_inputs = K) against the arithmetic
# compiler (K = 0) on the pruned networks that `occam fit` makes for an IWLS 2020 function (THEORY §4).
# 1. `occam fit` under the contest rules (5000 ANDs) writes its pruned models to OUT/EX/pruned/*.occam;
# 2. bench/compile/lut_sweep quantises each at the bit widths BITS, compiles it with every K, checks each
#    circuit against the integer network on the validation rows, and prints a markdown table (ANDs before
#    and after ABC `fast`, compile time) to OUT/EX.md.
# Usage: [FIT_FLAGS='...'] bench/compile/run.sh [EX] [BUILD_DIR] [OUT_DIR] [KS] [BITS]
#   e.g. bench/compile/run.sh ex80 build runs/lut-bench 0,8,12,16 2,3,4
# Only the pruned models of the fit are used (they do not depend on ABC), so the fit skips ABC per candidate.
# Needs a build with -DOCCAM_BUILD_BENCH=ON (target lut_sweep) and the occam binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
ex=${1:-ex80}
build=${2:-build}
out=${3:-runs/lut-bench}
ks=${4:-0,8,12,16}
bits=${5:-2,3,4}
data=../shared/data/iwls2020
mkdir -p "$out"
nice "$build/apps/occam/occam" fit --data "$data/train/$ex.train.pla" --valid "$data/validation/$ex.valid.pla" \
  --max-ands 5000 --out "$out/$ex" --threads 1 --no-progress --no-plots --resume --abc '' ${FIT_FLAGS:-} \
  >"$out/$ex.fit.log" 2>&1
nice "$build/bench/compile/lut_sweep" "$data/validation/$ex.valid.pla" "$ks" "$bits" "$out/$ex"/pruned/*.occam |
  tee "$out/$ex.md"
python3 bench/compile/summarize.py "$out/$ex.md" | tee "$out/$ex.summary.md"
