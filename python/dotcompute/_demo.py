# python/dotcompute/_demo.py
# The demo: transfers and built-ins on every device, each checked against numpy and timed.
"""`python -m dotcompute demo`."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ._table import format_table


def _median_seconds(function: Callable[[], object], repeat: int) -> float:
    function()  # warm-up: first-touch page faults and pool misses are not the steady state
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples))


def _device_cases(dc, device, host_a, host_b, alpha):
    """(operation, dotcompute call, numpy call, expected result) for one device."""
    a = dc.asarray(host_a, device=device, copy=True)
    b = dc.asarray(host_b, device=device, copy=True)
    out = dc.empty(host_a.shape, dtype="float32", device=device)
    host_out = np.empty_like(host_a)
    return [
        ("upload", lambda: dc.asarray(host_a, device=device, copy=True),
         lambda: np.copyto(host_out, host_a), host_a),
        ("download", a.numpy, host_a.copy, host_a),
        ("add", lambda: dc.add(a, b, out=out),
         lambda: np.add(host_a, host_b, out=host_out), host_a + host_b),
        ("subtract", lambda: dc.subtract(a, b, out=out),
         lambda: np.subtract(host_a, host_b, out=host_out), host_a - host_b),
        ("multiply", lambda: dc.multiply(a, b, out=out),
         lambda: np.multiply(host_a, host_b, out=host_out), host_a * host_b),
        ("divide", lambda: dc.divide(a, b, out=out),
         lambda: np.divide(host_a, host_b, out=host_out), host_a / host_b),
        ("saxpy", lambda: dc.saxpy(alpha, a, b, out=out),
         lambda: np.add(alpha * host_a, host_b, out=host_out), alpha * host_a + host_b),
        ("sum", lambda: dc.sum(a), lambda: np.sum(host_a), np.sum(host_a, dtype=np.float64)),
        ("min", lambda: dc.min(a), lambda: np.min(host_a), np.min(host_a)),
        ("max", lambda: dc.max(a), lambda: np.max(host_a), np.max(host_a)),
    ]  # fmt: skip


def _device_rows(dc, device, host_a, host_b, alpha, repeat):
    rows, failures = [], 0
    for name, ours, theirs, expected in _device_cases(dc, device, host_a, host_b, alpha):
        value = ours()
        result = value.numpy() if isinstance(value, dc.Array) else value
        # The float32 sum is compared with a float64 reference, so it gets a looser tolerance.
        tolerance = 1e-5 if name == "sum" else 1e-6
        ok = bool(np.allclose(result, expected, rtol=tolerance, atol=tolerance))
        ours_seconds = _median_seconds(lambda ours=ours: (ours(), device.synchronize()), repeat)
        theirs_seconds = _median_seconds(theirs, repeat)
        failures += not ok
        rows.append(
            [
                device.spec,
                name,
                f"{ours_seconds * 1e3:.3f}",
                f"{theirs_seconds * 1e3:.3f}",
                f"{theirs_seconds / ours_seconds:.2f}x",
                "ok" if ok else "MISMATCH",
            ]
        )
    return rows, failures


def run_demo(size: int = 1 << 20, repeat: int = 20, device_filter: str | None = None) -> int:
    import dotcompute as dc

    rng = np.random.default_rng(2026)
    host_a = rng.standard_normal(size, dtype=np.float32)
    host_b = rng.standard_normal(size, dtype=np.float32) + np.float32(3.0)  # keeps divide finite
    alpha = np.float32(2.5)

    devices = [d for d in dc.devices() if device_filter in (None, d.spec)]
    if not devices:
        print(f"no device matches {device_filter!r}; see `python -m dotcompute devices`")
        return 1
    print(f"dotcompute {dc.__version__}: {size:,} float32 elements per array, median of {repeat}")
    rows, failures = [], 0
    for device in devices:
        device_rows, device_failures = _device_rows(dc, device, host_a, host_b, alpha, repeat)
        rows += device_rows
        failures += device_failures
        stats = dc.memory_stats(device)
        print(f"{device.spec}: {device.name}; pool hits {stats['hits']}, misses {stats['misses']}")
    print()
    headers = ["device", "operation", "dotcompute ms", "numpy ms", "speed-up", "check"]
    print(format_table(headers, rows))
    print()
    failures += _seed_table_short(dc, devices, repeat)
    print()
    print("all results match numpy" if failures == 0 else f"{failures} result(s) differ from numpy")
    return 0 if failures == 0 else 1


def _seed_table_short(dc, devices, repeat: int) -> int:
    """The short version of `python -m dotcompute bench`: the seed's operations at small sizes;
    returns how many results differ from numpy."""
    from ._bench import run_table
    from ._bench_report import table

    figures = run_table(dc, devices, "demo", min(repeat, 5))
    print("The seed's table, short version (`python -m dotcompute bench` runs the full sizes):")
    print(table(figures))
    return sum(not figure.verified for figure in figures)
