"""R̃ and the certified R along a λ path (THEORY §2–3), plotted with matplotlib when it is installed.

    PYTHONPATH=build/python python3 examples/python/lambda_path.py --task sine:2 --out runs/py-path

Each λ trains the §1 ResNet with the proximal ℓ1 penalty (warm start is not needed for the picture), then
measures R̃ on the training rows and R over the data's box. Writes path.csv (and path.png with matplotlib).
"""
import argparse
import pathlib

import numpy as np

import occam

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--task", default="sine:2")
ap.add_argument("--lambdas", default="1e-4,3e-4,1e-3,3e-3,1e-2")
ap.add_argument("--epochs", type=int, default=60)
ap.add_argument("--penalty", default="l1", choices=["l1", "rtilde", "r"])
ap.add_argument("--small", action="store_true", help="512 rows and 8 epochs (CI)")
ap.add_argument("--out", default="runs/py-path")
args = ap.parse_args()
out = pathlib.Path(args.out)
out.mkdir(parents=True, exist_ok=True)

X, y = occam.data.task(args.task, samples=512 if args.small else 0)
epochs = 8 if args.small else args.epochs
rows = []
for lam in [float(v) for v in args.lambdas.split(",")]:
    m, st = occam.train(X, y, "regression", hidden=16, depth=2, epochs=epochs, penalty=args.penalty, lam=lam,
                        select_best=False)
    rt, r = m.rtilde(X), m.certified_r()
    rmse = float(np.sqrt(np.mean((m.forward(X) - y) ** 2)))
    rows.append((lam, rt, r, rmse, m.nonzero_count()))
    print(f"λ={lam:g}: R̃={rt:.4g}  R={r:.4g}  train RMSE={rmse:.4g}  non-zero={m.nonzero_count()}")

with open(out / "path.csv", "w") as f:
    f.write("lambda,rtilde,r,train_rmse,nonzero\n")
    for row in rows:
        f.write(",".join(str(v) for v in row) + "\n")
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print(f"wrote {out / 'path.csv'} (matplotlib is not installed: no plot)")
else:
    lam, rt, r = (np.array([row[i] for row in rows]) for i in range(3))
    plt.loglog(lam, rt, "o-", label="R̃ (training rows)")
    plt.loglog(lam, r, "s-", label="certified R (box)")
    plt.xlabel("λ")
    plt.legend()
    plt.savefig(out / "path.png", dpi=120)
    print(f"wrote {out / 'path.csv'} and {out / 'path.png'}")
