#!/bin/sh
# docs/experiments/frank-wolfe.md: circuit size against error for `occam fw` (THEORY §9) on sine:2 and sine:3,
# the fitted rate, and the duality-gap curve. Writes frank-wolfe.dat, frank-wolfe-gap.dat, frank-wolfe-fit.txt
# and frank-wolfe.png next to this script.  Usage: docs/experiments/frank-wolfe.sh [BUILD_DIR] [RUN_DIR]
set -e
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${2:-$ROOT/runs/fw-experiment}
B="$ROOT/$BUILD/apps/occam/occam"
PY=/usr/bin/python3
cd "$ROOT/docs/experiments"
echo "# task gauge levels max_gates iters tau ands vertex_sum_ands atoms atom_gates train_rmse valid_rmse test_rmse" > frank-wolfe.dat
for gauge in real-to-bin gates; do
for task in sine:2 sine:3; do
  for T in 4 8 16 32 64 128; do
    dir="$RUNS/$gauge-$(echo "$task" | tr : -)-T$T"
    nice "$B" fw --task "$task" --samples 4000 --valid-fraction 0.2 --test-fraction 0.2 --levels 3 --max-gates 3 \
      --tau 4,8,16,32 --iters "$T" --fraction-bits 10 --gauge "$gauge" --input-bits 10 --output-fraction-bits 10 \
      --out "$dir" > /dev/null
    $PY - "$task" "$T" "$gauge" "$dir/report.json" >> frank-wolfe.dat <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[4]))
e = r["errors"]
c = r["circuit"]
print(sys.argv[1], sys.argv[3], 3, r["max_gates"], sys.argv[2], r["tau_selected"], c["ands"], c["vertex_sum_ands"],
      r["atoms"], r["atom_gates"], e["train"]["rmse"], e["valid"]["rmse"], e["test"]["rmse"])
PYEOF
  done
done
done
# Duality-gap curves of the longest runs (the selected τ).
$PY - "$RUNS" > frank-wolfe-gap.dat <<'PYEOF'
import json, sys
for task in ("sine-2", "sine-3"):
    d = f"{sys.argv[1]}/real-to-bin-{task}-T128"
    tau = json.load(open(d + "/report.json"))["tau_selected"]
    print(f"# {task} tau={tau}: iteration objective gap")
    for line in open(d + "/metrics.jsonl"):
        j = json.loads(line)
        if j["tau"] == tau:
            print(j["iteration"], j["objective"], j["gap"])
    print("\n")
PYEOF
# The ResNet route (`occam fit`, THEORY §1–4) on the same split, when this build has it: its size/error points
# (error = validation RMSE of each compiled circuit). --resume reuses a finished run.
# SKIP_FIT=1 keeps the existing frank-wolfe-resnet.dat.
if [ "${SKIP_FIT:-0}" != 1 ] && "$B" fit --help > /dev/null 2>&1; then
  echo "# task valid_rmse ands (occam fit points)" > frank-wolfe-resnet.dat
  for task in sine:2 sine:3; do
    dir="$RUNS/fit-$(echo "$task" | tr : -)"
    nice "$B" fit --task "$task" --samples 4000 --valid-fraction 0.2 --test-fraction 0.2 --epochs 20 \
      --lambdas 1e-4 1e-3 --keep 1 0.25 0.0625 --bits 4 6 --max-compile 6 --no-plots --no-progress --threads 1 \
      --resume --out "$dir" > /dev/null || continue
    $PY - "$task" "$dir/points.csv" >> frank-wolfe-resnet.dat <<'PYEOF'
import csv, sys
for row in csv.DictReader(open(sys.argv[2])):
    print(sys.argv[1], row["error"], row["size"])
PYEOF
  done
fi
# Fitted rate: least-squares slope of log(size) against log(1/validation RMSE), per task and gauge, for the
# real size (ands) and for the vertex sums alone.
$PY - > frank-wolfe-fit.txt <<'PYEOF'
import math
rows = [l.split() for l in open("frank-wolfe.dat") if not l.startswith("#")]
def fit(pts):
    n = len(pts)
    mx = sum(p[0] for p in pts) / n; my = sum(p[1] for p in pts) / n
    sxx = sum((p[0] - mx) ** 2 for p in pts); sxy = sum((p[0] - mx) * (p[1] - my) for p in pts)
    slope = sxy / sxx
    res = sum((p[1] - my - slope * (p[0] - mx)) ** 2 for p in pts)
    return slope, (math.sqrt(res / (n - 2) / sxx) if n > 2 else float("nan")), n
for gauge in ("real-to-bin", "gates"):
    for task in ("sine:2", "sine:3"):
        for col, what in ((6, "real-to-bin ANDs"), (7, "vertex-sum ANDs")):
            pts = [(math.log(1 / float(r[11])), math.log(float(r[col]))) for r in rows
                   if r[0] == task and r[1] == gauge and int(r[col]) > 0]
            s, se, n = fit(pts)
            print(f"{task} gauge={gauge} size={what}: gamma_hat = {s:.3f} +- {se:.3f} ({n} points)")
PYEOF
cat frank-wolfe-fit.txt
gnuplot frank-wolfe.gp
