#!/bin/sh
# Reproduces bench/RESULTS.md and docs/experiments/construction.md (build with -DOCCAM_BUILD_BENCH=ON).
set -e
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cmake --build "$ROOT/$BUILD" --target bench_tetrakis construction_experiment
nice "$ROOT/$BUILD/bench/tetrakis/bench_tetrakis"
cd "$ROOT/docs/experiments"
nice "$ROOT/$BUILD/bench/tetrakis/construction_experiment" construction.dat
gnuplot construction.gp
