#!/usr/bin/env bash
# Training throughput of `occam train` against the same ResNet, data shape, batch, optimiser and thread count in
# PyTorch (Debian's python3-torch, the same libtorch 1.13), run back to back in this script. Prints a markdown
# table with the ratio occam time / PyTorch time (< 1: occam is faster).
# Usage: bench/nn/train_throughput.sh [threads] [build dir]
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-1}
build=${2:-build}
occam=$build/apps/occam/occam
py=/usr/bin/python3   # Debian's python3, which owns python3-torch
# The same thread budget for both: PyTorch's intra-op pool and OpenBLAS's own pool (occam's --threads sets both).
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
n=8192; d_in=16; batch=128
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| (w, k, L) | batch | threads | occam samples/s | PyTorch samples/s | time ratio occam/PyTorch |"
echo "|---|---|---|---|---|---|"
for cfg in "32 32 4 60" "128 128 8 20" "256 256 16 5"; do
  read -r w k L epochs <<<"$cfg"
  best_o=0; best_p=0
  for rep in 1 2 3; do  # best of 3, occam and PyTorch alternating
    "$occam" train --task "sine:$d_in" --samples $((n * 5 / 4)) --valid-fraction 0.2 --width "$w" --hidden "$k" \
      --depth "$L" --epochs "$epochs" --batch $batch --lr 1e-3 --threads "$threads" --out "$tmp/o" --no-progress >/dev/null
    o=$($py -c "import json;print(json.load(open('$tmp/o/summary.json'))['samples_per_second'])")
    p=$($py bench/nn/train_peer.py --n $n --d-in $d_in --width "$w" --hidden "$k" --depth "$L" --batch $batch \
      --epochs "$epochs" --threads "$threads" | $py -c "import json,sys;print(json.load(sys.stdin)['samples_per_second'])")
    best_o=$($py -c "print(max($best_o,$o))"); best_p=$($py -c "print(max($best_p,$p))")
  done
  $py -c "print(f'| ($w, $k, $L) | $batch | $threads | {$best_o:,.0f} | {$best_p:,.0f} | {$best_p/$best_o:.2f} |')"
done
