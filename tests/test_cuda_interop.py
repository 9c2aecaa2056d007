# tests/test_cuda_interop.py
# CUDA memory shared with CuPy and PyTorch without copies: __cuda_array_interface__ and DLPack.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

HAS_CUDA = any(d.backend == "cuda" for d in dc.devices())
needs_cuda = pytest.mark.skipif(
    not HAS_CUDA, reason="no CUDA device (the cuda backend is not loaded here)"
)


def test_host_arrays_have_no_cuda_array_interface():
    x = dc.ones(4)
    assert not hasattr(x, "__cuda_array_interface__")
    assert x.__dlpack_device__() == (1, 0)


@pytest.mark.cuda
@needs_cuda
def test_cuda_array_interface_describes_device_memory(rng):
    host = random_array(rng, (33, 7), "float32")
    x = dc.asarray(host, device="cuda:0")
    interface = x.__cuda_array_interface__
    assert interface["version"] == 3 and interface["shape"] == (33, 7)
    assert interface["typestr"] == "<f4" and interface["data"][0] != 0
    assert x.__dlpack_device__() == (2, 0)


@pytest.mark.cuda
@needs_cuda
def test_cupy_shares_dotcompute_memory(rng):
    cupy = pytest.importorskip("cupy")
    host = random_array(rng, 1001, "float64")
    x = dc.asarray(host, device="cuda:0")
    view = cupy.asarray(x)
    assert view.data.ptr == x.__cuda_array_interface__["data"][0]
    np.testing.assert_array_equal(cupy.asnumpy(view), host)
    view[5] = 42.0
    cupy.cuda.Device().synchronize()
    assert x.numpy()[5] == 42.0


@pytest.mark.cuda
@needs_cuda
def test_torch_reads_dotcompute_memory_through_dlpack(rng):
    torch = pytest.importorskip("torch")
    host = random_array(rng, (17, 5), "int32")
    x = dc.asarray(host, device="cuda:0")
    tensor = torch.from_dlpack(x)
    assert tensor.is_cuda and tuple(tensor.shape) == (17, 5)
    np.testing.assert_array_equal(tensor.cpu().numpy(), host)
    tensor[0, 0] = -7
    torch.cuda.synchronize()
    assert x.numpy()[0, 0] == -7


@dc.kernel
def scale_in_place(x: dc.Array[dc.float32], factor: dc.float32):
    i = dc.global_id(0)
    if i < x.shape[0]:
        x[i] = x[i] * factor


class CudaArrayInterfaceOnly:
    """A producer that speaks only __cuda_array_interface__ (as Numba's device arrays do), over
    real CuPy memory that it keeps alive."""

    def __init__(self, array):
        self._array = array
        self.__cuda_array_interface__ = array.__cuda_array_interface__


@pytest.mark.cuda
@needs_cuda
def test_kernels_write_into_cupy_arrays_without_copies(rng):
    cupy = pytest.importorskip("cupy")
    host = random_array(rng, 70_001, "float32")
    theirs = cupy.asarray(host)
    ours = dc.asarray(theirs)  # DLPack: the device and pointer come from CuPy
    assert ours.device.spec == "cuda:0"
    assert ours.__cuda_array_interface__["data"][0] == theirs.data.ptr
    scale_in_place[ours.size](ours, 3.0)
    dc.synchronize("cuda:0")
    np.testing.assert_allclose(cupy.asnumpy(theirs), host * 3.0, rtol=1e-6)


@pytest.mark.cuda
@needs_cuda
def test_cuda_array_interface_producers_are_wrapped_and_kept_alive(rng):
    cupy = pytest.importorskip("cupy")
    host = random_array(rng, (513, 3), "float32")
    producer = CudaArrayInterfaceOnly(cupy.asarray(host))
    address = producer.__cuda_array_interface__["data"][0]
    ours = dc.asarray(producer)
    del producer  # the wrapped array holds the producer, so the memory stays valid
    import gc

    gc.collect()
    assert ours.__cuda_array_interface__["data"][0] == address
    flat = ours.reshape(-1)
    scale_in_place[flat.size](flat, -2.0)
    np.testing.assert_allclose(ours.numpy(), host * -2.0, rtol=1e-6)


@pytest.mark.cuda
@needs_cuda
def test_strided_gpu_arrays_are_refused_with_the_fix(rng):
    cupy = pytest.importorskip("cupy")
    strided = cupy.asarray(random_array(rng, (64, 64), "float32"))[:, ::2]
    with pytest.raises(dc.InvalidArgumentError, match="strided"):
        dc.asarray(CudaArrayInterfaceOnly(strided))


@pytest.mark.cuda
@needs_cuda
def test_kernels_write_into_torch_tensors_without_copies(rng):
    torch = pytest.importorskip("torch")
    host = random_array(rng, 4097, "float32")
    tensor = torch.from_numpy(host.copy()).cuda()
    ours = dc.from_dlpack(tensor)
    assert ours.__cuda_array_interface__["data"][0] == tensor.data_ptr()
    scale_in_place[ours.size](ours, 0.5)
    dc.synchronize("cuda:0")
    np.testing.assert_allclose(tensor.cpu().numpy(), host * 0.5, rtol=1e-6)
