# python/dotcompute/_bench_report.py
# The output of `python -m dotcompute bench`: the table, the JSON file and the PNG chart.
"""Formatting and saving of bench figures (see _bench.Figure)."""

from __future__ import annotations

import datetime
import importlib.util
import json
import platform
from pathlib import Path

import numpy as np

from . import _bench_cases as cases
from ._table import format_table

DEFAULT_JSON = "dotcompute-bench.json"
JSON_FORMAT = 1


def matplotlib_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def numpy_blas() -> str:
    """Which BLAS numpy runs, and with which kernels (threadpoolctl knows the core type OpenBLAS
    picked at load time; without it, numpy's build configuration names the library)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        for library in threadpool_info():
            if library.get("user_api") == "blas":
                return (
                    f"{library.get('internal_api')} {library.get('version')}, "
                    f"{library.get('architecture')} kernels, {library.get('num_threads')} threads"
                )
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except (TypeError, KeyError, AttributeError):
        return "unknown"


def environment(dc, plan: str, repeat: int, slow_openblas: list[str]) -> dict:
    cupy_version = None
    if importlib.util.find_spec("cupy") is not None:
        import cupy

        cupy_version = cupy.__version__
    return {
        "dotcompute": dc.__version__,
        "numpy": np.__version__,
        "numpy_blas": numpy_blas(),
        "cupy": cupy_version,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "devices": {d.spec: d.name for d in dc.devices()},
        "mode": plan,
        "repeat": repeat,
        "openblas_settings_set": slow_openblas,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def header(env: dict) -> str:
    cupy = f", CuPy {env['cupy']}" if env["cupy"] else ""
    return (
        f"dotcompute {env['dotcompute']} bench ({env['mode']}: median of {env['repeat']}, "
        f"samples alternating with numpy{cupy}); numpy {env['numpy']} with {env['numpy_blas']}"
    )


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    milliseconds = seconds * 1e3
    if milliseconds >= 100:
        return f"{milliseconds:.0f}"
    if milliseconds >= 10:
        return f"{milliseconds:.1f}"
    return f"{milliseconds:.3f}" if milliseconds < 1 else f"{milliseconds:.2f}"


def _speed_up(theirs: float | None, ours: float) -> str:
    return "-" if theirs is None or ours <= 0 else f"{theirs / ours:.2f}x"


def table(figures: list) -> str:
    """One row per figure; the speed-up columns are numpy's (CuPy's) time over ours, so above
    1 means dotcompute is faster."""
    with_cupy = any(f.cupy_seconds is not None for f in figures)
    headers = ["device", "operation", "size", "dotcompute ms", "numpy ms", "vs numpy"]
    if with_cupy:
        headers += ["CuPy ms", "vs CuPy"]
    headers += ["seed claim ms", "check"]
    rows = []
    for f in figures:
        row = [
            f.device,
            cases.TITLES[f.operation],
            f.size,
            _ms(f.seconds),
            _ms(f.numpy_seconds),
            _speed_up(f.numpy_seconds, f.seconds),
        ]
        if with_cupy:
            row += [_ms(f.cupy_seconds), _speed_up(f.cupy_seconds, f.seconds)]
        row += [_ms(f.seed_seconds), "ok" if f.verified else f"MISMATCH ({f.error:.2g})"]
        rows.append(row)
    return format_table(headers, rows)


def footnote(figures: list) -> str:
    lines = [
        "vs numpy / vs CuPy: their time over ours (above 1: dotcompute is faster). numpy's "
        "twins: np.add, np.matmul, np.copyto (host->device), ndarray.copy (device->host), "
        "np.fft.fft.",
        "seed claim: the figures the project's seed stated (CPU 2.4 / 145 / 890 / 78 ms, CUDA "
        "0.3 / 12 / 45 / 8 ms for vector add 1M / matmul 1K / 1 GB transfer / FFT 1M), for "
        "reference; not measured here.",
    ]
    if all(f.verified for f in figures):
        lines.append("every result matches numpy")
    return "\n".join(lines)


def write_json(path: str, env: dict, figures: list) -> Path:
    target = Path(path).resolve()
    document = {
        "format": JSON_FORMAT,
        "environment": env,
        "seed_claims_seconds": cases.SEED_CLAIMS,
        "figures": [f.as_dict() for f in figures],
    }
    target.write_text(json.dumps(document, indent=2) + "\n")
    return target


def write_png(path: str, figures: list) -> Path:
    """A bar chart: milliseconds (log scale) of each device, numpy, CuPy and the seed's claims,
    grouped by operation (the first size of each operation, with --full the seed's)."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    operations = [op for op in cases.OPERATIONS if any(f.operation == op for f in figures)]
    series: dict[str, dict[str, float]] = {}

    def put(name: str, operation: str, seconds: float | None) -> None:
        if seconds is not None:
            series.setdefault(name, {}).setdefault(operation, seconds * 1e3)

    for f in figures:
        put(f"dotcompute {f.device}", f.operation, f.seconds)
        put("numpy", f.operation, f.numpy_seconds)
        put("CuPy", f.operation, f.cupy_seconds)
        put(f"seed claim ({f.backend})", f.operation, f.seed_seconds)
    # dotcompute's devices first, then the peers, the seed's claims last.
    rank = {"numpy": 1, "CuPy": 2}
    ordered = sorted(
        series.items(), key=lambda item: rank.get(item[0], 3 * item[0].startswith("seed"))
    )
    figure, axes = plt.subplots(figsize=(max(6, 2.2 * len(operations)), 4.5))
    width = 0.8 / max(len(series), 1)
    for index, (name, values) in enumerate(ordered):
        positions = [i + index * width for i, op in enumerate(operations) if op in values]
        heights = [values[op] for op in operations if op in values]
        hatch = "//" if name.startswith("seed") else None
        axes.bar(positions, heights, width, label=name, hatch=hatch)
    axes.set_xticks([i + 0.4 - width / 2 for i in range(len(operations))])
    labels = [f"{cases.TITLES[op]}\n{_first_size(figures, op)}" for op in operations]
    axes.set_xticklabels(labels, fontsize=8)
    axes.set_yscale("log")
    axes.set_ylabel("milliseconds (lower is faster)")
    axes.set_title("python -m dotcompute bench")
    axes.legend(fontsize=7)
    figure.tight_layout()
    target = Path(path).resolve()
    figure.savefig(target, dpi=110)
    plt.close(figure)
    return target


def _first_size(figures: list, operation: str) -> str:
    return next(f.size for f in figures if f.operation == operation)
