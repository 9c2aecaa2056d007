# tests/test_scalar_operands.py
# A dc array and a number: every binary operator on either side, in place, dc.add(x, 2.0,
# out=...), -x, on every device, against numpy 2's results (NEP 50 type rules).
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import BINARY_OPERATORS, random_array

pytestmark = pytest.mark.skipif(
    int(np.__version__.split(".")[0]) < 2, reason="the reference is numpy 2's NEP 50 promotion"
)

DTYPES = [
    "bool", "int8", "int32", "uint8", "uint64", "float16", "float32", "float64", "complex64",
    "complex128",
]  # fmt: skip
SCALARS = [3, 1.5, True, 0.5 - 2j, np.float32(2.5), np.int64(3), np.uint8(2)]


def integer_power(base, exponents: np.ndarray) -> np.ndarray:
    """base ** exponents as dc defines it where numpy raises (negative exponents in an integer
    array): the truncated real result, 0 but for bases 1 and -1 (docs/kernels.md)."""
    result = np.power(base, np.maximum(exponents, 0))
    negative = exponents < 0
    result[negative] = 0 if base not in (1, -1) else np.power(base, exponents[negative] % 2 + 2)
    return result


def assert_matches(got: dc.Array, expected: np.ndarray) -> None:
    assert got.dtype == expected.dtype
    tolerance = {"e": 1e-3, "f": 1e-6, "d": 1e-12, "F": 1e-6, "D": 1e-12}.get(expected.dtype.char)
    if tolerance is None:
        np.testing.assert_array_equal(got.numpy(), expected)
    else:
        finite = np.abs(expected[np.isfinite(expected)])  # (a number over False is inf)
        scale = max(1.0, float(finite.max(initial=0.0)))
        np.testing.assert_allclose(got.numpy(), expected, rtol=tolerance, atol=tolerance * scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_number_on_either_side_matches_numpy(device, rng, dtype):
    host = random_array(rng, (37, 29), dtype)
    x = dc.asarray(host, device=device)
    for scalar in SCALARS:
        for name, apply in BINARY_OPERATORS.items():
            for reflected in (False, True):  # a numpy scalar on the left: __array_ufunc__
                with np.errstate(all="ignore"):
                    try:
                        expected = apply(scalar, host) if reflected else apply(host, scalar)
                    except (TypeError, OverflowError):
                        expected = None  # numpy refuses (bool subtract, a complex //)
                    except ValueError:  # numpy refuses negative integer exponents in an array
                        expected = integer_power(scalar, host)
                where = f"{dtype} {name} {scalar!r} reflected={reflected}"
                if expected is None:
                    with pytest.raises((dc.DTypeError, TypeError)):
                        apply(scalar, x) if reflected else apply(x, scalar)
                    continue
                if name == "power" and expected.dtype.kind == "c":
                    with pytest.raises(dc.UnsupportedError, match="power of complex"):
                        apply(scalar, x) if reflected else apply(x, scalar)
                    continue
                got = apply(scalar, x) if reflected else apply(x, scalar)
                assert got.device == dc.get_device(device), where
                assert_matches(got, expected)


def test_in_place_with_a_number(device, rng):
    host = random_array(rng, 1001, "int32")
    x = dc.asarray(host.copy(), device=device)
    x += 3
    x *= np.int32(2)
    np.testing.assert_array_equal(x.numpy(), (host + 3) * 2)
    with pytest.raises(dc.DTypeError, match="cannot write a float64 result into out of dtype"):
        x += 1.5  # numpy: same_kind refuses float64 into int32
    floats = dc.asarray(random_array(rng, 1001, "float32"), device=device)
    expected = floats.numpy() / np.float32(4) - np.float32(1)
    floats /= 4
    floats -= 1.0
    np.testing.assert_array_equal(floats.numpy(), expected)


def test_builtins_take_a_number_and_out(device, rng):
    host = random_array(rng, (5, 7, 33), "float32")
    x = dc.asarray(host, device=device)
    assert_matches(dc.multiply(x, 0.25), host * np.float32(0.25))
    assert_matches(dc.subtract(2, x), np.float32(2) - host)
    wide = dc.empty((5, 7, 33), "float64", device=device)
    assert dc.add(x, 1.5, out=wide) is wide
    np.testing.assert_array_equal(wide.numpy(), (host + np.float32(1.5)).astype(np.float64))
    with pytest.raises(dc.DTypeError, match="takes dc arrays, or a dc array and a number"):
        dc.add(x, [1.0])
    with pytest.raises(TypeError, match="unsupported operand"):
        x + "1"
    with pytest.raises(dc.InvalidArgumentError, match="out of bounds for int8"):
        dc.asarray(random_array(rng, 9, "int8"), device=device) + 300


def test_negative(device, rng):
    signed = random_array(rng, 65, "float64")
    signed[0] = 0.0
    got = (-dc.asarray(signed, device=device)).numpy()
    np.testing.assert_array_equal(got, -signed)
    assert np.signbit(got[0])  # -0.0, as numpy
    unsigned = random_array(rng, 65, "uint16")
    np.testing.assert_array_equal((-dc.asarray(unsigned, device=device)).numpy(), -unsigned)
    with pytest.raises(dc.DTypeError, match="negative is not defined for bool"):
        -dc.asarray(np.array([True]), device=device)


def test_numbers_in_a_graph(device, rng):
    x = dc.asarray(random_array(rng, 999, "float32"), device=device)
    with dc.capture(device=device) as graph:
        y = 1.0 - x * 2.0
        y += 0.5
    for _ in range(2):
        host = random_array(rng, 999, "float32")
        dc.copyto(x, host)
        graph.replay()
        dc.synchronize(device)
        np.testing.assert_array_equal(y.numpy(), np.float32(1) - host * np.float32(2) + 0.5)
