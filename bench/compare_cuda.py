# bench/compare_cuda.py
# dotcompute next to CuPy (and PyTorch where useful) on one CUDA card, in one process.
"""Side-by-side CUDA benchmarks (the CUDA issue's targets), on the same card, in one process.

    python bench/compare_cuda.py [--device cuda:0] [--repeats N]

Rows: empty kernel launch from Python (per launch, in bursts of 100 launches followed by one
synchronize outside the timed region), vector add 1M float32 (launch + sync), sum 16M float32,
matmul 1024^3 float32, FFT 2^20 complex64, cumsum and sort of 16M float32, pinned and pageable
H2D and D2H of 1 GiB, pool alloc + free of 1 MiB (CuPy's default pool and its stream-ordered
cudaMallocAsync pool), replay of a captured graph of 50 kernels (next to PyTorch's CUDA graphs),
NVRTC cold compile + load of a small kernel (a fresh DOTCOMPUTE_CACHE_DIR; CuPy with its cache
disabled), and the kernel cache hit in a fresh process. Every figure is a median after
warm-up: wall time per call (host clock, including the synchronization) and device time (events
around the work on the device's default stream: dc.Event for dotcompute, CuPy's events on its
own stream for CuPy). Ratios are dotcompute / CuPy: below 1 is faster. Exits 1 with a message
when there is no CUDA device.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

import dotcompute as dc

MIB = 1 << 20


@dc.kernel
def empty_kernel(out: dc.Array[dc.float32]):
    pass


@dc.kernel
def vector_add(a: dc.Array[dc.float32], b: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    i = dc.global_id(0)
    out[i] = a[i] + b[i]


def cuda_device(spec: str | None):
    devices = [d for d in dc.devices() if d.backend == "cuda"]
    if spec is not None:
        devices = [d for d in devices if d.spec == spec]
    if not devices:
        reasons = [r.reason for r in dc.plugins.rejected() if r.name == "cuda"]
        why = f": {reasons[0]}" if reasons else " (the cuda plugin is not built or installed)"
        sys.exit(f"compare_cuda: no CUDA device{' ' + spec if spec else ''}{why}")
    return devices[0]


def median_wall(function, repeats: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def burst_wall(launch, sync, bursts: int, burst: int = 100) -> float:
    """Median host time per call over bursts of `burst` calls; the synchronize that drains each
    burst is outside the timed region, so this is the launch overhead, not the GPU's time."""
    for _ in range(3):
        launch()
    sync()
    samples = []
    for _ in range(bursts):
        start = time.perf_counter()
        for _ in range(burst):
            launch()
        samples.append((time.perf_counter() - start) / burst)
        sync()
    return statistics.median(samples)


class DeviceTimer:
    """Median device time of a function's GPU work, from CUDA events around it."""

    def __init__(self, cupy, device):
        self.cupy = cupy
        self.device = device

    def cupy_time(self, function, repeats: int) -> float | None:
        if self.cupy is None:
            return None
        cp = self.cupy
        return median_between_events(
            cp.cuda.Event(), cp.cuda.Event(), cp.cuda.get_elapsed_time, function, repeats
        )

    def dotcompute_time(self, function, repeats: int) -> float:
        start, end = dc.Event(self.device), dc.Event(self.device)
        return median_between_events(
            start, end, lambda first, last: first.elapsed_ms(last), function, repeats
        )


def median_between_events(start, end, elapsed_ms, function, repeats: int) -> float:
    """Median seconds between start and end recorded around function, after 3 warm-up calls."""
    samples = []
    for index in range(repeats + 3):
        start.record()
        function()
        end.record()
        end.synchronize()
        if index >= 3:
            samples.append(elapsed_ms(start, end) * 1e-3)
    return statistics.median(samples)


def fresh_process_seconds(code: str, environment: dict) -> float:
    """The time a fresh interpreter reports for code (which prints seconds)."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


COLD_DOTCOMPUTE = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {here!r})
    import dotcompute as dc, numpy as np
    from compare_cuda import vector_add
    a = dc.zeros(16, "float32", {spec!r})
    dc.synchronize({spec!r})
    start = time.perf_counter()
    vector_add[16](a, a, a)
    dc.synchronize({spec!r})
    print(time.perf_counter() - start)
    """
)

COLD_CUPY = textwrap.dedent(
    """
    import time, cupy as cp
    source = r'''extern "C" __global__ void vector_add(const float* a, const float* b, float* out,
                                                   long long n) {{
        long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
        if (i < n) out[i] = a[i] + b[i];
    }}'''
    a = cp.zeros(16, cp.float32)
    cp.cuda.Device().synchronize()
    start = time.perf_counter()
    kernel = cp.RawKernel(source, "vector_add")
    kernel.compile()
    kernel((1,), (16,), (a, a, a, cp.int64(16)))
    cp.cuda.Device().synchronize()
    print(time.perf_counter() - start)
    """
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="a cuda device spec (default: the first)")
    parser.add_argument("--repeats", type=int, default=200)
    options = parser.parse_args()
    device = cuda_device(options.device)
    spec = device.spec
    try:
        import cupy as cp
    except ImportError:
        cp = None
    try:
        import torch
    except ImportError:
        torch = None
    timer = DeviceTimer(cp, device)
    repeats = options.repeats
    rows: list[tuple[str, float | None, float | None, float | None, float | None]] = []

    def sync_dc():
        dc.synchronize(spec)

    def sync_cp():
        cp.cuda.Device().synchronize()

    # -- empty kernel launch from Python ------------------------------------------------------
    one = dc.zeros(1, "float32", spec)
    empty_kernel[1](one)
    sync_dc()
    dc_launch = burst_wall(lambda: empty_kernel[1](one), sync_dc, repeats)
    dc_launch_device = timer.dotcompute_time(lambda: empty_kernel[1](one), repeats)
    cp_launch = cp_launch_device = None
    if cp is not None:
        raw = cp.RawKernel('extern "C" __global__ void empty(float* out) {}', "empty")
        c_one = cp.zeros(1, cp.float32)
        raw((1,), (1,), (c_one,))
        sync_cp()
        cp_launch = burst_wall(lambda: raw((1,), (1,), (c_one,)), sync_cp, repeats)
        cp_launch_device = timer.cupy_time(lambda: raw((1,), (1,), (c_one,)), repeats)
    rows.append(
        ("empty launch (per call)", dc_launch, cp_launch, dc_launch_device, cp_launch_device)
    )

    # -- vector add 1M, launch + sync -------------------------------------------------------------
    n = 1 << 20
    host = np.random.default_rng(1).random(n, dtype=np.float32)
    a, b, out = (
        dc.asarray(host, device=spec),
        dc.asarray(host, device=spec),
        dc.empty(n, "float32", spec),
    )

    def dc_add():
        vector_add[n](a, b, out)
        sync_dc()

    entry = ["vector add 1M + sync", median_wall(dc_add, repeats), None]
    entry += [timer.dotcompute_time(lambda: vector_add[n](a, b, out), repeats), None]
    if cp is not None:
        ca, cb, cout = cp.asarray(host), cp.asarray(host), cp.empty(n, cp.float32)

        def cp_add():
            cp.add(ca, cb, out=cout)
            sync_cp()

        entry[2] = median_wall(cp_add, repeats)
        entry[4] = timer.cupy_time(lambda: cp.add(ca, cb, out=cout), repeats)
    rows.append(tuple(entry))
    np.testing.assert_allclose(out.numpy(), host + host)

    # -- sum 16M float32 ----------------------------------------------------------------------
    n = 16 << 20
    host = np.random.default_rng(2).random(n, dtype=np.float32)
    big = dc.asarray(host, device=spec)
    entry = ["sum 16M float32", median_wall(lambda: float(dc.sum(big).numpy()), repeats // 4)]
    entry += [None, timer.dotcompute_time(lambda: dc.sum(big), repeats // 4), None]
    if cp is not None:
        cbig = cp.asarray(host)
        entry[2] = median_wall(lambda: float(cp.sum(cbig)), repeats // 4)
        entry[4] = timer.cupy_time(lambda: cp.sum(cbig), repeats // 4)
    rows.append(tuple(entry))

    # -- matmul 1024^3 float32, FFT 2^20 complex64 ----------------------------------------------
    rng = np.random.default_rng(3)
    m_host = rng.random((1024, 1024), dtype=np.float32)
    m_a, m_b = dc.asarray(m_host, device=spec), dc.asarray(m_host.T.copy(), device=spec)
    f_host = (rng.random(1 << 20) + 1j * rng.random(1 << 20)).astype(np.complex64)
    f_x = dc.asarray(f_host, device=spec)
    np.testing.assert_allclose(dc.matmul(m_a, m_b).numpy(), m_host @ m_host.T, rtol=2e-3)
    np.testing.assert_allclose(dc.fft(f_x).numpy(), np.fft.fft(f_host), rtol=1e-3, atol=1e-2)
    s_host = rng.random(16 << 20, dtype=np.float32)
    s_x = dc.asarray(s_host, device=spec)
    np.testing.assert_array_equal(dc.sort(s_x).numpy(), np.sort(s_host))
    np.testing.assert_allclose(dc.cumsum(s_x).numpy()[-1], np.cumsum(s_host)[-1], rtol=1e-3)
    for name, dc_call, cp_call in (
        ("matmul 1024 float32", lambda: dc.matmul(m_a, m_b), "matmul"),
        ("fft 2^20 complex64", lambda: dc.fft(f_x), "fft"),
        ("cumsum 16M float32", lambda: dc.cumsum(s_x), "cumsum"),
        ("sort 16M float32", lambda: dc.sort(s_x), "sort"),
    ):
        entry = [name, median_wall(lambda call=dc_call: (call(), sync_dc()), repeats // 4), None]
        entry += [timer.dotcompute_time(dc_call, repeats // 4), None]
        if cp is not None:
            if cp_call == "matmul":
                c_a, c_b = cp.asarray(m_host), cp.asarray(m_host.T.copy())
                call = lambda c_a=c_a, c_b=c_b: cp.matmul(c_a, c_b)  # noqa: E731
            elif cp_call == "fft":
                c_x = cp.asarray(f_host)
                call = lambda c_x=c_x: cp.fft.fft(c_x)  # noqa: E731
            else:
                c_s = cp.asarray(s_host)
                function = cp.cumsum if cp_call == "cumsum" else cp.sort
                call = lambda c_s=c_s, function=function: function(c_s)  # noqa: E731
            entry[2] = median_wall(lambda call=call: (call(), sync_cp()), repeats // 4)
            entry[4] = timer.cupy_time(call, repeats // 4)
        rows.append(tuple(entry))

    # -- transfers of 1 GiB: pinned (dc.empty_pinned / cupyx.empty_pinned) and pageable --------
    gib = 1 << 30
    transfers = max(5, repeats // 40)
    pinned_dc = dc.empty_pinned(gib // 4, "float32", device=spec)
    pinned_dc[...] = 1.0
    pageable = np.ones(gib // 4, np.float32)
    on_device = dc.asarray(pageable, device=spec)
    dc_rows = {
        "H2D 1 GiB pinned": lambda: (dc.asarray(pinned_dc, device=spec), sync_dc()),
        "D2H 1 GiB pinned": lambda: on_device.numpy(out=pinned_dc),
        "H2D 1 GiB pageable": lambda: (dc.asarray(pageable, device=spec), sync_dc()),
        "D2H 1 GiB pageable": lambda: on_device.numpy(),
    }
    cp_rows = {}
    if cp is not None:
        import cupyx

        pinned_cp = cupyx.empty_pinned(gib // 4, np.float32)
        pinned_cp[...] = 1.0
        c_device = cp.asarray(pageable)
        cp_rows = {
            "H2D 1 GiB pinned": lambda: (cp.asarray(pinned_cp), sync_cp()),
            "D2H 1 GiB pinned": lambda: c_device.get(out=pinned_cp),
            "H2D 1 GiB pageable": lambda: (cp.asarray(pageable), sync_cp()),
            "D2H 1 GiB pageable": lambda: c_device.get(),
        }
    for name, dc_call in dc_rows.items():
        cp_call = cp_rows.get(name)
        cp_wall = median_wall(cp_call, transfers, 2) if cp_call else None
        rows.append((name, median_wall(dc_call, transfers, 2), cp_wall, None, None))
    on_device.release()
    dc_rows.clear()  # drops the pinned block: it returns to dotcompute's pinned pool

    # -- pool alloc + free 1 MiB --------------------------------------------------------------
    def dc_alloc():
        dc.empty(MIB // 4, "float32", spec).release()

    entry = ["pool alloc+free 1 MiB", median_wall(dc_alloc, repeats * 10), None, None, None]
    if cp is not None:

        def cp_alloc():
            block = cp.empty(MIB // 4, cp.float32)
            del block

        entry[2] = median_wall(cp_alloc, repeats * 10)
    if torch is not None:
        torch.empty(1, device="cuda")  # torch's own pool, for reference
    rows.append(tuple(entry))
    if cp is not None:
        # The stream-ordered allocator (cudaMallocAsync/cudaFreeAsync) through CuPy's async
        # pool: what a pool over cuMemAllocAsync would cost per allocation.
        default_allocator = cp.cuda.get_allocator()
        cp.cuda.set_allocator(cp.cuda.MemoryAsyncPool().malloc)
        try:
            async_wall = median_wall(cp_alloc, repeats * 10)
        finally:
            cp.cuda.set_allocator(default_allocator)
        rows.append(("alloc+free 1 MiB, async", entry[1], async_wall, None, None))

    # -- graph replay: 50 small kernels captured once, replayed (per kernel) ----------------------
    kernels_per_graph = 50
    small = dc.asarray(np.ones(4096, np.float32), device=spec)
    small_out = dc.empty(4096, "float32", spec)
    stream = dc.Stream(spec)
    with dc.capture(stream) as graph:
        for _ in range(kernels_per_graph):
            vector_add[4096](small, small, small_out)
    graph.replay(stream)
    stream.synchronize()
    np.testing.assert_array_equal(small_out.numpy(), np.full(4096, 2.0, np.float32))
    dc_replay = median_wall(lambda: (graph.replay(stream), stream.synchronize()), repeats)
    torch_replay = None
    if torch is not None and torch.cuda.is_available():
        t_small = torch.ones(4096, device="cuda")
        t_out = torch.empty(4096, device="cuda")
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                torch.add(t_small, t_small, out=t_out)
        torch.cuda.current_stream().wait_stream(side)
        t_graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(t_graph):
            for _ in range(kernels_per_graph):
                torch.add(t_small, t_small, out=t_out)
        torch_replay = median_wall(lambda: (t_graph.replay(), torch.cuda.synchronize()), repeats)
    rows.append(
        (
            "graph replay, per kernel",
            dc_replay / kernels_per_graph,
            torch_replay / kernels_per_graph if torch_replay else None,
            None,
            None,
        )
    )

    # -- cold compile + load, cache hit in a fresh process ------------------------------------
    here = os.path.dirname(os.path.abspath(__file__))
    cold_dc = []
    hit_dc = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as cache:
            environment = dict(os.environ, DOTCOMPUTE_CACHE_DIR=cache)
            code = COLD_DOTCOMPUTE.format(here=here, spec=spec)
            cold_dc.append(fresh_process_seconds(code, environment))
            hit_dc.append(fresh_process_seconds(code, environment))
    cold_cp = None
    if cp is not None:
        environment = dict(os.environ, CUPY_CACHE_IN_MEMORY="1", CUPY_CACHE_SAVE_CUDA_SOURCE="0")
        with tempfile.TemporaryDirectory() as cache:
            environment["CUPY_CACHE_DIR"] = cache
            cold_cp = statistics.median(
                fresh_process_seconds(COLD_CUPY, environment) for _ in range(3)
            )
    rows.append(("NVRTC cold compile+load", statistics.median(cold_dc), cold_cp, None, None))
    rows.append(("cache hit, fresh process", statistics.median(hit_dc), None, None, None))

    # -- table -----------------------------------------------------------------------------------
    def cell(value: float | None) -> str:
        if value is None:
            return f"{'-':>11}"
        for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
            if value >= scale:
                return f"{value / scale:8.2f} {unit:<2}"
        return f"{value / 1e-9:8.1f} ns"

    def ratio(mine: float | None, theirs: float | None) -> str:
        return f"{mine / theirs:6.2f}x" if mine and theirs else f"{'-':>7}"

    print(f"device: {device.name} ({spec}); cupy {cp.__version__ if cp else 'not installed'}")
    capabilities = dc.get_device(spec).capabilities
    print(f"cuBLAS: {capabilities.get('cublas_path')}; cuFFT: {capabilities.get('cufft_path')}")
    header = f"{'case':<26}{'dc wall':>11}{'cupy wall':>11}{'ratio':>8}"
    header += f"{'dc device':>11}{'cupy device':>12}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for name, dc_wall, cp_wall, dc_dev, cp_dev in rows:
        print(
            f"{name:<26}{cell(dc_wall)}{cell(cp_wall)}{ratio(dc_wall, cp_wall):>8}"
            f"{cell(dc_dev)} {cell(cp_dev)}{ratio(dc_dev, cp_dev):>8}"
        )
    print("(transfers: 1 GiB per call; divide 1.074 GB by the time for GB/s)")
    print("(graph replay: the 'cupy' column is PyTorch's CUDA graph of the same 50 kernels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
