"""Convex training (gated ReLU, THEORY §10) on a Fashion-MNIST subset, compared with Adam on the §1 ResNet.

    PYTHONPATH=build/python python3 examples/python/convex_vs_adam.py --rows 2000

Fashion-MNIST comes from Debian's dataset-fashion-mnist; without it a synthetic 10-class problem is used.
Classes are the ±1 one-hot targets of the squared loss; accuracy is measured on held-out test rows.
"""
import argparse
import time

import numpy as np

import occam

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--rows", type=int, default=2000)
ap.add_argument("--lam", type=float, default=1e-3)
ap.add_argument("--patterns", type=int, default=100)
ap.add_argument("--epochs", type=int, default=30)
ap.add_argument("--small", action="store_true", help="200 rows, every 8th pixel, few patterns and epochs (CI)")
ap.add_argument("--out", default=None, help="unused (kept for the CI runner's common arguments)")
args = ap.parse_args()
if args.small:
    args.rows, args.patterns, args.epochs = 200, 10, 3

try:
    X, y = occam.data.fashion_mnist("train", max_rows=args.rows)
    Xt, yt = occam.data.fashion_mnist("test", max_rows=max(args.rows // 4, 100))
    source = "Fashion-MNIST"
except ValueError:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((10, 32))
    labels = rng.integers(0, 10, args.rows + args.rows // 4)
    data = (centres[labels] + 0.8 * rng.standard_normal((len(labels), 32))).astype(np.float32)
    X, y, Xt, yt = data[: args.rows], labels[: args.rows, None], data[args.rows:], labels[args.rows:, None]
    source = "synthetic blobs"
y, yt = y[:, 0].astype(int), yt[:, 0].astype(int)
if args.small:  # every 8th pixel: the solver's per-iteration cost grows with the input dimension
    X, Xt = np.ascontiguousarray(X[:, ::8]), np.ascontiguousarray(Xt[:, ::8])

t0 = time.perf_counter()
convex = occam.ConvexReLUClassifier(lam=args.lam, patterns=args.patterns,
                                    max_iterations=300 if args.small else 2000).fit(X, y)
t_convex = time.perf_counter() - t0
t0 = time.perf_counter()
adam = occam.ResNetClassifier(hidden=args.patterns, depth=1, width=X.shape[1] + 10, epochs=args.epochs, lr=1e-3).fit(X, y)
t_adam = time.perf_counter() - t0

print(f"{source}: {len(X)} training rows, {len(Xt)} test rows, {X.shape[1]} inputs")
print(f"convex gated ReLU  (λ={args.lam}, {args.patterns} patterns): test accuracy {convex.score(Xt, yt):.4f}, "
      f"objective {convex.metrics_['objective']:.5g}, {convex.metrics_['active']} active groups, {t_convex:.1f} s")
print(f"Adam, §1 ResNet    ({args.epochs} epochs, k={args.patterns}): test accuracy {adam.score(Xt, yt):.4f}, "
      f"{t_adam:.1f} s")
