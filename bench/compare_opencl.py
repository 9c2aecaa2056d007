# bench/compare_opencl.py
# dotcompute next to pyopencl on the same OpenCL device (PoCL in CI), side by side in one process.
"""Side-by-side OpenCL benchmarks (the OpenCL issue's targets) on one device, in one process.

    python bench/compare_opencl.py [--device opencl:0] [--rounds N] [--samples N]

Rows: launch + finish of a one-work-item vector add (the fixed cost of a launch that waits for
its result), vector add of 1M float32 and the STREAM triad ``a = b + s * c`` over 64M float32
(launch + finish; throughput in GB/s of memory traffic: 12 bytes per element for both). Both
sides run the same kernel on the same device: dotcompute a ``@dc.kernel`` (generated OpenCL C,
default work-group size), pyopencl the equivalent hand-written OpenCL C with the driver's
work-group size (``local_size=None``), its kernel object reused and ``queue.finish()`` after each
launch. Samples alternate between the two peers one by one (in A B, B A order), so a machine
shared with other work slows both alike; every figure is the median over all rounds after a
warm-up. Ratios are dotcompute / pyopencl: of times, below 1 is faster; of GB/s, above 1 is
faster. Exits 1 with a message when there is no OpenCL device or no pyopencl (``pip install
dotcompute[bench]``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

import dotcompute as dc


@dc.kernel
def vector_add(a: dc.Array[dc.float32], b: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    i = dc.global_id(0)
    out[i] = a[i] + b[i]


@dc.kernel
def triad(a: dc.Array[dc.float32], b: dc.Array[dc.float32], c: dc.Array[dc.float32], s: dc.float32):
    i = dc.global_id(0)
    a[i] = b[i] + s * c[i]


# The same computation as the generated kernels, which do not contract a * b + c either.
PYOPENCL_SOURCE = """
#pragma OPENCL FP_CONTRACT OFF
__kernel void vector_add(__global const float* a, __global const float* b, __global float* out)
{
    const size_t i = get_global_id(0);
    out[i] = a[i] + b[i];
}
__kernel void triad(__global float* a, __global const float* b, __global const float* c,
                    const float s)
{
    const size_t i = get_global_id(0);
    a[i] = b[i] + s * c[i];
}
"""


def opencl_device(spec: str | None):
    devices = [d for d in dc.devices() if d.backend == "opencl"]
    if spec is not None:
        devices = [d for d in devices if d.spec == spec]
    if not devices:
        reasons = [r.reason for r in dc.plugins.rejected() if r.name == "opencl"]
        why = f": {reasons[0]}" if reasons else " (the opencl plugin is not built or installed)"
        sys.exit(f"compare_opencl: no OpenCL device{' ' + spec if spec else ''}{why}")
    return devices[0]


def pyopencl_context(device):
    """pyopencl's context and queue on the device dotcompute calls ``device``."""
    try:
        import pyopencl as cl
    except ImportError:
        sys.exit("compare_opencl: pyopencl is not installed (pip install 'dotcompute[bench]')")
    index = int(device.spec.split(":")[1])
    # dotcompute numbers devices across platforms in the ICD loader's order, as here.
    cl_device = [d for p in cl.get_platforms() for d in p.get_devices()][index]
    context = cl.Context([cl_device])
    return cl, context, cl.CommandQueue(context), cl_device


def interleaved(functions: dict, rounds: int, samples: int, warmup: int = 3) -> dict:
    """Median seconds per call of each function, sampled alternately (one call each in turn,
    the order reversed every other time)."""
    for function in functions.values():
        for _ in range(warmup):
            function()
    times: dict = {name: [] for name in functions}
    names = list(functions)
    for _ in range(rounds):
        for sample in range(samples):
            # The order alternates (A B, B A, ...): the second of two back-to-back runs was
            # measurably favoured on this machine.
            for name in names if sample % 2 == 0 else names[::-1]:
                start = time.perf_counter()
                functions[name]()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="an opencl device spec (default: first)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=200, help="launch samples per round")
    args = parser.parse_args()

    device = opencl_device(args.device)
    cl, context, queue, cl_device = pyopencl_context(device)
    program = cl.Program(context, PYOPENCL_SOURCE).build()
    add_kernel, triad_kernel = program.vector_add, program.triad
    flags = cl.mem_flags
    rng = np.random.default_rng(5)
    print(f"device: {device.spec} {device.name} ({device.capabilities.get('platform_version')})")
    print(f"pyopencl {cl.VERSION_TEXT} on {cl_device.name}")
    print(f"{'benchmark':<30} {'dotcompute':>14} {'pyopencl':>14} {'ratio':>7}")

    def row(name: str, ours: float, theirs: float, unit: str, scale: float) -> None:
        print(
            f"{name:<30} {ours * scale:>11.1f} {unit:<2} {theirs * scale:>11.1f} {unit:<2} "
            f"{ours / theirs:>7.2f}"
        )

    for label, n, samples in (
        ("launch + finish, 1 item", 1, args.samples),
        ("vector add 1M", 1 << 20, args.samples // 4),
    ):
        host = [rng.uniform(-1, 1, n).astype(np.float32) for _ in range(2)]
        x, y = (dc.asarray(h, device=device) for h in host)
        out = dc.empty(n, "float32", device=device)
        buffers = [
            cl.Buffer(context, flags.READ_WRITE | flags.COPY_HOST_PTR, hostbuf=h) for h in host
        ]
        result = cl.Buffer(context, flags.READ_WRITE, 4 * n)
        launch = vector_add[n]

        def ours(launch=launch, x=x, y=y, out=out):
            launch(x, y, out)
            device.synchronize()

        def theirs(n=n, buffers=buffers, result=result):
            add_kernel(queue, (n,), None, buffers[0], buffers[1], result)
            queue.finish()

        medians = interleaved({"ours": ours, "theirs": theirs}, args.rounds, samples)
        check = np.empty(n, np.float32)
        cl.enqueue_copy(queue, check, result)
        np.testing.assert_array_equal(out.numpy(), host[0] + host[1])
        np.testing.assert_array_equal(check, host[0] + host[1])
        row(label, medians["ours"], medians["theirs"], "us", 1e6)
        if n > 1:
            gigabytes = 12 * n / 1e9
            row(label + " GB/s", gigabytes / medians["ours"], gigabytes / medians["theirs"], "", 1)

    n = 64 << 20
    host_b, host_c = (rng.uniform(-1, 1, n).astype(np.float32) for _ in range(2))
    a, b, c = dc.empty(n, "float32", device=device), dc.asarray(host_b, device=device), None
    c = dc.asarray(host_c, device=device)
    cl_a = cl.Buffer(context, flags.READ_WRITE, 4 * n)
    cl_b = cl.Buffer(context, flags.READ_WRITE | flags.COPY_HOST_PTR, hostbuf=host_b)
    cl_c = cl.Buffer(context, flags.READ_WRITE | flags.COPY_HOST_PTR, hostbuf=host_c)
    scalar = np.float32(3.0)
    launch = triad[n]

    def ours_triad():
        launch(a, b, c, 3.0)
        device.synchronize()

    def theirs_triad():
        triad_kernel(queue, (n,), None, cl_a, cl_b, cl_c, scalar)
        queue.finish()

    medians = interleaved(
        {"ours": ours_triad, "theirs": theirs_triad}, args.rounds, max(2, args.samples // 50), 2
    )
    expected = host_b + np.float32(3.0) * host_c
    np.testing.assert_array_equal(a.numpy(), expected)
    check = np.empty(n, np.float32)
    cl.enqueue_copy(queue, check, cl_a)
    np.testing.assert_array_equal(check, expected)
    row("triad 64M", medians["ours"], medians["theirs"], "ms", 1e3)
    gigabytes = 12 * n / 1e9
    row("triad 64M GB/s", gigabytes / medians["ours"], gigabytes / medians["theirs"], "", 1)


if __name__ == "__main__":
    main()
