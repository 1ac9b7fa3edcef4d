#!/usr/bin/env python3
"""Summarise a lut_sweep table (K column: K or K:P, P = lut_partial_sum_inputs) (bench/compile/run.sh): per K, over the (model, b) rows whose K = 0 circuit is
not constant: total ANDs generated and after ABC `fast`, geometric mean of the after-`fast` ratio to K = 0,
rows better / worse than K = 0 after `fast`, total and largest compile time. Usage: summarize.py TABLE.md"""
import math
import sys
from collections import defaultdict

rows = []
for line in open(sys.argv[1]):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 11 or not cells[1].isdigit():
        continue
    rows.append(dict(model=cells[0], b=int(cells[1]), k=cells[3], gen=int(cells[4]), fast=int(cells[5]),
                     secs=float(cells[9])))
base = {(r["model"], r["b"]): r for r in rows if r["k"] == "0"}
def view(model):  # occam fit's pruned-model names: sS-kF (all inputs) or VIEW-sS-kF (inN: N inputs, sel: ...)
    first = model.split("-")[0]
    return "all inputs" if first[:1] == "s" and first[1:].isdigit() else first + " view"


per_k = defaultdict(list)
for r in rows:
    b0 = base.get((r["model"], r["b"]))
    if b0 and b0["gen"] > 0:
        per_k[(view(r["model"]), r["k"])].append((r, b0))
print("| models | K | (model, b) pairs | ANDs generated (sum) | ANDs after `fast` (sum) | geomean after-`fast` ratio vs K=0 "
      "| better / worse than K=0 after `fast` | compile s (sum / max) |")
print("|---|---|---|---|---|---|---|---|")
for key in sorted(per_k, key=lambda vk: (vk[0], tuple(int(x) for x in (vk[1] + ":-1").split(":")[:2]))):
    pairs = per_k[key]
    v, k = key
    logs = [math.log(max(r["fast"], 1) / max(b0["fast"], 1)) for r, b0 in pairs]
    better = sum(r["fast"] < b0["fast"] for r, b0 in pairs)
    worse = sum(r["fast"] > b0["fast"] for r, b0 in pairs)
    print(f"| {v} | {k} | {len(pairs)} | {sum(r['gen'] for r, _ in pairs)} | {sum(r['fast'] for r, _ in pairs)} | "
          f"{math.exp(sum(logs) / len(logs)):.3f} | {better} / {worse} | "
          f"{sum(r['secs'] for r, _ in pairs):.1f} / {max(r['secs'] for r, _ in pairs):.2f} |")
