# bench/profile_indexing.py
# Where the time of one indexing call goes on a device: cProfile of repeated calls.
"""Profiles ``x[rows]``, ``x[::2]`` and ``x[:, 7]`` on a device (default cuda:0) and prints the
functions that took the most time, to find host-side overhead.

    python bench/profile_indexing.py [--device cuda:0] [--calls N]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import numpy as np

import dotcompute as dc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda:0")
    parser.add_argument("--calls", type=int, default=200)
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    square = dc.asarray(rng.random((4096, 4096), dtype=np.float32), device=options.device)
    lines = rng.integers(0, 4096, size=300)
    cases = {
        "x[rows]": lambda: square[lines],
        "x[::2]": lambda: square[::2],
        "x[:, 7]": lambda: square[:, 7],
    }
    for name, call in cases.items():
        call()
        dc.synchronize(options.device)
        start = time.perf_counter()
        for _ in range(options.calls):
            call()
        queued = time.perf_counter() - start
        dc.synchronize(options.device)
        total = time.perf_counter() - start
        print(
            f"{name}: {1e6 * queued / options.calls:.1f} us a call queued, "
            f"{1e6 * total / options.calls:.1f} us with the final wait"
        )
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(options.calls):
            call()
        dc.synchronize(options.device)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(8)


if __name__ == "__main__":
    main()
