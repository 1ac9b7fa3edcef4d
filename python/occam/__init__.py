"""occam from Python: circuits, complexities, pruning, convex training and the `occam fit` pipeline.

numpy arrays go in and come out (torch tensors are accepted through .numpy()); bad shapes, dtypes or files
raise ValueError with the library's message. See docs/python.md.
"""
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from . import _core
from ._core import Circuit, ResNet, synthesize
from ._util import as_array, progress_callback
from . import convex, data, tetrakis  # noqa: F401  (submodules)

__all__ = [
    "Circuit", "ResNet", "synthesize", "train", "fit", "FitResult", "convex", "data", "tetrakis", "construct",
    "CircuitClassifier", "ResNetRegressor", "ResNetClassifier", "ConvexReLUClassifier", "ConvexReLURegressor",
]

Circuit.synthesize = staticmethod(synthesize)


def _circuit_to_aiger(self, path):
    """Writes the circuit as AIGER (binary for .aig, ASCII for .aag)."""
    if not str(path).endswith((".aig", ".aag")):
        raise ValueError(f"{path}: an AIGER file name ends in .aig or .aag")
    self.write(str(path))


Circuit.to_aiger = _circuit_to_aiger

_core_simulate = Circuit.simulate


def _simulate(self, X, block_words=8):
    """Outputs (patterns × outputs, X's dtype) of a bool/uint8 patterns × inputs array."""
    return _core_simulate(self, as_array(X), block_words)


_simulate.__doc__ = _core_simulate.__doc__
Circuit.simulate = _simulate

_core_forward = ResNet.forward


def _forward(self, X):
    """f_θ(X): n × d_out (logits for classification); float32 C-contiguous X is read without a copy."""
    return _core_forward(self, as_array(X))


ResNet.forward = _forward


def train(X, y, kind="regression", *, X_valid=None, y_valid=None, callback=None, progress=False, **params):
    """Trains a fresh THEORY §1 ResNet (nn::train). Keyword arguments are nn::train_params / shape fields:
    width, hidden, depth, epochs, batch, lr, optimizer ('adam', 'sgd'), penalty ('none', 'l1', 'l2',
    'rtilde', 'r'), lam, proximal, seed, patience, select_best, threads. Returns (ResNet, stats dict)."""
    cb = progress_callback(callback, progress, params.get("epochs"), "train")
    return _core.train(as_array(X), as_array(y, "y"), kind, X_valid=None if X_valid is None else as_array(X_valid),
                       y_valid=None if y_valid is None else as_array(y_valid, "y_valid"), callback=cb, **params)


@dataclass
class FitResult:
    """What occam.fit returns: the chosen circuit (None when none fits max_ands), the size-versus-error
    front (list of dicts: error on the L2 scale, size = AND count), the report dict (report.json's content:
    candidates, rate fit, ĉ_γ, HTMC bound, chosen candidate with its PAC bound) and the chosen network."""
    circuit: Optional[Circuit]
    front: list
    report: dict
    model: Optional[ResNet]
    chosen_inputs: list

    def __iter__(self):
        return iter((self.circuit, self.front, self.report, self.model))


_FIT_DEFAULTS = dict(
    lambdas=[1e-4, 1e-3, 3e-3], epochs=100, hidden=16, depth=2, width=0,
    keep_fractions=[1.0, 0.5, 0.25, 0.125, 0.0625], finetune_epochs=10, bits=[2, 3, 4, 6, 8], abc_script="fast",
    final_abc_script="medium", max_compile=12, tolerance=0.0, truth_table_route=True, selection_inputs=16,
    table_route=True, float_truth_table=True, seed=0, penalty="l1", out_dir="", threads=0)


def fit(X, y, X_valid=None, y_valid=None, max_ands=None, kind="binary", *, callback=None, progress=False,
        **params):
    """The `occam fit` pipeline (fit::fit, THEORY §1–5) on arrays: train along the λ path, prune, quantise,
    compile, ABC, choose the smallest circuit within `tolerance` of the best validation error under
    `max_ands`. Keyword arguments are fit::fit_params fields (see _FIT_DEFAULTS and docs/fit.md); out_dir
    writes the CLI's files too. Returns a FitResult (unpacks as circuit, front, report, model)."""
    unknown = set(params) - set(_FIT_DEFAULTS)
    if unknown:
        raise TypeError(f"fit() got unexpected keyword arguments: {sorted(unknown)}")
    p = dict(_FIT_DEFAULTS)
    p.update(params)
    p["lambdas"] = [float(v) for v in p["lambdas"]]
    p["keep_fractions"] = [float(v) for v in p["keep_fractions"]]
    p["bits"] = [int(v) for v in p["bits"]]
    cb = progress_callback(callback, progress, None, "fit")
    r = _core._fit(as_array(X), as_array(y, "y"), None if X_valid is None else as_array(X_valid),
                   None if y_valid is None else as_array(y_valid, "y_valid"), kind,
                   0 if max_ands is None else int(max_ands), callback=cb, **p)
    return FitResult(r["circuit"], r["front"], r["report"], r["model"], list(r["chosen_inputs"]))


from .estimators import (CircuitClassifier, ConvexReLUClassifier, ConvexReLURegressor,  # noqa: E402
                         ResNetClassifier, ResNetRegressor)
from .tetrakis import construct  # noqa: E402
