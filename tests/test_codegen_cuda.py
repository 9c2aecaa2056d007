# tests/test_codegen_cuda.py
# The CUDA generator without a GPU: every conformance kernel's CUDA source, checked and compiled.
"""CUDA C++ generated from every kernel of the conformance suite (``test_kernels.py``).

The structure is checked everywhere: no ``#include`` (NVRTC may find no headers), one unmangled
``extern "C" __global__`` entry point whose parameters match the launch plan's argument slots
plus the three hidden global-size arguments, ``__syncthreads()`` exactly where the kernel has
barriers. Where ``nvcc`` is installed, every source is also compiled for sm_80 with warnings as
errors, so a code generation error is caught on machines without a GPU (the GPU machine runs
the same kernels through NVRTC in ``test_kernels.py``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import test_kernels
from _conformance_sources import conformance_specializations

import dotcompute as dc
from dotcompute.kernel import cache, ir
from dotcompute.kernel.codegen_base import walk_stmts
from dotcompute.kernel.codegen_c import generate_c
from dotcompute.kernel.codegen_cuda import generate_cuda
from dotcompute.kernel.types import ArrayType

NVCC = shutil.which("nvcc")
needs_nvcc = pytest.mark.skipif(
    NVCC is None, reason="nvcc not installed: generated CUDA is compiled on machines that have it"
)


SPECIALIZATIONS = conformance_specializations()


def test_every_conformance_kernel_is_covered():
    names = {key.split("-")[0] for key in SPECIALIZATIONS}
    kernels = {n for n, v in vars(test_kernels).items() if isinstance(v, dc.Kernel)}
    # print_items uses print(), which only debug mode runs.
    assert kernels - names == {"print_items"}


def _signature(source: str, symbol: str) -> list[str]:
    match = re.search(rf'extern "C" __global__ void {symbol}\((.*?)\)\n\{{', source, re.S)
    assert match, source
    return [p.strip() for p in match.group(1).split(",")]


@pytest.mark.parametrize("key", sorted(SPECIALIZATIONS))
def test_generated_structure(key):
    function = SPECIALIZATIONS[key]
    generated = generate_cuda(function)
    source = generated.source
    assert "#include" not in source
    assert generated.symbol.startswith("dc_kernel_")
    assert source.count("__global__") == 1
    assert generated.appends_global_size
    assert (generated.shared_bytes, generated.per_item_bytes) == (0, 0)  # static __shared__

    # The parameters are the plan's slots: an array is a pointer and one int64 per dimension,
    # a scalar one value; then the three global sizes.
    params = _signature(source, generated.symbol)
    slots = sum(1 + p.type.ndim if isinstance(p.type, ArrayType) else 1 for p in function.params)
    assert len(params) == slots + 3
    assert all(p.startswith("int64_t global_size_") for p in params[-3:])
    position = 0
    for param in function.params:
        if isinstance(param.type, ArrayType):
            assert "*" in params[position]
            assert "__restrict__" not in params[position]  # arrays may alias
            extents = params[position + 1 : position + 1 + param.type.ndim]
            assert all(e.startswith("int64_t ") for e in extents)
            position += 1 + param.type.ndim
        else:
            assert "*" not in params[position]
            position += 1

    has_barrier = any(isinstance(s, ir.Barrier) for s in walk_stmts(function.body))
    assert generated.uses_barrier == has_barrier
    assert ("__syncthreads();" in source) == has_barrier
    assert source.count("__syncthreads();") == sum(
        isinstance(s, ir.Barrier) for s in walk_stmts(function.body)
    )
    has_shared = bool(function.shared_arrays) or any(
        isinstance(s, ir.SharedArrayDecl) for s in walk_stmts(function.body)
    )
    assert ("__shared__" in source) == has_shared


def test_out_of_range_threads_exit_before_the_body():
    source = generate_cuda(test_kernels.saxpy.specialize()).source
    body = source[source.index("__global__") :]
    guard = body.index("global_id_0 >= global_size_0 || global_id_1 >= global_size_1")
    assert guard < body.index("out[")
    assert "return;" in body[guard : body.index("out[")]


def test_early_return_before_a_barrier_is_a_real_return():
    # Note [CUDA barriers and return]: returned threads exit; later barriers wait only for the
    # threads that remain.
    kernel = test_kernels.group_maxima_with_return_and_break
    source = generate_cuda(kernel.specialize()).source
    first_barrier = source.index("__syncthreads();")
    user_return = source.index("return;", source.index("return;") + 1)  # after the guard's
    assert first_barrier < user_return < source.rindex("__syncthreads();")


def test_float16_arrays_are_raw_bits_rounded_to_nearest_even():
    source = generate_cuda(test_kernels.axpy_generic.specialize("float16", "float16", "float16"))
    assert "unsigned short* " in source.source
    assert "cvt.rn.f16.f32" in source.source
    assert "__half" not in source.source


def test_cuda_source_from_the_kernel_object():
    source = test_kernels.saxpy.source("cuda")
    assert 'extern "C" __global__ void dc_kernel_saxpy' in source


def test_the_cache_key_covers_device_and_compiler():
    class FakeDevice:
        backend = "cuda"
        name = "Fake GPU"

        def __init__(self, spec, capabilities):
            self.spec = spec
            self.capabilities = capabilities

    nvrtc12, nvrtc13 = "/opt/nvrtc/libnvrtc.so.12 1 2", "/opt/nvrtc/libnvrtc.so.13 3 4"
    a = FakeDevice("cuda:90", {"compute_capability": "9.0", "nvrtc_identity": nvrtc12})
    b = FakeDevice("cuda:80", {"compute_capability": "8.0", "nvrtc_identity": nvrtc12})
    c = FakeDevice("cuda:91", {"compute_capability": "9.0", "nvrtc_identity": nvrtc13})
    keys = {cache.device_cache_key("source", d) for d in (a, b, c)}
    assert len(keys) == 3
    assert cache.device_cache_key("source", a) != cache.device_cache_key("other", a)
    assert cache.device_cache_key("source", a) == cache.device_cache_key("source", a)


def test_cuda_plans_append_the_global_size_on_the_cpu_plugin_too(rng):
    # The hidden arguments are a launch-plan feature, independent of the backend: a CPU plan
    # built with append_global_size gets three more slots, which the CPU kernel ignores.
    generated = generate_c(test_kernels.saxpy.specialize())
    module = cache.load_cpu_module(generated.source, "cpu")
    params = [
        ("scalar", "float32", "alpha"),
        ("array", "float32", 1, "x", False),
        ("array", "float32", 1, "y", False),
        ("array", "float32", 1, "out", True),
    ]
    plain = module.kernel(generated.symbol, params, name="saxpy")
    hidden = module.kernel(generated.symbol, params, name="saxpy", append_global_size=True)
    assert hidden.slot_count == plain.slot_count + 3
    assert hidden.appends_global_size and not plain.appends_global_size
    x = dc.asarray(rng.random(100, dtype=np.float32))
    out = dc.zeros(100, "float32")
    hidden.launch(100, (2.0, x, x, out))
    np.testing.assert_allclose(out.numpy(), 3 * x.numpy())


def test_compile_module_needs_a_compile_slot():
    with pytest.raises(dc.UnsupportedError, match="compile"):
        dc._core.compile_module("cpu", "int x;", "")


# ---------------------------------------------------------------------------------------------
# Compiling with nvcc
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nvcc_results(tmp_path_factory) -> dict[str, tuple[int, str]]:
    """Every specialization compiled once, in parallel: key -> (return code, log)."""
    directory = tmp_path_factory.mktemp("cuda-sources")

    def compile_one(key: str) -> tuple[int, str]:
        path = directory / f"{key}.cu"
        path.write_text(generate_cuda(SPECIALIZATIONS[key]).source)
        options = cache.DEVICE_COMPILE_OPTIONS["cuda"].split()
        command = [NVCC, "-cubin", "-x", "cu", "-arch=sm_80", "-std=c++17", *options]
        command += ["-Werror", "all-warnings", str(path), "-o", str(path.with_suffix(".cubin"))]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        return done.returncode, done.stdout + done.stderr

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = dict(zip(SPECIALIZATIONS, pool.map(compile_one, SPECIALIZATIONS), strict=True))
    return results


@needs_nvcc
@pytest.mark.parametrize("key", sorted(SPECIALIZATIONS))
def test_nvcc_compiles_the_generated_source(nvcc_results, key):
    code, log = nvcc_results[key]
    assert code == 0, f"nvcc rejected the CUDA source of {key}:\n{log}"
    assert log.strip() == ""  # no warnings either
