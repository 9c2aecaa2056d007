# tests/test_ufuncs.py
# numpy's ufuncs on dc arrays (Array.__array_ufunc__): the math functions, arithmetic and
# negative run on the array's device against numpy; everything else stays numpy's.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc
from dotcompute.algorithm_kernels import unary

from conftest import assert_numpys_result, random_array

DTYPES = ["bool", "uint8", "int32", "float16", "float32", "float64"]
# Inputs inside each function's domain: name -> map from random values of magnitude 0.5 to 4.
DOMAINS = {
    "arcsin": lambda v: v / 5,
    "arccos": lambda v: v / 5,
    "arctanh": lambda v: v / 5,
    "arccosh": lambda v: np.abs(v) + 1,
    "log": np.abs,
    "log2": np.abs,
    "log10": np.abs,
    "log1p": np.abs,
    "sqrt": np.abs,
}
TOLERANCE = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-13}


def domain_values(rng, name: str, dtype: str, shape) -> np.ndarray:
    values = random_array(rng, shape, dtype)
    if dtype.startswith("float"):
        values = DOMAINS.get(name, lambda v: v)(values.astype(np.float64)).astype(dtype)
    elif name == "arccosh" and dtype != "bool":
        values = np.ones(shape, dtype)  # integers inside the domain
    elif name in ("arcsin", "arccos", "arctanh"):
        values = np.zeros(shape, dtype)
    elif dtype.startswith("int") and name in DOMAINS:
        values = np.abs(values)
    return values


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("function", unary.FUNCTIONS, ids=lambda f: f.__name__)
def test_math_ufuncs_run_on_the_device(device, rng, function, dtype):
    host = domain_values(rng, function.__name__, dtype, (33, 37))
    with np.errstate(all="ignore"):
        expected = function(host)
    got = function(dc.asarray(host, device=device))
    assert isinstance(got, dc.Array) and got.device == dc.get_device(device)
    assert got.dtype == expected.dtype
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(got.numpy(), expected)
    else:
        tolerance = TOLERANCE[expected.dtype.name]
        np.testing.assert_allclose(got.numpy(), expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", ["int8", "uint32", "int64", "uint64"])
def test_rounding_keeps_large_integers_exact(device, rng, dtype):
    """numpy 2's floor, ceil and trunc of integers are the integers (no float on the way:
    float32 or float64 would round 2^32 - 2 or 2^63 - 1), as is absolute."""
    info = np.iinfo(dtype)
    top, bottom = int(info.max), int(info.min)
    edges = [top, top - 1, top - 2, bottom, bottom + 1, 0, 1, 2**24 + 1 if top > 2**24 else 3]
    drawn = rng.integers(bottom, top, 25, dtype=dtype, endpoint=True)
    host = np.concatenate([np.array(edges, dtype=dtype), drawn])
    x = dc.asarray(host, device=device)
    for function in (np.floor, np.ceil, np.trunc, np.absolute):
        with np.errstate(all="ignore"):
            expected = function(host)
        got = function(x)
        assert got.dtype == expected.dtype, function.__name__
        np.testing.assert_array_equal(got.numpy(), expected, err_msg=function.__name__)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_tests_and_absolute_run_on_the_device(device, rng, dtype):
    """np.isnan / isinf / isfinite look at both parts, np.absolute is the modulus (hypot of
    the parts: inf wherever a part is infinite, NaN parts otherwise NaN), as numpy's."""
    host = random_array(rng, (7, 23), dtype)
    n, inf = np.nan, np.inf
    host.flat[:8] = [
        complex(n, 1), complex(1, n), complex(inf, n), complex(n, -inf),
        complex(-inf, 2), complex(0, inf), complex(-0.0, 0), complex(3e38, 3e38),
    ]  # fmt: skip
    x = dc.asarray(host, device=device)
    for function in (np.isnan, np.isinf, np.isfinite, np.absolute):
        with np.errstate(all="ignore"):
            expected = function(host)
        got = function(x)
        assert isinstance(got, dc.Array) and got.dtype == expected.dtype, function.__name__
        tolerance = 1e-6 if dtype == "complex64" else 1e-14
        np.testing.assert_allclose(got.numpy(), expected, rtol=tolerance, err_msg=str(function))
    np.testing.assert_allclose(abs(x).numpy(), np.abs(host), rtol=1e-6)


BINARY_MATH = [np.arctan2, np.hypot, np.copysign, np.fmax, np.fmin]


@pytest.mark.parametrize(("left", "right"), [("float32", "float32"), ("float64", "float32"),
                                             ("int32", "int32"), ("float16", "int8")])  # fmt: skip
@pytest.mark.parametrize("function", BINARY_MATH, ids=lambda f: f.__name__)
def test_binary_math_ufuncs_run_on_the_device(device, rng, function, left, right):
    """np.arctan2, hypot, copysign, fmax and fmin (dc.atan2 ... are the same objects) run as
    dc's binary operations: numpy's dtypes, broadcasting, numbers, NaNs (fmax and fmin skip
    them), signed zeros."""
    a, b = random_array(rng, (23, 37), left), random_array(rng, (37,), right)
    if a.dtype.kind == "f":
        a[0, :4] = [np.nan, -0.0, 0.0, np.inf]
    if b.dtype.kind == "f":
        b[:4] = [1.0, np.nan, -0.0, -np.inf]
    x, y = dc.asarray(a, device=device), dc.asarray(b, device=device)
    # Which of two equal zeros fmax and fmin give is unspecified (numpy's own differs between
    # its scalar and vector loops), so their signs are compared elsewhere.
    signed = np.broadcast_to(
        (a != 0) | (b != 0) if function in (np.fmax, np.fmin) else True, a.shape
    )
    for got, expected, where in [
        (function(x, y), function(a, b), signed), (function(y, x), function(b, a), signed),
        (function(x, 2.5), function(a, 2.5), True),
    ]:  # fmt: skip
        assert isinstance(got, dc.Array) and got.dtype == expected.dtype, function.__name__
        tolerance = {2: 2e-3, 4: 2e-6}.get(expected.dtype.itemsize, 1e-13)
        np.testing.assert_allclose(got.numpy(), expected, rtol=tolerance, atol=0)
        if expected.dtype.kind == "f":  # (GPUs give NaNs of their own sign)
            signs = np.signbit(got.numpy()) == np.signbit(expected)
            compared = np.broadcast_to(where, signs.shape) & ~np.isnan(expected)
            assert np.all(signs | ~compared), function.__name__
    out = dc.empty((23, 37), "float64", device=device)
    assert function(x, y, out=out) is out
    np.testing.assert_allclose(out.numpy(), function(a, b), rtol=2e-3)


def test_conjugate_of_bool_is_numpys_int8(device, rng):
    host = random_array(rng, 31, "bool")
    got, expected = np.conjugate(dc.asarray(host, device=device)), np.conjugate(host)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.numpy(), expected)


def test_dc_names_are_the_ufuncs(device, rng):
    host = np.abs(random_array(rng, 1001, "float32"))
    x = dc.asarray(host, device=device)
    np.testing.assert_allclose(dc.sqrt(x).numpy(), np.sqrt(host), rtol=2e-6)
    np.testing.assert_allclose(dc.exp(-x).numpy(), np.exp(-host), rtol=2e-6)
    assert dc.isfinite(x).dtype == np.bool_


def test_arithmetic_ufuncs_are_dc_operators(device, rng):
    host_a, host_b = random_array(rng, (9, 65), "float32"), random_array(rng, (1, 65), "float32")
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    for ufunc in (np.add, np.subtract, np.multiply, np.divide):
        got = ufunc(a, b)  # broadcasting
        assert isinstance(got, dc.Array)
        np.testing.assert_allclose(got.numpy(), ufunc(host_a, host_b), rtol=1e-6)
    got = np.float32(2) * a  # a numpy scalar on the left: np.multiply, on the device
    assert isinstance(got, dc.Array)
    np.testing.assert_array_equal(got.numpy(), np.float32(2) * host_a)
    np.testing.assert_array_equal(np.negative(a).numpy(), -host_a)
    assert isinstance(abs(a), dc.Array)
    np.testing.assert_array_equal(abs(a).numpy(), np.abs(host_a))
    ints = dc.asarray(random_array(rng, 99, "int32"), device=device)
    np.testing.assert_array_equal(np.floor_divide(ints, 7).numpy(), ints.numpy() // 7)


def test_out_is_written_on_the_device(device, rng):
    host = np.abs(random_array(rng, 513, "float32"))
    x = dc.asarray(host, device=device)
    same = dc.empty(513, "float32", device=device)
    assert np.sqrt(x, out=same) is same
    np.testing.assert_allclose(same.numpy(), np.sqrt(host), rtol=2e-6)
    wide = dc.empty(513, "float64", device=device)
    assert np.cos(x, out=wide) is wide  # converted: numpy's same_kind
    np.testing.assert_allclose(wide.numpy(), np.cos(host), rtol=2e-6)
    narrow = dc.empty(513, "int32", device=device)
    with pytest.raises(dc.DTypeError, match="cannot write a float32 result into out of dtype"):
        np.sqrt(x, out=narrow)


def test_other_ufuncs_stay_numpys(device, rng):
    """Through np.asarray as before: a numpy result on the CPU, a BufferError naming x.numpy()
    for device memory."""
    host = random_array(rng, 64, "float32")
    complex_host = random_array(rng, 8, "complex64")
    x, z = dc.asarray(host, device=device), dc.asarray(complex_host, device=device)
    calls = [
        (lambda: np.logaddexp(x, 2.0), np.logaddexp(host, 2.0)),
        (lambda: np.add.reduce(x), np.add.reduce(host)),
        (lambda: np.ones(64) + x, np.ones(64) + host),  # a numpy array among the operands
        (lambda: np.sqrt(z), np.sqrt(complex_host)),  # no complex math in kernels
    ]
    for call, expected in calls:
        assert_numpys_result(device, call, expected, rtol=1e-5)
    if dc.get_device(device).backend != "cpu":
        with pytest.raises(dc.InvalidArgumentError, match="cannot write into a device array"):
            np.logaddexp(host, 2.0, out=dc.empty(64, "float32", device=device))
    else:
        out = dc.empty(64, "float32", device=device)
        np.logaddexp(x, 2.0, out=out)  # a host array: numpy writes its zero-copy view
        np.testing.assert_allclose(out.numpy(), np.logaddexp(host, 2.0), rtol=1e-6)


def test_ufuncs_in_a_graph(device, rng):
    x = dc.asarray(np.abs(random_array(rng, 777, "float32")), device=device)
    with dc.capture(device=device) as graph:
        y = np.sqrt(x) * np.float32(3)
    for _ in range(2):
        host = np.abs(random_array(rng, 777, "float32"))
        dc.copyto(x, host)
        graph.replay()
        dc.synchronize(device)
        np.testing.assert_allclose(y.numpy(), np.sqrt(host) * np.float32(3), rtol=2e-6)
