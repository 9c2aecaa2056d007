# tests/test_algorithm_outputs.py
# out= of dc.matmul, dc.sum/min/max/mean and dc.cumsum on every device: written in place,
# converted from another dtype, through a temporary where out is an input, recorded in graphs.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

REDUCTIONS = {"sum": np.sum, "min": np.min, "max": np.max, "mean": np.mean}


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(actual, expected, rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize(
    ("axis", "keepdims"), [(None, False), (None, True), (1, False), (-1, True), ((0, 2), False)]
)
def test_reductions_write_into_out(device, rng, name, axis, keepdims):
    host = random_array(rng, (9, 37, 5), "float32")
    expected = REDUCTIONS[name](host.astype(np.float64), axis=axis, keepdims=keepdims)
    x = dc.asarray(host, device=device)
    out = dc.empty(expected.shape, "float32", device=device)
    assert getattr(dc, name)(x, axis=axis, keepdims=keepdims, out=out) is out
    assert_close(out.numpy(), expected)
    wide = dc.empty(expected.shape, "float64", device=device)  # another dtype: converted
    assert getattr(dc, name)(x, axis=axis, keepdims=keepdims, out=wide) is wide
    assert_close(wide.numpy(), expected)


def test_integer_sums_convert_into_any_out_dtype(device, rng):
    host = random_array(rng, (33, 65), "int16")
    x = dc.asarray(host, device=device)
    narrow = dc.empty((65,), "int16", device=device)  # int64 result, numpy's casting="unsafe"
    dc.sum(x, axis=0, out=narrow)
    np.testing.assert_array_equal(narrow.numpy(), host.sum(axis=0).astype(np.int16))
    floats = dc.empty((33,), "float32", device=device)
    dc.mean(x, axis=1, out=floats)
    assert_close(floats.numpy(), host.mean(axis=1))


def assert_scan_close(actual: np.ndarray, host: np.ndarray, axis) -> None:
    """actual is the running sum of host: float rounding grows with the running sum of the
    magnitudes."""
    wide = host.astype(np.float64)
    expected = np.cumsum(wide, axis=axis).reshape(actual.shape)
    scale = np.cumsum(np.abs(wide), axis=axis).reshape(actual.shape)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-6 + 4e-7 * scale.max())


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_cumsum_writes_into_out_and_in_place(device, rng, dtype):
    host = random_array(rng, (7, 1029), dtype)
    x = dc.asarray(host.copy(), device=device)  # (a CPU array may share its numpy memory)
    result_dtype = np.cumsum(host).dtype
    out = dc.empty((7, 1029), result_dtype, device=device)
    assert dc.cumsum(x, axis=1, out=out) is out
    assert_scan_close(out.numpy(), host, 1)
    flat = dc.empty((7 * 1029,), "float64", device=device)  # axis=None: the flattened shape
    assert dc.cumsum(x, out=flat) is flat
    assert_scan_close(flat.numpy(), host, None)
    assert dc.cumsum(x, axis=0, out=x) is x  # in place, as numpy
    assert_scan_close(x.numpy(), host, 0)


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [
        ((37, 29), (29, 17)),  # 2-D
        ((3, 37, 29), (3, 29, 17)),  # batched
        ((2, 37, 29), (29, 17)),  # batch @ matrix: one tall product
        ((64, 512), (3, 512, 8)),  # matrix @ batch side by side: through a temporary
        ((29,), (29, 17)),  # vector @ matrix
        ((37, 29), (29,)),  # matrix @ vector
    ],
)
def test_matmul_writes_into_out(device, rng, a_shape, b_shape):
    host_a, host_b = random_array(rng, a_shape, "float32"), random_array(rng, b_shape, "float32")
    expected = host_a.astype(np.float64) @ host_b
    tolerance = 1e-5 * (np.abs(host_a).astype(np.float64) @ np.abs(host_b)).max()
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    out = dc.empty(expected.shape, "float32", device=device)
    assert dc.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out.numpy(), expected, rtol=0, atol=tolerance)
    wide = dc.empty(expected.shape, "complex128", device=device)  # same_kind: allowed
    dc.matmul(a, b, out=wide)
    np.testing.assert_allclose(wide.numpy(), expected, rtol=0, atol=tolerance)


def test_matmul_into_an_operand_goes_through_a_temporary(device, rng):
    host_a, host_b = random_array(rng, (33, 33), "float64"), random_array(rng, (33, 33), "float64")
    a, b = dc.asarray(host_a.copy(), device=device), dc.asarray(host_b, device=device)
    assert dc.matmul(a, b, out=a) is a
    scale = (np.abs(host_a) @ np.abs(host_b)).max()
    np.testing.assert_allclose(a.numpy(), host_a @ host_b, rtol=0, atol=1e-13 * scale)


def test_out_is_checked(device, rng):
    x = dc.asarray(random_array(rng, (5, 7), "float64"), device=device)
    with pytest.raises(dc.ShapeError, match=r"out has shape \(5,\), the result has shape \(7,\)"):
        dc.sum(x, axis=0, out=dc.empty((5,), "float64", device=device))
    with pytest.raises(dc.DTypeError, match="float64 result into out of dtype int32"):
        dc.matmul(x, x.reshape((7, 5)), out=dc.empty((5, 5), "int32", device=device))
    with pytest.raises(dc.InvalidArgumentError, match=r"out must be a dc\.Array, got ndarray"):
        dc.cumsum(x, out=np.empty(35))
    if dc.get_device(device).backend != "cpu":
        with pytest.raises(dc.DeviceError, match="out is on 'cpu'"):
            dc.max(x, out=dc.empty((), "float64", device="cpu"))


def test_read_only_out_is_refused():
    frozen = np.zeros(7)
    frozen.flags.writeable = False
    out = dc.asarray(frozen)
    assert out.readonly
    with pytest.raises(dc.InvalidArgumentError, match="out is read-only"):
        dc.sum(dc.ones((3, 7), "float64"), axis=0, out=out)
    np.testing.assert_array_equal(frozen, np.zeros(7))


def test_out_in_a_graph_is_written_by_every_replay(device, rng):
    host = random_array(rng, (65, 31), "float32")
    x = dc.asarray(host, device=device)
    column_sums = dc.empty((31,), "float32", device=device)
    running = dc.empty((65, 31), "float64", device=device)  # converted inside the graph
    dc.sum(x, axis=0, out=column_sums)  # warm up: compile outside the capture
    dc.cumsum(x, axis=0, out=running)
    with dc.capture(device=device) as graph:
        dc.sum(x, axis=0, out=column_sums)
        dc.cumsum(x, axis=0, out=running)
    for _ in range(2):
        host = random_array(rng, (65, 31), "float32")
        dc.copyto(x, host)
        graph.replay()
        assert_close(column_sums.numpy(), host.astype(np.float64).sum(axis=0))
        assert_close(running.numpy(), np.cumsum(host.astype(np.float64), axis=0))
