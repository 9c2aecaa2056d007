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

import sys

from timing import comparison_setup, print_side_by_side, restart_without_slow_openblas_settings


def main() -> int:
    options, peer = comparison_setup(__doc__.splitlines()[0])
    if peer.module is None:
        return 0

    import numpy as np

    import dotcompute as dc

    device = options.device

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
    theirs = {name: peer.module.asarray(value) for name, value in pieces.items()}
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
        return square.T if isinstance(square, dc.Array) else peer.module.ascontiguousarray(square.T)

    def joined(a):
        return (dc if isinstance(a["square"], dc.Array) else peer.module).concatenate(
            [a["square"], a["square"]], axis=1
        )

    def nonzero(a):
        return (dc if isinstance(a["mask"], dc.Array) else peer.module).nonzero(a["mask"])

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

    print_side_by_side(cases, ours, theirs, device, peer, options.repeats)
    return 0


if __name__ == "__main__":
    restart_without_slow_openblas_settings()
    sys.exit(main())
