"""occam.convex: global optima of two- and three-layer ReLU training through their convex programs
(THEORY §10; objective divided by n, see docs/convex.md). Patterns are sampled from Gaussian gates; add a
column of ones to X for a bias."""
from dataclasses import dataclass

import numpy as np

from . import _core
from ._util import as_array, progress_callback

_c = _core._convex


@dataclass
class ConvexResult:
    """weights: the convex program's variables (U, W / W, Wn and the gates); metrics: objective, its data
    and penalty parts, duality gap (gated2, squared loss), KKT residual, constraint violation, iterations,
    converged, and the recovered network's own regularised objective; network: the recovered ReLU network
    (W1, W2 for two layers; W1, w2, b1, w3 for three) with forward(X); predict(X) is the convex model's."""
    weights: dict
    metrics: dict
    network: object
    _predict: object

    def predict(self, X):
        return self._predict(as_array(X))


class TwoLayerNetwork:
    """σ(X W1ᵀ) W2ᵀ recovered from a two-layer solution."""

    def __init__(self, W1, W2):
        self.W1, self.W2 = W1, W2

    def forward(self, X):
        return _c.network_forward(self.W1, self.W2, as_array(X))


def _two(X, y, lam, model, loss, patterns, seed, max_iterations, tol, callback, progress):
    r = _c.solve2(as_array(X), as_array(y, "y"), float(lam), model, loss, int(patterns), int(seed),
                  int(max_iterations), float(tol), progress_callback(callback, progress, None, model))
    sol = r.pop("_solution")
    weights = {k: r[k] for k in ("U", "W", "gates")}
    return ConvexResult(weights, r["metrics"], TwoLayerNetwork(r["W1"], r["W2"]), sol.predict)


def gated2(X, y, lam, *, loss="squared", patterns=100, seed=0, max_iterations=20000, tol=1e-6, callback=None,
           progress=False):
    """The gated-ReLU two-layer program (no constraints; y n or n × c, or ±1 with loss='logistic')."""
    return _two(X, y, lam, "gated_relu", loss, patterns, seed, max_iterations, tol, callback, progress)


def relu2(X, y, lam, *, loss="squared", patterns=100, seed=0, max_iterations=20000, tol=1e-6, callback=None,
          progress=False):
    """The cone-constrained ReLU two-layer program (augmented Lagrangian); its recovered network's
    regularised objective equals the convex objective when the constraints hold."""
    return _two(X, y, lam, "relu", loss, patterns, seed, max_iterations, tol, callback, progress)


def _three(X, y, lam, constrained, width, patterns, seed, max_iterations, tol, callback, progress):
    r = _c.solve3(as_array(X), as_array(y, "y"), float(lam), constrained, int(width), int(patterns), int(seed),
                  int(max_iterations), float(tol), progress_callback(callback, progress, None, "path3"))
    net = r.pop("_network")
    weights = {k: r[k] for k in ("W", "Wn")}
    network = {k: r[k] for k in ("W1", "w2", "b1", "w3")}
    network["forward"] = lambda X: net.forward(as_array(X))
    return ConvexResult(weights, r["metrics"], network, net.forward)


def path3(X, y, lam, *, width=2, patterns=100, seed=0, max_iterations=20000, tol=1e-6, callback=None,
          progress=False):
    """The three-layer path-regularised program with its cones (THEORY §10), one output."""
    return _three(X, y, lam, True, width, patterns, seed, max_iterations, tol, callback, progress)


def gated3(X, y, lam, *, width=2, patterns=100, seed=0, max_iterations=20000, tol=1e-6, callback=None,
           progress=False):
    """The gated relaxation of path3 (no cones, any number of outputs)."""
    return _three(X, y, lam, False, width, patterns, seed, max_iterations, tol, callback, progress)
