# bench/compare_builtins.py
# Times dotcompute's built-ins next to numpy in one run and prints a table with ratios.
"""Side-by-side timing of dotcompute built-ins and numpy, without asv.

    python bench/compare_builtins.py [--repeats N]

Each row is the median over repeats of the mean time per call, measured with
time.perf_counter. A ratio above 1 means dotcompute is slower than numpy.
"""

from __future__ import annotations

import argparse
import sys

from timing import format_time, restart_without_slow_openblas_settings, seconds_per_call

DEVICE = "cpu"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per case")
    repeats = parser.parse_args().repeats

    # Imported only now, after any restart, so that OpenBLAS sees the cleaned environment.
    import numpy as np

    import dotcompute as dc

    rng = np.random.default_rng(0)

    def pair(count: int):
        host = rng.random(count, dtype=np.float32) + 1
        return host, dc.asarray(host, device=DEVICE)

    np_a, a = pair(1 << 20)
    np_b, b = pair(1 << 20)
    np_c, c = np.empty_like(np_a), dc.empty(1 << 20, dtype="float32", device=DEVICE)
    np_x, x = pair(1 << 24)
    np_a1, a1 = pair(1)
    np_b1, b1 = pair(1)
    np_c1, c1 = np.empty(1, np.float32), dc.empty(1, dtype="float32", device=DEVICE)

    def add_1m():
        dc.add(a, b, out=c)
        dc.synchronize()  # device work is asynchronous: count it until the result exists

    cases = [
        ("add 1M float32 (out=)", add_1m, lambda: np.add(np_a, np_b, out=np_c)),
        ("sum 16M float32", lambda: float(dc.sum(x)), lambda: float(np.sum(np_x))),
        (
            "add 1 element (out=)",
            lambda: dc.add(a1, b1, out=c1),
            lambda: np.add(np_a1, np_b1, out=np_c1),
        ),
    ]
    print(f"dotcompute {dc.__version__}, numpy {np.__version__}, device {DEVICE!r}")
    print(f"{'case':<24}{'dotcompute':>14}{'numpy':>14}{'ratio':>9}")
    for name, ours, theirs in cases:
        ours_time = seconds_per_call(ours, repeats)
        theirs_time = seconds_per_call(theirs, repeats)
        ratio = ours_time / theirs_time
        print(f"{name:<24}{format_time(ours_time):>14}{format_time(theirs_time):>14}{ratio:>8.2f}x")

    measure = getattr(dc._core, "measure_builtin_dispatch", None)
    if measure is None:
        print("\ndotcompute._core.measure_builtin_dispatch is missing in this build; skipped")
        return 0
    try:
        timing = measure(1_000_000)
    except dc.DotComputeError as error:
        print(f"\nmeasure_builtin_dispatch failed: {error}")
        return 1
    print("\n1-element add dispatch, nanoseconds per call:")
    for key, value in timing.items():
        print(f"  {key:<22}{value:>10.1f}" if key.endswith("_ns") else f"  {key:<22}{value:>10}")
    core, slot = timing.get("core_path_ns"), timing.get("abi_slot_ns")
    if core and slot:
        print(f"  {'core overhead':<22}{core - slot:>10.1f}  ({core / slot:.2f}x the bare slot)")
    return 0


if __name__ == "__main__":
    restart_without_slow_openblas_settings()
    sys.exit(main())
