# tests/test_ranges.py
# dc.arange and dc.linspace on every device against numpy.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

ARANGES = [
    ((7,), {}),
    ((2, 1001, 3), {}),
    ((10, -7, -3), {}),
    ((0, 1, 0.1), {}),
    ((-2.5, 3.7, 0.37), {"dtype": "float32"}),
    ((5, 300), {"dtype": "int16"}),
    ((3, 1), {}),  # empty
    ((0.5, 4), {}),
]
LINSPACES = [
    ((0, 1, 5), {}),
    ((-3.3, 7.1, 1037), {}),
    ((0, 10, 7), {"endpoint": False}),
    ((0, 10, 7), {"dtype": "int32"}),
    ((2, 3, 1), {}),
    ((2, 3, 0), {}),
    ((1, -1, 33), {"dtype": "float32"}),
]


def assert_same(got: dc.Array, expected: np.ndarray) -> None:
    assert got.shape == expected.shape and got.dtype == expected.dtype
    if expected.dtype.kind == "f":  # a GPU may fuse i * step + start (one rounding less)
        np.testing.assert_allclose(got.numpy(), expected, rtol=4e-16 if expected.itemsize == 8
                                   else 2e-7, atol=1e-15)  # fmt: skip
    else:
        np.testing.assert_array_equal(got.numpy(), expected)


@pytest.mark.parametrize(("args", "options"), ARANGES, ids=str)
def test_arange_matches_numpy(device, args, options):
    assert_same(dc.arange(*args, **options, device=device), np.arange(*args, **options))


@pytest.mark.parametrize(("args", "options"), LINSPACES, ids=str)
def test_linspace_matches_numpy(device, args, options):
    got = dc.linspace(*args, **options, device=device)
    assert got.device == dc.get_device(device)
    assert_same(got, np.linspace(*args, **options))


def test_range_errors():
    with pytest.raises(dc.InvalidArgumentError, match="step must not be 0"):
        dc.arange(0, 5, 0)
    with pytest.raises(dc.DTypeError, match="integer or float arrays, not complex64"):
        dc.arange(3, dtype="complex64")
    with pytest.raises(dc.DTypeError, match="start must be a real number"):
        dc.arange(1j, 3)
    with pytest.raises(dc.InvalidArgumentError, match="num must be non-negative"):
        dc.linspace(0, 1, -1)
