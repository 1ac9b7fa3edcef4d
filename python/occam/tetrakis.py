"""occam.tetrakis: the Tetrakis triangulation (THEORY §6) and circuit → ResNet constructions (§7–8)."""
import numpy as np

from . import _core
from ._util import as_array

_t = _core._tetrakis


def locate(u, level):
    """The Tetrakis simplex of grid point u (grid coordinates, 2^level cells per side): dict with vertices
    ((d+1) × d integers), barycentric weights μ_0..μ_d, and the even/odd/t/order of THEORY §6."""
    return _t.locate([float(v) for v in np.ravel(as_array(u, "u"))], int(level))


def input_count(dims, level):
    """Circuit inputs of a Tetrakis function on `dims` dimensions at `level` (bits per vertex)."""
    return _t.input_count(int(dims), int(level))


def evaluate(circuit, X, level, lo=None, hi=None, decoding="twos_complement", scale=1.0):
    """T_C(x) = Σ_j μ_j(x) dec(C(v_j(x))) for the rows of X (points × dims) in the box [lo, hi]
    (default [0, 1]^dims); decoding 'twos_complement', 'unsigned' or 'sign'."""
    X = np.asarray(as_array(X), dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    return _t.evaluate(circuit, X, int(level), lo, hi, decoding, float(scale))


def construct(circuit, *, tetrakis=False, level=4, dims=1, lo=None, hi=None, decoding="twos_complement",
              scale=1.0):
    """The THEORY §7 ResNet of a circuit (inputs and outputs in ±1 encoding, exact on {−1, +1}^n), or with
    tetrakis=True the §8 ResNet computing T_C on the box. Returns (ResNet, stats dict)."""
    return _t.construct(circuit, bool(tetrakis), int(level), int(dims), lo, hi, decoding, float(scale))
