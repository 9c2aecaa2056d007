# tests/test_builtins.py
# Conformance of the built-in operations on every device against numpy, for every dtype.
from __future__ import annotations

import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

ALL_DTYPES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
]  # fmt: skip
NUMERIC_DTYPES = [d for d in ALL_DTYPES if d != "bool"]
INTEGER_DTYPES = [d for d in ALL_DTYPES if np.dtype(d).kind in "iu"]
INEXACT_DTYPES = ["float16", "float32", "float64", "complex64", "complex128"]
# 1 element, odd sizes, larger than a work-group and than the thread pool's chunk, 2-D and 3-D.
SHAPES = [(1,), (7,), (1023,), (100_003,), (37, 129), (5, 17, 33)]


def tolerance(dtype) -> dict:
    dtype = np.dtype(dtype)
    if dtype in (np.float16,):
        # numpy rounds float16 after every operation (saxpy: twice); dotcompute computes in
        # float32 and rounds once, so results may differ by one float16 ulp (2 * eps relative).
        return {"rtol": 2e-3, "atol": 2e-3}
    if dtype in (np.float32, np.complex64):
        return {"rtol": 1e-6, "atol": 1e-6}
    if dtype.kind in "fc":
        return {"rtol": 1e-12, "atol": 1e-12}
    return {"rtol": 0, "atol": 0}


NUMPY_BINARY = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": np.divide,
    "floor_divide": np.floor_divide,
}


def check_binary(device, rng, name, dtype, shape):
    host_a, host_b = random_array(rng, shape, dtype), random_array(rng, shape, dtype)
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    with np.errstate(all="ignore"):
        expected = NUMPY_BINARY[name](host_a, host_b)
    result = getattr(dc, name)(a, b)
    assert result.shape == shape and result.dtype == np.dtype(dtype)
    assert result.device == dc.get_device(device)
    np.testing.assert_allclose(result.numpy(), expected, **tolerance(dtype))
    out = dc.empty(shape, dtype=dtype, device=device)
    assert getattr(dc, name)(a, b, out=out) is out
    np.testing.assert_allclose(out.numpy(), expected, **tolerance(dtype))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("name", ["add", "multiply"])
def test_add_multiply_every_dtype(device, rng, name, dtype, shape):
    check_binary(device, rng, name, dtype, shape)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_subtract_every_numeric_dtype(device, rng, dtype, shape):
    check_binary(device, rng, "subtract", dtype, shape)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", INEXACT_DTYPES)
def test_divide_floating_and_complex(device, rng, dtype, shape):
    check_binary(device, rng, "divide", dtype, shape)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
def test_floor_divide_integers(device, rng, dtype, shape):
    check_binary(device, rng, "floor_divide", dtype, shape)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64"])
def test_floor_divide_edge_cases_follow_numpy(device, dtype):
    info = np.iinfo(dtype)
    host_a = np.array([7, -7, 7, -7, 5, info.min, info.min, info.max, 0, -1], dtype=dtype)
    host_b = np.array([2, 2, -2, -2, 0, -1, 1, -1, 3, 0], dtype=dtype)
    with np.errstate(all="ignore"):
        expected = np.floor_divide(host_a, host_b)
    result = dc.floor_divide(dc.asarray(host_a, device=device), dc.asarray(host_b, device=device))
    np.testing.assert_array_equal(result.numpy(), expected)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "uint64", "int64"])
def test_integer_overflow_wraps_like_numpy(device, dtype):
    info = np.iinfo(dtype)
    host_a = np.array([info.max, info.min, info.max - 3] * 11, dtype=dtype)
    host_b = np.array([3, info.max, 5] * 11, dtype=dtype)
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    with np.errstate(all="ignore"):
        for name in ("add", "subtract", "multiply"):
            result = getattr(dc, name)(a, b).numpy()
            np.testing.assert_array_equal(result, NUMPY_BINARY[name](host_a, host_b))


def test_bool_add_and_multiply_are_logical(device, rng):
    host_a, host_b = random_array(rng, 1001, "bool"), random_array(rng, 1001, "bool")
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    np.testing.assert_array_equal(dc.add(a, b).numpy(), host_a | host_b)
    np.testing.assert_array_equal(dc.multiply(a, b).numpy(), host_a & host_b)
    with pytest.raises(dc.DTypeError, match="subtract"):
        dc.subtract(a, b)


@pytest.mark.parametrize("dtype", [*INTEGER_DTYPES, "bool"])
def test_divide_of_integers_gives_float64_as_numpy(device, rng, dtype):
    host_a, host_b = random_array(rng, 1001, dtype), random_array(rng, 1001, dtype)
    host_b[::7] = 0  # inf and nan, as numpy's
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    with np.errstate(all="ignore"):
        expected = np.true_divide(host_a, host_b)
    for result in (dc.divide(a, b), a / b):
        assert result.dtype == expected.dtype == np.float64
        np.testing.assert_array_equal(result.numpy(), expected)


@pytest.mark.parametrize("dtype", INEXACT_DTYPES)
def test_floor_divide_of_floats_as_numpy(device, rng, dtype):
    host_a, host_b = random_array(rng, 1001, dtype), random_array(rng, 1001, dtype)
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    if np.dtype(dtype).kind == "c":
        with pytest.raises(dc.DTypeError, match="floor_divide is not defined for complex"):
            dc.floor_divide(a, b)
        return
    host_b[::5] = host_a[::5] / 3  # quotients near integers, where floor(a / b) may differ
    b = dc.asarray(host_b, device=device)
    np.testing.assert_array_equal(dc.floor_divide(a, b).numpy(), np.floor_divide(host_a, host_b))


def test_output_may_alias_an_input(device, rng):
    host_a, host_b = random_array(rng, 70_001, "float32"), random_array(rng, 70_001, "float32")
    a, b = dc.asarray(host_a, device=device, copy=True), dc.asarray(host_b, device=device)
    dc.add(a, b, out=a)
    np.testing.assert_array_equal(a.numpy(), host_a + host_b)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "floor_divide"])
def test_binary_call_forms(device, rng, name):
    # Note [Binary fast path]: positional and out= calls run in C++; the rest go to the general
    # binding. Both give the same results and errors.
    dtype = "int32" if name == "floor_divide" else "float64"
    host_a, host_b = random_array(rng, (5, 7), dtype), random_array(rng, (5, 7), dtype)
    if name == "floor_divide":
        host_b[host_b == 0] = 3
    expected = NUMPY_BINARY[name](host_a, host_b)
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    op = getattr(dc, name)
    out = dc.empty((5, 7), dtype=dtype, device=device)
    for result in (
        op(a, b),
        op(a, b, None),
        op(a, b, out=None),
        op(a=a, b=b),
        op(a, b=b),
        op(b=b, a=a, out=None),
    ):
        np.testing.assert_allclose(result.numpy(), expected)
    assert op(a, b, out) is out and op(a, b, out=out) is out and op(a=a, b=b, out=out) is out
    np.testing.assert_allclose(out.numpy(), expected)
    with pytest.raises(TypeError):
        op(a, host_b)
    with pytest.raises(TypeError):
        op(a)
    with pytest.raises(TypeError):
        op(a, b, out, out)
    with pytest.raises(TypeError):
        op(a, b, output=out)
    with pytest.raises(TypeError):
        op(a, b, out=host_a)
    with pytest.raises(dc.ShapeError):
        op(a, dc.asarray(host_b.T.copy(), device=device))
    with pytest.raises(dc.ShapeError):
        op(a, b, out=dc.empty((7, 5), dtype=dtype, device=device))
    assert str(inspect.signature(op)) == "(a, b, out=None)"


def test_operators(device, rng):
    host_a, host_b = random_array(rng, (13, 11), "float64"), random_array(rng, (13, 11), "float64")
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    np.testing.assert_allclose((a + b).numpy(), host_a + host_b)
    np.testing.assert_allclose((a - b).numpy(), host_a - host_b)
    np.testing.assert_allclose((a * b).numpy(), host_a * host_b)
    np.testing.assert_allclose((a / b).numpy(), host_a / host_b)
    c = dc.asarray(host_a, device=device, copy=True)
    same = c
    c += b
    assert c is same
    np.testing.assert_allclose(c.numpy(), host_a + host_b)
    c -= b
    c *= b
    c /= b
    np.testing.assert_allclose(c.numpy(), host_a, rtol=1e-12)
    i, j = dc.asarray(np.arange(1, 8), device=device), dc.asarray(np.full(7, 3), device=device)
    np.testing.assert_array_equal((i // j).numpy(), np.arange(1, 8) // 3)
    i //= j
    np.testing.assert_array_equal(i.numpy(), np.arange(1, 8) // 3)
    # Numbers are applied to every element (tests/test_scalar_operands.py); other operand
    # types: NotImplemented from the Array, so Python raises TypeError.
    np.testing.assert_allclose((2.0 * a + 1).numpy(), 2.0 * host_a + 1)
    for bad in (lambda: a + {1}, lambda: "x" * a, lambda: a - "x"):
        with pytest.raises(TypeError, match=r"unsupported operand|can't multiply"):
            bad()
    with pytest.raises(dc.ShapeError):
        a + dc.asarray(host_a[:3], device=device)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_saxpy_every_numeric_dtype(device, rng, dtype, shape):
    host_x, host_y = random_array(rng, shape, dtype), random_array(rng, shape, dtype)
    alpha = np.dtype(dtype).type(3)
    with np.errstate(all="ignore"):
        expected = (alpha * host_x + host_y).astype(dtype)
    result = dc.saxpy(alpha, dc.asarray(host_x, device=device), dc.asarray(host_y, device=device))
    assert result.dtype == np.dtype(dtype)
    np.testing.assert_allclose(result.numpy(), expected, **tolerance(dtype))


def test_saxpy_float32_with_fractional_alpha(device, rng):
    host_x, host_y = random_array(rng, 100_003, "float32"), random_array(rng, 100_003, "float32")
    result = dc.saxpy(2.5, dc.asarray(host_x, device=device), dc.asarray(host_y, device=device))
    np.testing.assert_allclose(result.numpy(), np.float32(2.5) * host_x + host_y, rtol=1e-6)


def numpy_sum(host):
    # The dtype numpy's sum gives, except bool which numpy sums to int64 as we do.
    return np.sum(host, dtype=np.int64) if host.dtype == np.bool_ else np.sum(host)


# Reductions also run a size whose work-items get whole blocks of values (OpenCL on a CPU
# device: several 64-value blocks each, eight accumulators a block) and many CPU chunks.
REDUCE_SHAPES = [*SHAPES, (1_000_003,)]


@pytest.mark.parametrize("shape", REDUCE_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_sum_min_max_every_dtype(device, rng, dtype, shape):
    host = random_array(rng, shape, dtype)
    x = dc.asarray(host, device=device)
    total = dc.sum(x)
    assert total.shape == () and total.device == dc.get_device(device)
    expected_sum = numpy_sum(host)
    assert total.dtype == expected_sum.dtype
    exact = host.astype(np.complex128 if host.dtype.kind == "c" else np.float64).sum()
    if host.dtype.kind in "fc":
        # Both sides are rounded to the dtype; compare against the exact sum in float64.
        scale = np.abs(host).astype(np.float64).sum()
        eps = np.finfo(host.dtype).eps
        assert abs(complex(total.item()) - complex(exact)) <= 4 * eps * scale
    else:
        assert total.item() == expected_sum.item()
    if dtype != "complex64" and dtype != "complex128":
        assert dc.min(x).item() == np.min(host).item()
        assert dc.max(x).item() == np.max(host).item()
        assert dc.min(x).dtype == np.dtype(dtype)


def test_float32_sum_is_accurate_where_a_naive_loop_is_not(device):
    # A running float32 sum stops growing at 2**24; a blocked or pairwise sum does not.
    # (An even count: above 2**24 float32 holds only even integers, so the sum is exact.)
    count = (1 << 24) + 4098
    x = dc.ones(count, dtype="float32", device=device)
    assert dc.sum(x).item() == count
    rng = np.random.default_rng(7)
    host = rng.uniform(0, 1, 3_000_001).astype(np.float32)
    exact = host.astype(np.float64).sum()
    assert abs(dc.sum(dc.asarray(host, device=device)).item() - exact) / exact < 1e-6


# Prints the bytes of CPU reductions of odd-sized random arrays (about 46 of the CPU's reduction
# chunks for float32) and of a column sum (46 segments of its axis), for
# test_cpu_reductions_do_not_depend_on_the_thread_count.
REDUCTIONS_BY_THREAD_COUNT = """
import numpy as np, dotcompute as dc
rng = np.random.default_rng(11)
for dtype in ("float16", "float32", "float64", "complex64", "int64"):
    host = (rng.standard_normal(3_000_001) * 1000).astype(dtype)
    x = dc.asarray(host, device="cpu")
    columns = dc.asarray(host[:3_000_000].reshape(30_000, 100), device="cpu")
    results = [dc.sum(x), dc.sum(columns, axis=0)]
    if host.dtype.kind != "c":
        results += [dc.min(x), dc.max(x)]
    print(dtype, *(r.numpy().tobytes().hex() for r in results))
"""


@pytest.mark.parametrize("threads", ["2", "3", "5"])
def test_cpu_reductions_do_not_depend_on_the_thread_count(threads):
    # Chunks and segments are fixed by the shape alone and combined in order, whichever thread
    # (owner or stealer, chunk_runs.hpp) computed them: every thread count gives the same bits.
    def run(thread_count: str) -> str:
        environment = dict(os.environ, DOTCOMPUTE_NUM_THREADS=thread_count)
        completed = subprocess.run(
            [sys.executable, "-c", REDUCTIONS_BY_THREAD_COUNT],
            env=environment, capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        return completed.stdout

    single = run("1")
    assert single.count("\n") == 5
    assert run(threads) == single


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_nan_propagates_through_reductions(device, rng, dtype):
    host = random_array(rng, 5000, dtype)
    host[1234] = np.nan
    x = dc.asarray(host, device=device)
    assert np.isnan(dc.sum(x).item())
    assert np.isnan(dc.min(x).item())
    assert np.isnan(dc.max(x).item())


def test_zero_size_reductions(device):
    empty = dc.empty(0, dtype="float32", device=device)
    assert dc.sum(empty).item() == 0.0
    with pytest.raises(dc.InvalidArgumentError, match="zero-size"):
        dc.min(empty)
    with pytest.raises(dc.InvalidArgumentError, match="zero-size"):
        dc.max(empty)


def test_zero_size_elementwise(device):
    a = dc.empty((0, 3), dtype="int32", device=device)
    assert dc.add(a, a).shape == (0, 3)
