# tests/test_any_all_argmax.py
# The truth reductions dc.any and dc.all and the position reductions dc.argmax and dc.argmin on
# every device against numpy.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array


@pytest.mark.parametrize("dtype", ["bool", "int32", "uint8", "float32", "complex64"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1])
def test_any_and_all_match_numpy(device, rng, dtype, axis):
    host = random_array(rng, (6, 35, 9), dtype)
    host.flat[::4] = 0
    if dtype == "float32":
        host[2, 3, 4] = np.nan  # true, as numpy's
    x = dc.asarray(host, device=device)
    for name in ("any", "all"):
        got, expected = getattr(dc, name)(x, axis=axis), getattr(np, name)(host, axis=axis)
        assert got.dtype == np.bool_ and got.shape == np.shape(expected)
        np.testing.assert_array_equal(got.numpy(), expected, err_msg=name)
        kept = getattr(dc, name)(x, axis=axis, keepdims=True)
        np.testing.assert_array_equal(
            kept.numpy(), getattr(np, name)(host, axis=axis, keepdims=True)
        )


def test_any_and_all_of_nothing_and_out(device):
    empty = dc.zeros((0, 4), "float32", device=device)
    assert not bool(dc.any(empty)) and bool(dc.all(empty))
    np.testing.assert_array_equal(dc.any(empty, axis=0).numpy(), np.zeros(4, bool))
    np.testing.assert_array_equal(dc.all(empty, axis=0).numpy(), np.ones(4, bool))
    assert dc.all(empty, axis=1).shape == (0,)
    x = dc.asarray(np.array([[0, 2], [0, 0]], np.int32), device=device)
    out = dc.empty(2, "bool", device=device)
    assert dc.any(x, axis=1, out=out) is out
    np.testing.assert_array_equal(out.numpy(), [True, False])
    into = dc.empty(4, "bool", device=device)
    assert dc.all(empty, axis=0, out=into) is into and into.numpy().all()


@pytest.mark.parametrize(
    "dtype", ["bool", "int8", "uint16", "int64", "float16", "float32", "float64"]
)
@pytest.mark.parametrize("shape", [(1,), (1000,), (70000,), (37, 301), (3, 1000, 5), (4, 1, 7)])
def test_argmax_and_argmin_match_numpy(device, rng, dtype, shape):
    host = random_array(rng, shape, dtype)
    if np.dtype(dtype).kind in "iu":
        host = (host % 4).astype(dtype)  # many ties: the first one counts
    x = dc.asarray(host, device=device)
    for axis in [None, *range(-1, len(shape))]:
        for name in ("argmax", "argmin"):
            got, expected = getattr(dc, name)(x, axis=axis), getattr(np, name)(host, axis=axis)
            assert got.dtype == np.int64 and got.shape == np.shape(expected), (name, axis)
            np.testing.assert_array_equal(got.numpy(), expected, err_msg=f"{name} {axis}")


@pytest.mark.parametrize("way", ["passes", "segmented passes", "first place", "row segments"])
def test_arg_extremes_with_nan_every_way(device, rng, monkeypatch, way):
    """The first NaN wins, as numpy's, on every path: GPU passes of pairs, row groups for
    contiguous rows (with small segments several passes, pairs combining by value and then by
    position), and the CPU's extreme then first place (whole rows of segments search one
    segment)."""
    from dotcompute.algorithm_kernels import arg_extreme

    monkeypatch.setattr(arg_extreme, "is_cpu_device", lambda device: "passes" not in way)
    if way == "segmented passes":
        monkeypatch.setattr(arg_extreme, "GPU_MIN_SEGMENT", 3)
        monkeypatch.setattr(arg_extreme, "ROW_GROUP_LOADS", 1)
    elif way == "passes":
        monkeypatch.setattr(arg_extreme, "GPU_MIN_SEGMENT", 1 << 20)  # one pass
    if way == "row segments":
        monkeypatch.setattr(arg_extreme, "ROW_SEGMENT", 16)
    host = (random_array(rng, (5, 4000), "float32") % 2).astype(np.float32)
    host[1, [17, 3000]] = np.nan
    host[3, 3999] = np.nan
    x = dc.asarray(host, device=device)
    for axis in (None, 0, 1):
        for name in ("argmax", "argmin"):
            np.testing.assert_array_equal(
                getattr(dc, name)(x, axis=axis).numpy(),
                getattr(np, name)(host, axis=axis),
                err_msg=f"{name} {axis}",
            )


def test_arg_extremes_of_complex_keepdims_and_errors(device, rng):
    host = (rng.integers(0, 3, 50) + 1j * rng.integers(0, 3, 50)).astype(np.complex64)
    host[7] = np.nan
    x = dc.asarray(host, device=device)
    assert int(dc.argmax(x)) == np.argmax(host) and int(dc.argmin(x)) == np.argmin(host)
    matrix = dc.asarray(random_array(rng, (6, 9), "float32"), device=device)
    assert dc.argmax(matrix, axis=1, keepdims=True).shape == (6, 1)
    assert dc.argmin(matrix, keepdims=True).shape == (1, 1)
    assert int(dc.argmax(dc.asarray(np.float32(3.0), device=device))) == 0
    with pytest.raises(dc.InvalidArgumentError, match="empty sequence"):
        dc.argmax(dc.zeros((0, 3), "float32", device=device))
    with pytest.raises(dc.InvalidArgumentError, match="out of range"):
        dc.argmin(matrix, axis=2)
