# tests/test_take_along_axis.py
# dc.take_along_axis on every device against numpy: argsort's positions, broadcasting of the
# other dimensions, negative indices, host index arrays, axis=None, errors.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array


@pytest.mark.parametrize("dtype", ["bool", "int8", "float32", "float64", "complex128"])
@pytest.mark.parametrize("shape", [(1037,), (37, 29), (3, 41, 5)], ids=str)
def test_positions_of_argsort_sort_every_axis(device, rng, shape, dtype):
    host = random_array(rng, shape, dtype)
    x = dc.asarray(host, device=device)
    for axis in range(len(shape)):
        order = np.argsort(host.real if host.dtype.kind == "c" else host, axis=axis)
        expected = np.take_along_axis(host, order, axis)
        got = dc.take_along_axis(x, dc.asarray(order, device=device), axis)
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_array_equal(got.numpy(), expected)


def test_broadcasting_negative_and_host_indices(device, rng):
    host = random_array(rng, (6, 9, 4), "float32")
    x = dc.asarray(host, device=device)
    cases = [
        (rng.integers(-9, 9, (6, 3, 1)), 1),  # fewer picks, broadcast along the last axis
        (rng.integers(0, 6, (1, 9, 4)), 0),  # broadcast along the first
        (rng.integers(-4, 4, (6, 9, 7)).astype(np.int32), -1),  # more picks than the axis holds
    ]
    for indices, axis in cases:
        expected = np.take_along_axis(host, indices, axis)
        for given in (indices, dc.asarray(indices, device=device)):
            got = dc.take_along_axis(x, given, axis)
            np.testing.assert_array_equal(got.numpy(), expected, err_msg=f"axis {axis}")
    flat = rng.integers(0, host.size, 17)
    np.testing.assert_array_equal(
        dc.take_along_axis(x, flat, None).numpy(), np.take_along_axis(host, flat, None)
    )


def test_errors(device):
    x = dc.zeros((3, 4), "float32", device=device)
    with pytest.raises(IndexError, match="index 4 is out of bounds for axis 1 with size 4"):
        dc.take_along_axis(x, dc.asarray(np.array([[0, 4]]), device=device), 1)
    with pytest.raises(IndexError, match="index -4 is out of bounds for axis 0 with size 3"):
        dc.take_along_axis(x, np.array([[-4]]), 0)
    with pytest.raises(dc.ShapeError, match="same number of dimensions"):
        dc.take_along_axis(x, np.array([0, 1]), 1)
    with pytest.raises(IndexError, match="must be an integer array"):  # numpy's errors
        dc.take_along_axis(x, np.array([[0.5]]), 1)
    with pytest.raises(IndexError, match="could not be broadcast"):
        dc.take_along_axis(x, np.zeros((2, 1), np.int64), 1)
    with pytest.raises(dc.InvalidArgumentError, match="axis 2"):
        dc.take_along_axis(x, np.zeros((3, 1), np.int64), 2)
