# bench/runtime_figures.py
# The kernel runtime's figures with hand-written C kernels: compile, warm load, launch, vector add.
"""Measures the runtime below the frontend (issue 3, points 4-6):

- cold compile of a small kernel (source to cached shared object; compiler identity on disk),
- warm load from the disk cache in a fresh interpreter (time of ``load_cpu_module`` there),
- launch plus completion of a 1-element kernel through ``_core.KernelPlan`` from Python,
- vector add of 1M float32 with a vectorizable hand-written kernel vs ``np.add(out=)``.

Run: ``python bench/runtime_figures.py`` (uses a private cache directory under /tmp).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from timing import restart_without_slow_openblas_settings, seconds_per_call

restart_without_slow_openblas_settings()

import numpy as np  # noqa: E402

import dotcompute as dc  # noqa: E402
from dotcompute.kernel import cache  # noqa: E402

PRELUDE = r"""
#include <stdint.h>
#define EXPORT __attribute__((visibility("default")))
typedef struct dc_cpu_launch {
  uint32_t dimensions, reserved;
  uint64_t global_size[3], local_size[3], group_count[3];
  uint64_t group_begin, group_end;
  void* scratch;
  uint64_t scratch_bytes;
} dc_cpu_launch;
EXPORT const uint32_t dc_cpu_kernel_abi_version = 1;
"""

# The shape the C generator produces for a 1-D elementwise kernel: the group loop outside, a
# contiguous work-item loop inside, restrict pointers so the compiler vectorizes it.
VADD = (
    PRELUDE
    + r"""
EXPORT void vadd(const dc_cpu_launch* launch, void* const* args) {
  const float* restrict x = (const float*)args[0];
  const float* restrict y = (const float*)args[2];
  float* restrict out = (float*)args[4];
  const uint64_t n = (uint64_t)*(const int64_t*)args[5];
  const uint64_t size = launch->local_size[0];
  uint64_t begin = launch->group_begin * size, end = launch->group_end * size;
  if (end > launch->global_size[0]) end = launch->global_size[0];
  if (end > n) end = n;
  for (uint64_t i = begin; i < end; ++i) out[i] = x[i] + y[i];
}
"""
)

TOUCH = (
    PRELUDE
    + r"""
EXPORT void touch(const dc_cpu_launch* launch, void* const* args) {
  (void)launch;
  ((float*)args[0])[0] += 1.0f;
}
"""
)

WARM_LOAD_SCRIPT = """
import sys, time, json
import dotcompute
from dotcompute.kernel import cache
source = sys.stdin.read()
start = time.perf_counter()
cache.load_cpu_module(source, "cpu")
elapsed = time.perf_counter() - start
print(json.dumps({"ms": elapsed * 1e3, "compiles": cache.cache_info()["compiles"]}))
"""


def main() -> None:
    os.environ["DOTCOMPUTE_CACHE_DIR"] = tempfile.mkdtemp(prefix="dotcompute-figures-")
    device = dc.get_device("cpu")
    print(
        f"machine: {device.name}, {device.capabilities['threads']} threads, "
        f"simd {device.capabilities['simd']}"
    )

    # Cold compile: a new source each time; the first also asks the compiler for its version.
    first = time.perf_counter()
    cache.compile_cpu_source(f"/* first */\n{VADD}")
    first_ms = (time.perf_counter() - first) * 1e3
    cold = []
    for attempt in range(5):
        start = time.perf_counter()
        cache.compile_cpu_source(f"/* cold {attempt} */\n{VADD}")
        cold.append((time.perf_counter() - start) * 1e3)
    print(
        f"cold compile of a small kernel: {statistics.median(cold):.1f} ms median "
        f"(first in a process, compiler identity not yet on disk: {first_ms:.1f} ms)"
    )

    # Warm load in fresh interpreters.
    cache.compile_cpu_source(VADD)
    warm = []
    for _ in range(5):
        completed = subprocess.run(
            [sys.executable, "-c", WARM_LOAD_SCRIPT],
            input=VADD,
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        assert result["compiles"] == 0, "the warm load compiled"
        warm.append(result["ms"])
    print(
        f"warm load from the disk cache in a fresh process: {statistics.median(warm):.2f} ms "
        f"median (min {min(warm):.2f})"
    )

    # Launch overhead: a 1-element kernel, launch + completion (the CPU launch is synchronous).
    touch = cache.load_cpu_module(TOUCH, "cpu").kernel(
        "touch", [("array", "float32", 1, "x")], name="touch"
    )
    one = dc.zeros(1, dtype="float32")
    arguments = (one,)
    launch_s = seconds_per_call(lambda: touch.launch(1, arguments), repeats=7, budget=0.2)
    call_s = seconds_per_call(lambda: touch(1, one), repeats=7, budget=0.2)
    print(
        f"launch+completion, 1 element: plan.launch {launch_s * 1e6:.2f} us, "
        f"plan(...) {call_s * 1e6:.2f} us"
    )

    # Vector add 1M float32.
    n = 1 << 20
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal(n).astype(np.float32)
    y_np = rng.standard_normal(n).astype(np.float32)
    out_np = np.empty_like(x_np)
    x, y, out = dc.asarray(x_np), dc.asarray(y_np), dc.empty(n, dtype="float32")
    vadd = cache.load_cpu_module(VADD, "cpu").kernel(
        "vadd", [("array", "float32", 1, n_) for n_ in ("x", "y", "out")], name="vadd"
    )
    vadd.launch(n, (x, y, out))
    assert np.array_equal(out.numpy(), x_np + y_np)
    kernel_s = seconds_per_call(lambda: vadd.launch(n, (x, y, out)), repeats=15, budget=0.3)
    numpy_s = seconds_per_call(lambda: np.add(x_np, y_np, out=out_np), repeats=15, budget=0.3)
    print(
        f"vector add 1M float32: kernel {kernel_s * 1e6:.0f} us, np.add(out=) "
        f"{numpy_s * 1e6:.0f} us -> {numpy_s / kernel_s:.2f}x numpy"
    )


if __name__ == "__main__":
    main()
