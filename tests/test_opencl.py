# tests/test_opencl.py
# The OpenCL backend beyond the shared conformance suite: generated OpenCL C for every conformance
# kernel, device requirements, build logs, the program-binary cache and memory that is not host
# visible.
"""OpenCL-specific behaviour, on the first OpenCL device (PoCL in CI).

The conformance suite (``test_kernels.py``, ``test_builtins.py``, ...) already runs on
``opencl:0`` through the ``device`` fixture. These tests cover what only this backend has: every
conformance kernel's OpenCL C is printable and builds with the device's compiler, kernels that
need fp64 or 64-bit atomics are refused with a clear error before anything is built on a device
without them, a build failure carries the driver's log, program binaries are cached on disk and
reused by a fresh process, and device memory refuses host views with a message.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import test_kernels
from _conformance_sources import conformance_specializations

import dotcompute as dc
from dotcompute import _core
from dotcompute.kernel import cache, codegen_opencl
from dotcompute.kernel import kernel as kernel_module

from conftest import random_array

OPENCL = next((d for d in dc.devices() if d.backend == "opencl"), None)
pytestmark = [
    pytest.mark.opencl,
    pytest.mark.skipif(OPENCL is None, reason="no OpenCL device (install pocl-opencl-icd)"),
]

SPECIALIZATIONS = conformance_specializations()


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DOTCOMPUTE_CACHE_DIR", str(tmp_path))
    cache.forget_loaded_modules()
    yield tmp_path
    cache.forget_loaded_modules()


@pytest.mark.parametrize("key", sorted(SPECIALIZATIONS))
def test_every_conformance_kernel_builds_as_opencl_c(key):
    function = SPECIALIZATIONS[key]
    generated = codegen_opencl.generate_opencl(function)
    source = generated.source
    assert f"__kernel void {generated.symbol}(" in source
    assert "#pragma OPENCL FP_CONTRACT OFF" in source
    assert generated.appends_global_size
    assert generated.uses_barrier == ("barrier(CLK_LOCAL_MEM_FENCE" in source)
    assert generated.needs_fp64 == ("cl_khr_fp64" in source)
    ok, image, log = _core.compile_module(OPENCL.spec, source, "")
    assert ok, f"{log}\n{source}"
    assert image.startswith(b"DCOCLBIN")


def test_kernel_source_shows_opencl_c():
    source = test_kernels.group_sums_halving.source("opencl")
    assert "__local float" in source and "get_local_id(0)" in source
    assert "barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);" in source


@dc.kernel
def float_histogram(
    keys: dc.Array[dc.int32],
    weights: dc.Array[dc.float32],
    sums: dc.Array[dc.float32],
    smallest: dc.Array[dc.float32],
):
    i = dc.global_id(0)
    if i < keys.shape[0]:
        dc.atomic_add(sums, keys[i], weights[i])
        dc.atomic_min(smallest, keys[i], weights[i])


def test_float_atomics_are_compare_exchange_loops(rng):
    source = float_histogram.source("opencl")
    assert "atomic_cmpxchg(address, assumed, as_int(" in source
    n, bins = 5000, 7
    keys = rng.integers(0, bins, n).astype(np.int32)
    weights = rng.integers(-8, 8, n).astype(np.float32)  # small integers: sums are exact
    sums = dc.zeros(bins, "float32", device=OPENCL)
    smallest = dc.full(bins, 100.0, "float32", device=OPENCL)
    float_histogram.launch(
        n, dc.asarray(keys, device=OPENCL), dc.asarray(weights, device=OPENCL), sums, smallest
    )
    np.testing.assert_array_equal(sums.numpy(), np.bincount(keys, weights, bins))
    expected = [weights[keys == k].min() for k in range(bins)]
    np.testing.assert_array_equal(smallest.numpy(), expected)


class _DeviceWithout:
    """The real OpenCL device with capabilities as a device lacking some would report them.
    PoCL always has fp64 and 64-bit atomics, so their absence is stated, not found."""

    def __init__(self, device, **missing):
        self._device = device
        self.capabilities = {**device.capabilities, **dict.fromkeys(missing, False)}

    def __getattr__(self, name):
        return getattr(self._device, name)


@dc.kernel
def scale_doubles(x: dc.Array[dc.float64], out: dc.Array[dc.float64]):
    i = dc.global_id(0)
    if i < x.shape[0]:
        out[i] = x[i] * 2.5


@dc.kernel
def count_int64(counts: dc.Array[dc.int64]):
    dc.atomic_add(counts, 0, 1)


@pytest.mark.parametrize(
    ("kernel", "capability", "message"),
    [(scale_doubles, "fp64", "cl_khr_fp64"), (count_int64, "int64_atomics", "64-bit atomics")],
)
def test_missing_device_feature_is_refused_before_build(
    kernel, capability, message, fresh_cache, monkeypatch
):
    get_device = _core.get_device
    without = _DeviceWithout(get_device(OPENCL.spec), **{capability: True})
    monkeypatch.setattr(
        kernel_module._core,
        "get_device",
        lambda spec=None: without if spec == OPENCL.spec else get_device(spec),
    )
    kernel.forget_specializations()
    arrays = [dc.zeros(8, "float64" if kernel is scale_doubles else "int64", device=OPENCL)]
    if kernel is scale_doubles:
        arrays.append(dc.zeros(8, "float64", device=OPENCL))
    compiles = cache.cache_info()["compiles"]
    with pytest.raises(dc.UnsupportedError, match=message) as raised:
        kernel.launch(8, *arrays)
    assert OPENCL.spec in str(raised.value)
    assert cache.cache_info()["compiles"] == compiles  # nothing was built
    monkeypatch.undo()
    kernel.forget_specializations()
    kernel.launch(8, *arrays)  # the real device has the feature
    expected = np.zeros(8) if kernel is scale_doubles else np.array([8] + [0] * 7)
    np.testing.assert_array_equal(arrays[-1].numpy(), expected)


def test_build_failure_carries_the_log(fresh_cache):
    broken = "__kernel void broken(__global float* x) { x[0] = undefined_name; }"
    ok, image, log = _core.compile_module(OPENCL.spec, broken, "")
    assert not ok and image == b""
    assert "undefined_name" in log
    with pytest.raises(dc.CompilationError) as raised:
        cache.load_device_module(broken, OPENCL)
    assert "undefined_name" in raised.value.log
    assert raised.value.source == broken


def test_program_binaries_are_cached_for_a_fresh_process(fresh_cache, rng):
    x = random_array(rng, 1000, "float32")
    sums = dc.zeros(4, "float32", device=OPENCL)
    test_kernels.group_sums_halving.forget_specializations()
    test_kernels.group_sums_halving.launch(1024, dc.asarray(x, device=OPENCL), sums, local_size=256)
    entries = list((fresh_cache / "opencl").glob("*.bin"))
    assert len(entries) == 1 and entries[0].read_bytes().startswith(b"DCOCLBIN")
    child = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        import numpy as np
        import dotcompute as dc
        import test_kernels
        from dotcompute.kernel import cache
        x = dc.asarray(np.ones(1024, np.float32), device={OPENCL.spec!r})
        sums = dc.zeros(4, "float32", device={OPENCL.spec!r})
        test_kernels.group_sums_halving.launch(1024, x, sums, local_size=256)
        assert sums.numpy().tolist() == [256.0] * 4, sums.numpy()
        info = cache.cache_info()
        print(info["compiles"], info["disk_hits"])
        """
    )
    environment = {**os.environ, "DOTCOMPUTE_CACHE_DIR": str(fresh_cache)}
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, env=environment
    )
    assert done.returncode == 0, done.stderr
    compiles, disk_hits = map(int, done.stdout.split())
    assert (compiles, disk_hits) == (0, 1)


def test_damaged_binary_is_rebuilt(fresh_cache):
    source = test_kernels.group_sums_halving.source("opencl")
    cache.load_device_module(source, OPENCL)
    (entry,) = (fresh_cache / "opencl").glob("*.bin")
    entry.write_bytes(b"DCOCLBIN" + b"\0" * 64)
    cache.forget_loaded_modules()
    before = cache.cache_info()["rebuilt_corrupt"]
    module = cache.load_device_module(source, OPENCL)
    assert module is not None
    assert cache.cache_info()["rebuilt_corrupt"] == before + 1
    assert entry.read_bytes() != b"DCOCLBIN" + b"\0" * 64


def test_device_memory_is_not_host_visible():
    x = dc.ones(16, device=OPENCL)
    with pytest.raises(BufferError, match="not host visible"):
        np.asarray(x)
    with pytest.raises(dc.UnsupportedError, match=r"copy it with x.to\('cpu'\)"):
        np.from_dlpack(x)
    np.testing.assert_array_equal(np.from_dlpack(x.to("cpu")), np.ones(16, np.float32))


def test_released_array_in_a_kernel_launch_is_an_error(rng):
    x = dc.asarray(random_array(rng, 100, "float64"), device=OPENCL)
    out = dc.zeros(100, "float64", device=OPENCL)
    scale_doubles.launch(100, x, out)
    x.release()
    with pytest.raises(dc.ReleasedArrayError):
        scale_doubles.launch(100, x, out)


def test_capabilities_describe_the_device():
    capabilities = OPENCL.capabilities
    for key in ("platform", "driver_version", "opencl_c_version", "compiler_identity"):
        assert capabilities[key]
    assert capabilities["max_work_group_size"] == OPENCL.max_work_group_size
    assert capabilities["local_memory_bytes"] > 0
    assert isinstance(capabilities["fp64"], bool)
