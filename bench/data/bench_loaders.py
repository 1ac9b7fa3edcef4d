#!/usr/bin/python3
"""Loader speed: occam's data loaders against NumPy, in the same run.

Usage (from the repository root, after building the occam binary):
    nice /usr/bin/python3 bench/data/bench_loaders.py build/apps/occam/occam [--rows 100000] [--repeats 3]

For each format it times `occam data info --data FILE` as a whole process (load + validate + summary) and the
NumPy peer both as a whole process (`python3 -c 'import numpy; load'`) and in-process (the load call only,
NumPy already imported), and prints a markdown table with median CPU seconds (user + sys; wall time is
meaningless on a shared, loaded machine) and the ratios peer/occam (> 1: occam is faster). Needs /usr/bin/python3 with numpy (Debian python3-numpy).
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

FMNIST = "/usr/share/datasets/fashion-mnist"


def cpu(cmd, repeats):
    """Median CPU time (user + sys) of a whole process: robust on a shared, loaded machine."""
    times = []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def inproc(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times)


def idx_numpy(images, labels):
    import gzip
    with gzip.open(images, "rb") as f:
        b = f.read()
    n, h, w = (int.from_bytes(b[i:i + 4], "big") for i in (4, 8, 12))
    x = np.frombuffer(b, np.uint8, n * h * w, 16).reshape(n, h * w).astype(np.float32) / 255
    with gzip.open(labels, "rb") as f:
        y = np.frombuffer(f.read(), np.uint8, n, 8)
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("occam")
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--cols", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    occam = os.path.abspath(a.occam)
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        m = rng.standard_normal((a.rows, a.cols + 1))
        csv = os.path.join(tmp, "m.csv")
        np.savetxt(csv, m, delimiter=",", fmt="%.8g", header=",".join(f"c{i}" for i in range(a.cols + 1)),
                   comments="")
        npy = os.path.join(tmp, "m.npy")
        np.save(npy, m)
        cases = [
            (f"CSV {a.rows}×{a.cols + 1}", csv, f"import numpy as np; np.loadtxt('{csv}', delimiter=',', skiprows=1)",
             lambda: np.loadtxt(csv, delimiter=",", skiprows=1), "np.loadtxt"),
            (f"NPY {a.rows}×{a.cols + 1} f64", npy, f"import numpy as np; np.load('{npy}')", lambda: np.load(npy),
             "np.load"),
        ]
        if os.path.exists(os.path.join(FMNIST, "train-images-idx3-ubyte.gz")):
            img = os.path.join(FMNIST, "train-images-idx3-ubyte.gz")
            lab = os.path.join(FMNIST, "train-labels-idx1-ubyte.gz")
            code = ("import gzip, numpy as np; b=gzip.open('%s','rb').read(); "
                    "x=np.frombuffer(b,np.uint8,60000*784,16).reshape(60000,784).astype(np.float32)/255; "
                    "y=np.frombuffer(gzip.open('%s','rb').read(),np.uint8,60000,8)" % (img, lab))
            cases.append(("IDX Fashion-MNIST train (gz, 60000×784)", img, code, lambda: idx_numpy(img, lab),
                          "gzip + np.frombuffer"))
        for name, path, code, fn, peer in cases:
            t_occam = cpu([occam, "data", "info", "--data", path], a.repeats)
            t_py = cpu([sys.executable, "-c", code], a.repeats)
            t_in = inproc(fn, a.repeats)
            rows.append((name, peer, t_occam, t_py, t_in))
    print("CPU seconds (user + sys), median of %d runs; ratio = peer / occam (> 1: occam is faster)." % a.repeats)
    print()
    print("| data | peer | occam data info (s) | peer process (s) | peer in-process (s) | process ratio | "
          "in-process ratio |")
    print("|---|---|---|---|---|---|---|")
    for name, peer, t_o, t_p, t_i in rows:
        print(f"| {name} | {peer} | {t_o:.3f} | {t_p:.3f} | {t_i:.3f} | {t_p / t_o:.2f} | {t_i / t_o:.2f} |")


if __name__ == "__main__":
    main()
