"""Call overhead of occam's Python bindings: Circuit.simulate and ResNet.forward from Python against the same
library calls timed inside C++ (occam._core._bench_*), on 10^6 patterns. Best of --repeats runs each.

    PYTHONPATH=build/python OMP_NUM_THREADS=1 python3 bench/python/call_overhead.py

Circuit: the MSB of an 8+8-bit adder synthesised from its truth table plus ABC's resyn2 (or an IWLS 2020
sum of products with --pla). Baselines: circuit::simulate on the packed patterns; resnet::forward on the
same float32 tensor.
"""
import argparse
import time

import numpy as np

import occam
from occam import _core

ap = argparse.ArgumentParser()
ap.add_argument("--patterns", type=int, default=1_000_000)
ap.add_argument("--repeats", type=int, default=5)
ap.add_argument("--pla", default=None, help="circuit from a PLA (sum of products) instead of the adder")
args = ap.parse_args()
n = args.patterns


def best(f):
    t = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return min(t)


if args.pla:
    c = occam.Circuit.read(args.pla)
else:
    X, y = occam.data.task("adder-msb:8")
    tt = np.zeros(2 ** X.shape[1], np.uint8)
    tt[(X.astype(np.int64) << np.arange(X.shape[1])).sum(axis=1)] = y[:, 0]
    c, _ = occam.synthesize(tt, abc_script="medium")
rng = np.random.default_rng(0)
Xb = rng.integers(0, 2, size=(n, c.num_inputs), dtype=np.uint8)
words = rng.integers(0, 2 ** 63, size=(c.num_inputs, (n + 63) // 64), dtype=np.uint64)
cpp = _core._bench_simulate_cpp(c, words, n, args.repeats)
py_packed = best(lambda: c.simulate_packed(words, n))
py_bytes = best(lambda: c.simulate(Xb))
print(f"circuit: {c.num_inputs} inputs, {c.num_ands} ANDs, {n} patterns")
print(f"  C++ circuit::simulate (packed)        {cpp * 1e3:9.2f} ms")
print(f"  Python Circuit.simulate_packed        {py_packed * 1e3:9.2f} ms   ratio {py_packed / cpp:.3f}")
print(f"  Python Circuit.simulate (uint8 rows)  {py_bytes * 1e3:9.2f} ms   ratio {py_bytes / cpp:.3f} "
      f"(includes packing n×inputs bytes and unpacking)")

m = occam.ResNet(d_in=16, width=32, hidden=32, depth=4, d_out=1, seed=1)
Xf = rng.random((n, 16), dtype=np.float32)
cpp_f = _core._bench_forward_cpp(m, Xf, args.repeats)
py_f = best(lambda: m.forward(Xf))
print(f"resnet: d_in 16, w 32, k 32, L 4, {n} rows (float32, C order: no copy)")
print(f"  C++ resnet::forward                   {cpp_f * 1e3:9.2f} ms")
print(f"  Python ResNet.forward                 {py_f * 1e3:9.2f} ms   ratio {py_f / cpp_f:.3f}")
