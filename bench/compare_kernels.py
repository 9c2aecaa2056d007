# bench/compare_kernels.py
# Times dotcompute kernels next to numpy, Numba, Warp and Taichi on the CPU, in one run.
"""Side-by-side kernel benchmarks on the CPU (the kernel-language issue's targets).

    python bench/compare_kernels.py [--repeats N] [--quick]

Rows: vector add 1M float32, STREAM triad 64M float32 (GB/s), launch + completion of a 1-element
kernel, mandelbrot 2048x2048 with 256 iterations (dotcompute on 1 and on 2 threads), cold compile
of a small kernel, its load from the disk cache in a fresh process, and source generation for
1000 kernels. Peers that are not installed are reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import format_time, restart_without_slow_openblas_settings, seconds_per_call

HERE = Path(__file__).resolve().parent
MANDELBROT_SIZE = 2048
MANDELBROT_ITERATIONS = 256


def load_peers() -> dict[str, object]:
    """Each peer's kernel module, or the reason it is missing."""
    sys.path.insert(0, str(HERE / "peers"))
    peers: dict[str, object] = {}
    for name, module in (
        ("numba", "numba_kernels"),
        ("warp", "warp_kernels"),
        ("taichi", "taichi_kernels"),
    ):
        try:
            peers[name] = __import__(module)
        except ImportError as error:
            peers[name] = f"not installed ({error.name})"
    return peers


def vector_add_cases(np, dc, ours, peers, count: int) -> dict[str, object]:
    rng = np.random.default_rng(1)
    a, b = rng.random(count, dtype=np.float32), rng.random(count, dtype=np.float32)
    out = np.empty_like(a)
    da, db, dout = dc.asarray(a), dc.asarray(b), dc.asarray(out)
    cases = {
        "numpy": lambda: np.add(a, b, out=out),
        "dotcompute": lambda: ours.vector_add[count](da, db, dout),
    }
    add_peer_cases(cases, peers, "vector_add", (a, b, out), count)
    return cases


def triad_cases(np, dc, ours, peers, count: int) -> dict[str, object]:
    rng = np.random.default_rng(2)
    a = np.empty(count, np.float32)
    b, c = rng.random(count, dtype=np.float32), rng.random(count, dtype=np.float32)
    s = np.float32(3.0)
    da, db, dc_c = dc.asarray(a), dc.asarray(b), dc.asarray(c)
    cases = {
        "numpy": lambda: np.add(b, np.multiply(s, c, out=a), out=a),
        "dotcompute": lambda: ours.triad[count](da, db, dc_c, s),
    }
    add_peer_cases(cases, peers, "triad", (a, b, c, s), count)
    return cases


def launch_cases(np, dc, ours, peers) -> dict[str, object]:
    x = np.ones(1, np.float32)
    dx = dc.asarray(x)
    cases = {"dotcompute": lambda: ours.touch[1](dx)}
    add_peer_cases(cases, peers, "touch", (x,), 1)
    return cases


def add_peer_cases(cases, peers, kernel: str, host_args: tuple, count: int) -> None:
    for name, module in peers.items():
        if isinstance(module, str):
            cases[name] = module
        elif name == "numba":
            cases[name] = numba_case(module, kernel, host_args)
        elif name == "warp":
            cases[name] = warp_case(module, kernel, host_args, count)
        elif name == "taichi":
            cases[name] = taichi_case(module, kernel, host_args)


def numba_case(module, kernel: str, host_args: tuple):
    function = getattr(module, kernel)
    return lambda: function(*host_args)


def is_array(value) -> bool:
    return getattr(value, "ndim", 0) > 0  # numpy arrays, not numpy scalars


def warp_case(module, kernel: str, host_args: tuple, count: int):
    wp = module.wp
    args = [wp.array(a, dtype=wp.float32, device="cpu") if is_array(a) else a for a in host_args]
    function = getattr(module, kernel)

    def run():
        wp.launch(function, dim=count, inputs=args, device="cpu")
        wp.synchronize_device("cpu")

    return run


def taichi_case(module, kernel: str, host_args: tuple):
    ti = module.ti
    function = getattr(module, kernel)
    # Taichi's own ndarrays: passing numpy arrays would add a copy per call.
    args = []
    for value in host_args:
        if is_array(value):
            array = ti.ndarray(ti.f32, shape=value.shape)
            array.from_numpy(value)
            value = array
        args.append(value)

    def run():
        function(*args)
        ti.sync()

    return run


def mandelbrot_seconds(threads: int, repeats: int) -> float:
    """dotcompute mandelbrot in a fresh process with the given thread count."""
    code = f"""
import sys, time, numpy as np
sys.path.insert(0, {str(HERE / "peers")!r}); sys.path.insert(0, {str(HERE)!r})
import dotcompute as dc
from dotcompute_kernels import mandelbrot
from timing import seconds_per_call
out = dc.empty(({MANDELBROT_SIZE}, {MANDELBROT_SIZE}), dtype="int32")
size = ({MANDELBROT_SIZE}, {MANDELBROT_SIZE})
print(seconds_per_call(lambda: mandelbrot[size](out, {MANDELBROT_ITERATIONS}), {repeats}, 0.5))
"""
    env = dict(os.environ, DOTCOMPUTE_NUM_THREADS=str(threads))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return float(result.stdout.strip().splitlines()[-1])


COMPILE_PROBE = """
import json, sys, time
start = time.perf_counter()
import dotcompute as dc
imported = time.perf_counter()

@dc.kernel
def scale(x: dc.Array[dc.float32], factor: dc.float32):
    i = dc.global_id(0)
    if i < x.shape[0]:
        x[i] = x[i] * factor

x = dc.ones(16, dtype="float32")
before = time.perf_counter()
scale[16](x, 2.0)
after = time.perf_counter()
print(json.dumps({"import": imported - start, "first_launch": after - before}))
"""


def compile_and_cache_seconds() -> tuple[float, float]:
    """(cold compile, warm load from the disk cache), each in a fresh process."""

    def first_launch(cache: str) -> float:
        env = dict(os.environ, DOTCOMPUTE_CACHE_DIR=cache)
        # An installed package has its bytecode compiled; without it a fresh process spends its
        # first launch compiling dotcompute's own .py files, which is not what is measured.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        probe = Path(cache, "compile_probe.py")  # kernels need a real file for their source
        probe.write_text(COMPILE_PROBE)
        command = [sys.executable, str(probe)]
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        return json.loads(result.stdout.strip().splitlines()[-1])["first_launch"]

    with tempfile.TemporaryDirectory() as warm_up, tempfile.TemporaryDirectory() as cache:
        first_launch(warm_up)  # writes dotcompute's bytecode
        return first_launch(cache), first_launch(cache)


def source_generation_seconds(count: int) -> float:
    """Time to generate CPU source for `count` distinct kernels (parse, type, generate)."""
    lines = ["import dotcompute as dc", ""]
    for k in range(count):
        lines += [
            "@dc.kernel",
            f"def kernel_{k}(x: dc.Array[dc.float32], y: dc.Array[dc.float32]):",
            "    i = dc.global_id(0)",
            "    if i < x.shape[0]:",
            f"        y[i] = x[i] * {k + 1}.0 + dc.sqrt(x[i] + {k}.0)",
            "",
        ]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "many_kernels.py")
        path.write_text("\n".join(lines))
        sys.path.insert(0, directory)
        try:
            start = time.perf_counter()
            module = __import__("many_kernels")
            for k in range(count):
                getattr(module, f"kernel_{k}").source("cpu")
            return time.perf_counter() - start
        finally:
            sys.path.remove(directory)


def print_group(title: str, cases: dict, repeats: int, budget: float, unit=None) -> dict:
    print(f"\n{title}")
    baseline = None
    results = {}
    for name, case in cases.items():
        if isinstance(case, str):
            print(f"  {name:<12}{case}")
            continue
        seconds = seconds_per_call(case, repeats, budget)
        results[name] = seconds
        baseline = baseline or seconds
        extra = f"  {unit(seconds)}" if unit else ""
        print(f"  {name:<12}{format_time(seconds):>12}  {baseline / seconds:6.2f}x vs first{extra}")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="smaller triad, fewer kernels")
    options = parser.parse_args()

    import numpy as np

    import dotcompute as dc

    sys.path.insert(0, str(HERE / "peers"))
    import dotcompute_kernels as ours

    peers = load_peers()
    print(
        f"dotcompute {dc.__version__}, numpy {np.__version__}, device cpu: {dc.get_device().name}"
    )
    print_group(
        "vector add 1M float32",
        vector_add_cases(np, dc, ours, peers, 1 << 20),
        options.repeats,
        0.05,
    )
    triad_count = 1 << (22 if options.quick else 26)
    bytes_moved = 3 * 4 * triad_count
    print_group(
        f"STREAM triad {triad_count >> 20}M float32",
        triad_cases(np, dc, ours, peers, triad_count),
        options.repeats,
        0.3,
        unit=lambda s: f"{bytes_moved / s / 1e9:6.1f} GB/s",
    )
    print_group(
        "launch + completion, 1 element", launch_cases(np, dc, ours, peers), options.repeats, 0.05
    )

    print(f"\nmandelbrot {MANDELBROT_SIZE}x{MANDELBROT_SIZE}, {MANDELBROT_ITERATIONS} iterations")
    one, two = mandelbrot_seconds(1, 3), mandelbrot_seconds(2, 3)
    print(f"  {'dotcompute 1 thread':<24}{format_time(one):>12}")
    speedup = one / two
    print(
        f"  {'dotcompute 2 threads':<24}{format_time(two):>12}  {speedup:5.2f}x the 1-thread speed"
    )
    if not isinstance(peers["numba"], str):
        out = np.empty((MANDELBROT_SIZE, MANDELBROT_SIZE), np.int32)
        numba_time = seconds_per_call(
            lambda: peers["numba"].mandelbrot(out, MANDELBROT_ITERATIONS), 3, 0.5
        )
        ratio = numba_time / two
        print(f"  {'numba parallel':<24}{format_time(numba_time):>12}  ours {ratio:5.2f}x faster")

    cold, warm = compile_and_cache_seconds()
    print("\ncompilation (fresh processes)")
    print(f"  {'cold compile + first launch':<32}{format_time(cold):>12}")
    print(f"  {'load from disk cache + launch':<32}{format_time(warm):>12}")
    kernels = 100 if options.quick else 1000
    generation = source_generation_seconds(kernels)
    print(f"  {f'source for {kernels} kernels':<32}{format_time(generation):>12}")
    return 0


if __name__ == "__main__":
    restart_without_slow_openblas_settings()
    sys.exit(main())
