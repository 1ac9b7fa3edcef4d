#!/usr/bin/env python3
"""The IWLS 2022 table from an `occam sweep` of bench/iwls2022/fit_exact.toml: joins each run's report.json and
wall time (status.json) with the best known AND count (best_known.csv next to the truth tables), writes the JSON
lines to RESULTS (default SWEEP_DIR/results_fit_exact.jsonl; bench/iwls2022/results_fit_exact.jsonl holds the full
run of bench/RESULTS.md) and prints bench/iwls2022/table.py's table. Standard library only.
Usage: sweep_table.py SWEEP_DIR [DEEPSYN_SECONDS] [RESULTS]"""
import csv
import json
import pathlib
import subprocess
import sys

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "runs/iwls2022-exact")
deepsyn = sys.argv[2] if len(sys.argv) > 2 else "5"
manifest = json.loads((out / "sweep.json").read_text())
rows = []
for p in manifest["points"]:
    run = pathlib.Path(p["dir"])
    status = json.loads((run / "status.json").read_text()) if (run / "status.json").exists() else None
    if not status or status["exit_code"] != 0 or status["hash"] != p["hash"]:
        print(f"FAILED or missing: {p['values']['data']} (see {run}/stderr.txt)", file=sys.stderr)
        continue
    truth = pathlib.Path(p["values"]["data"])
    best = {r["benchmark"]: int(r["best"]) for r in csv.DictReader(open(truth.parent / "best_known.csv"))}
    name = truth.stem
    j = json.loads((run / "report.json").read_text())
    j.update(benchmark=name, best=best[name], wall=status["wall_s"])
    rows.append(j)
rows.sort(key=lambda r: r["benchmark"])
results = pathlib.Path(sys.argv[3]) if len(sys.argv) > 3 else out / "results_fit_exact.jsonl"
results.write_text("".join(json.dumps(r) + "\n" for r in rows))
subprocess.run([sys.executable, str(pathlib.Path(__file__).parent / "table.py"), str(results), "strong", deepsyn],
               check=True)
