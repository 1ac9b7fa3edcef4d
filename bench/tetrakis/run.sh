#!/bin/sh
# Reproduces bench/RESULTS.md and docs/experiments/construction.md (build with -DOCCAM_BUILD_BENCH=ON).
set -e
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cmake --build "$ROOT/$BUILD" --target bench_tetrakis construction_experiment real_to_bin_sizes multilevel_experiment
nice "$ROOT/$BUILD/bench/tetrakis/bench_tetrakis"
# docs/tetrakis.md, "Real-to-bin circuits": the size split table.
"$ROOT/$BUILD/bench/tetrakis/real_to_bin_sizes"
cd "$ROOT/docs/experiments"
nice "$ROOT/$BUILD/bench/tetrakis/construction_experiment" construction.dat
gnuplot construction.gp
# docs/experiments/construction.md, "Multilevel decomposition (Prop 8)".
"$ROOT/$BUILD/bench/tetrakis/multilevel_experiment" multilevel.dat
