# bench/compare_elementwise.py
# Array arithmetic with numbers, broadcasting, mixed dtypes, comparisons, where, astype, argmax
# and any, next to numpy (cpu) or CuPy (cuda).
"""Side-by-side timing of ``x * 2.0``, ``x - row``, ``x < y``, ``where`` and more in one run.

    python bench/compare_elementwise.py [--device cpu|cuda:0] [--repeats N]

The peer is numpy on the CPU and CuPy on a CUDA device (skipped with a message when CuPy is
missing). Each row is the median over repeats of the mean time per call, synchronized after
every call; results are checked against numpy first. A ratio above 1 means dotcompute is slower.
"""

from __future__ import annotations

import sys

from timing import comparison_setup, print_side_by_side, restart_without_slow_openblas_settings


def main() -> int:
    options, peer = comparison_setup(__doc__.splitlines()[0])
    if peer.module is None:
        return 0

    import numpy as np  # after any restart, so that OpenBLAS sees the cleaned environment

    import dotcompute as dc

    device = options.device

    host = np.random.default_rng(0).random((4096, 4096), dtype=np.float32)
    pieces = {"x": host, "row": host[:1].copy(), "column": host[:, :1].copy()}
    pieces["small"] = host[0, :1000].copy()
    pieces["y"] = np.random.default_rng(1).random((4096, 4096), dtype=np.float32)
    pieces["wide"] = pieces["y"].astype(np.float64)
    ours = {name: dc.asarray(value, device=device) for name, value in pieces.items()}
    theirs = {name: peer.module.asarray(value) for name, value in pieces.items()}
    np.testing.assert_allclose((ours["x"] - ours["row"]).numpy(), host - pieces["row"])
    np.testing.assert_allclose((ours["x"] * ours["column"]).numpy(), host * pieces["column"])
    np.testing.assert_allclose((ours["x"] * 2.0).numpy(), host * 2.0)
    np.testing.assert_array_equal((ours["x"] < ours["y"]).numpy(), host < pieces["y"])
    np.testing.assert_array_equal((ours["x"] + ours["wide"]).numpy(), host + pieces["wide"])
    assert int(dc.argmax(ours["x"])) == int(np.argmax(host))
    np.testing.assert_array_equal(dc.argmax(ours["x"], axis=1).numpy(), np.argmax(host, axis=1))
    where = dc.where(ours["x"] > 0.5, ours["x"], 0.0).numpy()
    np.testing.assert_array_equal(where, np.where(host > 0.5, host, np.float32(0)))

    cases = [
        ("x * 2.0, 16M float32", lambda a: a["x"] * 2.0),
        ("x - row, 4096^2 float32", lambda a: a["x"] - a["row"]),
        ("x * column, 4096^2 float32", lambda a: a["x"] * a["column"]),
        ("x * 2.0, 1000 float32", lambda a: a["small"] * 2.0),
        ("x.astype(float64), 16M", lambda a: a["x"].astype(np.float64)),
        ("x < y, 16M float32", lambda a: a["x"] < a["y"]),
        ("maximum(x, 0.5), 16M", lambda a: maximum(a["x"], 0.5)),
        ("x + y float64, 16M mixed", lambda a: a["x"] + a["wide"]),
        ("where(x > 0.5, x, 0), 16M", lambda a: where_of(a["x"] > 0.5, a["x"], 0.0)),
        ("argmax(x), 16M float32", lambda a: library(a["x"]).argmax(a["x"])),
        ("argmax(x, axis=1), 4096^2", lambda a: library(a["x"]).argmax(a["x"], axis=1)),
        ("any(x > 0.99), 16M", lambda a: library(a["x"]).any(a["x"] > 0.99)),
    ]

    def library(x):
        return dc if isinstance(x, dc.Array) else peer.module

    def maximum(x, value):
        return (dc if isinstance(x, dc.Array) else peer.module).maximum(x, value)

    def where_of(condition, x, value):
        return (dc if isinstance(x, dc.Array) else peer.module).where(condition, x, value)

    print_side_by_side(cases, ours, theirs, device, peer, options.repeats)
    return 0


if __name__ == "__main__":
    restart_without_slow_openblas_settings()
    sys.exit(main())
