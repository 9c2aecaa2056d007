# tests/test_complex_order.py
# dc.max, dc.min, dc.argmax, dc.argmin, dc.sort and dc.argsort of complex arrays on every device
# against numpy: lexicographic order, ties in the real parts, NaNs in either part, infinities.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array


def complex_cases(rng, shape, dtype):
    """Random values with few distinct real parts (ties decided by the imaginary parts), and a
    variant with NaNs in real or imaginary parts and infinities."""
    plain = (rng.integers(-3, 4, shape) + 1j * rng.normal(size=shape)).astype(dtype)
    special = plain.copy()
    flat = special.reshape(-1)
    flat[::7] = complex(np.nan, 2.0)
    flat[3::11] = complex(1.0, np.nan)
    flat[5::13] = complex(np.inf, -np.inf)
    flat[1::17] = complex(-np.inf, 1.0)
    return {"plain": plain, "special": special}


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("shape", [(37, 29), (3, 41, 5), (1, 7)], ids=str)
def test_extremes_along_every_axis_match_numpy(device, rng, shape, dtype):
    for case, host in complex_cases(rng, shape, dtype).items():
        x = dc.asarray(host, device=device)
        for axis in [*range(-len(shape), len(shape)), None]:
            for name in ("max", "min", "argmax", "argmin"):
                with np.errstate(invalid="ignore"):
                    expected = getattr(np, name)(host, axis=axis)
                got = getattr(dc, name)(x, axis=axis)
                where = f"{name} {case} axis={axis}"
                assert got.shape == expected.shape and got.dtype == expected.dtype, where
                np.testing.assert_array_equal(got.numpy(), expected, err_msg=where)


def test_keepdims_out_and_several_axes(device, rng):
    host = complex_cases(rng, (4, 9, 6), "complex64")["special"]
    x = dc.asarray(host, device=device)
    got = dc.max(x, axis=1, keepdims=True)
    np.testing.assert_array_equal(got.numpy(), np.max(host, axis=1, keepdims=True))
    out = dc.empty((4, 6), "complex128", device=device)
    assert dc.min(x, axis=1, out=out) is out
    np.testing.assert_array_equal(out.numpy(), np.min(host, axis=1).astype(np.complex128))
    plain = complex_cases(rng, (4, 9, 6), "complex64")["plain"]
    y = dc.asarray(plain, device=device)
    np.testing.assert_array_equal(dc.max(y, axis=(0, 2)).numpy(), np.max(plain, axis=(0, 2)))
    np.testing.assert_array_equal(x.argmin(axis=2).numpy(), host.argmin(axis=2))


def test_complex_extremes_in_a_graph(device, rng):
    x = dc.asarray(random_array(rng, (33, 17), "complex64"), device=device)
    with dc.capture(device=device) as graph:
        largest, where = dc.max(x, axis=0), dc.argmax(x, axis=1)
    host = random_array(rng, (33, 17), "complex64")
    dc.copyto(x, host)
    graph.replay()
    dc.synchronize(device)
    np.testing.assert_array_equal(largest.numpy(), host.max(axis=0))
    np.testing.assert_array_equal(where.numpy(), host.argmax(axis=1))


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("shape", [(1037,), (37, 29), (3, 41, 5)], ids=str)
def test_sort_and_argsort_match_numpy(device, rng, shape, dtype):
    """numpy's order: real parts, then imaginary parts; [R + Rj, R + nanj, nan + Rj,
    nan + nanj]; stable, so equal values keep their order (argsort)."""
    for case, host in complex_cases(rng, shape, dtype).items():
        host.reshape(-1)[2::9] = -0.0 + 0.0j  # equal to 0j, kept in place by a stable sort
        host.reshape(-1)[4::9] = 0.0 - 0.0j
        x = dc.asarray(host, device=device)
        for axis in [*range(-len(shape), len(shape)), None]:
            where = f"{case} axis={axis}"
            expected = np.argsort(host, axis=axis, kind="stable")
            got = dc.argsort(x, axis=axis)
            assert got.shape == expected.shape and got.dtype == expected.dtype, where
            np.testing.assert_array_equal(got.numpy(), expected, err_msg=where)
            ordered = dc.sort(x, axis=axis)
            np.testing.assert_array_equal(
                ordered.numpy(), np.sort(host, axis=axis, kind="stable"), err_msg=where
            )
    y = dc.asarray(host.copy(), device=device)
    y.sort(axis=0)  # in place, as numpy's
    np.testing.assert_array_equal(y.numpy(), np.sort(host, axis=0))


def test_complex_sort_in_a_graph(device, rng):
    x = dc.asarray(random_array(rng, (19, 33), "complex64"), device=device)
    with dc.capture(device=device) as graph:
        ordered = dc.sort(x, axis=1)
    host = complex_cases(rng, (19, 33), "complex64")["plain"]
    dc.copyto(x, host)
    graph.replay()
    dc.synchronize(device)
    np.testing.assert_array_equal(ordered.numpy(), np.sort(host, axis=1))


def test_empty_axis_is_an_error(device):
    x = dc.zeros((3, 0), "complex64", device=device)
    with pytest.raises(dc.InvalidArgumentError):
        dc.max(x, axis=1)
