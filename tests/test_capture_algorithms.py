# tests/test_capture_algorithms.py
# Algorithms and built-ins inside dc.capture, and built-ins on the current stream (docs/streams.md):
# every algorithm is captured through its generated kernels on every device, replayed on new
# input values written with dc.copyto, and compared with numpy.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

# name -> (numpy inputs from rng, the dc call, the numpy reference, absolute tolerance factor)
CASES = {
    "matmul": (
        lambda rng: [
            random_array(rng, (37, 53), "float32"),
            random_array(rng, (53, 29), "float32"),
        ],
        dc.matmul,
        np.matmul,
        1e-5,
    ),
    "batched matmul float64": (
        lambda rng: [
            random_array(rng, (3, 17, 9), "float64"),
            random_array(rng, (3, 9, 130), "float64"),
        ],
        dc.matmul,
        np.matmul,
        1e-12,
    ),
    "fft Bluestein": (
        lambda rng: [random_array(rng, (3, 1000), "complex64")],
        dc.fft,
        np.fft.fft,
        2e-6,
    ),
    "ifft power of two": (
        lambda rng: [random_array(rng, (2, 4096), "complex64")],
        dc.ifft,
        np.fft.ifft,
        2e-6,
    ),
    "rfft along axis 0": (
        lambda rng: [random_array(rng, (64, 33), "float32")],
        lambda x: dc.rfft(x, axis=0),
        lambda x: np.fft.rfft(x, axis=0),
        2e-6,
    ),
    "sum": (
        lambda rng: [random_array(rng, (301, 77), "float32")],
        dc.sum,
        np.sum,
        1e-6,
    ),
    "sum axis 0": (
        lambda rng: [random_array(rng, (301, 77), "float32")],
        lambda x: dc.sum(x, axis=0),
        lambda x: np.sum(x, axis=0),
        1e-6,
    ),
    "mean 3-D keepdims": (
        lambda rng: [random_array(rng, (5, 40, 9), "float64")],
        lambda x: dc.mean(x, axis=(0, 2), keepdims=True),
        lambda x: np.mean(x, axis=(0, 2), keepdims=True),
        1e-12,
    ),
    "max": (
        lambda rng: [random_array(rng, 100_003, "float32")],
        dc.max,
        np.max,
        0.0,
    ),
    "cumsum": (
        lambda rng: [random_array(rng, (3, 5000), "float32")],
        lambda x: dc.cumsum(x, axis=1),
        lambda x: np.cumsum(x, axis=1, dtype=np.float64),
        1e-5,
    ),
    "sort": (
        lambda rng: [random_array(rng, 3001, "float32")],
        dc.sort,
        np.sort,
        0.0,
    ),
    "argsort": (
        lambda rng: [random_array(rng, (4, 999), "int32")],
        dc.argsort,
        lambda x: np.argsort(x, kind="stable"),
        0.0,
    ),
}


def _close(got: np.ndarray, want: np.ndarray, factor: float) -> None:
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    np.testing.assert_allclose(got, want, rtol=0, atol=scale * factor)


@pytest.mark.parametrize("generated", [False, True], ids=["default path", "generated kernels"])
@pytest.mark.parametrize("name", list(CASES))
def test_an_algorithm_is_captured_and_replays_on_new_inputs(device, rng, name, generated):
    """The default path captures cuBLAS and cuFFT on CUDA (Note [Library calls in a capture])
    and the generated kernels elsewhere; forcing the generated kernels captures them on CUDA."""
    make_inputs, call, reference, factor = CASES[name]
    first = make_inputs(rng)
    inputs = [dc.asarray(x, device=device) for x in first]
    stream = dc.Stream(device)
    with dc.algorithms.use_generated_kernels(generated):
        call(*inputs)  # compiles and loads the kernels (a capture only records launches)
        with dc.capture(stream) as graph:
            out = call(*inputs)
    del stream  # the graph replays on its own after the stream is gone
    for _ in range(2):  # each replay sees the values written before it
        fresh = make_inputs(rng)
        for array, values in zip(inputs, fresh, strict=True):
            dc.copyto(array, values)
        graph.replay()  # on the default stream, where copyto and numpy() run too
        _close(out.numpy(), reference(*fresh), factor)


@pytest.mark.cuda
def test_cuda_captures_its_own_scan_and_sort(rng):
    """CUDA's scan and radix sort go into the graph with temporaries of the graph's own (Note
    [Algorithm scratch]): no generated kernel is recorded, and the stream's eager calls in
    between, which grow and rewrite the stream's scratch, do not disturb a replay."""
    if not any(d.backend == "cuda" for d in dc.devices()):
        pytest.skip("no CUDA device")
    x = dc.asarray(random_array(rng, (3, 70_001), "float32"), device="cuda:0")
    keys = dc.asarray(random_array(rng, 100_003, "int32"), device="cuda:0")
    stream = dc.Stream("cuda:0")
    with dc.capture(stream) as graph:
        running = dc.cumsum(x, axis=1)
        ordered, positions = dc.sort(keys), dc.argsort(keys)
    assert graph.launch_count == 0  # the plugin's kernels, not the generated ones
    bigger = dc.asarray(random_array(rng, 4_000_037, "float32"), device="cuda:0")
    for _ in range(2):
        x_host, keys_host = (
            random_array(rng, (3, 70_001), "float32"),
            random_array(rng, 100_003, "int32"),
        )
        dc.copyto(x, x_host)
        dc.copyto(keys, keys_host)
        with stream:
            dc.cumsum(bigger)  # eager work on the capture's stream needing more scratch
            dc.sort(bigger)
        graph.replay(stream)
        stream.synchronize()
        _close(running.numpy(), np.cumsum(x_host, axis=1, dtype=np.float64), 1e-5)
        np.testing.assert_array_equal(ordered.numpy(), np.sort(keys_host))
        np.testing.assert_array_equal(positions.numpy(), np.argsort(keys_host, kind="stable"))


def test_a_capture_may_allocate_and_compile(device, rng):
    """The algorithm's temporaries and output are allocated inside the capture, and a kernel
    never launched before compiles and loads there (CUDA: Note [Allocation during a capture])."""
    dc.empty_cache(device)
    x_host = random_array(rng, (2, 3 * 7 * 11 * 13), "complex128")  # a length no test used
    x = dc.asarray(x_host, device=device)
    stream = dc.Stream(device)
    with dc.capture(stream) as graph:
        out = dc.fft(x)
    graph.replay(stream)
    stream.synchronize()
    _close(out.numpy(), np.fft.fft(x_host), 1e-12)


BUILTIN_DTYPES = [
    "bool", "int8", "int32", "uint16", "uint64", "float16", "float32", "float64", "complex64",
    "complex128",
]  # fmt: skip


def builtin_steps(dtype: str) -> list[tuple[str, object, object]]:
    """(name, dc step, numpy step) for every elementwise built-in defined on dtype; each takes
    (a, b) and returns a result."""
    kind = np.dtype(dtype).kind
    steps = [("add", dc.add, np.add), ("multiply", dc.multiply, np.multiply)]
    if kind != "b":
        steps.append(("subtract", dc.subtract, np.subtract))
        alpha = 3 if kind in "iu" else (1.5 - 2j if kind == "c" else 1.5)
        steps.append(
            (
                "saxpy",
                lambda a, b: dc.saxpy(alpha, a, b),
                lambda a, b: (alpha * a + b).astype(a.dtype),
            )
        )
    if kind in "fc":
        steps.append(("divide", dc.divide, np.divide))
        steps.append(("operator /", lambda a, b: a / b, np.divide))
    if kind in "iu":
        steps.append(("floor_divide", dc.floor_divide, np.floor_divide))
        steps.append(("operator //", lambda a, b: a // b, np.floor_divide))
    steps.append(("operator *", lambda a, b: a * b, np.multiply))
    return steps


def builtin_tolerance(dtype: str) -> float:
    """numpy rounds float16 after each operation (saxpy twice), dotcompute once in float32."""
    return {"float16": 2e-3, "float32": 2e-6, "complex64": 2e-6}.get(dtype, 1e-12)


@pytest.mark.parametrize("dtype", BUILTIN_DTYPES)
def test_elementwise_builtins_are_captured_as_kernels(device, rng, dtype):
    """Inside a capture dc.add ... dc.saxpy and the operators run as generated kernels that the
    graph records (Note [Built-ins in a capture]); each replay computes them anew."""
    shape = (33, 65)
    a = dc.asarray(random_array(rng, shape, dtype), device=device)
    b = dc.asarray(random_array(rng, shape, dtype), device=device)
    steps = builtin_steps(dtype)
    into = dc.empty(shape, dtype, device=device)
    accumulated = dc.empty(shape, dtype, device=device)
    with dc.capture(device=device) as graph:
        results = [step(a, b) for _, step, _ in steps]
        dc.add(a, b, out=into)
        dc.copyto(accumulated, np.ones(shape, dtype))  # a fill: runs at once, not recorded
        accumulated += a  # in place
    assert graph.launch_count >= len(steps) + 2
    for _ in range(2):
        host_a, host_b = random_array(rng, shape, dtype), random_array(rng, shape, dtype)
        dc.copyto(a, host_a)
        dc.copyto(b, host_b)
        dc.copyto(accumulated, host_b)
        graph.replay()
        dc.synchronize(device)
        for (name, _, reference), result in zip(steps, results, strict=True):
            with np.errstate(all="ignore"):
                expected = reference(host_a, host_b)
            atol = builtin_tolerance(dtype) * max(1.0, float(np.abs(expected).max()))
            np.testing.assert_allclose(result.numpy(), expected, rtol=0, atol=atol, err_msg=name)
        np.testing.assert_array_equal(into.numpy(), np.add(host_a, host_b))
        np.testing.assert_array_equal(accumulated.numpy(), np.add(host_b, host_a))


def test_captured_builtins_check_their_operands(device, rng):
    a = dc.asarray(random_array(rng, 100, "float32"), device=device)
    with dc.capture(device=device) as graph:
        with pytest.raises(dc.ShapeError, match=r"add: input shapes \(100,\) and \(99,\) do not"):
            dc.add(a, dc.empty(99, "float32", device=device))
        with pytest.raises(dc.DTypeError, match="cannot write a float32 result into out of"):
            dc.multiply(a, a, out=dc.empty(100, "int32", device=device))
        with pytest.raises(dc.DTypeError, match="bitwise_and is not defined for float32"):
            dc.bitwise_and(a, a)
    assert graph.launch_count == 0


def test_transfers_inside_a_capture_run_at_once(device, rng):
    """Uploads and fills inside a capture make the arrays the captured work reads; they run
    when written, not at replay."""
    values = random_array(rng, 999, "float32")
    earlier = dc.asarray(values[::-1].copy(), device=device)
    with dc.capture(device=device) as graph:
        x = dc.asarray(values, device=device)
        ones = dc.full(999, 1.0, "float32", device=device)
        total = dc.sum(x)
        np.testing.assert_array_equal(earlier.numpy(), values[::-1])  # a download, at once
    np.testing.assert_array_equal(x.numpy(), values)  # readable before any replay
    np.testing.assert_array_equal(ones.numpy(), np.ones(999, np.float32))
    graph.replay()
    dc.synchronize(device)
    _close(total.numpy(), np.sum(values, dtype=np.float64), 1e-6)


def test_builtins_run_on_the_current_stream(device, rng):
    """Inside `with stream:` a kernel, a built-in, an algorithm and a download are ordered as
    written, with no synchronization by the caller."""

    @dc.kernel
    def double(x: dc.Array[dc.float32], out: dc.Array[dc.float32]):
        i = dc.global_id(0)
        if i < out.shape[0]:
            out[i] = x[i] * 2.0

    n = 1 << 20
    host = random_array(rng, n, "float32")
    stream = dc.Stream(device)
    with stream:
        x = dc.asarray(host, device=device)
        doubled = dc.empty(n, "float32", device=device)
        for _ in range(3):  # the later rounds reuse stream-tagged blocks of the earlier ones
            double[n](x, doubled)
            added = dc.add(doubled, x)  # 3 x
            scanned = dc.cumsum(added)
            got_added, got_last = added.numpy(), float(scanned.numpy()[-1])
    np.testing.assert_allclose(got_added, host * np.float32(3), rtol=1e-6)
    assert got_last == pytest.approx(float(np.sum(host, dtype=np.float64)) * 3, rel=1e-5)


def test_a_graph_or_stream_may_die_inside_another_capture(device, rng):
    """Graphs and streams with library state (CUDA: cuBLAS handles, cuFFT plans) are freed
    whenever Python drops them, here inside another capture (Note [Releases during a capture])."""
    a_host = random_array(rng, (256, 256), "float32")
    z_host = random_array(rng, 4096, "complex64")
    a, z = dc.asarray(a_host, device=device), dc.asarray(z_host, device=device)
    for _ in range(2):
        first = dc.Stream(device)
        with first:
            dc.fft(z)  # the stream's own plan (CUDA)
        with dc.capture(first) as old:
            dc.matmul(a, a)
            dc.fft(z)
            dc.cumsum(a)  # a graph's own scan and sort scratch (CUDA)
            dc.sort(a)
        with dc.capture(device=device) as new:
            del old, first
            product = dc.matmul(a, a)
            spectrum = dc.fft(z)
        new.replay()
        _close(product.numpy(), a_host.astype(np.float64) @ a_host, 1e-5)
        _close(spectrum.numpy(), np.fft.fft(z_host), 2e-6)
