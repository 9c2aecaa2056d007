# bench/opencl_floor.py
# The OpenCL driver's floor for launch + finish, next to dotcompute and pyopencl in one process.
"""What a one-work-item launch that waits for its result costs at least on an OpenCL device.

    python bench/opencl_floor.py [--device opencl:0] [--rounds N] [--samples N]

Builds bench/opencl_floor.c (a C compiler is needed, no OpenCL headers) and times each of these
peers against pyopencl's kernel call + ``queue.finish()`` exactly as compare_opencl.py's first
row does (samples alternating A B, B A; medians over all rounds), one pair after the other:

- dotcompute: ``vector_add[1](a, b, out)`` then ``device.synchronize()`` (compare_opencl.py's);
- C + poll: clEnqueueNDRangeKernel with its arguments set once and a spin on the event's
  status (yielding the core between polls, as the plugin does), called through ctypes: the
  driver's floor for any library that waits this way;
- C + poll, 12 args: the same for the kernel with the parameters dotcompute's generator gives
  it (buffer offsets, extents, real global sizes);
- C + clFinish: clEnqueueNDRangeKernel and clFinish: pyopencl's work without its Python.

Each line gives the peer's median, pyopencl's median in the same pairing, and their ratio;
"C + poll"'s ratio bounds from below what any Python library waiting this way reaches in
compare_opencl.py's first row, on the machine as it was during that pairing.

Next, the launch call alone: each peer queues 20 launches without waiting, then waits once;
the figure is the median time per launch call (host-side cost: Python, library and the
driver's enqueue).

Last, the two C peers run alone on a queue with profiling, and the medians of their phases are
printed: the enqueue call, QUEUED -> SUBMIT, SUBMIT -> START (the driver handing the command
to a worker thread, waking it if it sleeps), START -> END (the kernel) and END -> return
(noticing completion; for clFinish, the wake-up of the sleeping caller).
"""

from __future__ import annotations

import argparse
import ctypes
import pathlib
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import compare_opencl  # same directory: its kernel and device helpers
from native import build_shared_library

SOURCE = pathlib.Path(__file__).with_name("opencl_floor.c")


def build_floor_library(directory: str) -> ctypes.CDLL:
    library = build_shared_library(SOURCE, directory, ["-O2"], ["-ldl"])
    for name in (
        "floor_init",
        "floor_poll",
        "floor_poll_wide",
        "floor_finish",
        "floor_enqueue",
        "floor_enqueue_wide",
        "floor_wait",
        "floor_phases",
    ):
        getattr(library, name).restype = ctypes.c_int
    library.floor_phases.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_double)]
    return library


PHASES = ("enqueue call", "QUEUED->SUBMIT", "SUBMIT->START", "START->END", "END->return")


def phase_medians(library: ctypes.CDLL, use_finish: bool, samples: int) -> list[float]:
    """Median microseconds of each of PHASES over samples launches."""
    values = (ctypes.c_double * len(PHASES))()
    taken: list[list[float]] = [[] for _ in PHASES]
    for _ in range(samples):
        code = library.floor_phases(int(use_finish), values)
        if code != 0:
            sys.exit(f"opencl_floor: a profiled launch failed (OpenCL error {code})")
        for phase, value in zip(taken, values, strict=True):
            phase.append(value)
    return [statistics.median(phase) for phase in taken]


def launch_call_medians(peers: dict, rounds: int, batch: int = 20) -> dict:
    """Median seconds per launch call of each peer (launch, wait) when batch launches queue."""
    times: dict = {name: [] for name in peers}
    for round_index in range(rounds):
        names = list(peers) if round_index % 2 == 0 else list(peers)[::-1]
        for name in names:
            launch, wait = peers[name]
            start = time.perf_counter()
            for _ in range(batch):
                launch()
            times[name].append((time.perf_counter() - start) / batch)
            wait()
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="an opencl device spec (default: first)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=200, help="samples per round")
    args = parser.parse_args()

    device = compare_opencl.opencl_device(args.device)
    cl, context, queue, cl_device = compare_opencl.pyopencl_context(device)
    add_kernel = cl.Program(context, compare_opencl.PYOPENCL_SOURCE).build().vector_add
    with tempfile.TemporaryDirectory() as directory:
        library = build_floor_library(directory)
        code = library.floor_init(int(device.spec.split(":")[1]))
        if code != 0:
            sys.exit(f"opencl_floor: setting up the C peer failed (OpenCL error {code})")

        host = [np.random.default_rng(5).uniform(-1, 1, 1).astype(np.float32) for _ in range(2)]
        x, y = (compare_opencl.dc.asarray(h, device=device) for h in host)
        out = compare_opencl.dc.empty(1, "float32", device=device)
        buffers = [cl.Buffer(context, cl.mem_flags.READ_WRITE, 4) for _ in range(3)]
        launch = compare_opencl.vector_add[1]

        def dotcompute():
            launch(x, y, out)
            device.synchronize()

        def pyopencl():
            add_kernel(queue, (1,), None, *buffers)
            queue.finish()

        pairs = {
            name: compare_opencl.interleaved(
                {"peer": peer, "pyopencl": pyopencl}, args.rounds, args.samples
            )
            for name, peer in (
                ("dotcompute", dotcompute),
                ("C + poll", library.floor_poll),
                ("C + poll, 12 args", library.floor_poll_wide),
                ("C + clFinish", library.floor_finish),
            )
        }
        launch_calls = launch_call_medians(
            {
                "dotcompute": (lambda: launch(x, y, out), device.synchronize),
                "pyopencl": (lambda: add_kernel(queue, (1,), None, *buffers), queue.finish),
                "C": (library.floor_enqueue, library.floor_wait),
                "C, 12 args": (library.floor_enqueue_wide, library.floor_wait),
            },
            args.rounds * 40,
        )
        phases = {
            "C + poll": phase_medians(library, False, args.rounds * args.samples),
            "C + clFinish": phase_medians(library, True, args.rounds * args.samples),
        }
    print(f"device: {device.spec} {device.name}; pyopencl {cl.VERSION_TEXT} on {cl_device.name}")
    print(f"{'launch + finish, 1 item':<26} {'peer':>10} {'pyopencl':>11} {'ratio':>7}")
    for name, medians in pairs.items():
        peer, theirs = medians["peer"], medians["pyopencl"]
        print(f"{name:<26} {peer * 1e6:>7.1f} us {theirs * 1e6:>8.1f} us {peer / theirs:>7.2f}")
    print(f"{'launch call alone':<26} {'median':>10}")
    for name, seconds in launch_calls.items():
        print(f"{name:<26} {seconds * 1e6:>7.2f} us")
    print(f"{'phases (median us)':<26}" + "".join(f"{phase:>16}" for phase in PHASES))
    for name, values in phases.items():
        print(f"{name:<26}" + "".join(f"{value:>16.1f}" for value in values))


if __name__ == "__main__":
    main()
