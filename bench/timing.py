# bench/timing.py
# Shared by the peer-comparison scripts: clean OpenBLAS environment, per-call timing, formatting.
"""Timing helpers for the side-by-side comparison scripts in bench/."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

# These OpenBLAS settings, when present, make numpy markedly slower on this machine (a forced
# core type and a wrong L2 size pick poor kernels), which would flatter every ratio below.
# OpenBLAS reads them once when numpy is imported, so the script restarts itself without them.
SLOW_OPENBLAS_SETTINGS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def restart_without_slow_openblas_settings() -> None:
    present = [name for name in SLOW_OPENBLAS_SETTINGS if name in os.environ]
    if not present:
        return
    names = ", ".join(present)
    print(f"note: restarting without {names} (they slow numpy down here)", file=sys.stderr)
    environment = {k: v for k, v in os.environ.items() if k not in SLOW_OPENBLAS_SETTINGS}
    os.execve(sys.executable, [sys.executable, *sys.argv], environment)


# Long enough for threads a library leaves spinning after a call (OpenMP's by default,
# dotcompute's pool workers) to go to sleep before another library is timed on the same CPUs.
TURN_PAUSE_S = 0.05


def start_turn(function: Callable[[], object]) -> None:
    """Begins one peer's turn of timed calls: waits out the previous peer's spinning threads, then
    makes one untimed call, which wakes this peer's own threads as a loop of calls would."""
    time.sleep(TURN_PAUSE_S)
    function()


def seconds_per_call(function: Callable[[], object], repeats: int, budget: float = 0.05) -> float:
    """Median over repeats of the mean time of one call; calls per repeat fill about budget."""
    function()  # warm up: first-call costs (pool segments, page faults) are not the point
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            function()
        if time.perf_counter() - start >= budget / 10 or calls >= 1 << 20:
            break
        calls *= 2
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def format_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:8.2f} {unit}"
    return f"{seconds / 1e-9:8.1f} ns"


def comparison_setup(description: str):
    """(options, peer) of a side-by-side script: --device (a dotcompute device spec) and
    --repeats, and the peer on that device; a message where CuPy is missing (peer.module None)."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--device", default="cpu", help="a dotcompute device spec")
    parser.add_argument("--repeats", type=int, default=9, help="timed repeats per case")
    options = parser.parse_args()
    peer = Peer(options.device)
    if peer.module is None:
        print("CuPy is not installed: no peer on CUDA; skipped")
    return options, peer


class Peer:
    """The library dotcompute is compared with on a device: CuPy on CUDA devices, numpy
    elsewhere. ``module`` is None where CuPy is missing (no peer to compare with)."""

    def __init__(self, device: str):
        import numpy as np

        self.module, self.name = np, f"numpy {np.__version__}"
        self.on_gpu = device.startswith("cuda")
        if self.on_gpu:
            try:
                import cupy
            except ImportError:
                self.module, self.name = None, "CuPy (not installed)"
            else:
                self.module, self.name = cupy, f"CuPy {cupy.__version__}"

    def synchronize(self) -> None:
        if self.on_gpu:
            self.module.cuda.Device().synchronize()


def print_side_by_side(cases, ours: dict, theirs: dict, device: str, peer: Peer, repeats: int):
    """Times each (name, operation) case on dotcompute's operands and on the peer's, each call
    synchronized, and prints a row per case with the ratio (above 1: dotcompute is slower)."""
    import dotcompute as dc

    print(f"dotcompute {dc.__version__} on {device!r}, {peer.name}")
    print(f"{'case':<30}{'dotcompute':>14}{'peer':>14}{'ratio':>9}")
    for name, operation in cases:

        def ours_call(operation=operation) -> None:
            operation(ours)
            dc.synchronize(device)

        def theirs_call(operation=operation) -> None:
            operation(theirs)
            peer.synchronize()

        ours_time = seconds_per_call(ours_call, repeats)
        theirs_time = seconds_per_call(theirs_call, repeats)
        ratio = ours_time / theirs_time
        print(f"{name:<30}{format_time(ours_time):>14}{format_time(theirs_time):>14}{ratio:>8.2f}x")
