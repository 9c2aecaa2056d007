# tests/test_shapes.py
# dc.transpose (x.T, x.transpose), dc.concatenate and dc.stack on every device against numpy.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

DTYPES = ["bool", "int8", "uint16", "int32", "float16", "float32", "float64", "complex128"]
ORDERS = [None, (1, 0, 2), (0, 2, 1), (2, 0, 1), (1, 2, 0), (-1, -3, -2), (0, 1, 2)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_transposes_match_numpy(device, rng, dtype):
    host = random_array(rng, (5, 37, 70), dtype)
    x = dc.asarray(host, device=device)
    for order in ORDERS:
        got, expected = dc.transpose(x, order), np.transpose(host, order)
        assert got.shape == expected.shape and got.dtype == expected.dtype, order
        np.testing.assert_array_equal(got.numpy(), expected, err_msg=str(order))
    matrix = random_array(rng, (67, 33), dtype)
    m = dc.asarray(matrix, device=device)
    np.testing.assert_array_equal(m.T.numpy(), matrix.T)
    np.testing.assert_array_equal(m.transpose().numpy(), matrix.T)
    np.testing.assert_array_equal(x.transpose(2, 0, 1).numpy(), host.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.transpose((0, 2, 1)).numpy(), host.transpose(0, 2, 1))


@pytest.mark.parametrize("kernel", ["tiles", "blocks"])
@pytest.mark.parametrize("shape", [(1, 1), (31, 33), (64, 96), (3, 100, 17), (2, 1, 5, 257)])
def test_both_transpose_kernels(device, rng, monkeypatch, kernel, shape):
    """Note [Transpose tiles]: GPUs take shared-memory tiles, CPU devices blocks a work-item;
    both run on every device here, with partial tiles and batches."""
    from dotcompute.algorithm_kernels import transpose

    monkeypatch.setattr(transpose, "is_cpu_device", lambda device: kernel == "blocks")
    for dtype in ("uint8", "float32", "float64"):
        host = random_array(rng, shape, dtype)
        got = dc.asarray(host, device=device)
        axes = (*range(len(shape) - 2), len(shape) - 1, len(shape) - 2)
        np.testing.assert_array_equal(dc.transpose(got, axes).numpy(), np.transpose(host, axes))


def test_transposes_that_stay_views(device, rng):
    vector = dc.asarray(random_array(rng, 9, "float32"), device=device)
    same = vector.T  # numpy's x.T of a vector is a view of it
    same[0] = 5.0
    assert vector.numpy()[0] == 5.0
    scalar = dc.asarray(np.float32(2.0), device=device)
    assert scalar.T.shape == () and float(scalar.T) == 2.0
    empty = dc.zeros((0, 3), "float32", device=device)
    assert empty.T.shape == (3, 0)


def test_transpose_errors(device):
    x = dc.zeros((2, 3), "float32", device=device)
    with pytest.raises(dc.InvalidArgumentError, match="not a permutation"):
        dc.transpose(x, (0, 0))
    with pytest.raises(dc.InvalidArgumentError, match="out of range"):
        dc.transpose(x, (0, 2))
    with pytest.raises(dc.DTypeError, match="takes dc arrays"):
        dc.transpose(np.zeros((2, 3)))


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_concatenate_matches_numpy(device, rng, axis):
    parts = [
        random_array(rng, (4, 7, 3), "float32"),
        random_array(rng, (4, 7, 3), "int16"),  # promoted to float32, as numpy
        random_array(rng, (4, 7, 3), "float64"),
    ]
    if axis is not None:
        parts[1] = np.concatenate([parts[1]] * 2, axis=axis)  # longer along the axis
    arrays = [dc.asarray(p, device=device) for p in parts]
    got, expected = dc.concatenate(arrays, axis=axis), np.concatenate(parts, axis=axis)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got.numpy(), expected)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack_matches_numpy(device, rng, axis):
    parts = [random_array(rng, (5, 9), "complex64") for _ in range(3)]
    got = dc.stack([dc.asarray(p, device=device) for p in parts], axis=axis)
    np.testing.assert_array_equal(got.numpy(), np.stack(parts, axis=axis))


def test_concatenate_and_stack_errors(device):
    a = dc.zeros((2, 3), "float32", device=device)
    with pytest.raises(dc.ShapeError, match="must match exactly"):
        dc.concatenate([a, dc.zeros((3, 4), "float32", device=device)])
    with pytest.raises(dc.ShapeError, match="same number of dimensions"):
        dc.concatenate([a, dc.zeros(3, "float32", device=device)])
    with pytest.raises(dc.InvalidArgumentError, match="zero-dimensional"):
        dc.concatenate([dc.zeros((), "float32", device=device)] * 2)
    with pytest.raises(dc.InvalidArgumentError, match="at least one array"):
        dc.concatenate([])
    with pytest.raises(dc.DTypeError, match="sequence of dc arrays"):
        dc.concatenate(a)
    with pytest.raises(dc.ShapeError, match="same shape"):
        dc.stack([a, a.T])
    with pytest.raises(dc.InvalidArgumentError, match="out of range"):
        dc.stack([a, a], axis=3)
