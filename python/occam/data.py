"""occam.data: the library's loaders (CSV, NPY, PLA, IWLS truth tables, IDX, Fashion-MNIST, built-in tasks)
returning numpy arrays. Errors (bad file, line, value) raise ValueError naming the file and line."""
from . import _core


def load(path_or_spec, *, targets=None, max_rows=0, kind="", seed=1, samples=0, info=False):
    """(X, y) float32 arrays from a file or a built-in task spec ('parity:8', 'adder-msb:6', ...), as
    data::load_dataset reads it (docs/data.md). y is n × d_out (class indices for multiclass). With
    info=True a third value: dict with name, kind, n_classes, boolean_inputs and the input box."""
    r = _core._load_dataset(str(path_or_spec), "" if targets is None else str(targets), int(max_rows), kind,
                            int(seed), int(samples))
    if info:
        meta = {k: r[k] for k in ("name", "kind", "n_classes", "boolean_inputs", "box")}
        return r["X"], r["y"], meta
    return r["X"], r["y"]


def task(spec, *, seed=1, samples=0, info=False):
    """A built-in task (data::make_task): all 2^n rows of a Boolean task with n ≤ 16 unless samples > 0."""
    return load(spec, seed=seed, samples=samples, info=info)


def fashion_mnist(split="train", max_rows=0, info=False):
    """Fashion-MNIST from Debian's dataset-fashion-mnist (or $OCCAM_FASHION_MNIST_DIR): X in [0, 1]."""
    return load(f"fashion-mnist:{split}", max_rows=max_rows, info=info)
