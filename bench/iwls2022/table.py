#!/usr/bin/env python3
"""Markdown table and summary of bench/iwls2022/run.sh's JSON lines: AND count vs the best known."""
import json
import math
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
script, deepsyn = sys.argv[2], sys.argv[3]
ratios = [max(r["ands"], 1) / max(r["best"], 1) for r in rows]
geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
total_s = sum(r["wall"] for r in rows)
print(f"functions: {len(rows)}; script `{script}` (deepsyn {deepsyn} s on the winner); "
      f"total wall time {total_s / 60:.1f} min")
print()
print(f"| summary | value |")
print(f"|---|---|")
print(f"| geometric-mean ratio (ours / best known) | {geo:.3f} |")
for t in (1.0, 1.5, 2.0):
    k = sum(1 for x in ratios if x <= t + 1e-12)
    print(f"| within {t:.1f}x of best | {k} / {len(rows)} |")
k = sum(1 for x in ratios if x < 1 - 1e-12)
print(f"| better than best known | {k} / {len(rows)} |")
print(f"| total AND nodes (ours / best) | {sum(r['ands'] for r in rows)} / {sum(r['best'] for r in rows)} |")
wins = {}
for r in rows:
    base = r["winner"].split("+")[0]
    wins[base] = wins.get(base, 0) + 1
print(f"| winning construction | {', '.join(f'{k} {v}' for k, v in sorted(wins.items()))} |")
print()
print("| function | inputs | outputs | best known | occam | ratio | depth | winner | ISOP | Shannon | seconds |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r, x in zip(rows, ratios):
    c = r["candidates"]
    print(f"| {r['benchmark']} | {r['inputs']} | {r['outputs']} | {r['best']} | {r['ands']} | {x:.2f} | "
          f"{r['depth']} | {r['winner']} | {c.get('isop', '')} | {c.get('shannon', '')} | {r['wall']:.1f} |")
