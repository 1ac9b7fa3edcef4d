#!/usr/bin/env python3
"""Summarises bench/iwls2020/run.sh: one row per function (validation accuracy and AND count re-measured from the
written AIGER by `occam circuit eval`, the chosen route, seconds) and the averages. Standard library only."""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "runs/iwls2020")
rows = []
for ev_file in sorted(out.glob("ex*.eval.json")):
    ex = ev_file.name.split(".")[0]
    ev = json.loads(ev_file.read_text())
    rep = json.loads((out / ex / "report.json").read_text())
    ch = rep["chosen"] or {}
    secs = float((out / f"{ex}.seconds").read_text())
    rows.append((ex, rep["data"]["inputs"], ev["accuracy"], ev["ands"], ev["depth"], ch.get("label", "-"), secs,
                 ch.get("valid_metric", float("nan")), ch.get("route", "-")))
print("| function | inputs | validation accuracy | ANDs | depth | chosen candidate | seconds |")
print("|---|---|---|---|---|---|---|")
for ex, n_in, acc, ands, depth, label, secs, rep_acc, _ in rows:
    flag = "" if abs(acc - rep_acc) < 1e-9 else " (report says %.4f)" % rep_acc
    print(f"| {ex} | {n_in} | {acc:.4f}{flag} | {ands} | {depth} | {label} | {secs:.0f} |")
if rows:
    n = len(rows)
    mean_acc = sum(r[2] for r in rows) / n
    mean_ands = sum(r[3] for r in rows) / n
    over = sum(1 for r in rows if r[3] > 5000)
    print()
    print(f"**{n} functions: mean validation accuracy {mean_acc:.4f}, mean {mean_ands:.0f} AND nodes, "
          f"max {max(r[3] for r in rows)}, {over} over the 5000 budget; mean {sum(r[6] for r in rows) / n:.0f} s "
          f"per function.**")
    routes = {}
    for r in rows:
        routes[r[8]] = routes.get(r[8], 0) + 1
    print()
    print("Chosen routes: " + ", ".join(f"{k} {v}" for k, v in sorted(routes.items(), key=lambda kv: -kv[1])) + ".")
