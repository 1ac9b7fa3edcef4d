#!/usr/bin/env bash
# Reproduces docs/experiments/repopulation.md (THEORY §11). Usage: docs/experiments/repopulation.sh [OCCAM] [WORKDIR]
# Cheap on purpose (a shared, heavily loaded 2-core machine): the first 10 000 training images, the full 10 000-image
# test split, one CPU thread, few epochs.
set -euo pipefail
OCCAM=${1:-build/apps/occam/occam}
W=${2:-runs/repopulation}
mkdir -p "$W"
DATA=(--fashion-mnist --max-rows 10000)
export OMP_NUM_THREADS=1
J() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

# 0. Convexity along mixtures: two pairs of 784 → 128 → 128 → 10 networks, one pair trained with each penalty.
for pen in l12 l2; do
  for seed in 1 2; do
    [ -f "$W/mix-$pen-$seed.nfr" ] || nice "$OCCAM" nfr train "${DATA[@]}" --hidden 128,128 --penalty $pen \
      --lambda 1e-3 --epochs 5 --lr 2e-2 --seed $seed --out "$W/mix-$pen-$seed.nfr" > /dev/null
  done
  nice "$OCCAM" nfr mix "$W/mix-$pen-1.nfr" "$W/mix-$pen-2.nfr" "${DATA[@]}" --grid 21 --lambda 1e-3 \
    --csv "$W/mix-$pen.csv" > "$W/mix-$pen.txt"
done

# 1. A wide network: 784 → 4096 → 10, ℓ_{1,2} penalty.
[ -f "$W/wide.nfr" ] || nice "$OCCAM" nfr train "${DATA[@]}" --hidden 4096 --penalty l12 --lambda 1e-3 \
  --epochs 8 --lr 2e-2 --seed 1 --out "$W/wide.nfr" --metrics "$W/wide.jsonl" > "$W/wide.json"

# 2. Sub-networks of 10 / 30 / 100 units: importance sampling with the repopulation masses vs uniform sampling,
#    then only the output layer is retrained (20 epochs of Adam). 5 draws each.
echo "n,sampling,seed,acc_resampled,acc_retrained" > "$W/subnets.csv"
for n in 10 30 100; do
  for s in repopulation uniform; do
    for seed in 1 2 3 4 5; do
      nice "$OCCAM" nfr repopulate "$W/wide.nfr" "${DATA[@]}" --resample $n --sampling $s --seed $seed \
        --retrain-epochs 20 --lr 1e-2 --out "$W/sub-$n-$s-$seed.nfr" > "$W/sub-$n-$s-$seed.json"
      acc=$(J "j['after_repopulation_eval']['test']['accuracy'], j['after']['eval']['test']['accuracy']" < "$W/sub-$n-$s-$seed.json")
      echo "$n,$s,$seed,$(echo $acc | tr ' ' ',')" >> "$W/subnets.csv"
    done
  done
done

# 2b. Control: the whole wide network with its output layer retrained the same way (20 epochs, after re-weighting,
#     which does not change the function).
[ -f "$W/wide-retrained.json" ] || nice "$OCCAM" nfr repopulate "$W/wide.nfr" "${DATA[@]}" --retrain-epochs 20 \
  --lr 1e-2 --out "$W/wide-retrained.nfr" > "$W/wide-retrained.json"

# 3. Alternating training and repopulation (re-weighting after every epoch) vs plain training.
for every in 0 1; do
  [ -f "$W/alt-$every.nfr" ] || nice "$OCCAM" nfr train "${DATA[@]}" --hidden 1024 --penalty l12 --lambda 1e-3 \
    --epochs 8 --lr 2e-2 --seed 2 --repopulate-every $every --out "$W/alt-$every.nfr" \
    --metrics "$W/alt-$every.jsonl" > "$W/alt-$every.json"
done

