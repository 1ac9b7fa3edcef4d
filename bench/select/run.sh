#!/bin/sh
# Input selection on all 90 IWLS 2020 functions (bench/RESULTS.md, "Input selection"): the validation accuracy of the
# lookup table over the selected inputs for max_inputs 8, 12, 16, the selection time, and `occam fit`'s
# accuracy from bench/iwls2020/last_table.md. Usage: bench/select/run.sh [BUILD_DIR] [extra bench_select flags]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
[ $# -gt 0 ] && shift
cmake --build "$build" --target bench_select >/dev/null
fns=$(seq -f 'ex%02g' 0 89)
nice "$build/bench/select/bench_select" --data "$root/../shared/data/iwls2020" \
  --table "$root/bench/iwls2020/last_table.md" --max-inputs 8,12,16 "$@" $fns
