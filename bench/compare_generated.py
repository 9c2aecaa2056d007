# bench/compare_generated.py
# The generated algorithm kernels on one device, next to numpy (host) and CuPy (NVIDIA GPUs).
"""Side-by-side figures of the generated algorithm kernels (what OpenCL and Metal run).

    python bench/compare_generated.py [--device opencl:0] [--calls N]

Rows: matmul of n x n float32/float64 (n = 256, 1024, 2048); FFT of 2^14, 2^20 and 2^22
complex64/complex128 points and of 5003 points (Bluestein); axis reductions with few outputs
(docs/algorithms.md §4.1) and products of few tiles over a long k or with a vector (§4.2, §4.3).
Each runs through ``dc.algorithms.use_generated_kernels()`` so a backend's library slot
(OpenBLAS, cuBLAS, cuFFT) does not stand in. Every result is checked against numpy before it is
timed; each figure is the best of --calls synchronized calls. numpy runs on the host; CuPy, when
installed and the device is an NVIDIA GPU, on the same card.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import dotcompute as dc


def best_ms(function, arguments: tuple, synchronize, calls: int) -> float:
    """Best time in ms of function(*arguments) followed by synchronize(), after one warm-up."""
    function(*arguments)
    synchronize()
    best = float("inf")
    for _ in range(calls):
        start = time.perf_counter()
        function(*arguments)
        synchronize()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def nothing() -> None:
    return None


def cupy_if_nvidia(device) -> object | None:
    if "NVIDIA" not in device.name.upper():
        return None
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def row(name, ours, reference, operands, device, cupy, calls: int, note=None) -> tuple:
    """(name, our ms, numpy ms, CuPy ms or None, relative error, note) for one case: ours is
    the dotcompute function, reference(xp, *operands) the same computation in numpy (xp = np)
    or CuPy, on the same host operands."""
    on_device = tuple(dc.asarray(o, device=device.spec) for o in operands)
    wide = (o.astype(np.complex128 if o.dtype.kind == "c" else np.float64) for o in operands)
    expected = reference(np, *wide)
    got = np.asarray(ours(*on_device).to("cpu"))
    error = np.abs(got - expected).max() / np.abs(expected).max()
    ours_ms = best_ms(ours, on_device, device.synchronize, calls)
    host_ms = best_ms(lambda *o: reference(np, *o), operands, nothing, calls)
    peer_ms = None
    if cupy is not None:
        on_card = tuple(cupy.asarray(o) for o in operands)
        peer = lambda *o: reference(cupy, *o)  # noqa: E731
        peer_ms = best_ms(peer, on_card, cupy.cuda.Device().synchronize, calls)
    return name, ours_ms, host_ms, peer_ms, error, note(ours_ms) if note else ""


def matmul(xp, a, b):
    return xp.matmul(a, b)


def fft(xp, x):
    return xp.fft.fft(x)


def reduction_rows(rng) -> list[tuple]:
    """(name, ours, reference, operands): axis reductions with few outputs (§4.1)."""
    tall, wide = rng.random((1 << 20, 3), np.float32), rng.random((4, 1 << 22), np.float32)
    square = rng.random((4096, 4096), np.float32)
    return [
        ("sum (1M, 3) axis 0", lambda x: dc.sum(x, axis=0), lambda xp, x: xp.sum(x, 0), (tall,)),
        ("max (1M, 3) axis 0", lambda x: dc.max(x, axis=0), lambda xp, x: xp.max(x, 0), (tall,)),
        ("sum (4, 4M) axis 1", lambda x: dc.sum(x, axis=1), lambda xp, x: xp.sum(x, 1), (wide,)),
        ("sum 4096^2 axis 0", lambda x: dc.sum(x, axis=0), lambda xp, x: xp.sum(x, 0), (square,)),
    ]


def product_rows(rng) -> list[tuple]:
    """(name, ours, reference, operands): long-k products and products with a vector (§4.2-4.3)."""
    shapes = [
        ("(8, 1M) @ (1M, 8)", (8, 1 << 20), (1 << 20, 8)),
        ("(256, 32K) @ (32K, 256)", (256, 1 << 15), (1 << 15, 256)),
        ("(4096, 4096) @ (4096,)", (4096, 4096), (4096,)),
        ("(4096,) @ (4096, 4096)", (4096,), (4096, 4096)),
        ("dot of 4M", (1 << 22,), (1 << 22,)),
    ]
    return [
        (name, dc.matmul, matmul, (rng.random(a, np.float32), rng.random(b, np.float32)))
        for name, a, b in shapes
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="opencl:0")
    parser.add_argument("--calls", type=int, default=7)
    options = parser.parse_args()
    device = dc.get_device(options.device)
    cupy = cupy_if_nvidia(device)
    print(f"device {device.spec}: {device.name}; numpy {np.__version__}")
    rng = np.random.default_rng(0)
    rows = []
    with dc.algorithms.use_generated_kernels():
        for n in (256, 1024, 2048):
            for dtype in ("float32", "float64"):
                operands = (rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype))
                rate = lambda ms, n=n: f"{2 * n**3 / ms / 1e6:.0f} GFLOP/s"  # noqa: E731
                name = f"matmul {n}^3 {dtype}"
                rows.append(
                    row(name, dc.matmul, matmul, operands, device, cupy, options.calls, rate)
                )
        for n in (1 << 14, 1 << 20, 1 << 22, 5003):
            for dtype in ("complex64", "complex128"):
                operands = ((rng.random(n) + 1j * rng.random(n)).astype(dtype),)
                name = f"fft {n} {dtype}"
                rows.append(row(name, dc.fft, fft, operands, device, cupy, options.calls))
        for name, ours, reference, operands in reduction_rows(rng) + product_rows(rng):
            rows.append(row(name, ours, reference, operands, device, cupy, options.calls))
    print(f"{'case':26} {'dotcompute':>11} {'numpy':>10} {'CuPy':>10} {'rel. error':>10}")
    for name, ours, host, peer, error, note in rows:
        cupy_text = f"{peer:8.3f}ms" if peer is not None else f"{'-':>10}"
        print(f"{name:26} {ours:9.3f}ms {host:8.3f}ms {cupy_text} {error:10.1e}  {note}")


if __name__ == "__main__":
    main()
