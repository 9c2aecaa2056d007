# tests/test_numpy_helpers.py
# numpy's everyday helpers on dc arrays, on every device against numpy: zeros_like and its
# kin, copy, eye/identity, reshape, squeeze, expand_dims, swapaxes, moveaxis, flip, diff,
# outer, count_nonzero, argwhere, isclose and allclose; the methods; numpy's own names.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array


def same(got, expected, where: str = "") -> None:
    assert isinstance(got, dc.Array), where
    expected = np.asarray(expected)
    assert got.shape == expected.shape and got.dtype == expected.dtype, where
    if expected.dtype.kind == "c":  # (complex products may round in another order)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, err_msg=where)
    else:
        np.testing.assert_array_equal(got.numpy(), expected, err_msg=where)


@pytest.mark.parametrize("dtype", ["bool", "int16", "float32", "complex128"])
def test_like_functions_copy_and_eye(device, rng, dtype):
    host = random_array(rng, (5, 7), dtype)
    x = dc.asarray(host, device=device)
    same(dc.zeros_like(x), np.zeros_like(host))
    same(dc.ones_like(x, dtype="float64"), np.ones_like(host, dtype="float64"))
    same(dc.full_like(x, 3), np.full_like(host, 3))
    same(dc.full_like(x, 2.5, shape=(3,)), np.full_like(host, 2.5, shape=(3,)))
    empty = dc.empty_like(x)
    assert empty.shape == host.shape and empty.dtype == host.dtype and empty.device == x.device
    copied = dc.copy(x)
    same(copied, host)
    copied[0, 0] = host[1, 1]  # a copy, not a view
    same(x, host)
    for like in (np.zeros_like, np.ones_like, np.empty_like):  # numpy's names stay on the device
        assert isinstance(like(x), dc.Array) and like(x).device == x.device
    same(np.full_like(x, 4), np.full_like(host, 4))
    same(np.copy(x), host)
    same(dc.eye(4, 6, k=1, dtype=dtype, device=device), np.eye(4, 6, k=1, dtype=dtype))
    same(dc.eye(5, k=-2, device=device), np.eye(5, k=-2, dtype=np.float32))
    same(dc.identity(3, dtype=dtype, device=device), np.identity(3, dtype=dtype))


def test_reshaping_helpers(device, rng):
    host = random_array(rng, (3, 1, 5, 1), "float64")
    x = dc.asarray(host, device=device)
    cases = [
        ("reshape", (host, (5, 3)), {}), ("reshape", (host, -1), {}),
        ("squeeze", (host,), {}), ("squeeze", (host,), {"axis": 1}),
        ("squeeze", (host,), {"axis": (1, 3)}), ("expand_dims", (host, 0), {}),
        ("expand_dims", (host, (1, -1)), {}), ("swapaxes", (host, 0, 2), {}),
        ("moveaxis", (host, 0, -1), {}), ("moveaxis", (host, (0, 2), (3, 0)), {}),
        ("flip", (host,), {}), ("flip", (host, 2), {}), ("flip", (host,), {"axis": (0, 2)}),
    ]  # fmt: skip
    for name, (array, *rest), kwargs in cases:
        expected = getattr(np, name)(array, *rest, **kwargs)
        same(getattr(dc, name)(x, *rest, **kwargs), expected, f"dc.{name} {rest} {kwargs}")
        same(getattr(np, name)(x, *rest, **kwargs), expected, f"np.{name} {rest} {kwargs}")
    same(x.squeeze(), host.squeeze())
    same(x.swapaxes(0, 2), host.swapaxes(0, 2))
    with pytest.raises(dc.InvalidArgumentError, match="cannot select an axis to squeeze"):
        dc.squeeze(x, axis=0)
    with pytest.raises(dc.InvalidArgumentError, match="out of range"):
        dc.expand_dims(x, 6)


@pytest.mark.parametrize("dtype", ["int32", "float32", "complex64"])
def test_diff_outer_count_nonzero_argwhere(device, rng, dtype):
    host = random_array(rng, (6, 9), dtype)
    host[host.real > 2] = 0
    x = dc.asarray(host, device=device)
    for args in [(), (2,), (1, 0)]:
        same(dc.diff(x, *args), np.diff(host, *args), f"diff {args}")
    same(np.diff(x, axis=0), np.diff(host, axis=0))
    same(dc.diff(x, 0), np.diff(host, 0))
    with pytest.raises(dc.InvalidArgumentError, match="order must be non-negative but got -1"):
        dc.diff(x, -1)
    vector = random_array(rng, 5, dtype)
    same(dc.outer(x[0], dc.asarray(vector, device=device)), np.outer(host[0], vector))
    same(dc.count_nonzero(x), np.asarray(np.count_nonzero(host)), "count_nonzero")
    same(dc.count_nonzero(x, axis=1), np.count_nonzero(host, axis=1))
    same(np.count_nonzero(x, axis=0), np.count_nonzero(host, axis=0))
    same(dc.argwhere(x), np.argwhere(host))
    same(np.argwhere(x), np.argwhere(host))


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_isclose_and_allclose(device, rng, dtype):
    a = random_array(rng, (4, 33), dtype)
    b = (a * (1 + rng.uniform(-3e-5, 3e-5, a.shape))).astype(dtype)
    a.flat[:6] = [np.inf, -np.inf, np.nan, np.inf, 0.0, 1e-9]
    b.flat[:6] = [np.inf, np.inf, np.nan, 1e300 if dtype != "float32" else 3e38, 1e-9, 0.0]
    x, y = dc.asarray(a, device=device), dc.asarray(b, device=device)
    for kwargs in [{}, {"rtol": 1e-6}, {"atol": 1e-3}, {"equal_nan": True}]:
        with np.errstate(all="ignore"):
            expected = np.isclose(a, b, **kwargs)
        same(dc.isclose(x, y, **kwargs), expected, str(kwargs))
        same(np.isclose(x, y, **kwargs), expected, str(kwargs))
        assert dc.allclose(x[1:], y[1:], **kwargs) == np.allclose(a[1:], b[1:], **kwargs)
    assert dc.allclose(x, x, equal_nan=True) is True
    assert dc.allclose(x, y) is False
    same(dc.isclose(x, 1.0), np.isclose(a, 1.0))
