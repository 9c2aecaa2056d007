# tests/test_where.py
# dc.where(condition, x, y) on every device against numpy.where: dtypes, numbers, broadcasting,
# conditions that are not bool, errors, inside a capture.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

DTYPES = ["bool", "int8", "uint16", "int64", "float16", "float32", "float64", "complex64"]
SHAPES = [
    ((1037,), (1037,), (1037,)),  # one shape
    ((37, 29), (37, 29), ()),  # a number-like 0-d operand
    ((37, 1), (1, 29), (37, 29)),  # all three broadcast
    ((5, 1, 33), (7, 1), (33,)),  # three dimensions after merging
    ((2, 1, 4, 1), (3, 1, 5), (2, 3, 1, 1)),  # four alternating (Note [Wide broadcasts])
    ((2, 1, 3, 1, 5), (1, 4, 1, 6, 1), (2, 4, 3, 6, 5)),  # five, y the result's shape
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_where_matches_numpy(device, rng, shapes, dtype):
    condition_shape, x_shape, y_shape = shapes
    host_c = random_array(rng, condition_shape, "bool")
    host_x, host_y = random_array(rng, x_shape, dtype), random_array(rng, y_shape, dtype)
    condition = dc.asarray(host_c, device=device)
    x, y = dc.asarray(host_x, device=device), dc.asarray(host_y, device=device)
    expected = np.where(host_c, host_x, host_y)
    got = dc.where(condition, x, y)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert got.device == dc.get_device(device)
    np.testing.assert_array_equal(got.numpy(), expected)


def test_numbers_mixed_dtypes_and_truthiness(device, rng):
    host = random_array(rng, (65, 9), "float32")
    x = dc.asarray(host, device=device)
    cases = [
        (dc.where(x > 0, x, 0.0), np.where(host > 0, host, 0.0)),  # float32 stays float32
        (dc.where(x < 1, 1, x), np.where(host < 1, 1, host)),
        (dc.where(x > 0, 1, -1), np.where(host > 0, 1, -1)),  # int64 from two Python ints
        (dc.where(x > 0, x.astype("int16"), x), np.where(host > 0, host.astype(np.int16), host)),
        (dc.where(x > 0, x, 2.5j), np.where(host > 0, host, 2.5j)),  # complex64
    ]
    numbers = random_array(rng, (65, 9), "int32")
    numbers[::3] = 0
    cases.append(  # a condition that is not bool counts as != 0
        (dc.where(dc.asarray(numbers, device=device), x, -x), np.where(numbers, host, -host))
    )
    for got, expected in cases:
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got.numpy(), expected)


def test_where_errors(device):
    x = dc.zeros((4, 3), "float32", device=device)
    with pytest.raises(dc.InvalidArgumentError, match="x and y together, or neither"):
        dc.where(x > 0, x)
    with pytest.raises(dc.DTypeError, match="condition must be a dc array"):
        dc.where(np.ones((4, 3), bool), x, x)
    with pytest.raises(dc.DTypeError, match="y must be a dc array or a number"):
        dc.where(x > 0, x, "zero")
    with pytest.raises(dc.ShapeError, match="do not broadcast"):
        dc.where(x > 0, x, dc.zeros(4, "float32", device=device))
    assert dc.where(dc.zeros(0, "bool", device=device), 1.0, 2.0).shape == (0,)


def test_where_in_a_graph(device, rng):
    x = dc.asarray(random_array(rng, (129, 31), "float32"), device=device)
    with dc.capture(device=device) as graph:
        clipped = dc.where(x > 1.0, 1.0, dc.where(x < -1.0, -1.0, x))
    for _ in range(2):
        host = random_array(rng, (129, 31), "float32")
        dc.copyto(x, host)
        graph.replay()
        dc.synchronize(device)
        np.testing.assert_array_equal(clipped.numpy(), np.clip(host, -1.0, 1.0))
