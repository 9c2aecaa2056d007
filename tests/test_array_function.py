# tests/test_array_function.py
# numpy's functions called with dc arrays (Array.__array_function__) on every device against
# numpy on the host: the ones dotcompute has run on the array's device; the others behave as
# before the protocol (numpy's result on the CPU, a BufferError naming x.numpy() elsewhere).
from __future__ import annotations

import numpy as np

import dotcompute as dc

from conftest import assert_numpys_result, random_array


def calls(host, other, mask, positions, complex_host, row, other_t):
    """(numpy function, its arguments, its keywords) for every function the protocol runs on
    the device; the test puts dc arrays where these numpy arrays stand."""
    return [
        (np.sum, (host,), {"axis": 0}),
        (np.sum, (host,), {"dtype": np.float64, "keepdims": True}),
        (np.mean, (host, 1), {}),
        (np.max, (host,), {"axis": -1}),
        (np.amin, (host,), {}),
        (np.argmax, (host,), {"axis": 0}),
        (np.argmin, (host,), {}),
        (np.any, (mask,), {"axis": 1}),
        (np.all, (mask,), {}),
        (np.var, (host,), {"ddof": 1}),
        (np.std, (host, 0), {}),
        (np.cumsum, (host,), {"axis": 1}),
        (np.sort, (host,), {"axis": 0, "kind": "stable"}),
        (np.sort, (host,), {}),
        (np.argsort, (host,), {"kind": "stable"}),
        (np.concatenate, ([host, other],), {"axis": 1}),
        (np.stack, ((host, other),), {}),
        (np.transpose, (host,), {}),
        (np.where, (mask, host, 0.5), {}),
        (np.clip, (host, -1.0, 1.0), {}),
        (np.clip, (host,), {"min": 0.0}),
        (np.nonzero, (mask,), {}),
        (np.flatnonzero, (mask,), {}),
        (np.take_along_axis, (host, positions, 1), {}),
        (np.broadcast_to, (row,), {"shape": (4, 7, 9)}),
        (np.real, (complex_host,), {}),
        (np.imag, (complex_host,), {}),
        (np.angle, (complex_host,), {}),
        (np.angle, (complex_host,), {"deg": True}),
        (np.dot, (host, other_t), {}),
        (np.fft.fft, (complex_host,), {"axis": 0}),
        (np.fft.rfft, (host,), {"n": 12}),
        (np.fft.ifft2, (complex_host,), {"norm": "ortho"}),
    ]


def test_numpy_functions_run_on_the_device(device, rng):
    host, other = random_array(rng, (7, 9), "float32"), random_array(rng, (7, 9), "float32")
    mask = host > 0
    positions = np.argsort(host, axis=1)
    complex_host = random_array(rng, (7, 9), "complex64")
    row, other_t = host[:1].copy(), other.T.copy()
    arrays = (host, other, mask, positions, complex_host, row, other_t)
    on_device = {id(value): dc.asarray(value, device=device) for value in arrays}

    def moved(value):
        if isinstance(value, np.ndarray) and id(value) in on_device:
            return on_device[id(value)]
        if isinstance(value, list | tuple):
            return type(value)(moved(v) for v in value)
        return value

    for function, args, kwargs in calls(*arrays):
        name = f"{function.__name__} {kwargs}"
        expected = function(*args, **kwargs)
        got = function(*moved(args), **kwargs)
        pairs = (
            zip(got, expected, strict=True) if isinstance(expected, tuple) else [(got, expected)]
        )
        for g, e in pairs:
            assert isinstance(g, dc.Array) and g.device == dc.get_device(device), name
            e = np.asarray(e)
            assert g.shape == e.shape and g.dtype == e.dtype, name
            np.testing.assert_allclose(g.numpy(), e, rtol=2e-5, atol=2e-5, err_msg=name)


def test_other_functions_and_arguments_behave_as_before(device, rng):
    host = random_array(rng, (5, 8), "float32")
    x = dc.asarray(host, device=device)
    cases = [
        (lambda: np.cumprod(x), np.cumprod(host)),  # no dc function
        (lambda: np.sum(x, where=host > 0), np.sum(host, where=host > 0)),  # an argument dc lacks
        (lambda: np.sort(x, order=None, axis=None), np.sort(host, axis=None)),
    ]
    for call, expected in cases[:2]:
        assert_numpys_result(device, call, expected, rtol=1e-6)
    got = cases[2][0]()  # order=None is the default: still dc's
    assert isinstance(got, dc.Array)
    np.testing.assert_array_equal(got.numpy(), cases[2][1])


def test_dc_angle(device, rng):
    host = random_array(rng, 33, "complex128")
    host[:3] = [complex(-1, 0), complex(-1, -0.0), 0]
    x = dc.asarray(host, device=device)
    np.testing.assert_allclose(dc.angle(x).numpy(), np.angle(host), rtol=1e-14)
    np.testing.assert_allclose(dc.angle(x, deg=True).numpy(), np.angle(host, deg=True))
    real = random_array(rng, 9, "int32")
    np.testing.assert_array_equal(dc.angle(dc.asarray(real, device=device)).numpy(), np.angle(real))
