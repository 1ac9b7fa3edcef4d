"""Shared fixtures of the occam Python tests: the CLI binary (OCCAM_CLI, set by ctest), the source tree, and
an independent pure-Python AIGER evaluator the bindings are checked against."""
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("OCCAM_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("OCCAM_CLI")
    if not path or not os.path.exists(path):
        pytest.skip("OCCAM_CLI (the occam binary) is not set; run through ctest")

    def run(*args, check=True):
        r = subprocess.run([path, *map(str, args)], capture_output=True, text=True)
        if check and r.returncode != 0:
            raise AssertionError(f"occam {' '.join(map(str, args))} failed ({r.returncode}): {r.stderr}")
        return r

    def run_json(*args):
        return json.loads(run(*args, "--json").stdout)

    run.json = run_json
    return run


@pytest.fixture(scope="session")
def iwls2020():
    d = SOURCE_DIR.parent / "shared" / "data" / "iwls2020"
    if not d.exists():
        pytest.skip("../shared/data/iwls2020 is not present")
    return d


def parse_aag(text):
    """(num_inputs, outputs, ands) of an ASCII AIGER file; ands: list of (lhs, rhs0, rhs1)."""
    lines = text.splitlines()
    m, i, l, o, a = map(int, lines[0].split()[1:6])
    assert l == 0
    inputs = [int(lines[1 + k]) for k in range(i)]
    outputs = [int(lines[1 + i + k]) for k in range(o)]
    ands = [tuple(map(int, lines[1 + i + o + k].split())) for k in range(a)]
    return inputs, outputs, ands


def eval_aag(text, X):
    """Outputs of the AIGER circuit on the 0/1 rows of X, computed literal by literal (no occam code)."""
    inputs, outputs, ands = parse_aag(text)
    X = np.asarray(X, dtype=bool)
    val = {0: np.zeros(len(X), bool)}
    for k, lit in enumerate(inputs):
        val[lit] = X[:, k]

    def lit_value(lit):
        v = val[lit & ~1]
        return ~v if lit & 1 else v

    for lhs, r0, r1 in ands:
        val[lhs] = lit_value(r0) & lit_value(r1)
    return np.column_stack([lit_value(o) for o in outputs]) if outputs else np.zeros((len(X), 0), bool)


def resnet_forward_numpy(model, X):
    """THEORY §1 in float64 numpy: α_0 = (x, 0…0, 1), α_ℓ = α_{ℓ−1} + [V_ℓ σ(W_ℓ α_{ℓ−1}); 0], f = U α_L."""
    s = model.shape
    n = len(X)
    alpha = np.zeros((n, s["width"] + 1))
    alpha[:, : s["d_in"]] = X
    alpha[:, -1] = 1.0
    for W, V in zip(model.W, model.V):
        h = np.maximum(alpha @ W.astype(np.float64).T, 0.0)
        alpha[:, : s["width"]] += h @ V.astype(np.float64).T
    return alpha @ model.U.astype(np.float64).T
