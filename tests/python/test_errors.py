"""Bad input raises ValueError with the library's message and never crashes the interpreter."""
import numpy as np
import pytest

import occam


@pytest.fixture
def circuit():
    c, _ = occam.synthesize(np.array([0, 1, 1, 0], np.uint8), abc_script="")
    return c


def test_simulate_bad_shapes_and_dtypes(circuit):
    with pytest.raises(ValueError, match="3 columns but the circuit has 2 inputs"):
        circuit.simulate(np.zeros((4, 3), np.uint8))
    with pytest.raises(ValueError, match="dtype bool or uint8"):
        circuit.simulate(np.zeros((4, 2), np.float64))
    with pytest.raises(ValueError, match="2-D"):
        circuit.simulate(np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="row 1 column 0 is 2"):
        circuit.simulate(np.array([[0, 1], [2, 0]], np.uint8))
    assert circuit.simulate(np.zeros((0, 2), np.uint8)).shape == (0, 1)


def test_bad_files(tmp_path):
    bad = tmp_path / "bad.aag"
    bad.write_text("aag 3 2 0 1 1\n2\n4\n6\n6 2 8\n")
    with pytest.raises(ValueError, match="bad.aag"):
        occam.Circuit.read(str(bad))
    with pytest.raises(ValueError, match="nope.aig"):
        occam.Circuit.read(str(tmp_path / "nope.aig"))
    with pytest.raises(ValueError):
        occam.Circuit.from_aiger(b"aig 1 1 0 1 0\n")
    model = tmp_path / "m.occam"
    model.write_text("not a model\n")
    with pytest.raises(ValueError, match="m.occam"):
        occam.ResNet.load(str(model))
    with pytest.raises(ValueError, match="unknown|valid"):
        occam.data.task("no-such-task:3")


def test_bad_arrays_for_models():
    m = occam.ResNet(d_in=3, width=4, hidden=2, depth=1, d_out=1)
    with pytest.raises(ValueError, match="expected 3 columns, got 2"):
        m.forward(np.zeros((5, 2), np.float32))
    with pytest.raises(ValueError, match="numeric"):
        m.forward(np.array([["a", "b", "c"]]))
    X = np.zeros((4, 2), np.float32)
    with pytest.raises(ValueError, match="4 rows but y has 3"):
        occam.train(X, np.zeros(3), "regression", epochs=1)
    with pytest.raises(ValueError, match="not 0 or 1"):
        occam.train(X, np.full(4, 2.0), "binary", epochs=1)
    with pytest.raises(ValueError, match="not finite"):
        occam.train(np.full((4, 2), np.nan), np.zeros(4), "regression", epochs=1)
    with pytest.raises(ValueError, match="kind"):
        occam.train(X, np.zeros(4), "classification", epochs=1)
    with pytest.raises(ValueError, match="penalty|choices"):
        occam.train(X, np.zeros(4), "regression", epochs=1, penalty="l3", lam=1.0)
    with pytest.raises(ValueError, match="lam must be > 0"):
        occam.convex.gated2(X, np.zeros(4), 0.0)
    with pytest.raises(ValueError, match="table"):
        occam.synthesize(np.zeros(3, np.uint8))
