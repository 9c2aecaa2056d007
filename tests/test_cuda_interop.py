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
