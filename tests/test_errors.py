# tests/test_errors.py
# Bad input raises the right DotComputeError subclass with an actionable message, and loses no data.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array


@pytest.fixture
def stored(rng):
    """An array whose contents must survive every failing call below."""
    host = random_array(rng, 1000, "float64")
    return host.copy(), dc.asarray(host, copy=True)


def assert_intact(stored):
    host, array = stored
    np.testing.assert_array_equal(array.numpy(), host)


def test_hierarchy():
    for name in dc.errors.__all__:
        assert issubclass(getattr(dc, name), dc.DotComputeError)
    assert issubclass(dc.ShapeError, ValueError)
    assert issubclass(dc.DTypeError, TypeError)
    assert issubclass(dc.OutOfMemoryError, MemoryError)
    assert issubclass(dc.DeviceError, ValueError)


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ((-1,), "negative dimension -1"),
        ((3, -2), r"negative dimension -2 in shape \(3, -2\)"),
        ((1 << 40, 1 << 40), "more elements than a 64-bit index"),
        ((1 << 62,), "2\\*\\*60 bytes"),
        ((1 << 70,), "does not fit in 64 bits"),
        ("abc", "shape must be an int or a sequence of ints"),
        ((2.5,), "shape must be an int or a sequence of ints"),
    ],
)
def test_bad_shapes(stored, shape, match):
    with pytest.raises(dc.ShapeError, match=match):
        dc.empty(shape)
    assert_intact(stored)


def test_allocation_larger_than_memory_is_out_of_memory(stored):
    with pytest.raises(dc.OutOfMemoryError) as error:
        dc.empty(1 << 57, dtype="uint8")  # 128 PiB: no machine has it
    message = str(error.value)
    assert "out of memory" in message and "in use" in message
    assert_intact(stored)
    assert dc.empty(10).size == 10  # the pool still works


@pytest.mark.parametrize("dtype", ["float128", "U8", object, "datetime64[s]", "nonsense"])
def test_unknown_dtypes(stored, dtype):
    with pytest.raises(dc.DTypeError, match="float32"):  # the message lists what is supported
        dc.empty(3, dtype=dtype)
    assert_intact(stored)


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("nosuchbackend", dc.DeviceError),
        ("cpu:5", dc.DeviceError),
        ("cpu:x", dc.DeviceError),
        ("", dc.DeviceError),
        ("cpu:-1", dc.DeviceError),
    ],
)
def test_unknown_devices(stored, spec, error):
    with pytest.raises(error):
        dc.empty(3, device=spec)
    with pytest.raises(error):
        dc.get_device(spec)
    assert_intact(stored)


def test_device_argument_of_the_wrong_type():
    with pytest.raises(dc.DeviceError, match="spec string"):
        dc.empty(3, device=3.5)


def test_mismatched_shapes_and_dtypes(stored):
    a = dc.ones((3, 4))
    with pytest.raises(dc.ShapeError, match=r"\(3, 4\) and \(4, 3\)"):
        dc.add(a, dc.ones((4, 3)))
    with pytest.raises(
        dc.DTypeError, match="cannot write a float64 result into out of dtype int32"
    ):
        dc.add(a, dc.ones((3, 4), dtype="float64"), out=dc.empty((3, 4), dtype="int32"))
    with pytest.raises(dc.DTypeError, match="bitwise_or is not defined for float32 and float64"):
        dc.bitwise_or(a, dc.ones((3, 4), dtype="float64"))
    with pytest.raises(dc.ShapeError):
        dc.add(a, a, out=dc.empty(12))
    with pytest.raises(TypeError):
        dc.add(a, np.ones((3, 4), dtype=np.float32))
    assert_intact(stored)


def test_failed_operation_leaves_the_output_untouched(stored):
    _, array = stored
    with pytest.raises(dc.DTypeError):  # complex into float64: numpy's same_kind refuses
        dc.add(dc.ones(1000, dtype="complex64"), dc.ones(1000, dtype="float32"), out=array)
    assert_intact(stored)


def test_fill_value_that_does_not_fit():
    with pytest.raises(dc.InvalidArgumentError, match="uint8"):
        dc.full(3, 300, dtype="uint8")
    with pytest.raises(dc.InvalidArgumentError):
        dc.full(3, "text", dtype="float32")


def test_asarray_of_non_numbers():
    with pytest.raises(dc.DTypeError):
        dc.asarray(["a", "b"])
    with pytest.raises(dc.DTypeError):
        dc.asarray([object()])
    with pytest.raises(dc.DTypeError):
        dc.from_dlpack(object())


def test_error_kinds_map_to_classes():
    expected = [
        dc.DotComputeError,
        dc.BackendUnavailableError,
        dc.PluginError,
        dc.DeviceError,
        dc.InvalidArgumentError,
        dc.ShapeError,
        dc.DTypeError,
        dc.OutOfMemoryError,
        dc.ReleasedArrayError,
        dc.UnsupportedError,
        dc.CompilationError,
        dc.LaunchError,
        dc.PipelineError,
    ]
    for kind, cls in enumerate(expected):
        with pytest.raises(cls, match="message") as error:
            dc._core._raise_error(kind, "message")
        assert type(error.value) is cls
