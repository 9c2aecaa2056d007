# tests/test_reduction_dtypes.py
# numpy's dtype= of dc.sum, dc.mean, dc.cumsum, dc.var and dc.std (and their methods) on every
# device: the dtype the values are accumulated in and the result's.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

CASES = [
    ("int8", "int32"),  # wraps in int32 as numpy's does
    ("float32", "float64"),  # the float64 sum of float32 values
    ("int16", "float32"),
    ("bool", "int16"),
    ("uint8", "uint64"),
    ("float32", "complex128"),
]


#: (operation, source dtype, dtype=): mean, var and std only with floating dtype= (numpy
#: computes them in integers otherwise, which nobody asks for).
COMBINATIONS = [
    (name, source, dtype)
    for name in ("sum", "mean", "cumsum", "var", "std")
    for source, dtype in CASES
    if name in ("sum", "cumsum") or np.dtype(dtype).kind in "fc"
]


@pytest.mark.parametrize(("name", "source", "dtype"), COMBINATIONS, ids=str)
def test_dtype_matches_numpy(device, rng, name, source, dtype):
    host = random_array(rng, (37, 301), source)
    if source == "int8":
        host = (host.astype(np.int64) * 3 % 127).astype(np.int8)
    x = dc.asarray(host, device=device)
    for axis in (None, 0, 1, -1):
        expected = getattr(np, name)(host, axis=axis, dtype=dtype)
        got = getattr(dc, name)(x, axis=axis, dtype=dtype)
        assert got.dtype == expected.dtype and got.shape == expected.shape, axis
        method = getattr(x, name)(axis=axis, dtype=dtype)
        tolerance = 1e-5 if np.dtype(dtype).itemsize <= 4 and dtype != "complex128" else 1e-11
        for result in (got, method):
            np.testing.assert_allclose(result.numpy(), expected, rtol=tolerance, atol=tolerance)


def test_dtype_with_keepdims_and_out(device, rng):
    host = random_array(rng, (9, 40), "int8")
    x = dc.asarray(host, device=device)
    out = dc.empty((1, 40), "float64", device=device)
    assert dc.sum(x, axis=0, keepdims=True, dtype="int16", out=out) is out
    np.testing.assert_array_equal(out.numpy(), np.sum(host, axis=0, keepdims=True, dtype="int16"))
    scan = dc.empty((9, 40), "int32", device=device)
    assert dc.cumsum(x, axis=1, dtype="int32", out=scan) is scan
    np.testing.assert_array_equal(scan.numpy(), np.cumsum(host, axis=1, dtype="int32"))


@pytest.mark.parametrize("dtype", ["int64", "uint64"])
def test_mean_of_large_64_bit_integers(device, rng, dtype):
    """numpy accumulates the mean of integers in float64; a 64-bit integer sum would wrap."""
    info = np.iinfo(dtype)
    host = rng.integers(int(info.max) // 2, int(info.max), (5, 77), dtype=dtype, endpoint=True)
    x = dc.asarray(host, device=device)
    for axis in (None, 0, 1):
        expected = np.mean(host, axis=axis)
        got = dc.mean(x, axis=axis)
        assert got.dtype == expected.dtype
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(dc.var(x, axis=1).numpy(), np.var(host, axis=1), rtol=1e-9)
