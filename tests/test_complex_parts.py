# tests/test_complex_parts.py
# dc.real, dc.imag, dc.conj and x.real, x.imag, x.conj() on every device against numpy:
# complex and real dtypes, assignment to the parts, numpy's functions and ufunc, a capture.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

COMPLEX = ["complex64", "complex128"]
SHAPES = [(1037,), (37, 29), (3, 5, 7), ()]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", COMPLEX)
def test_parts_of_complex_arrays_match_numpy(device, rng, dtype, shape):
    host = random_array(rng, shape, dtype)
    host.flat[::5] = complex(np.nan, 1.5) if host.size > 1 else host.flat[0]  # NaNs move too
    x = dc.asarray(host, device=device)
    for got, expected in [
        (dc.real(x), np.real(host)), (dc.imag(x), np.imag(host)), (x.real, host.real),
        (x.imag, host.imag), (dc.conj(x), np.conj(host)), (x.conj(), host.conj()),
        (dc.conjugate(x), np.conjugate(host)), (x.conjugate(), host.conjugate()),
    ]:  # fmt: skip
        assert isinstance(got, dc.Array) and got.device == x.device
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_array_equal(got.numpy(), expected)
    conjugated = dc.conj(x).numpy()  # the sign of a zero imaginary part flips, as numpy's
    np.testing.assert_array_equal(np.signbit(conjugated.imag), np.signbit(np.conj(host).imag))


@pytest.mark.parametrize("dtype", ["bool", "int16", "uint32", "float32", "float64"])
def test_parts_of_real_arrays_match_numpy(device, rng, dtype):
    host = random_array(rng, (33, 7), dtype)
    x = dc.asarray(host, device=device)
    for got, expected in [
        (x.real, host.real), (x.imag, host.imag), (x.conj(), host.conj()),
        (dc.real(x), np.real(host)), (dc.imag(x), np.imag(host)),
    ]:  # fmt: skip
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_array_equal(got.numpy(), expected)
    view = x.real  # numpy's x.real of a real array is x itself (a view)
    view[0, 0] = 1
    assert x[0, 0].item() == 1
    with pytest.raises(TypeError, match="does not have imaginary part to set"):
        x.imag = 0


def test_numpy_functions_stay_on_the_device(device, rng):
    host = random_array(rng, (41,), "complex64")
    x = dc.asarray(host, device=device)
    for got, expected in [(np.real(x), np.real(host)), (np.imag(x), np.imag(host)),
                          (np.conj(x), np.conj(host)), (np.conjugate(x), host.conj())]:  # fmt: skip
        assert isinstance(got, dc.Array) and got.device == x.device
        np.testing.assert_array_equal(got.numpy(), expected)
    out = dc.empty((41,), "complex128", device=device)
    assert np.conjugate(x, out=out) is out
    np.testing.assert_array_equal(out.numpy(), np.conj(host).astype(np.complex128))


@pytest.mark.parametrize("dtype", COMPLEX)
def test_assigning_the_parts_writes_in_place(device, rng, dtype):
    host = random_array(rng, (17, 9), dtype)
    x = dc.asarray(host.copy(), device=device)
    real_part = random_array(rng, (9,), "float64")  # broadcast, converted
    x.real = real_part
    x.imag = 2.5
    expected = host.copy()
    expected.real = real_part
    expected.imag = 2.5
    np.testing.assert_array_equal(x.numpy(), expected)
    x.real = dc.asarray(host.imag.copy(), device=device)
    expected.real = host.imag
    np.testing.assert_array_equal(x.numpy(), expected)


def test_parts_in_a_graph(device, rng):
    x = dc.asarray(random_array(rng, (129,), "complex64"), device=device)
    with dc.capture(device=device) as graph:
        mirrored = dc.conj(x) * dc.imag(x)
    host = random_array(rng, (129,), "complex64")
    dc.copyto(x, host)
    graph.replay()
    dc.synchronize(device)
    np.testing.assert_allclose(mirrored.numpy(), np.conj(host) * host.imag, rtol=1e-6)


def test_array_likes_and_errors(device):
    listed = dc.imag([1 + 2j, 3 - 4j])  # array-likes, as the algorithms take them
    assert isinstance(listed, dc.Array)
    np.testing.assert_array_equal(listed.numpy(), [2.0, -4.0])
    x = dc.zeros((3,), "complex64", device=device)
    with pytest.raises(dc.ShapeError, match="could not broadcast"):
        x.real = np.ones(4)
