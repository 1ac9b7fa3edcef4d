#!/usr/bin/env bash
# Simulation throughput: occam vs ABC on the same >=100k-node AIG and the same number of patterns.
#   bench/circuit/run.sh [BUILD_DIR] [N_BITS] [WORDS]
# BUILD_DIR must be configured with -DOCCAM_BUILD_BENCH=ON (default build-circuit). The AIG is ABC's own
# N_BITS x N_BITS array multiplier (`gen -m`, strashed; N_BITS=128 gives ~130k AND nodes). Both simulate
# 64*WORDS patterns in one pass over the AIG on one core:
#   occam: simulate() (bench_circuit_sim, best of 3, thread CPU time);
#   ABC:   `sim -F 1 -W WORDS -m` — random simulation of one time frame with WORDS 64-bit words per node,
#          ABC's own bit-parallel simulator (Fra_SmlSimulate); it prints its CPU time ("Time =").
#          ABC draws its own random patterns (`sim -A` with a pattern file runs its sequential default of
#          32 frames x 8 words instead, so it is not comparable); the work of a bit-parallel sweep does not
#          depend on the pattern values, so the same AIG and the same pattern count is the same evaluation.
#          ABC's "Time" was checked against the process's user+sys time (it matches within 10%).
# node evaluations = AND nodes x patterns; the ratio is occam's best block width vs ABC's best of 3.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-circuit}
nbits=${2:-128}
words=${3:-1024}
patterns=$((64 * words))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
( cd "$work" && berkeley-abc -c "gen -m -N $nbits mult.blif; read mult.blif; strash; write_aiger mult.aig" >/dev/null )
echo "## AIG"
berkeley-abc -c "read $work/mult.aig; print_stats" | sed 's/\x1b\[[0-9;]*m//g' | grep "i/o"
echo "## occam (best of 3, per block width)"
"$build/bench/circuit/bench_circuit_sim" "$work/mult.aig" "$patterns" 3 | tee "$work/occam.jsonl"
echo "## ABC sim -F 1 -W $words -m, 3 runs"
for r in 1 2 3; do
  berkeley-abc -c "read $work/mult.aig; sim -F 1 -W $words -m" | grep -o "Time = *[0-9.]* sec" | tee -a "$work/abc.txt"
done
python3 - "$work/occam.jsonl" "$work/abc.txt" <<'PY'
import json, re, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
best = max(runs, key=lambda r: r["node_evals_per_s_cpu"])
abc_s = min(float(re.search(r"([0-9.]+)", l).group(1)) for l in open(sys.argv[2]))
evals = best["ands"] * best["patterns"]
print(f"occam: {best['cpu_s']:.4f} s CPU, {evals / best['cpu_s']:.3g} node-evals/s/core (block_words {best['block_words']})")
print(f"ABC:   {abc_s:.2f} s, {evals / abc_s:.3g} node-evals/s/core")
print(f"ratio: occam is {abc_s / best['cpu_s']:.1f}x faster")
PY
