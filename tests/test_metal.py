# tests/test_metal.py
# The Metal backend on metal:0: devices, shared memory, kernels, refusals, streams (Macs only).
"""Runs on a Mac with a Metal GPU (``pytest -m metal``); skipped elsewhere with the reason the
plugin registry gives. The whole conformance suite (``test_kernels.py``) also runs on
``metal:0`` through the ``device`` fixture; kernels Metal cannot run (float64, 64-bit atomics)
are reported there as skips by ``conftest.py``. This module checks what is Metal's own:
capabilities, zero-copy shared storage, threadgroup sizes and barriers, atomics in device and
threadgroup memory, compiler errors, the refusal before launch, and streams with events.
"""

from __future__ import annotations

import numpy as np
import pytest
import test_kernels

import dotcompute as dc
from dotcompute.kernel import cache
from dotcompute.kernel.codegen_msl import MetalUnsupportedError

from conftest import random_array


def _metal_device() -> str | None:
    specs = [d.spec for d in dc.devices() if d.backend == "metal"]
    return specs[0] if specs else None


def _why_not() -> str:
    for rejection in dc.plugins.rejected():
        if rejection.name == "metal":
            return f"backend 'metal' unavailable: {rejection.reason}"
    return "backend 'metal' is not built or installed on this machine (it builds on macOS only)"


METAL = _metal_device()
pytestmark = [pytest.mark.metal, pytest.mark.skipif(METAL is None, reason=_why_not())]


@pytest.fixture
def metal() -> str:
    assert METAL is not None
    return METAL


def test_capabilities_describe_the_gpu(metal):
    device = dc.get_device(metal)
    capabilities = device.capabilities
    assert device.backend == "metal" and device.name
    assert capabilities["fp64"] is False and capabilities["int64_atomics"] is False
    assert capabilities["msl_version"] in {"2.3", "2.4", "3.0", "3.1"}
    assert capabilities["max_threads_per_threadgroup"][0] >= 256
    assert capabilities["threadgroup_memory_length"] >= 16384
    assert capabilities["recommended_max_working_set_size"] == device.memory_total > 0
    assert capabilities["storage_mode"] in {"shared", "private"}
    assert capabilities["compiler_identity"].startswith("metal ")


def test_shared_storage_is_a_zero_copy_numpy_view(metal, rng):
    if not dc.get_device(metal).capabilities["unified_memory"]:
        pytest.skip("a discrete GPU: buffers are private, reached by blits")
    x = dc.asarray(random_array(rng, 1001, "float32"), device=metal)
    view = np.asarray(x)
    view[:] = 2.5  # written through the view, read by the GPU
    out = dc.zeros(1001, "float32", device=metal)
    test_kernels.saxpy[1001](2.0, x, x, out)
    np.testing.assert_array_equal(out.numpy(), np.full(1001, 7.5, np.float32))
    assert np.shares_memory(np.asarray(x), view)


@pytest.mark.parametrize("n", [1, 255, 257, 1_000_003])
def test_saxpy_over_whole_and_partial_threadgroups(metal, rng, n):
    x, y = random_array(rng, n, "float32"), random_array(rng, n, "float32")
    out = dc.zeros(n, "float32", device=metal)
    test_kernels.saxpy[n](1.5, dc.asarray(x, device=metal), dc.asarray(y, device=metal), out)
    np.testing.assert_allclose(out.numpy(), np.float32(1.5) * x + y, rtol=1e-6)


def test_a_2d_kernel_with_an_odd_shape(metal, rng):
    a = random_array(rng, (37, 129), "float32")
    out = dc.zeros((129, 37), "float32", device=metal)
    test_kernels.transpose_generic.launch((129, 37), dc.asarray(a, device=metal), out)
    np.testing.assert_array_equal(out.numpy(), a.T)


@pytest.mark.parametrize("local", [32, 128, 256])
def test_barriers_and_threadgroup_memory(metal, rng, local):
    n = 10_007
    x = random_array(rng, n, "float32")
    groups = -(-n // local)
    sums = dc.zeros(groups, "float32", device=metal)
    test_kernels.group_sums_halving.launch(
        groups * local, dc.asarray(x, device=metal), sums, local_size=local
    )
    padded = np.zeros(groups * local, np.float64)
    padded[:n] = x
    np.testing.assert_allclose(sums.numpy(), padded.reshape(groups, local).sum(1), rtol=1e-5)


def test_atomics_in_threadgroup_and_device_memory(metal, rng):
    n, local = 20_001, 128
    keys = rng.integers(0, test_kernels.BINS, n).astype(np.int32)
    bins = dc.zeros(test_kernels.BINS, "int32", device=metal)
    test_kernels.histogram_in_shared_memory.launch(
        -(-n // local) * local, dc.asarray(keys, device=metal), bins, local_size=local
    )
    np.testing.assert_array_equal(bins.numpy(), np.bincount(keys, minlength=test_kernels.BINS))


def test_float_atomic_add(metal, rng):
    n, bins = 50_000, 7
    keys = rng.integers(0, bins, n).astype(np.int32)
    weights = rng.integers(1, 5, n).astype(np.float32)  # integers: float sums are exact
    added = dc.asarray(np.full(bins, 10, np.float32), device=metal)
    removed = dc.asarray(np.full(bins, 1e6, np.float32), device=metal)
    test_kernels.histogram[n](dc.asarray(keys, device=metal), weights, added, removed)
    sums = np.bincount(keys, weights=weights, minlength=bins).astype(np.float32)
    np.testing.assert_array_equal(added.numpy(), sums + 10)
    np.testing.assert_array_equal(removed.numpy(), np.float32(1e6) - sums)


def test_float64_is_refused_before_anything_is_compiled(metal, rng):
    before = cache.cache_info()
    a = dc.asarray(random_array(rng, (5, 3), "float64"), device=metal)
    out = dc.zeros(5, "float64", device=metal)
    with pytest.raises(MetalUnsupportedError, match=r"row_sums_2d.*Metal has no float64"):
        test_kernels.row_sums_2d[5](a, out)
    assert cache.cache_info()["compiles"] == before["compiles"]


def test_a_compiler_error_is_a_compilation_error_with_the_log(metal):
    with pytest.raises(dc.CompilationError) as raised:
        cache.load_device_module(
            "kernel void broken(device float* x [[buffer(0)]]) { x[0] = ; }", dc.get_device(metal)
        )
    assert raised.value.log and "error" in raised.value.log.lower()


def test_streams_and_events_order_work(metal, rng):
    n = 100_003
    x = dc.asarray(random_array(rng, n, "float32"), device=metal)
    middle = dc.zeros(n, "float32", device=metal)
    out = dc.zeros(n, "float32", device=metal)
    first, second = dc.Stream(metal), dc.Stream(metal)
    start = dc.Event(metal).record(first)
    test_kernels.saxpy.launch(n, 2.0, x, x, middle, stream=first)
    ready = dc.Event(metal).record(first)
    second.wait_event(ready)
    test_kernels.saxpy.launch(n, 1.0, middle, x, out, stream=second)
    second.synchronize()
    np.testing.assert_allclose(out.numpy(), 4 * x.numpy(), rtol=1e-6)
    ready.synchronize()
    assert ready.query() is True and start.elapsed_ms(ready) >= 0.0
