# python/dotcompute/_bench.py
# `python -m dotcompute bench`: the seed's table on every device, checked and timed beside numpy.
"""Runs the cases of _bench_cases on each device, with samples of dotcompute, numpy and CuPy taken
in turns (so load on a shared machine hits all of them alike), and reports through
_bench_report."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from . import _bench_cases as cases
from . import _bench_report as report

# OpenBLAS reads these once, when numpy loads; forced here they slow numpy's matmul down.
SLOW_OPENBLAS_SETTINGS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@dataclass
class Figure:
    """One row of the table: medians in seconds (None where that side did not run)."""

    device: str
    backend: str
    operation: str
    size: str
    seconds: float
    best_seconds: float
    numpy_seconds: float
    cupy_seconds: float | None
    verified: bool
    error: float
    seed_seconds: float | None

    def as_dict(self) -> dict:
        return asdict(self)


class Progress:
    """A plain-text progress bar on stderr: redrawn in place on a terminal, one line per step
    otherwise (logs and CI)."""

    WIDTH = 24

    def __init__(self, total: int, stream=None) -> None:
        self.total, self.done = total, 0
        self.stream = stream if stream is not None else sys.stderr
        self.in_place = self.stream.isatty()

    def step(self, label: str) -> None:
        filled = self.WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        line = f"[{bar}] {self.done}/{self.total} {label}"
        if self.in_place:
            self.stream.write("\r" + line.ljust(78)[:78])
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.done += 1

    def finish(self) -> None:
        self.done = self.total
        self.step("done")
        if self.in_place:
            self.stream.write("\n")
        self.done = self.total


# Each sample is a burst of back-to-back calls lasting about _bench_cases.SAMPLE_SECONDS (one
# call for slow operations): short operations are then timed in their steady state, not right
# after the other side's work (a GPU left idle during numpy's turn lowers its clocks; caches go
# cold).
MAX_CALLS_PER_SAMPLE = 1000


def _sample(function: Callable[[], Any], synchronize: Callable[[], Any], calls: int) -> float:
    """Seconds per call over calls consecutive calls, each completed (synchronized)."""
    start = time.perf_counter()
    for _ in range(calls):
        function()
        synchronize()
    return (time.perf_counter() - start) / calls


def _calls_per_sample(
    function: Callable[[], Any], synchronize: Callable[[], Any], sample_seconds: float
) -> int:
    _sample(function, synchronize, 1)  # warm-up: pool growth, plans, page faults
    once = _sample(function, synchronize, 1)
    return max(1, min(MAX_CALLS_PER_SAMPLE, int(sample_seconds / max(once, 1e-9))))


def _nothing() -> None:
    return None


def measure(
    case: cases.Case, device, repeat: int, sample_seconds: float, cupy=None
) -> tuple[list, list, list]:
    """Samples (seconds per call) of dotcompute, numpy and CuPy, taken in turns after warm-up."""
    cupy_synchronize = cupy.cuda.Device().synchronize if cupy is not None else _nothing
    runs = [(case.ours, device.synchronize), (case.numpy, _nothing)]
    if case.cupy is not None:
        runs.append((case.cupy, cupy_synchronize))
    calls = [_calls_per_sample(f, synchronize, sample_seconds) for f, synchronize in runs]
    samples: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for (function, synchronize), count, taken in zip(runs, calls, samples, strict=True):
            taken.append(_sample(function, synchronize, count))
    return samples[0], samples[1], samples[2] if case.cupy is not None else []


def cupy_for(device):
    """The cupy module, on device's GPU, for CUDA devices where CuPy is installed; else None."""
    if device.backend != "cuda":
        return None
    try:
        import cupy
    except ImportError:
        return None
    index = int(device.spec.split(":")[1]) if ":" in device.spec else 0
    cupy.cuda.Device(index).use()
    return cupy


def run_table(
    dc, devices: Sequence, plan: str, repeat: int, progress: Progress | None = None
) -> list[Figure]:
    """Every operation of plan on every device: one Figure each, verified against numpy."""
    figures = []
    for device in devices:
        cupy = cupy_for(device)
        claims = cases.SEED_CLAIMS.get(device.backend, {})
        for sizes in cases.PLANS[plan]:
            for operation in cases.OPERATIONS:
                if progress is not None:
                    progress.step(f"{device.spec} {operation} {sizes.label(operation)}")
                if operation.startswith("transfer"):
                    shortage = _memory_shortage(device, sizes.transfer_bytes)
                    if shortage:
                        print(
                            f"note: {device.spec} {operation} skipped: {shortage}", file=sys.stderr
                        )
                        continue
                figures.append(_run_case(dc, device, sizes, operation, repeat, plan, cupy, claims))
    return figures


def _available_host_memory() -> int | None:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not on every platform
        return None


def _memory_shortage(device, nbytes: int) -> str | None:
    """Why a transfer of nbytes would not fit, or None. The device holds up to three copies
    (source, result, pool slack); host memory four (the source, numpy's copy, the result, and on
    host-visible devices the device's copies too)."""
    total = getattr(device, "memory_total", 0) or 0
    if total and 3 * nbytes > total:
        return f"needs {3 * nbytes >> 20} MiB of device memory, the device has {total >> 20} MiB"
    available = _available_host_memory()
    if available is not None and 4 * nbytes > available:
        return f"needs {4 * nbytes >> 20} MiB of free host memory, {available >> 20} MiB free"
    return None


def _run_case(dc, device, sizes, operation, repeat, plan, cupy, claims) -> Figure:
    case = cases.prepare(dc, operation, sizes, device, cupy)
    result = case.ours()
    device.synchronize()
    verified, error = case.check(result)
    del result
    sample_seconds = cases.SAMPLE_SECONDS[plan]
    ours, numpy_samples, cupy_samples = measure(case, device, repeat, sample_seconds, cupy)
    figure = Figure(
        device=device.spec,
        backend=device.backend,
        operation=operation,
        size=case.size,
        seconds=statistics.median(ours),
        best_seconds=min(ours),
        numpy_seconds=statistics.median(numpy_samples),
        cupy_seconds=statistics.median(cupy_samples) if cupy_samples else None,
        verified=verified,
        error=error,
        seed_seconds=claims.get(case.seed_key) if case.size == _seed_label(operation) else None,
    )
    del case
    dc.empty_cache(device.spec)  # large transfers must not stay cached for the next device
    return figure


def _seed_label(operation: str) -> str:
    return cases.SEED_SIZES.label(operation)


def slow_openblas_settings() -> list[str]:
    return [name for name in SLOW_OPENBLAS_SETTINGS if name in os.environ]


def bench_command(
    plan: str,
    repeat: int | None,
    device_filter: str | None,
    json_path: str | None,
    png_path: str | None,
) -> int:
    """`python -m dotcompute bench`; 0 when every result matches numpy."""
    if repeat is not None and repeat < 1:
        print(f"error: --repeat {repeat}: at least 1 timed sample is needed", file=sys.stderr)
        return 1
    if png_path is not None and not report.matplotlib_available():
        print("error: --png needs matplotlib: pip install 'dotcompute[plot]'", file=sys.stderr)
        return 1
    import dotcompute as dc

    devices = [d for d in dc.devices() if device_filter in (None, d.spec)]
    if not devices:
        print(f"no device matches {device_filter!r}; see `python -m dotcompute devices`")
        return 1
    repeat = repeat if repeat is not None else cases.REPEATS[plan]
    slow = slow_openblas_settings()
    if slow:
        unset = " ".join(f"-u {name}" for name in slow)
        print(
            f"note: {', '.join(slow)} set: numpy's BLAS picks slower kernels; for a fair "
            f"comparison run: env {unset} python -m dotcompute bench",
            file=sys.stderr,
        )
    steps = len(devices) * len(cases.PLANS[plan]) * len(cases.OPERATIONS)
    progress = Progress(steps)
    figures = run_table(dc, devices, plan, repeat, progress)
    progress.finish()
    environment = report.environment(dc, plan, repeat, slow)
    print(report.header(environment))
    print()
    print(report.table(figures))
    print()
    print(report.footnote(figures))
    path = report.write_json(json_path or report.DEFAULT_JSON, environment, figures)
    print(f"figures saved to {path}")
    if png_path is not None:
        print(f"chart saved to {report.write_png(png_path, figures)}")
    failures = sum(not figure.verified for figure in figures)
    if failures:
        print(f"{failures} result(s) differ from numpy")
    return 1 if failures else 0
