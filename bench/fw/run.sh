#!/bin/sh
# Reproduces bench/RESULTS.md: enumeration / oracle throughput (m = 8 inputs, s ≤ 5) and the cross-check
# of the enumerator's least AIG sizes against ABC's SAT-based exact synthesis (`twoexact -a`: AND/OR gates
# with free inverters = the AIG basis). Build with -DOCCAM_BUILD_BENCH=ON.
#   bench/fw/run.sh [BUILD_DIR] [MAX_S]
set -e
BUILD=${1:-build}
MAX_S=${2:-5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B="$ROOT/$BUILD/bench/fw/bench_fw"
cmake --build "$ROOT/$BUILD" --target bench_fw
nice "$B" "$MAX_S"
ABC=$(command -v berkeley-abc || command -v abc || true)
if [ -z "$ABC" ]; then echo "no ABC binary: skipping the twoexact cross-check"; exit 0; fi
echo
echo "## ABC twoexact -a cross-check (least AIG size: N = cost is realisable, N = cost − 1 is not; functions with full support, sampled per cost)"
echo
echo "| inputs | s | functions checked | agree | disagree | ABC seconds (2 SAT runs each) | ABC s/function | occam enumeration s/function |"
echo "|---|---|---|---|---|---|---|---|"
check() {  # m s count
  m=$1; s=$2; n=$3
  tmp=$(mktemp)
  "$B" dump "$m" "$s" "$n" 7 > "$tmp"
  agree=0; disagree=0; checked=0
  t0=$(date +%s.%N)
  while read -r hex cost; do
    [ "$cost" -eq 0 ] && continue
    checked=$((checked + 1))
    ok=1
    "$ABC" -c "twoexact -a -I $m -N $cost $hex" 2>&1 | grep -q "Realization" || ok=0
    if [ "$cost" -gt 1 ]; then
      # "The problem has no solution" or "cannot be implemented with N two-input gates".
      if "$ABC" -c "twoexact -a -I $m -N $((cost - 1)) $hex" 2>&1 | grep -q "Realization"; then ok=0; fi
    fi
    if [ $ok -eq 1 ]; then agree=$((agree + 1)); else disagree=$((disagree + 1)); echo "DISAGREE: $m inputs, $hex, occam cost $cost" >&2; fi
  done < "$tmp"
  t1=$(date +%s.%N)
  rm -f "$tmp"
  occam_s=$("$B" time "$m" "$s" 2>/dev/null || echo "?")
  echo "| $m | $s | $checked | $agree | $disagree | $(echo "$t1 - $t0" | bc) | $(echo "scale=4; ($t1 - $t0) / $checked" | bc) | $occam_s |"
}
check 3 6 400
check 4 5 60
check 5 5 60
