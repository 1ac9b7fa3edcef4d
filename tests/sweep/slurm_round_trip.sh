#!/usr/bin/env bash
# The Slurm round trip of `occam sweep` (docs/sweep.md): a one-node cluster on localhost (scripts/start-slurm),
# the specs tests/sweep/round_trip_{fit,convex}.toml run once on the local executor and once as sbatch array
# jobs; the collected tables (without times) must be equal. The daemons are stopped at the end.
# Usage: tests/sweep/slurm_round_trip.sh BUILD_DIR. Skips (exit 0, with a message) only when neither root nor
# sudo is available.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
occam=$(realpath "$build/apps/occam/occam")
as_root=()
if [[ $(id -u) != 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "slurm round trip: SKIPPED (needs root or passwordless sudo to start slurmctld/slurmd)"
    exit 0
  fi
fi
work=$(mktemp -d /tmp/occam-sweep-slurm.XXXXXX)
cluster=$work/cluster
stop() { "${as_root[@]}" scripts/stop-slurm "$cluster" || true; }
trap stop EXIT
eval "$("${as_root[@]}" scripts/start-slurm "$cluster")"
export SLURM_CONF
status=0
for kind in fit convex; do
  for ex in local slurm; do
    sed "s|^out = \"OUT\"|out = \"$work/$kind-$ex\"|" "tests/sweep/round_trip_$kind.toml" >"$work/$kind-$ex.toml"
  done
  "$occam" sweep run "$work/$kind-local.toml" --no-progress
  "$occam" sweep run "$work/$kind-slurm.toml" --executor slurm
  # Wait for the array job: every point done or finished otherwise (failed, timed out).
  for _ in $(seq 1 600); do
    if [[ -z $(squeue -h 2>/dev/null) ]]; then break; fi
    sleep 1
  done
  "$occam" sweep status "$work/$kind-slurm"
  for ex in local slurm; do
    "$occam" sweep collect "$work/$kind-$ex" --no-times >/dev/null
    # Paths inside the reports name the output root: replace it before comparing.
    sed "s|$work/$kind-$ex|OUT|g" "$work/$kind-$ex/collect/table.json" >"$work/$kind-$ex.table.json"
  done
  if cmp -s "$work/$kind-local.table.json" "$work/$kind-slurm.table.json" &&
    grep -q '"state": "done"' "$work/$kind-slurm.table.json" &&
    ! grep -q '"state": "\(failed\|timed-out\|not-run\)"' "$work/$kind-slurm.table.json"; then
    echo "slurm round trip ($kind): the sbatch array's table equals the local executor's"
  else
    echo "slurm round trip ($kind): FAILED, tables differ or runs failed:" >&2
    diff "$work/$kind-local.table.json" "$work/$kind-slurm.table.json" >&2 || true
    status=1
  fi
done
stop
trap - EXIT
if [[ $status == 0 ]]; then rm -rf "$work"; else echo "kept $work for inspection" >&2; fi
exit $status
