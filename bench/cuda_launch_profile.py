# bench/cuda_launch_profile.py
# Where the time of one kernel launch goes on CUDA: dotcompute's layers next to the bare driver.
"""Per-launch host time of an empty kernel, layer by layer, in bursts of 100 launches (the
synchronize that drains a burst is not timed):

- dotcompute ``kernel[1](x)``, and its compiled plan called directly (no Python wrapper);
- CuPy ``RawKernel``;
- ``cuLaunchKernel`` called through ctypes on CuPy's function, on the legacy default stream
  and on a non-blocking stream, and ``cuCtxSetCurrent`` alone (ctypes adds its own ~0.3 us,
  measured by a ctypes call of ``cuCtxGetCurrent``).

    python bench/cuda_launch_profile.py
"""

from __future__ import annotations

import ctypes
import statistics
import sys
import time

import dotcompute as dc


@dc.kernel
def empty_kernel(out: dc.Array[dc.float32]):
    pass


def per_call(function, sync, bursts: int = 300, burst: int = 100) -> float:
    for _ in range(10):
        function()
    sync()
    samples = []
    for _ in range(bursts):
        start = time.perf_counter()
        for _ in range(burst):
            function()
        samples.append((time.perf_counter() - start) / burst)
        sync()
    return statistics.median(samples)


def main() -> int:
    if not any(d.backend == "cuda" for d in dc.devices()):
        sys.exit("cuda_launch_profile: no CUDA device")
    import cupy as cp

    rows = []
    one = dc.zeros(1, "float32", "cuda:0")
    empty_kernel[1](one)

    def sync_dc():
        dc.synchronize("cuda:0")

    def sync_cp():
        cp.cuda.Device().synchronize()

    rows.append(("dc kernel[1](x)", per_call(lambda: empty_kernel[1](one), sync_dc)))
    plan = empty_kernel._last_plan
    args = (one,)
    rows.append(("dc plan.launch", per_call(lambda: plan.launch(1, args, None), sync_dc)))

    raw = cp.RawKernel('extern "C" __global__ void empty(float* out) {}', "empty")
    c_one = cp.zeros(1, cp.float32)
    raw((1,), (1,), (c_one,))
    rows.append(("cupy RawKernel", per_call(lambda: raw((1,), (1,), (c_one,)), sync_cp)))

    cuda = ctypes.CDLL("libcuda.so.1")
    function = ctypes.c_void_p(raw.kernel.ptr)
    pointer = ctypes.c_void_p(c_one.data.ptr)
    parameters = (ctypes.c_void_p * 1)(ctypes.cast(ctypes.byref(pointer), ctypes.c_void_p))
    launch = cuda.cuLaunchKernel
    launch.argtypes = [ctypes.c_void_p] + [ctypes.c_uint] * 7 + [ctypes.c_void_p] * 3
    stream = ctypes.c_void_p()
    assert cuda.cuStreamCreate(ctypes.byref(stream), 1) == 0
    context = ctypes.c_void_p()
    cuda.cuCtxGetCurrent(ctypes.byref(context))

    def launch_on(handle):
        return lambda: launch(function, 1, 1, 1, 1, 1, 1, 0, handle, parameters, None)

    rows.append(("ctypes cuLaunchKernel, legacy", per_call(launch_on(None), sync_cp)))
    rows.append(("ctypes cuLaunchKernel, own", per_call(launch_on(stream), sync_cp)))
    # The same launch with the arguments packed in one buffer (CU_LAUNCH_PARAM_BUFFER_POINTER = 1,
    # CU_LAUNCH_PARAM_BUFFER_SIZE = 2, CU_LAUNCH_PARAM_END = 0) instead of kernelParams.
    packed = ctypes.c_uint64(c_one.data.ptr)
    packed_size = ctypes.c_size_t(8)
    extra = (ctypes.c_void_p * 5)(
        1,
        ctypes.cast(ctypes.byref(packed), ctypes.c_void_p),
        2,
        ctypes.cast(ctypes.byref(packed_size), ctypes.c_void_p),
        0,
    )
    rows.append(
        (
            "ctypes cuLaunchKernel, packed",
            per_call(lambda: launch(function, 1, 1, 1, 1, 1, 1, 0, stream, None, extra), sync_cp),
        )
    )
    set_current = cuda.cuCtxSetCurrent
    rows.append(("ctypes cuCtxSetCurrent", per_call(lambda: set_current(context), sync_cp)))
    probe = ctypes.byref(ctypes.c_void_p())
    get_current = cuda.cuCtxGetCurrent
    rows.append(("ctypes cuCtxGetCurrent", per_call(lambda: get_current(probe), sync_cp)))
    for name, seconds in rows:
        print(f"{name:<32}{seconds * 1e6:8.2f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
