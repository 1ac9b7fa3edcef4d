"""scikit-learn estimators over occam: CircuitClassifier (occam fit → an AIG), ResNetRegressor /
ResNetClassifier (the THEORY §1 ResNet with complexity penalties), ConvexReLUClassifier / Regressor (the
convex programs of THEORY §10)."""
import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils.validation import check_array as _check_array
    from sklearn.utils.validation import check_is_fitted
except ImportError:  # the estimators need scikit-learn; the rest of occam does not
    BaseEstimator = object
    _check_array = None

    class ClassifierMixin:  # noqa: D101
        pass

    class RegressorMixin:  # noqa: D101
        pass

    def check_is_fitted(est, attr):
        if not hasattr(est, attr):
            raise AttributeError(f"{type(est).__name__} is not fitted yet")

from . import _core
from ._util import as_array


def _check_X(X, name="X", n_features=None):
    X = as_array(X, name)
    if _check_array is not None:
        # scikit-learn's own validation, for its messages (sparse, complex, NaN, 0 samples or features).
        X = _check_array(X, dtype=None if getattr(X, "dtype", None) == np.bool_ else "numeric")
    elif X.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (samples × features), got {X.ndim} dimension(s)")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features, but the estimator is expecting {n_features} features "
                         "as input")
    return X


def _check_y(y, n):
    y = np.asarray(as_array(y, "y"))
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y: expected a 1-D array, got shape {y.shape}")
    if y.shape[0] != n:
        raise ValueError(f"X has {n} rows but y has {y.shape[0]}")
    return y


def _encode_classes(y):
    classes, codes = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(f"y has 1 class ({classes[0]!r}); a classifier needs at least 2 classes")
    return classes, codes


class CircuitClassifier(ClassifierMixin, BaseEstimator):
    """A binary classifier that is a Boolean circuit: fit runs the `occam fit` pipeline (fit::fit) and keeps
    the chosen AIG; predict simulates it. Inputs are bits: bool arrays are used as they are, other arrays
    become X > threshold (the library's Boolean convention, threshold 0.5). max_ands bounds the circuit
    (IWLS rule). Attributes: circuit_ (occam.Circuit), model_ (the chosen ResNet or None), front_, report_,
    classes_, n_features_in_."""

    def __init__(self, max_ands=None, threshold=0.5, lambdas=(1e-4, 1e-3, 3e-3), epochs=100, hidden=16, depth=2,
                 keep_fractions=(1.0, 0.5, 0.25, 0.125, 0.0625), finetune_epochs=10, bits=(2, 3, 4, 6, 8),
                 abc_script="fast", final_abc_script="medium", max_compile=12, tolerance=0.0,
                 selection_inputs=16, seed=0):
        self.max_ands = max_ands
        self.threshold = threshold
        self.lambdas = lambdas
        self.epochs = epochs
        self.hidden = hidden
        self.depth = depth
        self.keep_fractions = keep_fractions
        self.finetune_epochs = finetune_epochs
        self.bits = bits
        self.abc_script = abc_script
        self.final_abc_script = final_abc_script
        self.max_compile = max_compile
        self.tolerance = tolerance
        self.selection_inputs = selection_inputs
        self.seed = seed

    def _bits(self, X):
        X = _check_X(X, n_features=getattr(self, "n_features_in_", None))
        if X.dtype == np.bool_:
            return X
        return np.ascontiguousarray(X > self.threshold)

    def fit(self, X, y, X_valid=None, y_valid=None):
        from . import fit as occam_fit
        Xb = self._bits(X)
        y = _check_y(y, Xb.shape[0])
        if Xb.shape[0] < 2:
            raise ValueError("CircuitClassifier needs at least 2 samples (got 1 sample)")
        self.classes_, codes = _encode_classes(y)
        if self.classes_.size > 2:
            raise ValueError(f"CircuitClassifier is binary: y has {self.classes_.size} classes")
        self.n_features_in_ = Xb.shape[1]
        valid = {}
        if X_valid is not None:
            Xv = self._bits(X_valid)
            yv = _check_y(y_valid, Xv.shape[0])
            unknown = set(np.unique(yv)) - set(self.classes_)
            if unknown:
                raise ValueError(f"y_valid has classes not in y: {sorted(unknown)}")
            valid = dict(X_valid=Xv.astype(np.float32), y_valid=np.searchsorted(self.classes_, yv).astype(np.float32))
        r = occam_fit(Xb.astype(np.float32), codes.astype(np.float32), max_ands=self.max_ands, kind="binary",
                      lambdas=list(self.lambdas), epochs=self.epochs, hidden=self.hidden, depth=self.depth,
                      keep_fractions=list(self.keep_fractions), finetune_epochs=self.finetune_epochs,
                      bits=list(self.bits), abc_script=self.abc_script, final_abc_script=self.final_abc_script,
                      max_compile=self.max_compile, tolerance=self.tolerance,
                      selection_inputs=self.selection_inputs, seed=self.seed, **valid)
        if r.circuit is None:
            raise ValueError(f"no circuit with at most {self.max_ands} AND nodes was found")
        self.circuit_, self.front_, self.report_, self.model_ = r.circuit, r.front, r.report, r.model
        return self

    def predict(self, X):
        check_is_fitted(self, "circuit_")
        out = self.circuit_.simulate(self._bits(X))
        return self.classes_[out[:, 0].astype(np.intp)]

    def to_aiger(self, path):
        """Writes circuit_ as AIGER (.aig binary, .aag ASCII)."""
        check_is_fitted(self, "circuit_")
        self.circuit_.to_aiger(path)

    def _more_tags(self):
        # Thresholding real features at 0.5 loses what the sklearn check data carry (poor_score);
        # the circuit has one output bit (binary_only).
        return {"binary_only": True, "poor_score": True}


class _ResNetBase(BaseEstimator):
    def __init__(self, hidden=16, depth=2, width=0, epochs=100, batch=128, lr=1e-3, optimizer="adam",
                 penalty="none", lam=0.0, proximal=True, seed=0, threads=0):
        self.hidden = hidden
        self.depth = depth
        self.width = width
        self.epochs = epochs
        self.batch = batch
        self.lr = lr
        self.optimizer = optimizer
        self.penalty = penalty
        self.lam = lam
        self.proximal = proximal
        self.seed = seed
        self.threads = threads

    def _train(self, X, Y, kind):
        from . import train
        self.n_features_in_ = X.shape[1]
        self.model_, self.train_stats_ = train(
            X.astype(np.float32), Y.astype(np.float32), kind, hidden=self.hidden, depth=self.depth, width=self.width,
            epochs=self.epochs, batch=self.batch, lr=self.lr, optimizer=self.optimizer, penalty=self.penalty,
            lam=self.lam, proximal=self.proximal, seed=self.seed, threads=self.threads)
        return self

    def _forward(self, X):
        check_is_fitted(self, "model_")
        X = _check_X(X, n_features=self.n_features_in_)
        return self.model_.forward(np.ascontiguousarray(X, dtype=np.float32))

    def rtilde(self, X):
        """R̃ of the fitted network with π = the rows of X (THEORY §2)."""
        check_is_fitted(self, "model_")
        return self.model_.rtilde(np.ascontiguousarray(_check_X(X, n_features=self.n_features_in_), dtype=np.float32))

    def certified_r(self):
        """The certified R of the fitted network over the training data's box (THEORY §3)."""
        check_is_fitted(self, "model_")
        return self.model_.certified_r()


class ResNetRegressor(RegressorMixin, _ResNetBase):
    """The THEORY §1 ResNet trained with MSE and an optional penalty (none, l1, l2, rtilde, r; weight lam).
    Attributes: model_ (occam.ResNet), train_stats_, n_features_in_."""

    def fit(self, X, y):
        X = _check_X(X)
        y = np.asarray(as_array(y, "y"), dtype=np.float64)
        self._y_1d = y.ndim == 1
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if Y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {Y.shape[0]}")
        return self._train(X, Y, "regression")

    def predict(self, X):
        out = self._forward(X).astype(np.float64)
        return out[:, 0] if self._y_1d else out


class ResNetClassifier(ClassifierMixin, _ResNetBase):
    """The THEORY §1 ResNet as a classifier: logistic loss for two classes, cross-entropy for more.
    Attributes: model_, classes_, train_stats_, n_features_in_."""

    def fit(self, X, y):
        X = _check_X(X)
        y = _check_y(y, X.shape[0])
        self.classes_, codes = _encode_classes(y)
        kind = "binary" if self.classes_.size == 2 else "multiclass"
        return self._train(X, codes.reshape(-1, 1).astype(np.float64), kind)

    def decision_function(self, X):
        out = self._forward(X).astype(np.float64)
        return out[:, 0] if self.classes_.size == 2 else out

    def predict_proba(self, X):
        d = self.decision_function(X)
        if self.classes_.size == 2:
            p = 1.0 / (1.0 + np.exp(-d))
            return np.column_stack([1 - p, p])
        e = np.exp(d - d.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X):
        d = self.decision_function(X)
        idx = (d > 0).astype(np.intp) if self.classes_.size == 2 else d.argmax(axis=1)
        return self.classes_[idx]


class _ConvexBase(BaseEstimator):
    def __init__(self, lam=1e-3, model="gated_relu", layers=2, width=2, patterns=100, bias=True, seed=0,
                 max_iterations=20000, tol=1e-6):
        self.lam = lam
        self.model = model
        self.layers = layers
        self.width = width
        self.patterns = patterns
        self.bias = bias
        self.seed = seed
        self.max_iterations = max_iterations
        self.tol = tol

    def _design(self, X):
        X = np.asarray(X, dtype=np.float32)
        return np.ascontiguousarray(np.column_stack([X, np.ones(len(X), np.float32)]) if self.bias else X)

    def _solve(self, X, T, loss):
        from . import convex
        if self.model not in ("gated_relu", "relu"):
            raise ValueError(f"model: choices are gated_relu, relu (got {self.model!r})")
        if self.layers not in (2, 3):
            raise ValueError(f"layers: 2 or 3 (got {self.layers!r})")
        self.n_features_in_ = X.shape[1]
        Z = self._design(X)
        kw = dict(patterns=self.patterns, seed=self.seed, max_iterations=self.max_iterations, tol=self.tol)
        if self.layers == 2:
            solver = convex.gated2 if self.model == "gated_relu" else convex.relu2
            self.result_ = solver(Z, T, self.lam, loss=loss, **kw)
        else:
            if loss != "squared":
                raise ValueError("three-layer programs use the squared loss")
            solver = convex.gated3 if self.model == "gated_relu" else convex.path3
            self.result_ = solver(Z, T, self.lam, width=self.width, **kw)
        self.metrics_ = self.result_.metrics
        return self

    def _outputs(self, X):
        check_is_fitted(self, "result_")
        X = _check_X(X, n_features=self.n_features_in_)
        out = np.asarray(self.result_.predict(self._design(X)), dtype=np.float64)
        return out.reshape(len(X), -1)


class ConvexReLURegressor(RegressorMixin, _ConvexBase):
    """Two- or three-layer ReLU regression solved to global optimality through its convex program (THEORY
    §10; gated_relu or relu model, squared loss, λ = lam with the objective divided by n). Attributes:
    result_ (occam.convex.ConvexResult), metrics_, n_features_in_."""

    def fit(self, X, y):
        X = _check_X(X)
        y = np.asarray(as_array(y, "y"), dtype=np.float32)
        self._y_1d = y.ndim == 1
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
        if (self.model == "relu" or self.layers == 3 and self.model == "relu") and not self._y_1d and y.shape[1] != 1:
            raise ValueError("the relu model fits one output")
        return self._solve(X, np.ascontiguousarray(y), "squared")

    def predict(self, X):
        out = self._outputs(X)
        return out[:, 0] if self._y_1d else out


class ConvexReLUClassifier(ClassifierMixin, _ConvexBase):
    """Classification through the convex programs: two classes with the logistic loss on ±1 labels (two
    layers) or the squared loss on ±1 (three layers); more classes with the squared loss on ±1 one-hot
    targets (gated_relu). Attributes: result_, metrics_, classes_, n_features_in_."""

    def fit(self, X, y):
        X = _check_X(X)
        y = _check_y(y, X.shape[0])
        self.classes_, codes = _encode_classes(y)
        if self.classes_.size == 2:
            T = (2.0 * codes - 1.0).astype(np.float32)
            return self._solve(X, T, "logistic" if self.layers == 2 else "squared")
        if self.model == "relu":
            raise ValueError("the relu model fits one output: use model='gated_relu' for more than 2 classes")
        T = -np.ones((len(codes), self.classes_.size), np.float32)
        T[np.arange(len(codes)), codes] = 1.0
        return self._solve(X, T, "squared")

    def decision_function(self, X):
        out = self._outputs(X)
        return out[:, 0] if self.classes_.size == 2 else out

    def predict(self, X):
        d = self.decision_function(X)
        idx = (d > 0).astype(np.intp) if self.classes_.size == 2 else d.argmax(axis=1)
        return self.classes_[idx]
