"""occam.ResNet, R̃, certified R, pruning and training against numpy and the CLI."""
import numpy as np
import pytest

import occam
from conftest import resnet_forward_numpy


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    X, y = occam.data.task("adder-msb:3")
    m, st = occam.train(X, y, "binary", hidden=8, depth=2, epochs=5, batch=32, seed=3)
    path = tmp_path_factory.mktemp("nn") / "m.occam"
    m.save(str(path))
    return m, path, X, y, st


def test_forward_matches_numpy_theory(trained):
    m, _, X, _, _ = trained
    out = m.forward(X)
    assert out.shape == (len(X), 1) and out.dtype == np.float32
    np.testing.assert_allclose(out, resnet_forward_numpy(m, X), rtol=1e-5, atol=1e-5)
    # float64 and non-contiguous inputs give the same numbers (converted copies).
    np.testing.assert_allclose(m.forward(np.asfortranarray(X.astype(np.float64))), out, rtol=1e-6, atol=1e-6)


def test_save_load_round_trip(trained):
    m, path, X, _, _ = trained
    back = occam.ResNet.load(str(path))
    assert back.shape == m.shape and back.kind == "binary"
    for a, b in zip(back.parameters(), m.parameters()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back.forward(X), m.forward(X))
    lo, hi = back.input_box
    np.testing.assert_array_equal(lo, X.min(axis=0))
    np.testing.assert_array_equal(hi, X.max(axis=0))


def test_set_parameters_round_trip(trained):
    m, path, X, _, _ = trained
    c = occam.ResNet.load(str(path))
    ps = [2 * p for p in c.parameters()]
    c.set_parameters(ps)
    for a, b in zip(c.parameters(), ps):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="expected shape"):
        c.set_parameters([p.T for p in ps])


def test_rtilde_and_certified_r_match_cli(cli, trained):
    m, path, X, _, _ = trained
    j = cli.json("complexity", path, "--task", "adder-msb:3")
    assert m.rtilde(X) == pytest.approx(j["rtilde"], rel=1e-5)
    assert m.certified_r() == pytest.approx(j["r"], rel=1e-9)
    assert m.certified_r(linf_certificate=False) == pytest.approx(j["r_column_certificate"], rel=1e-9)
    terms = m.certified_r_terms()
    assert terms["total"] == pytest.approx(j["r"], rel=1e-9)
    assert terms["u_term"] == pytest.approx(j["r_u_term"], rel=1e-9)


def test_rtilde_by_hand_without_residual_branches(trained):
    """With every V_ℓ = 0, α_L = α_0, the |V| terms vanish and so do the W derivatives (they pass through V), so
    R̃ = Σ_j |U_j| ‖α_0,j‖_{L2(π)} (THEORY §2)."""
    m, _, X, _, _ = trained
    c = occam.ResNet(**{k: m.shape[k] for k in ("d_in", "width", "hidden", "depth", "d_out")})
    params = m.parameters()
    for l in range(m.shape["depth"]):
        params[2 * l + 1] = np.zeros_like(params[2 * l + 1])
    c.set_parameters(params)
    alpha0 = np.column_stack([X, np.zeros((len(X), m.shape["width"] - m.shape["d_in"])), np.ones(len(X))])
    expected = (np.abs(m.U[0].astype(np.float64)) * np.sqrt((alpha0 ** 2).mean(axis=0))).sum()
    assert c.rtilde(X) == pytest.approx(expected, rel=1e-5)


def test_prune(trained):
    m, _, X, _, _ = trained
    p, st = m.prune(X, budget=20, method="magnitude")
    assert p.nonzero_count() == st["nonzero_after"] <= 20
    # Poisson with a budget at least the parameter count keeps f on the rows of X (complexity/prune.hpp).
    q, st2 = m.prune(X, budget=float(m.shape["parameters"]), method="poisson")
    np.testing.assert_allclose(q.forward(X), m.forward(X), rtol=1e-5, atol=1e-5)
    assert st2["measured_error"] == pytest.approx(0, abs=1e-5)
    with pytest.raises(ValueError, match="poisson"):
        m.prune(X, budget=5, method="nonsense")


def test_train_matches_cli_eval(cli, trained, tmp_path):
    m, path, X, y, st = trained
    assert st["epochs_run"] == 5
    j = cli.json("eval", path, "--task", "adder-msb:3")
    acc = np.mean((m.forward(X)[:, 0] > 0) == (y[:, 0] > 0.5))
    assert acc == pytest.approx(j["accuracy"], abs=1e-9)


def test_train_callback_and_interrupt():
    X, y = occam.data.task("parity:4")
    seen = []
    occam.train(X, y, "binary", hidden=4, epochs=3, callback=seen.append)
    assert [e["epoch"] for e in seen] == [1, 2, 3] and all("train_loss" in e for e in seen)

    def stop(info):
        if info["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        occam.train(X, y, "binary", hidden=4, epochs=50, callback=stop)

    import os
    import signal

    def ctrl_c(info):
        os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C: the pending signal is seen by the library's hook

    with pytest.raises(KeyboardInterrupt):
        occam.train(X, y, "binary", hidden=4, epochs=50, callback=ctrl_c)
    # The interpreter is intact afterwards.
    m, st = occam.train(X, y, "binary", hidden=4, epochs=1)
    assert st["epochs_run"] == 1


def test_construct_circuit_network_is_exact():
    """THEORY §7: the ResNet of a circuit computes it on {−1, +1}^n."""
    X, y = occam.data.task("majority:3")
    tt = np.zeros(8, np.uint8)
    tt[(X.astype(int) << np.arange(3)).sum(axis=1)] = y[:, 0]
    c, _ = occam.synthesize(tt, abc_script="")
    net, st = occam.construct(c)
    out = net.forward(2 * X - 1)
    np.testing.assert_allclose(out[:, 0], 2 * y[:, 0] - 1, atol=1e-5)
    assert st["ands"] == c.num_ands


def test_tetrakis_locate_and_evaluate():
    s = occam.tetrakis.locate([0.3, 1.7], level=2)
    assert s["vertices"].shape == (3, 2)
    w = np.asarray(s["weights"])
    assert w.sum() == pytest.approx(1.0) and (w >= -1e-12).all()
    np.testing.assert_allclose(w @ s["vertices"], [0.3, 1.7], atol=1e-12)  # barycentric coordinates
    # A constant-true one-output circuit with sign decoding is the constant +scale.
    n_in = occam.tetrakis.input_count(1, 2)
    c, _ = occam.synthesize(np.ones(2 ** n_in, np.uint8), abc_script="")
    v = occam.tetrakis.evaluate(c, np.linspace(0, 1, 5), level=2, decoding="sign", scale=2.0)
    np.testing.assert_allclose(v, 2.0)
    net, _ = occam.construct(c, tetrakis=True, level=2, dims=1, decoding="sign", scale=2.0)
    np.testing.assert_allclose(net.forward(np.linspace(0, 1, 5).reshape(-1, 1))[:, 0], v, atol=1e-5)
