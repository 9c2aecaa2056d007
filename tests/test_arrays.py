# tests/test_arrays.py
# dc.Array: constructors, attributes, zero-copy numpy interop, transfers, DLPack, release.
from __future__ import annotations

import gc
import sys

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

ALL_DTYPES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
]  # fmt: skip


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 5), (2, 3, 4), (0,), (4, 0, 2)], ids=str)
def test_constructors_every_dtype_and_shape(device, dtype, shape):
    size = int(np.prod(shape))
    for array, value in [
        (dc.zeros(shape, dtype=dtype, device=device), 0),
        (dc.ones(shape, dtype=dtype, device=device), 1),
        (dc.full(shape, 3, dtype=dtype, device=device), 3),
    ]:
        assert array.shape == shape and array.dtype == np.dtype(dtype)
        assert array.size == size and array.ndim == len(shape)
        assert array.nbytes == size * np.dtype(dtype).itemsize
        assert array.device == dc.get_device(device)
        np.testing.assert_array_equal(array.numpy(), np.full(shape, value, dtype=dtype))
    assert dc.empty(shape, dtype=dtype, device=device).shape == shape


def test_shape_accepts_int_and_sequences(device):
    assert dc.empty(5, device=device).shape == (5,)
    assert dc.empty([2, 3], device=device).shape == (2, 3)
    assert dc.empty(np.int64(4), device=device).shape == (4,)
    assert dc.empty((np.int32(2), 3), device=device).shape == (2, 3)
    assert dc.empty(5, device=device).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, "float32", dc.float32, np.dtype("float32")])
def test_dtype_spellings(dtype):
    assert dc.empty(3, dtype=dtype).dtype == np.float32


def test_full_with_complex_and_bool_values():
    np.testing.assert_array_equal(dc.full(3, 1 + 2j, dtype="complex64").numpy(), [1 + 2j] * 3)
    np.testing.assert_array_equal(dc.full(3, True, dtype="bool").numpy(), [True] * 3)
    np.testing.assert_array_equal(dc.full((2, 2), -1.5, dtype="float16").numpy(), [[-1.5] * 2] * 2)


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (0.1, "float32"),  # rounded to nearest, as numpy
        (-0.0, "float32"),
        (float("nan"), "float32"),
        (float("-inf"), "float32"),
        (3.4028234e38, "float32"),
        (0.1, "float64"),
        (2**31 - 1, "int32"),
        (-(2**31), "int32"),
        (2**62 + 1, "int64"),
        (-7, "int64"),
        (7, "uint8"),  # numpy's conversion, like every dtype without a direct one
        (2.5, "float16"),
    ],
)
def test_full_stores_what_numpy_stores(value, dtype):
    """Python floats and ints go into float32/64 and int32/64 without numpy (conversions.cpp);
    the bytes must be numpy's."""
    got = dc.full(3, value, dtype=dtype).numpy()
    assert got.tobytes() == np.full(3, value, dtype=dtype).tobytes()


@pytest.mark.parametrize(("value", "dtype"), [(2**31, "int32"), (2**63, "int64"), (-1, "uint32")])
def test_full_refuses_what_does_not_fit(value, dtype):
    with pytest.raises(dc.InvalidArgumentError, match=f"cannot convert {value} to {dtype}"):
        dc.full(3, value, dtype=dtype)


def test_full_of_a_float_beyond_float32_warns_as_numpy():
    with pytest.warns(RuntimeWarning, match="overflow encountered in cast"):
        expected = np.full(2, 1e300, dtype=np.float32)
    with pytest.raises(dc.InvalidArgumentError, match="overflow encountered in cast"):
        dc.full(2, 1e300, dtype="float32")  # pytest makes numpy's warning an error
    assert np.isinf(expected).all()


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_asarray_roundtrip_every_dtype(device, rng, dtype):
    host = random_array(rng, (17, 9), dtype)
    array = dc.asarray(host, device=device)
    assert array.shape == host.shape and array.dtype == host.dtype
    np.testing.assert_array_equal(array.numpy(), host)


def test_asarray_on_cpu_wraps_without_copying():
    host = np.arange(10, dtype=np.float64)
    array = dc.asarray(host, device="cpu")
    host[3] = 42.0  # visible through the array: the memory is shared
    assert array.numpy()[3] == 42.0
    view = np.asarray(array)
    assert np.shares_memory(view, host)


def test_asarray_keeps_the_numpy_owner_alive():
    host = np.arange(1000, dtype=np.int32)
    before = sys.getrefcount(host)
    array = dc.asarray(host)
    assert sys.getrefcount(host) == before + 1
    del host
    gc.collect()
    np.testing.assert_array_equal(array.numpy(), np.arange(1000, dtype=np.int32))


def test_asarray_copy_true_copies():
    host = np.arange(10, dtype=np.float32)
    array = dc.asarray(host, copy=True)
    host[0] = 99
    assert array.numpy()[0] == 0


def test_asarray_copies_strided_and_byteswapped_input(rng):
    strided = random_array(rng, (10, 10), "float32")[:, ::2]
    np.testing.assert_array_equal(dc.asarray(strided).numpy(), strided)
    swapped = np.arange(6, dtype=">i4").reshape(2, 3)
    result = dc.asarray(swapped)
    assert result.dtype == np.int32
    np.testing.assert_array_equal(result.numpy(), swapped)
    with pytest.raises(dc.InvalidArgumentError, match="copy=False"):
        dc.asarray(strided, copy=False)


def test_asarray_from_lists_scalars_and_dtype_conversion():
    np.testing.assert_array_equal(dc.asarray([[1, 2], [3, 4]]).numpy(), [[1, 2], [3, 4]])
    assert dc.asarray(2.5).shape == ()
    assert dc.asarray(2.5).item() == 2.5
    converted = dc.asarray([1, 2, 3], dtype="float16")
    assert converted.dtype == np.float16
    again = dc.asarray(converted, dtype="int64")
    assert again.dtype == np.int64 and again.numpy().tolist() == [1, 2, 3]


def test_asarray_of_an_array_is_identity_unless_asked(device):
    array = dc.ones(4, device=device)
    assert dc.asarray(array) is array
    assert dc.asarray(array, device=device) is array
    copied = dc.asarray(array, copy=True)
    assert copied is not array
    np.testing.assert_array_equal(copied.numpy(), array.numpy())


def test_readonly_numpy_input_stays_readonly():
    host = np.arange(5, dtype=np.float32)
    host.flags.writeable = False
    array = dc.asarray(host)
    assert array.readonly
    assert not np.asarray(array).flags.writeable
    with pytest.raises(dc.InvalidArgumentError, match="read-only"):
        dc.add(array, array, out=array)


def test_buffer_protocol_and_array_interface_are_zero_copy():
    array = dc.asarray(np.arange(12, dtype=np.int16).reshape(3, 4), copy=True)
    view = np.asarray(array)
    view[1, 2] = -5
    assert array.numpy()[1, 2] == -5
    memory = memoryview(array)
    assert memory.shape == (3, 4) and memory.format == "h"
    interface = array.__array_interface__
    assert interface["shape"] == (3, 4) and interface["typestr"] == "<i2"
    assert interface["data"][0] == view.ctypes.data


def test_numpy_returns_an_independent_copy(device, rng):
    array = dc.asarray(random_array(rng, 50, "float32"), device=device)
    first = array.numpy()
    first[:] = 0
    assert np.any(array.numpy() != 0)


def test_large_numpy_copies_are_independent_and_outlive_their_source(device, rng):
    # Above 1 MiB the copy lives in pooled host memory: the device's own where it is
    # host-visible, else the CPU device's.
    host = random_array(rng, (3, 100_003), "float32")
    array = dc.asarray(host, device=device, copy=True)
    first = array.numpy()
    np.testing.assert_array_equal(first, host)
    assert first.flags.writeable and first.flags.c_contiguous
    first[1, :] = -1.0
    np.testing.assert_array_equal(array.numpy(), host)
    dc.add(array, array, out=array)
    np.testing.assert_array_equal(first[0], host[0])
    del array
    gc.collect()
    dc.empty_cache(device)
    np.testing.assert_array_equal(first[2], host[2])
    readonly = host.copy()
    readonly.flags.writeable = False
    copied = dc.asarray(readonly, device=device).numpy()
    assert copied.flags.writeable
    np.testing.assert_array_equal(copied, host)


def test_large_numpy_copies_return_their_memory_to_the_pool(device, rng):
    # The pool that holds the copy: the device's own when host-visible, else the CPU's.
    pool = device if dc.get_device(device).host_visible else "cpu"
    dc.empty_cache(pool)
    host = random_array(rng, 400_001, "float64")
    array = dc.asarray(host, device=device, copy=True)
    in_use = dc.memory_stats(pool)["in_use"]
    copied = array.numpy()
    np.testing.assert_array_equal(copied, host)
    assert dc.memory_stats(pool)["in_use"] >= in_use + copied.nbytes
    del copied
    gc.collect()
    assert dc.memory_stats(pool)["in_use"] == in_use


def test_numpy_out_copies_into_the_given_array(device, rng):
    host = random_array(rng, (37, 3), "float64")
    x = dc.asarray(host, device=device)
    out = np.empty((37, 3), np.float64)
    assert x.numpy(out=out) is out
    np.testing.assert_array_equal(out, host)
    with pytest.raises(dc.ShapeError, match=r"out has shape \(3, 37\)"):
        x.numpy(out=np.empty((3, 37), np.float64))
    with pytest.raises(dc.DTypeError, match="out has dtype float32"):
        x.numpy(out=np.empty((37, 3), np.float32))
    with pytest.raises(dc.InvalidArgumentError, match="C-contiguous and writable"):
        x.numpy(out=np.empty((3, 37), np.float64).T)
    with pytest.raises(dc.InvalidArgumentError, match="needs a numpy array"):
        x.numpy(out=[0.0] * 111)


def test_copyto_writes_into_an_existing_array(device, rng):
    x = dc.zeros((37, 3), "float64", device=device)
    host = random_array(rng, (37, 3), "float64")
    dc.copyto(x, host)
    np.testing.assert_array_equal(x.numpy(), host)
    row = host[0].astype(np.float32)
    dc.copyto(x, row)  # broadcast and a same-kind cast
    np.testing.assert_array_equal(x.numpy(), np.broadcast_to(row, (37, 3)))
    source = dc.asarray(host[::-1].copy(), device=device)
    dc.copyto(x, source)  # on the device
    np.testing.assert_array_equal(x.numpy(), host[::-1])
    dc.copyto(x, dc.asarray(host, device="cpu").to(device).numpy())
    np.testing.assert_array_equal(x.numpy(), host)
    dc.copyto(x, dc.asarray(host.astype(np.float32), device="cpu"))  # another dtype: via numpy
    np.testing.assert_array_equal(x.numpy(), host.astype(np.float32))
    with pytest.raises(dc.ShapeError, match=r"shape \(3, 37\) does not broadcast to \(37, 3\)"):
        dc.copyto(x, host.T)
    with pytest.raises(dc.DTypeError, match="cannot cast complex128 to float64"):
        dc.copyto(x, host + 1j)
    with pytest.raises(dc.InvalidArgumentError, match=r"writes into a dc\.Array"):
        dc.copyto(host, x)


def test_to_moves_between_devices(device, rng):
    host = random_array(rng, (33, 3), "complex64")
    on_device = dc.asarray(host).to(device)
    assert on_device.device == dc.get_device(device)
    assert on_device._device_spec == on_device.device.spec == dc.get_device(device).spec
    back = on_device.to("cpu")
    np.testing.assert_array_equal(back.numpy(), host)
    assert on_device.to(device) is on_device


def test_reshape_and_len(device):
    array = dc.asarray(np.arange(24, dtype=np.int32), device=device)
    reshaped = array.reshape(2, 3, 4)
    assert reshaped.shape == (2, 3, 4)
    assert array.reshape((4, -1)).shape == (4, 6)
    np.testing.assert_array_equal(reshaped.numpy(), np.arange(24).reshape(2, 3, 4))
    assert len(reshaped) == 2
    with pytest.raises(dc.ShapeError):
        array.reshape(5, 5)
    with pytest.raises(TypeError):
        len(dc.asarray(1.0))


def test_scalar_conversions_and_repr():
    single = dc.asarray(np.array([2.5], dtype=np.float64))
    assert float(single) == 2.5 and int(single) == 2 and bool(single)
    assert single.item() == 2.5 and single.tolist() == [2.5]
    text = repr(dc.asarray(np.array([1, 2, 3], dtype=np.int8)))
    assert text == "dc.Array([1, 2, 3], dtype=int8, device='cpu')"
    with pytest.raises(dc.InvalidArgumentError, match="one element"):
        float(dc.ones(3))


def test_release_returns_memory_and_later_use_is_an_error(device):
    array = dc.ones(1000, device=device)
    before = dc.memory_stats(device)["in_use"]
    array.release()
    assert array.released
    assert dc.memory_stats(device)["in_use"] < before
    with pytest.raises(dc.ReleasedArrayError, match="released"):
        array.numpy()
    with pytest.raises(dc.ReleasedArrayError):
        dc.add(array, array)
    array.release()  # releasing twice is harmless


def test_dlpack_export_to_numpy_is_zero_copy():
    array = dc.asarray(np.arange(6, dtype=np.float32).reshape(2, 3), copy=True)
    assert array.__dlpack_device__() == (1, 0)
    view = np.from_dlpack(array)
    view[0, 0] = 7
    assert array.numpy()[0, 0] == 7
    del array
    gc.collect()
    assert view.sum() == 7 + 15  # the exported memory outlives the array object


def test_dlpack_import_from_numpy_is_zero_copy(rng):
    host = random_array(rng, (4, 5), "int64")
    array = dc.from_dlpack(host)
    host[2, 2] = 1234
    assert array.numpy()[2, 2] == 1234


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_dlpack_roundtrip_every_dtype(rng, dtype):
    host = random_array(rng, (3, 7), dtype)
    back = np.from_dlpack(dc.from_dlpack(host))
    assert back.dtype == host.dtype
    np.testing.assert_array_equal(back, host)


def test_dlpack_legacy_and_versioned_capsules():
    array = dc.ones(3, dtype="float64")
    legacy = array.__dlpack__()
    versioned = array.__dlpack__(max_version=(1, 0))
    assert "dltensor" in repr(legacy) and "dltensor_versioned" in repr(versioned)
    np.testing.assert_array_equal(dc.from_dlpack(legacy).numpy(), [1, 1, 1])
    np.testing.assert_array_equal(dc.from_dlpack(versioned).numpy(), [1, 1, 1])
    with pytest.raises(dc.InvalidArgumentError, match="consumed"):
        dc.from_dlpack(legacy)


def test_dlpack_import_of_strided_tensor_copies(rng):
    host = random_array(rng, (6, 6), "float32")[::2, ::3]
    np.testing.assert_array_equal(dc.from_dlpack(host).numpy(), host)
    with pytest.raises(dc.InvalidArgumentError, match="copy=False"):
        dc.from_dlpack(host, copy=False)


def test_dlpack_with_torch_if_installed(rng):
    torch = pytest.importorskip("torch")
    tensor = torch.arange(10, dtype=torch.float32)
    array = dc.from_dlpack(tensor)
    tensor[0] = 5
    assert array.numpy()[0] == 5
    back = torch.from_dlpack(array)
    assert back.sum().item() == tensor.sum().item()
