"""Numbers and broadcasting on CUDA against CuPy, same process: per-call time over 50 calls."""
import time

import cupy as cp
import numpy as np

import dotcompute as dc


def per_call(fn, sync, reps=50):
    fn()
    sync()
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    sync()
    return (time.perf_counter() - start) / reps * 1e6


host = np.random.default_rng(0).random((4096, 4096), dtype=np.float32)
x, cx = dc.asarray(host, device="cuda:0"), cp.asarray(host)
row, crow = dc.asarray(host[:1].copy(), device="cuda:0"), cp.asarray(host[:1])
col, ccol = dc.asarray(host[:, :1].copy(), device="cuda:0"), cp.asarray(host[:, :1])
small, csmall = dc.asarray(host[0, :1000].copy(), device="cuda:0"), cp.asarray(host[0, :1000])
dsync = lambda: dc.synchronize("cuda:0")  # noqa: E731
csync = cp.cuda.Device().synchronize
cases = [
    ("x * 2.0, 16M float32", lambda: x * 2.0, lambda: cx * 2.0),
    ("x - row, 4096^2", lambda: x - row, lambda: cx - crow),
    ("x * column, 4096^2", lambda: x * col, lambda: cx * ccol),
    ("x * 2.0, 1000 float32", lambda: small * 2.0, lambda: csmall * 2.0),
    ("x.astype(float64), 16M", lambda: x.astype("float64"), lambda: cx.astype(cp.float64)),
]
assert np.allclose((x - row).numpy(), host - host[:1])
assert np.allclose((x * col).numpy(), host * host[:, :1])
print(f"{'case':28s} {'dc us':>10s} {'cupy us':>10s} {'ratio':>7s}")
for name, ours, theirs in cases:
    a, b = per_call(ours, dsync), per_call(theirs, csync)
    print(f"{name:28s} {a:10.1f} {b:10.1f} {a / b:7.2f}x")
