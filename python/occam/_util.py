"""Array conversion and progress reporting shared by the occam Python package."""
import numpy as np


def as_array(a, name="X"):
    """numpy view of `a`: ndarrays pass unchanged, torch tensors (and anything with .numpy()) are converted
    without a copy where their memory allows (CPU, no gradient)."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "detach") and hasattr(a, "numpy"):
        return a.detach().cpu().numpy()
    if hasattr(a, "numpy"):
        return a.numpy()
    try:
        return np.asarray(a)
    except Exception as e:  # noqa: BLE001 - any conversion failure is bad input
        raise ValueError(f"{name}: cannot convert {type(a).__name__} to an array: {e}") from None


def progress_callback(callback, progress, total=None, desc="occam"):
    """The callback long calls receive: the user's, else a tqdm bar when progress=True and tqdm is installed,
    else None (the library still checks for Ctrl-C between steps)."""
    if callback is not None:
        return callback
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    bar = tqdm(total=total, desc=desc, leave=False)

    def update(info):
        bar.update(1)
        if "train_loss" in info:
            bar.set_postfix(loss=f"{info['train_loss']:.4g}")

    return update
