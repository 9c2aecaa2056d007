# tests/test_array_methods.py
# numpy's ndarray methods on dc arrays (x.sum(), x.argmax(axis=1), x.sort(), x.clip(), ...) on
# every device against numpy.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

REDUCTIONS = ["sum", "mean", "min", "max", "any", "all", "argmax", "argmin"]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_methods_match_numpy(device, rng, name):
    host = random_array(rng, (7, 33, 5), "float32")
    x = dc.asarray(host, device=device)
    for axis in (None, 1, -1):
        got, expected = getattr(x, name)(axis=axis), getattr(host, name)(axis=axis)
        assert got.shape == np.shape(expected), (name, axis)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, err_msg=f"{name} {axis}")
    assert (
        getattr(x, name)(axis=0, keepdims=True).shape
        == getattr(host, name)(axis=0, keepdims=True).shape
    )


def test_scan_sort_and_shape_methods(device, rng):
    host = random_array(rng, (9, 70), "float32")
    x = dc.asarray(host.copy(), device=device)
    np.testing.assert_allclose(x.cumsum(axis=1).numpy(), host.cumsum(axis=1), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(x.argsort().numpy(), host.argsort(kind="stable"))
    flat = x.ravel()  # a view
    flat[0] = 100.0
    assert x.numpy()[0, 0] == 100.0
    copied = x.flatten()  # a copy
    copied[1] = -100.0
    assert x.numpy()[0, 1] == host[0, 1]
    for got, expected in zip(x.nonzero(), (x.numpy()).nonzero(), strict=True):
        np.testing.assert_array_equal(got.numpy(), expected)
    expected = x.numpy()
    assert x.sort(axis=0) is None  # in place, as numpy's
    np.testing.assert_array_equal(x.numpy(), np.sort(expected, axis=0))


def test_clip_matches_numpy(device, rng):
    host = random_array(rng, (5, 301), "float32")
    x = dc.asarray(host, device=device)
    np.testing.assert_array_equal(x.clip(-1.0, 2.0).numpy(), host.clip(-1.0, 2.0))
    np.testing.assert_array_equal(x.clip(min=0.5).numpy(), host.clip(min=0.5))
    np.testing.assert_array_equal(dc.clip(x, None, 1.0).numpy(), np.clip(host, None, 1.0))
    low = dc.asarray(random_array(rng, 301, "float32"), device=device)
    np.testing.assert_array_equal(x.clip(low, 3.0).numpy(), np.clip(host, low.numpy(), 3.0))
    out = dc.empty((5, 301), "float32", device=device)
    assert x.clip(0.0, 1.0, out=out) is out
    np.testing.assert_array_equal(out.numpy(), host.clip(0.0, 1.0))
    with pytest.raises(ValueError, match="max or min"):
        x.clip()


@pytest.mark.parametrize("dtype", ["uint8", "int16", "uint64"])
def test_clip_with_python_ints_beyond_the_dtype(device, rng, dtype):
    """numpy 2 ignores a bound beyond the dtype's range on its own side (nothing is below
    -1 in uint8) and raises OverflowError for one beyond it on the other side."""
    host = random_array(rng, (7, 33), dtype)
    x = dc.asarray(host, device=device)
    info = np.iinfo(dtype)
    below, above = int(info.min) - 1, int(info.max) + 1
    for low, high in [(below, None), (None, above), (below, above), (below, 3), (2, above)]:
        got, expected = x.clip(low, high), np.clip(host, low, high)
        assert got.dtype == expected.dtype, (low, high)
        np.testing.assert_array_equal(got.numpy(), expected, err_msg=str((low, high)))
    out = dc.empty((7, 33), dtype, device=device)
    assert dc.clip(x, below, above, out=out) is out
    np.testing.assert_array_equal(out.numpy(), host)
    for low, high in [(above, None), (None, below), (below, below)]:
        with pytest.raises(OverflowError, match=f"out of bounds for {dtype}"):
            x.clip(low, high)
