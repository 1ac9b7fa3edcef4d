#!/usr/bin/env python3
"""Summarises an `occam sweep` of bench/iwls2020/sweep.toml: one row per function (validation accuracy and AND
count re-measured from each run's circuit.aig by `occam circuit eval`, the chosen route, seconds from
status.json) and the averages. Standard library only.
Usage: table.py [SWEEP_DIR] [BUILD_DIR]"""
import json
import pathlib
import subprocess
import sys

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "runs/iwls2020")
occam = str(pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "build") / "apps" / "occam" / "occam")
manifest = json.loads((out / "sweep.json").read_text())
rows = []
for p in manifest["points"]:
    run = pathlib.Path(p["dir"])
    ex = pathlib.Path(p["values"]["data"]).name.split(".")[0]
    status = json.loads((run / "status.json").read_text()) if (run / "status.json").exists() else None
    if not status or status["exit_code"] != 0 or status["hash"] != p["hash"]:
        print(f"FAILED or missing: {ex} (see {run}/stderr.txt)", file=sys.stderr)
        continue
    ev = json.loads(subprocess.run([occam, "circuit", "eval", str(run / "circuit.aig"), "--data", p["values"]["valid"],
                                    "--json"], check=True, capture_output=True, text=True).stdout)
    rep = json.loads((run / "report.json").read_text())
    ch = rep["chosen"] or {}
    rows.append((ex, rep["data"]["inputs"], ev["accuracy"], ev["ands"], ev["depth"], ch.get("label", "-"),
                 status["wall_s"], ch.get("valid_metric", float("nan")), ch.get("route", "-")))
lines = ["| function | inputs | validation accuracy | ANDs | depth | chosen candidate | seconds |", "|---|---|---|---|---|---|---|"]
for ex, n_in, acc, ands, depth, label, secs, rep_acc, _ in rows:
    flag = "" if abs(acc - rep_acc) < 1e-9 else " (report says %.4f)" % rep_acc
    lines.append(f"| {ex} | {n_in} | {acc:.4f}{flag} | {ands} | {depth} | {label} | {secs:.0f} |")
if rows:
    n = len(rows)
    over = sum(1 for r in rows if r[3] > 5000)
    lines.append("")
    lines.append(f"**{n} functions: mean validation accuracy {sum(r[2] for r in rows) / n:.4f}, mean "
                 f"{sum(r[3] for r in rows) / n:.0f} AND nodes, max {max(r[3] for r in rows)}, {over} over the 5000 "
                 f"budget; mean {sum(r[6] for r in rows) / n:.0f} s per function.**")
    routes = {}
    for r in rows:
        routes[r[8]] = routes.get(r[8], 0) + 1
    lines.append("")
    lines.append("Chosen routes: " + ", ".join(f"{k} {v}" for k, v in sorted(routes.items(), key=lambda kv: -kv[1])) + ".")
text = "\n".join(lines) + "\n"
print(text, end="")
(out / "table.md").write_text(text)
