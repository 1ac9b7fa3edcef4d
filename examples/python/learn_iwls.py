"""Learn an IWLS 2020 function with occam.fit and write its AIG (docs/python.md).

    PYTHONPATH=build/python python3 examples/python/learn_iwls.py --example ex00 --out runs/py-ex00

Reads ../shared/data/iwls2020/{train,validation}/exNN.*.pla when present, else uses the built-in task
adder-msb:6 split 70/30. --small runs a short configuration (CI).
"""
import argparse
import pathlib

import numpy as np

import occam

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--example", default="ex00")
ap.add_argument("--data-dir", default=str(pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "iwls2020"))
ap.add_argument("--max-ands", type=int, default=5000)
ap.add_argument("--small", action="store_true", help="short run on at most 800 rows (CI)")
ap.add_argument("--out", default="runs/py-iwls")
args = ap.parse_args()

out = pathlib.Path(args.out)
out.mkdir(parents=True, exist_ok=True)
train_pla = pathlib.Path(args.data_dir) / "train" / f"{args.example}.train.pla"
valid_pla = pathlib.Path(args.data_dir) / "validation" / f"{args.example}.valid.pla"
if train_pla.exists() and valid_pla.exists():
    X, y = occam.data.load(train_pla, max_rows=800 if args.small else 0)
    Xv, yv = occam.data.load(valid_pla, max_rows=800 if args.small else 0)
    name = args.example
else:
    X_all, y_all = occam.data.task("adder-msb:6")
    idx = np.random.default_rng(0).permutation(len(X_all))
    cut = int(0.7 * len(idx))
    X, y, Xv, yv = X_all[idx[:cut]], y_all[idx[:cut]], X_all[idx[cut:]], y_all[idx[cut:]]
    name = "adder-msb:6"

params = {}
if args.small:
    params = dict(lambdas=[1e-3], epochs=5, keep_fractions=[1.0, 0.25], finetune_epochs=0, bits=[2, 3], max_compile=3,
                  final_abc_script="fast")
clf = occam.CircuitClassifier(max_ands=args.max_ands, **params)
clf.fit(X, y[:, 0], X_valid=Xv, y_valid=yv[:, 0])
clf.to_aiger(out / "circuit.aig")
acc = clf.score(Xv, yv[:, 0])
print(f"{name}: {clf.circuit_.num_ands} ANDs, depth {clf.circuit_.depth}, validation accuracy {acc:.4f}")
print(f"route: {clf.report_['chosen']['route']}; front has {len(clf.front_)} points; wrote {out / 'circuit.aig'}")
# The file holds the same function as the estimator's predictions.
back = occam.Circuit.read(str(out / "circuit.aig"))
assert np.array_equal(back.simulate(Xv.astype(bool))[:, 0], clf.predict(Xv).astype(bool))
