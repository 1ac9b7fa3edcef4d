"""occam.fit and the estimators: the chosen circuit's numbers against the report and the CLI, and the
scikit-learn estimator checks."""
import json
import warnings

import numpy as np
import pytest

import occam

SMALL_FIT = dict(lambdas=[1e-3], epochs=3, keep_fractions=[1.0], finetune_epochs=0, bits=[2], max_compile=2,
                 abc_script="fast", final_abc_script="fast", selection_inputs=4)


def split(X, y, seed=0):
    idx = np.random.default_rng(seed).permutation(len(X))
    cut = int(0.7 * len(X))
    return X[idx[:cut]], y[idx[:cut]], X[idx[cut:]], y[idx[cut:]]


def test_fit_report_matches_the_circuit(tmp_path):
    X, y = occam.data.task("adder-msb:3")
    Xt, yt, Xv, yv = split(X, y)
    r = occam.fit(Xt, yt, Xv, yv, max_ands=200, out_dir=str(tmp_path / "run"), **SMALL_FIT)
    circuit, front, report, model = r
    assert circuit is not None and circuit.num_ands <= 200
    chosen = report["chosen"]
    assert chosen["ands"] == circuit.num_ands
    # The validation metric in the report is the circuit's accuracy on (Xv, yv), recomputed here.
    acc = circuit.accuracy(Xv.astype(np.uint8), yv.astype(np.uint8))
    assert acc == pytest.approx(chosen["valid_metric"], abs=1e-12)
    assert front and all(set(p) >= {"error", "size"} for p in front)
    sizes = [p["size"] for p in front]
    assert sizes == sorted(sizes)
    # The files the CLI writes are there and agree (report.json, circuit.aig).
    on_disk = json.loads((tmp_path / "run" / "report.json").read_text())
    assert on_disk["chosen"]["ands"] == chosen["ands"]
    np.testing.assert_array_equal(occam.Circuit.read(str(tmp_path / "run" / "circuit.aig")).truth_table(),
                                  circuit.truth_table())


def test_circuit_classifier_predicts_with_its_circuit(tmp_path):
    X, y = occam.data.task("adder-msb:3")
    labels = np.where(y[:, 0] > 0.5, "hi", "lo")
    clf = occam.CircuitClassifier(max_ands=500, **{k: v for k, v in SMALL_FIT.items() if k != "final_abc_script"})
    clf.fit(X, labels)
    assert set(clf.classes_) == {"hi", "lo"}
    pred = clf.predict(X)
    bits = clf.circuit_.simulate(X.astype(bool))[:, 0]
    np.testing.assert_array_equal(pred, clf.classes_[bits.astype(int)])
    assert clf.score(X, labels) == pytest.approx(np.mean(pred == labels))
    out = tmp_path / "clf.aig"
    clf.to_aiger(str(out))
    np.testing.assert_array_equal(occam.Circuit.read(str(out)).truth_table(), clf.circuit_.truth_table())
    with pytest.raises(ValueError, match="3 classes"):
        occam.CircuitClassifier(**SMALL_FIT).fit(X, np.arange(len(X)) % 3)


def test_resnet_estimators_wrap_train():
    X, y = occam.data.task("sine:1", samples=256)
    reg = occam.ResNetRegressor(hidden=8, epochs=20, penalty="l1", lam=1e-4).fit(X, y[:, 0])
    m, _ = occam.train(X, y, "regression", hidden=8, epochs=20, penalty="l1", lam=1e-4)
    np.testing.assert_allclose(reg.predict(X), m.forward(X)[:, 0], rtol=1e-5, atol=1e-6)
    assert reg.rtilde(X) == pytest.approx(m.rtilde(X), rel=1e-5)
    assert reg.certified_r() == pytest.approx(m.certified_r(), rel=1e-6)
    Xc, yc = occam.data.task("majority:5")
    clf = occam.ResNetClassifier(hidden=8, epochs=30).fit(Xc, yc[:, 0])
    p = clf.predict_proba(Xc)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(Xc), clf.classes_[(p[:, 1] > 0.5).astype(int)])


# ---------------------------------------------------------------------------------------------------------
# scikit-learn's estimator checks.

sklearn = pytest.importorskip("sklearn")
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

CHECK_ESTIMATORS = [
    occam.CircuitClassifier(**SMALL_FIT),
    occam.ResNetRegressor(hidden=4, epochs=3),
    occam.ResNetClassifier(hidden=4, epochs=3),
    occam.ConvexReLURegressor(patterns=10, max_iterations=200),
    occam.ConvexReLUClassifier(patterns=10, max_iterations=200),
]

# The checks run here: the API contract (parameters, cloning, fitted state, input validation). They are a
# subset of check_estimator's list, chosen to keep the suite fast (each CircuitClassifier fit runs the whole
# occam fit pipeline). Checks outside it that fail today, recorded in docs/python.md: sparse input, pickling
# (the pybind11 objects do not pickle), 2-D y / y=None / regression targets for classifiers, and the
# accuracy bars of check_classifiers_train / check_regressors_train with these tiny training budgets.
CHECKS = {
    "check_no_attributes_set_in_init", "check_parameters_default_constructible", "check_get_params_invariance",
    "check_set_params", "check_estimators_unfitted", "check_fit_check_is_fitted", "check_n_features_in",
    "check_estimators_empty_data_messages", "check_estimators_nan_inf", "check_dont_overwrite_parameters",
    "check_fit_idempotent", "check_complex_data",
}


def _checks():
    for est in CHECK_ESTIMATORS:
        for e, check in check_estimator(est, generate_only=True):
            name = getattr(check, "func", check).__name__
            if name not in CHECKS:
                continue
            yield pytest.param(e, check, id=f"{type(est).__name__}-{name}")


@pytest.mark.parametrize("estimator,check", list(_checks()))
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)
