# python/dotcompute/_bench_cases.py
# The operations of `python -m dotcompute bench`: the seed's table, with numpy and CuPy twins.
"""The seed's performance table as runnable cases.

Each case prepares its inputs once on a device and gives three callables doing the same work:
dotcompute's (public API only, so faster algorithm back ends show up without changes here),
numpy's, and CuPy's on CUDA devices when CuPy is installed; plus a check of dotcompute's result
against numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The seed's claimed figures, in seconds, for vector add 1M / matmul 1K / 1 GB transfer / FFT 1M.
# Printed beside ours for reference only: they were never measured by this project.
SEED_CLAIMS = {
    "cpu": {"vector_add": 2.4e-3, "matmul": 145e-3, "transfer_h2d": 890e-3, "fft": 78e-3},
    "cuda": {"vector_add": 0.3e-3, "matmul": 12e-3, "transfer_h2d": 45e-3, "fft": 8e-3},
}

OPERATIONS = ("vector_add", "matmul", "transfer_h2d", "transfer_d2h", "fft")
TITLES = {
    "vector_add": "vector add",
    "matmul": "matmul",
    "transfer_h2d": "transfer host->device",
    "transfer_d2h": "transfer device->host",
    "fft": "FFT",
}

# Relative errors accepted against numpy's float64 result: float32 accumulation over 1K terms
# (matmul; GPUs that use TF32 stay within 1e-3) and over log2(n) butterfly stages (FFT).
MATMUL_TOLERANCE = 1e-3
FFT_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Sizes:
    """One row set of the table: element counts of each operation."""

    vector: int  # float32 elements added
    matrix: int  # n of the n x n float32 matmul
    transfer_bytes: int  # bytes moved each way
    fft_points: int  # complex64 points

    def label(self, operation: str) -> str:
        if operation == "vector_add":
            return _count(self.vector)
        if operation == "matmul":
            return f"{self.matrix}x{self.matrix}"
        if operation.startswith("transfer"):
            return _bytes(self.transfer_bytes)
        return _count(self.fft_points)


SEED_SIZES = Sizes(vector=1 << 20, matrix=1024, transfer_bytes=1 << 30, fft_points=1 << 20)
PLANS = {
    # `python -m dotcompute demo`: the same operations, small enough for a few seconds in all.
    "demo": (Sizes(vector=1 << 20, matrix=128, transfer_bytes=32 << 20, fft_points=1 << 14),),
    "quick": (SEED_SIZES,),
    "full": (
        SEED_SIZES,
        Sizes(vector=1 << 24, matrix=2048, transfer_bytes=4 << 30, fft_points=1 << 22),
    ),
}
REPEATS = {"demo": 3, "quick": 5, "full": 15}
# How long one sample's burst of back-to-back calls lasts (see _bench.measure).
SAMPLE_SECONDS = {"demo": 0.002, "quick": 0.01, "full": 0.02}


def _count(n: int) -> str:
    for shift, suffix in ((30, "G"), (20, "M"), (10, "K")):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift}{suffix}"
    return str(n)


def _bytes(n: int) -> str:
    for shift, suffix in ((30, "GiB"), (20, "MiB"), (10, "KiB")):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {suffix}"
    return f"{n} B"


@dataclass
class Case:
    """One operation at one size on one device, ready to time."""

    ours: Callable[[], Any]  # returns its result (a dc.Array or numpy array)
    numpy: Callable[[], Any]
    check: Callable[[Any], tuple[bool, float]]  # ours' result -> (within tolerance, error)
    cupy: Callable[[], Any] | None = None
    keep: list = field(default_factory=list)  # device arrays the callables use
    operation: str = ""  # set by prepare()
    size: str = ""

    @property
    def seed_key(self) -> str | None:
        return self.operation if self.operation != "transfer_d2h" else None


def _random(rng: np.random.Generator, shape, dtype=np.float32) -> np.ndarray:
    """Random values away from zero; complex dtypes get random imaginary parts too."""
    if np.dtype(dtype).kind == "c":
        values = np.empty(shape, dtype)
        values.real = rng.uniform(0.5, 1.5, shape)
        values.imag = rng.uniform(-1.0, 1.0, shape)
        return values
    return rng.uniform(0.5, 1.5, shape).astype(dtype)


def _relative_error(result: np.ndarray, reference: np.ndarray) -> float:
    return float(np.linalg.norm(result - reference) / np.linalg.norm(reference))


def _as_host(result: Any) -> np.ndarray:
    return result if isinstance(result, np.ndarray) else result.numpy()


def prepare(dc, operation: str, sizes: Sizes, device, cupy=None) -> Case:
    """The case of operation at sizes on device; cupy is the cupy module on CUDA devices."""
    rng = np.random.default_rng(20261127)
    builder = {
        "vector_add": _vector_add,
        "matmul": _matmul,
        "transfer_h2d": _upload,
        "transfer_d2h": _download,
        "fft": _fft,
    }[operation]
    case = builder(dc, rng, sizes, device.spec, cupy)
    case.operation, case.size = operation, sizes.label(operation)
    return case


def _vector_add(dc, rng, sizes: Sizes, device: str, cupy) -> Case:
    host_a, host_b = _random(rng, sizes.vector), _random(rng, sizes.vector)
    a = dc.asarray(host_a, device=device, copy=True)
    b = dc.asarray(host_b, device=device, copy=True)
    out = dc.empty(sizes.vector, dtype="float32", device=device)
    host_out = np.empty_like(host_a)
    expected = host_a + host_b

    def check(result):
        difference = float(np.max(np.abs(_as_host(result) - expected)))
        return difference == 0.0, difference

    case = Case(
        ours=lambda: dc.add(a, b, out=out),
        numpy=lambda: np.add(host_a, host_b, out=host_out),
        check=check,
        keep=[a, b, out],
    )
    if cupy is not None:
        ca, cb, cout = cupy.asarray(host_a), cupy.asarray(host_b), cupy.empty_like(host_a)
        case.cupy = lambda: cupy.add(ca, cb, out=cout)
    return case


def _matmul(dc, rng, sizes: Sizes, device: str, cupy) -> Case:
    n = sizes.matrix
    host_a, host_b = _random(rng, (n, n)), _random(rng, (n, n))
    a = dc.asarray(host_a, device=device, copy=True)
    b = dc.asarray(host_b, device=device, copy=True)
    expected = host_a.astype(np.float64) @ host_b.astype(np.float64)

    def check(result):
        error = _relative_error(_as_host(result).astype(np.float64), expected)
        return error <= MATMUL_TOLERANCE, error

    case = Case(
        ours=lambda: dc.matmul(a, b),
        numpy=lambda: np.matmul(host_a, host_b),
        check=check,
        keep=[a, b],
    )
    if cupy is not None:
        ca, cb = cupy.asarray(host_a), cupy.asarray(host_b)
        case.cupy = lambda: cupy.matmul(ca, cb)
    return case


def _transfer_source(rng, nbytes: int) -> np.ndarray:
    """nbytes of float32: one random 1 MiB block repeated (drawing 1 GiB of random numbers
    would take longer than the transfers)."""
    return np.resize(_random(rng, 1 << 18), nbytes // 4)


def _upload(dc, rng, sizes: Sizes, device: str, cupy) -> Case:
    host = _transfer_source(rng, sizes.transfer_bytes)
    host_copy = np.empty_like(host)

    def check(result):
        equal = bool(np.array_equal(_as_host(result), host))
        return equal, 0.0 if equal else 1.0

    case = Case(
        ours=lambda: dc.asarray(host, device=device, copy=True),
        numpy=lambda: np.copyto(host_copy, host),  # the memcpy yardstick
        check=check,
    )
    if cupy is not None:
        case.cupy = lambda: cupy.asarray(host)
    return case


def _download(dc, rng, sizes: Sizes, device: str, cupy) -> Case:
    host = _transfer_source(rng, sizes.transfer_bytes)
    on_device = dc.asarray(host, device=device, copy=True)

    def check(result):
        equal = bool(np.array_equal(result, host))
        return equal, 0.0 if equal else 1.0

    case = Case(
        ours=on_device.numpy,
        numpy=host.copy,  # a fresh host array, as numpy() returns
        check=check,
        keep=[on_device],
    )
    if cupy is not None:
        held = cupy.asarray(host)
        case.cupy = lambda: cupy.asnumpy(held)
    return case


def _fft(dc, rng, sizes: Sizes, device: str, cupy) -> Case:
    host = _random(rng, sizes.fft_points, np.complex64)
    x = dc.asarray(host, device=device, copy=True)
    expected = np.fft.fft(host.astype(np.complex128))

    def check(result):
        error = _relative_error(_as_host(result).astype(np.complex128), expected)
        return error <= FFT_TOLERANCE, error

    case = Case(ours=lambda: dc.fft(x), numpy=lambda: np.fft.fft(host), check=check, keep=[x])
    if cupy is not None:
        cx = cupy.asarray(host)
        case.cupy = lambda: cupy.fft.fft(cx)
    return case
