# bench/memory_floor.py
# How fast this machine can read 16M float32 at all, next to np.sum and dc.sum, in one process.
"""The memory floor behind the foundation issue's "sum 16M float32 at least 3x faster than
np.sum" target.

    python bench/memory_floor.py [--repeats N]

Builds bench/memory_floor.c (a C compiler with OpenMP is needed) and times np.sum, dc.sum and
the C floor: a plain OpenMP loop summing the same 64 MB with fast-math vector accumulators and no
accuracy work, on 1 thread and on every CPU. Peers take turns in blocks of back-to-back calls
(a 50 ms pause, a warm-up call, then --block timed ones): the pause lets the previous peer's idle
threads, which spin for a while after a call (OpenMP's by default), go to sleep before the next
peer is timed, and the warm-up call wakes the peer's own threads as a loop of calls would. Each
figure is the best over the rounds of a block's median per call. The floor on every CPU is the
least time any sum of the array takes here (the C loop or dc.sum, whichever is faster); np.sum's
time divided by it is the largest speed-up over np.sum this machine allowed in the run.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import pathlib
import statistics
import sys
import tempfile
import time

import numpy as np
from native import build_shared_library
from timing import start_turn

import dotcompute as dc

SOURCE = pathlib.Path(__file__).with_name("memory_floor.c")


def build(directory: str) -> ctypes.CDLL:
    flags = ["-O3", "-march=native", "-ffast-math", "-fopenmp"]
    library = build_shared_library(SOURCE, directory, flags)
    library.floor_sum.restype = ctypes.c_float
    library.floor_sum.argtypes = [ctypes.c_void_p, ctypes.c_long, ctypes.c_int]
    return library


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="turns per peer")
    parser.add_argument("--block", type=int, default=20, help="timed calls per turn")
    arguments = parser.parse_args()
    cpus = len(os.sched_getaffinity(0))
    host = np.random.default_rng(0).random(1 << 24, dtype=np.float32) + 1
    device_array = dc.asarray(host, device="cpu")
    with tempfile.TemporaryDirectory() as directory:
        library = build(directory)
        pointer = host.ctypes.data
        peers = {
            "np.sum": lambda: np.sum(host),
            "dc.sum": lambda: float(dc.sum(device_array)),
            "floor, 1 thread": lambda: library.floor_sum(pointer, host.size, 1),
            f"floor, {cpus} threads": lambda: library.floor_sum(pointer, host.size, cpus),
        }
        best = {name: float("inf") for name in peers}
        for _ in range(arguments.rounds):
            for name, call in peers.items():
                start_turn(call)
                times = []
                for _ in range(arguments.block):
                    start = time.perf_counter()
                    call()
                    times.append(time.perf_counter() - start)
                best[name] = min(best[name], statistics.median(times))
    floor = min(best[f"floor, {cpus} threads"], best["dc.sum"])
    print(
        f"sum of 16M float32 (64 MB), {cpus} CPUs, best of {arguments.rounds} turns of"
        f" {arguments.block} calls"
    )
    for name, seconds in best.items():
        print(f"  {name:<20} {seconds * 1e3:8.3f} ms  {host.nbytes / seconds / 1e9:6.1f} GB/s")
    print(f"largest speed-up over np.sum this machine allowed: {best['np.sum'] / floor:.2f}x")
    print(f"dc.sum's speed-up over np.sum: {best['np.sum'] / best['dc.sum']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
