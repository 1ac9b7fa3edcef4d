#!/bin/bash
# Usage: bench/complexity/trained_r.sh > table.md (needs build/apps/occam/occam; about 2 minutes on 1 core).
# R/R̃ of trained THEORY §1 ResNets at depths 1..8 (docs/experiments/construction.md, "Trained networks").
B=${B:-build/apps/occam/occam}
OUT=${OUT:-runs/trained-r}
printf "| task | w | k | L | penalty | R̃ | certified R | column certificate | R/R̃ |\n|---|---:|---:|---:|---|---:|---:|---:|---:|\n"
for task in adder-msb:6 sine:2 parity:6; do
 for L in 1 2 4 8; do
  for pen in none rtilde; do
   d=$OUT/$task-$L-$pen; extra=""; [[ $pen == rtilde ]] && extra="--penalty rtilde --lambda 1e-3 --prox"
   $B train --task $task -w 16 -k 16 -L $L --epochs 30 $extra --out $d -t 1 >/dev/null 2>&1 || { echo "train failed $d"; continue; }
   $B complexity $d/model.occam --task $task --json > $d/c.json 2>/dev/null || { echo "complexity failed $d"; continue; }
   python3 - "$d/c.json" "$task" "$L" "$pen" <<'PY'
import json,sys
j=json.load(open(sys.argv[1])); rt=j["rtilde"]; r=j["r"]; rc=j["r_column_certificate"]
print(f"| {sys.argv[2]} | 16 | 16 | {sys.argv[3]} | {sys.argv[4]} | {rt:.4g} | {r:.4g} | {rc:.4g} | {r/rt:.3g} |")
PY
  done
 done
done
