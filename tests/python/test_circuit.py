"""occam.Circuit against the CLI and an independent AIGER evaluator: files, simulation, truth tables,
synthesis, ABC."""
import shutil

import numpy as np
import pytest

import occam
from conftest import eval_aag

HAS_ABC = shutil.which("berkeley-abc") is not None or bool(__import__("os").environ.get("OCCAM_ABC"))


@pytest.fixture
def adder(cli, tmp_path):
    """The MSB of a 3+3-bit adder, synthesised by the CLI from the built-in task's truth table."""
    X, y = occam.data.task("adder-msb:3")
    tt = np.zeros(2 ** X.shape[1], np.uint8)
    idx = (X.astype(np.int64) << np.arange(X.shape[1])).sum(axis=1)
    tt[idx] = y[:, 0]
    table = tmp_path / "t.pla"
    with open(table, "w") as f:
        f.write(f".i {X.shape[1]}\n.o 1\n.type fr\n")
        for row, v in zip(X.astype(int), y[:, 0].astype(int)):
            f.write("".join(map(str, row)) + f" {v}\n")
        f.write(".e\n")
    out = tmp_path / "adder.aag"
    cli("circuit", "synth", table, "--out", out, "--script", "")
    return out, X, y, tt


def test_simulate_matches_independent_evaluator_and_cli(cli, adder, tmp_path):
    path, X, y, _ = adder
    c = occam.Circuit.read(str(path))
    out = c.simulate(X.astype(np.uint8))
    assert out.dtype == np.uint8 and out.shape == (len(X), 1)
    np.testing.assert_array_equal(out.astype(bool), eval_aag(path.read_text(), X))
    np.testing.assert_array_equal(out[:, 0], y[:, 0])  # the synthesised circuit is exact
    # Random patterns, bool dtype, non-contiguous view (every other column of a wider array).
    rng = np.random.default_rng(1)
    wide = rng.integers(0, 2, size=(1000, 2 * c.num_inputs)).astype(bool)
    view = wide[:, ::2]
    np.testing.assert_array_equal(c.simulate(view), eval_aag(path.read_text(), view))
    # Accuracy as `occam circuit eval` measures it on a PLA with a flipped label.
    data = tmp_path / "d.pla"
    flipped = y[:, 0].astype(int).copy()
    flipped[:5] ^= 1
    with open(data, "w") as f:
        f.write(f".i {X.shape[1]}\n.o 1\n.type fr\n")
        for row, v in zip(X.astype(int), flipped):
            f.write("".join(map(str, row)) + f" {v}\n")
        f.write(".e\n")
    j = cli.json("circuit", "eval", path, "--data", data)
    assert c.accuracy(X.astype(np.uint8), flipped) == pytest.approx(j["accuracy"], abs=1e-12)
    assert j["accuracy"] == pytest.approx(1 - 5 / len(X))


def test_stats_match_cli(cli, adder):
    path = adder[0]
    c = occam.Circuit.read(str(path))
    j = cli.json("circuit", "stats", path)
    s = c.stats
    assert (s["inputs"], s["outputs"], s["ands"], s["depth"]) == (j["inputs"], j["outputs"], j["ands"], j["depth"])
    assert s["gates_total"] == j["gates"]["total"] and s["xor_aig_nodes"] == j["xor_aig"]["nodes"]
    assert c.num_ands == s["ands"] and c.depth == s["depth"]


def test_truth_table_is_exhaustive_simulation(adder):
    path, X, y, tt = adder
    c = occam.Circuit.read(str(path))
    t = c.truth_table()
    assert t.shape == (1, 2 ** c.num_inputs) and t.dtype == np.bool_
    np.testing.assert_array_equal(t[0], tt.astype(bool))
    m = np.arange(2 ** c.num_inputs)
    allx = ((m[:, None] >> np.arange(c.num_inputs)) & 1).astype(np.uint8)
    np.testing.assert_array_equal(c.simulate(allx)[:, 0].astype(bool), t[0])


@pytest.mark.parametrize("ext", [".aag", ".aig", ".pla"] + ([".blif", ".v"] if HAS_ABC else []))
def test_file_round_trip(adder, tmp_path, ext):
    c = occam.Circuit.read(str(adder[0]))
    p = tmp_path / f"c{ext}"
    c.write(str(p))
    back = occam.Circuit.read(str(p))
    np.testing.assert_array_equal(back.truth_table(), c.truth_table())
    if ext in (".aag", ".aig"):
        assert back.num_ands == c.num_ands


def test_aiger_bytes_round_trip(adder):
    c = occam.Circuit.read(str(adder[0]))
    for binary in (True, False):
        back = occam.Circuit.from_aiger(c.to_aiger_bytes(binary))
        np.testing.assert_array_equal(back.truth_table(), c.truth_table())


def test_simulate_packed_equals_simulate(adder):
    c = occam.Circuit.read(str(adder[0]))
    rng = np.random.default_rng(2)
    n = 1000
    X = rng.integers(0, 2, size=(n, c.num_inputs)).astype(np.uint8)
    words = np.zeros((c.num_inputs, (n + 63) // 64), np.uint64)
    for i in range(c.num_inputs):
        bits = np.zeros(words.shape[1] * 64, np.uint8)
        bits[:n] = X[:, i]
        shifted = bits.reshape(-1, 64).astype(np.uint64) << np.arange(64, dtype=np.uint64)
        words[i] = np.bitwise_or.reduce(shifted, axis=1)
    out = c.simulate_packed(words, n)
    got = ((out[0][:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)).ravel()[:n]
    np.testing.assert_array_equal(got.astype(np.uint8), c.simulate(X)[:, 0])


def test_synthesize_matches_cli_and_table(cli, adder, tmp_path):
    path, X, y, tt = adder
    g, st = occam.synthesize(tt, abc_script="")
    np.testing.assert_array_equal(g.truth_table()[0], tt.astype(bool))
    assert st["ands"] == g.num_ands == occam.Circuit.read(str(path)).num_ands  # same as `occam circuit synth`
    # Don't-cares: only the cared minterms must agree.
    rng = np.random.default_rng(3)
    care = rng.random(tt.shape) < 0.5
    g2, _ = occam.Circuit.synthesize(tt, care=care, abc_script="")
    np.testing.assert_array_equal(g2.truth_table()[0][care], tt.astype(bool)[care])


@pytest.mark.skipif(not HAS_ABC, reason="berkeley-abc is not installed")
def test_optimize_is_equivalent_and_not_larger(adder):
    c = occam.Circuit.read(str(adder[0]))
    opt, st = c.optimize(script="medium", verify=True)
    assert st["verified"] and st["ands_after"] == opt.num_ands <= c.num_ands
    np.testing.assert_array_equal(opt.truth_table(), c.truth_table())


def test_iwls_pla_read_as_sum_of_products(iwls2020):
    pla = iwls2020 / "train" / "ex00.train.pla"
    c = occam.Circuit.read(str(pla))
    X, y = occam.data.load(str(pla))
    assert c.accuracy(X.astype(np.uint8), y.astype(np.uint8)) == 1.0
