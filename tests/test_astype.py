# tests/test_astype.py
# Array.astype and the conversions built on it (dc.asarray(x, dtype=), dc.copyto between dtypes)
# on every device, compared with numpy's astype.
from __future__ import annotations

import warnings

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

DTYPES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
]  # fmt: skip


def source_values(rng, shape, source: str, target: str) -> np.ndarray:
    """Random values whose conversion numpy defines: a float going to an unsigned integer is
    made non-negative (numpy leaves negative ones undefined)."""
    values = random_array(rng, shape, source)
    if np.dtype(source).kind in "fc" and np.dtype(target).kind == "u":
        values = (np.abs(values.real) + 1j * values.imag if source.startswith("complex") else
                  np.abs(values)).astype(source)  # fmt: skip
    return values


@pytest.mark.parametrize("source", DTYPES)
def test_astype_matches_numpy_for_every_dtype_pair(device, rng, source):
    for target in DTYPES:
        host = source_values(rng, 1001, source, target)  # odd, larger than a work-group
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            expected = host.astype(target)
            result = dc.asarray(host, device=device).astype(target)
        assert result.dtype == np.dtype(target)
        assert result.device == dc.get_device(device)
        np.testing.assert_array_equal(result.numpy(), expected, err_msg=f"{source} -> {target}")


@pytest.mark.parametrize("shape", [(37, 29), (5, 7, 33)])
def test_astype_keeps_the_shape(device, rng, shape):
    host = random_array(rng, shape, "float32")
    result = dc.asarray(host, device=device).astype("int16")
    assert result.shape == shape
    np.testing.assert_array_equal(result.numpy(), host.astype(np.int16))


def test_astype_of_the_same_dtype_copies_unless_told_not_to(device, rng):
    x = dc.asarray(random_array(rng, 300, "int32"), device=device)
    copied = x.astype("int32")
    assert copied is not x
    dc.copyto(copied, np.ones(300, np.int32))
    assert x.numpy().tolist() != copied.numpy().tolist()  # the copy is its own memory
    assert x.astype(np.int32, copy=False) is x
    assert dc.astype(x, "float64", copy=False).dtype == np.float64


def test_float_to_integer_truncates_and_saturates(device):
    x = dc.asarray(np.array([2.9, -2.9, 1e10, -1e10, np.nan, 300.0], np.float32), device=device)
    assert x.astype("int32").tolist() == [2, -2, 2147483647, -2147483648, 0, 300]
    assert x.astype("uint8").tolist() == [2, 0, 255, 0, 0, 255]


def test_complex_to_real_warns_as_numpy(device, rng):
    x = dc.asarray(random_array(rng, 65, "complex64"), device=device)
    with pytest.warns(np.exceptions.ComplexWarning, match="discards the imaginary part"):
        real = x.astype("float32")
    np.testing.assert_array_equal(real.numpy(), x.numpy().real)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: bool keeps both parts' information
        flags = dc.asarray(np.array([0, 1j, 2, 0j], np.complex64), device=device).astype(bool)
    assert flags.tolist() == [False, True, True, False]


def test_astype_refuses_what_arrays_cannot_hold(device):
    x = dc.zeros(4, device=device)
    with pytest.raises(dc.DTypeError, match="dc arrays do not hold"):
        x.astype("U3")
    with pytest.raises(dc.DTypeError, match="'floot' is not a dtype"):
        x.astype("floot")


def test_asarray_and_copyto_convert_on_the_device(device, rng):
    host = random_array(rng, (41, 3), "float64")
    x = dc.asarray(host, device=device)
    narrowed = dc.asarray(x, dtype="float32")
    assert narrowed.device == x.device
    np.testing.assert_array_equal(narrowed.numpy(), host.astype(np.float32))
    with pytest.raises(dc.InvalidArgumentError, match="needs a copy"):
        dc.asarray(x, dtype="float32", copy=False)
    target = dc.zeros((41, 3), "complex128", device=device)
    dc.copyto(target, narrowed)  # float32 to complex128 on the device
    np.testing.assert_array_equal(target.numpy(), host.astype(np.float32).astype(np.complex128))
    with pytest.raises(dc.DTypeError, match="cannot cast float64 to int32"):
        dc.copyto(dc.zeros((41, 3), "int32", device=device), x)


def test_astype_is_captured_and_copyto_is_not(device, rng):
    host = random_array(rng, 513, "float64")
    x = dc.asarray(host, device=device)
    before = x.astype("float32")
    wide = dc.zeros(513, "float64", device=device)
    with dc.capture(device=device) as graph:
        narrow = x.astype("float32")  # a kernel: recorded
        dc.copyto(wide, before)  # another dtype inside a capture: runs at once, not recorded
    expected_wide = host.astype(np.float32).astype(np.float64)
    np.testing.assert_array_equal(wide.numpy(), expected_wide)
    for _ in range(2):
        new_values = random_array(rng, 513, "float64")
        dc.copyto(x, new_values)
        graph.replay()
        np.testing.assert_array_equal(narrow.numpy(), new_values.astype(np.float32))
    np.testing.assert_array_equal(wide.numpy(), expected_wide)
