# bench/compare_indexing.py
# Indexing next to numpy (cpu) or CuPy (cuda): boolean masks, integer arrays, strided
# selections, nonzero, transposes and concatenation.
"""Side-by-side timing of ``x[mask]``, ``x[mask] = 0``, ``x[idx]``, ``x[rows]``, ``x[:, cols]``,
``x[::2]``, ``nonzero``, ``x.T`` and ``concatenate`` in one run.

    python bench/compare_indexing.py [--device cpu|cuda:0] [--repeats N]

The peer is numpy on the CPU and CuPy on a CUDA device (skipped with a message when CuPy is
missing). Each row is the median over repeats of the mean time per call, synchronized after
every call; results are checked against numpy first. A ratio above 1 means dotcompute is slower.
The strided selections are views in numpy and CuPy and copies in dotcompute (docs/design.md §4):
those rows show what the copy costs, not the same work. ``x.T`` is timed against the peer's
contiguous copy of its transposed view (``ascontiguousarray(x.T)``), the same work.
"""

from __future__ import annotations

import argparse
import sys

from timing import format_time, restart_without_slow_openblas_settings, seconds_per_call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="a dotcompute device spec")
    parser.add_argument("--repeats", type=int, default=9, help="timed repeats per case")
    options = parser.parse_args()

    import numpy as np

    import dotcompute as dc

    device = options.device
    if device.startswith("cuda"):
        try:
            import cupy as peer
        except ImportError:
            print("CuPy is not installed: no peer on CUDA; skipped")
            return 0
        peer_name = f"CuPy {peer.__version__}"

        def peer_sync() -> None:
            peer.cuda.Device().synchronize()

    else:
        peer, peer_name = np, f"numpy {np.__version__}"

        def peer_sync() -> None:
            pass

    rng = np.random.default_rng(0)
    flat = rng.random(1 << 24, dtype=np.float32)
    pieces = {
        "flat": flat,
        "mask": flat > 0.5,
        "idx": rng.integers(0, flat.size, size=1 << 22),
        "square": rng.random((4096, 4096), dtype=np.float32),
        "lines": rng.integers(0, 4096, size=300),
        "small": flat[:1000].copy(),
    }
    ours = {name: dc.asarray(value, device=device) for name, value in pieces.items()}
    theirs = {name: peer.asarray(value) for name, value in pieces.items()}
    for key in ("mask", "idx"):
        np.testing.assert_array_equal(ours["flat"][ours[key]].numpy(), flat[pieces[key]])
    square, lines = pieces["square"], pieces["lines"]
    np.testing.assert_array_equal(ours["square"][ours["lines"]].numpy(), square[lines])
    np.testing.assert_array_equal(ours["square"][:, ours["lines"]].numpy(), square[:, lines])
    np.testing.assert_array_equal(ours["square"][::2].numpy(), square[::2])
    np.testing.assert_array_equal(dc.flatnonzero(ours["mask"]).numpy(), np.flatnonzero(flat > 0.5))
    np.testing.assert_array_equal(ours["square"].T.numpy(), square.T)

    def assign_zero(a) -> None:
        a["flat"][a["mask"]] = 0.0

    def transposed(a):
        square = a["square"]
        return square.T if isinstance(square, dc.Array) else peer.ascontiguousarray(square.T)

    def joined(a):
        return (dc if isinstance(a["square"], dc.Array) else peer).concatenate(
            [a["square"], a["square"]], axis=1
        )

    def nonzero(a):
        return (dc if isinstance(a["mask"], dc.Array) else peer).nonzero(a["mask"])

    cases = [
        ("x[mask], 16M float32", lambda a: a["flat"][a["mask"]]),
        ("x[mask] = 0, 16M float32", assign_zero),
        ("nonzero(mask), 16M", nonzero),
        ("x[idx], 4M of 16M float32", lambda a: a["flat"][a["idx"]]),
        ("x[rows], 300 of 4096^2", lambda a: a["square"][a["lines"]]),
        ("x[:, cols], 300 of 4096^2", lambda a: a["square"][:, a["lines"]]),
        ("x[::2], 4096^2 (peer: a view)", lambda a: a["square"][::2]),
        ("x[:, 7], 4096^2 (peer: a view)", lambda a: a["square"][:, 7]),
        ("x[[1, 5, 9]], 1000 float32", lambda a: a["small"][[1, 5, 9]]),
        ("x.T, 4096^2 float32 (a copy)", transposed),
        ("concatenate axis 1, 2 x 4096^2", joined),
    ]

    print(f"dotcompute {dc.__version__} on {device!r}, {peer_name}")
    print(f"{'case':<30}{'dotcompute':>14}{'peer':>14}{'ratio':>9}")
    for name, operation in cases:

        def ours_call(operation=operation) -> None:
            operation(ours)
            dc.synchronize(device)

        def theirs_call(operation=operation) -> None:
            operation(theirs)
            peer_sync()

        ours_time = seconds_per_call(ours_call, options.repeats)
        theirs_time = seconds_per_call(theirs_call, options.repeats)
        ratio = ours_time / theirs_time
        print(f"{name:<30}{format_time(ours_time):>14}{format_time(theirs_time):>14}{ratio:>8.2f}x")
    return 0


if __name__ == "__main__":
    restart_without_slow_openblas_settings()
    sys.exit(main())
