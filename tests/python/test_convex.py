"""occam.convex against an independent numpy evaluation of the convex objective (THEORY §10)."""
import numpy as np
import pytest

import occam


def data(n=60, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.standard_normal((n, d - 1)), np.ones(n)]).astype(np.float32)
    y = (np.maximum(X @ np.array([1.0, -1.0, 0.2][:d]), 0) - 0.5 * np.maximum(X @ np.array([0.3, 1.0, -0.1][:d]), 0))
    return X, y.astype(np.float32)


def test_gated2_objective_by_hand():
    X, y = data()
    lam = 1e-2
    r = occam.convex.gated2(X, y, lam, patterns=20, tol=1e-8)
    G, U = r.weights["gates"].astype(np.float64), r.weights["U"].astype(np.float64)  # d×P, d×P×1
    D = (X.astype(np.float64) @ G > 0).astype(np.float64)  # strict gates (convex.hpp)
    pred = (D * (X.astype(np.float64) @ U[:, :, 0])).sum(axis=1)
    F = 0.5 / len(X) * ((pred - y) ** 2).sum() + lam * np.linalg.norm(U[:, :, 0], axis=0).sum()
    assert r.metrics["objective"] == pytest.approx(F, rel=1e-4)
    np.testing.assert_allclose(r.predict(X)[:, 0], pred, rtol=1e-4, atol=1e-5)
    assert r.metrics["gap"] >= 0 and r.metrics["gap"] <= 1e-4 * F


def test_relu2_recovered_network_has_the_convex_objective():
    X, y = data(seed=1)
    lam = 1e-2
    r = occam.convex.relu2(X, y, lam, patterns=20, tol=1e-8)
    W1, W2 = r.network.W1.astype(np.float64), r.network.W2.astype(np.float64)
    f = np.maximum(X @ W1.T, 0) @ W2.T
    np.testing.assert_allclose(r.network.forward(X), f, rtol=1e-4, atol=1e-5)
    obj = 0.5 / len(X) * ((f[:, 0] - y) ** 2).sum() + lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    assert obj == pytest.approx(r.metrics["network_objective"], rel=1e-4)
    if r.metrics["violation"] < 1e-6:
        assert obj == pytest.approx(r.metrics["objective"], rel=1e-3)


def test_three_layer_programs_run_and_recover():
    X, y = data(n=40, seed=2)
    for solver in (occam.convex.gated3, occam.convex.path3):
        r = solver(X, y, 1e-2, width=2, patterns=10, max_iterations=2000)
        assert np.isfinite(r.metrics["objective"])
        out = r.network["forward"](X)
        assert out.shape[0] == len(X)
        assert r.metrics["network_objective"] >= 0


def test_convex_estimators():
    X, y = data(n=60, seed=3)
    reg = occam.ConvexReLURegressor(lam=1e-3, patterns=10, max_iterations=200).fit(X[:, :2], y)
    r = occam.convex.gated2(np.column_stack([X[:, :2], np.ones(len(X), np.float32)]), y, 1e-3, patterns=10,
                           max_iterations=200)
    np.testing.assert_allclose(reg.predict(X[:, :2]), r.predict(np.column_stack([X[:, :2], np.ones(len(X))]))[:, 0],
                               rtol=1e-5, atol=1e-6)
    clf = occam.ConvexReLUClassifier(lam=1e-3, patterns=10, max_iterations=200).fit(X[:, :2], y > np.median(y))
    assert clf.score(X[:, :2], y > np.median(y)) > 0.8
