# tests/test_kernel_runtime.py
# The kernel runtime with hand-written C kernels: compile, cache, load, launch plans, validation.
"""These tests drive the runtime below the frontend: C sources written by hand against
``cpu_kernel_abi.h`` are compiled by ``dotcompute.kernel.cache``, loaded as ``_core.Module`` and
launched through ``_core.KernelPlan``; results are checked against numpy."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from _plugin_builds import build_test_plugins

import dotcompute as dc
from dotcompute import _core
from dotcompute.kernel import cache, compiler

from conftest import random_array

# The part of every generated source that cpu_kernel_abi.h prescribes.
PRELUDE = r"""
#include <stdint.h>
#include <stddef.h>
#define EXPORT __attribute__((visibility("default")))
typedef struct dc_cpu_launch {
  uint32_t dimensions, reserved;
  uint64_t global_size[3], local_size[3], group_count[3];
  uint64_t group_begin, group_end;
  void* scratch;
  uint64_t scratch_bytes;
} dc_cpu_launch;
EXPORT const uint32_t dc_cpu_kernel_abi_version = 1;
"""

# vadd(x: float32[:], y: float32[:], out: float32[:]); slots: x, n, y, n, out, n.
VADD = (
    PRELUDE
    + r"""
EXPORT void vadd(const dc_cpu_launch* launch, void* const* args) {
  const float* restrict x = (const float*)args[0];
  const float* restrict y = (const float*)args[2];
  float* restrict out = (float*)args[4];
  const int64_t n = *(const int64_t*)args[5];
  const uint64_t size = launch->local_size[0];
  for (uint64_t group = launch->group_begin; group < launch->group_end; ++group) {
    const uint64_t begin = group * size;
    uint64_t end = begin + size;
    if (end > launch->global_size[0]) end = launch->global_size[0];
    if (end > (uint64_t)n) end = (uint64_t)n;
    for (uint64_t i = begin; i < end; ++i) out[i] = x[i] + y[i];
  }
}
"""
)

# scale2d(a: float32[:, :], alpha: float32, out: float32[:, :]): out[i, j] = alpha * a[i, j] + j,
# dimension 0 of the index space runs over columns j, dimension 1 over rows i.
SCALE_2D = (
    PRELUDE
    + r"""
EXPORT void scale2d(const dc_cpu_launch* launch, void* const* args) {
  const float* a = (const float*)args[0];
  const int64_t rows = *(const int64_t*)args[1], cols = *(const int64_t*)args[2];
  const float alpha = *(const float*)args[3];
  float* out = (float*)args[4];
  for (uint64_t group = launch->group_begin; group < launch->group_end; ++group) {
    const uint64_t g0 = group % launch->group_count[0], g1 = group / launch->group_count[0];
    for (uint64_t l1 = 0; l1 < launch->local_size[1]; ++l1) {
      const uint64_t i = g1 * launch->local_size[1] + l1;
      if (i >= launch->global_size[1] || (int64_t)i >= rows) continue;
      for (uint64_t l0 = 0; l0 < launch->local_size[0]; ++l0) {
        const uint64_t j = g0 * launch->local_size[0] + l0;
        if (j >= launch->global_size[0] || (int64_t)j >= cols) continue;
        out[i * cols + j] = alpha * a[i * cols + j] + (float)j;
      }
    }
  }
}
"""
)

# ids3d(out: int64[:, :, :], groups: int64[:, :, :]): out[k, j, i] = i + 1000 j + 1000000 k and
# groups[k, j, i] = the flattened group index, for global size (nx, ny, nz).
IDS_3D = (
    PRELUDE
    + r"""
EXPORT void ids3d(const dc_cpu_launch* launch, void* const* args) {
  int64_t* out = (int64_t*)args[0];
  const int64_t nz = *(const int64_t*)args[1], ny = *(const int64_t*)args[2],
                nx = *(const int64_t*)args[3];
  int64_t* groups = (int64_t*)args[4];
  (void)nz;
  const uint64_t* gc = launch->group_count;
  const uint64_t* ls = launch->local_size;
  for (uint64_t group = launch->group_begin; group < launch->group_end; ++group) {
    const uint64_t g0 = group % gc[0], g1 = (group / gc[0]) % gc[1], g2 = group / (gc[0] * gc[1]);
    for (uint64_t l2 = 0; l2 < ls[2]; ++l2)
      for (uint64_t l1 = 0; l1 < ls[1]; ++l1)
        for (uint64_t l0 = 0; l0 < ls[0]; ++l0) {
          const uint64_t i = g0 * ls[0] + l0, j = g1 * ls[1] + l1, k = g2 * ls[2] + l2;
          if (i >= launch->global_size[0] || j >= launch->global_size[1] ||
              k >= launch->global_size[2])
            continue;
          const int64_t at = ((int64_t)k * ny + (int64_t)j) * nx + (int64_t)i;
          out[at] = (int64_t)i + 1000 * (int64_t)j + 1000000 * (int64_t)k;
          groups[at] = (int64_t)group;
        }
  }
}
"""
)

# reverse_groups(x: float32[:], out: float32[:]): each group reverses its slice through scratch
# (two phases, as a barrier splits a kernel), and flags scratch that is not 64-byte aligned.
REVERSE_GROUPS = (
    PRELUDE
    + r"""
EXPORT void reverse_groups(const dc_cpu_launch* launch, void* const* args) {
  const float* x = (const float*)args[0];
  float* out = (float*)args[2];
  float* scratch = (float*)launch->scratch;
  const uint64_t size = launch->local_size[0], n = launch->global_size[0];
  const int aligned = ((uintptr_t)scratch % 64) == 0 && launch->scratch_bytes >= size * 4;
  for (uint64_t group = launch->group_begin; group < launch->group_end; ++group) {
    const uint64_t begin = group * size;
    for (uint64_t l = 0; l < size; ++l) scratch[l] = begin + l < n ? x[begin + l] : -1.0f;
    for (uint64_t l = 0; l < size; ++l)
      if (begin + l < n) out[begin + l] = aligned ? scratch[size - 1 - l] : 0.0f / 0.0f;
  }
}
"""
)

# scalars(ints: int64[:], floats: float64[:], a: int8, b: uint16, c: int32, d: int64,
#         e: uint64, f: float32, g: float64, h: bool): writes every scalar back.
SCALARS = (
    PRELUDE
    + r"""
EXPORT void scalars(const dc_cpu_launch* launch, void* const* args) {
  (void)launch;
  int64_t* ints = (int64_t*)args[0];
  double* floats = (double*)args[2];
  ints[0] = *(const int8_t*)args[4];
  ints[1] = *(const uint16_t*)args[5];
  ints[2] = *(const int32_t*)args[6];
  ints[3] = *(const int64_t*)args[7];
  ints[4] = (int64_t)(*(const uint64_t*)args[8] >> 1);
  floats[0] = *(const float*)args[9];
  floats[1] = *(const double*)args[10];
  ints[5] = *(const uint8_t*)args[11];
}
"""
)

VADD_PARAMS = [
    ("array", "float32", 1, "x"),
    ("array", "float32", 1, "y"),
    ("array", "float32", 1, "out"),
]
SCALARS_PARAMS = [
    ("array", "int64", 1, "ints"),
    ("array", "float64", 1, "floats"),
    ("scalar", "int8", "a"),
    ("scalar", "uint16", "b"),
    ("scalar", "int32", "c"),
    ("scalar", "int64", "d"),
    ("scalar", "uint64", "e"),
    ("scalar", "float32", "f"),
    ("scalar", "float64", "g"),
    ("scalar", "bool", "h"),
]


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Every test compiles into a cache directory of its own module run."""
    directory = tmp_path_factory.getbasetemp() / "kernel-cache"
    monkeypatch.setenv("DOTCOMPUTE_CACHE_DIR", str(directory))
    return directory


def vadd_plan():
    return cache.load_cpu_module(VADD, "cpu").kernel("vadd", VADD_PARAMS, name="vadd")


def scalars_plan():
    module = cache.load_cpu_module(SCALARS, "cpu")
    return module.kernel("scalars", SCALARS_PARAMS, name="scalars")


def unique(source: str) -> str:
    """The same kernel under a source text no other test uses (a fresh cache key)."""
    return f"/* {time.time_ns()} {os.getpid()} */\n{source}"


def float32(rng, *shape) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


# -- launches against numpy --------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 7, 1000, 1025, 100_003, 1 << 20])
def test_vector_add_1d(rng, n):
    x, y = float32(rng, n), float32(rng, n)
    out = dc.empty(n, dtype="float32")
    vadd_plan().launch(n, (dc.asarray(x), dc.asarray(y), out))
    np.testing.assert_array_equal(out.numpy(), x + y)


@pytest.mark.parametrize("local_size", [None, 1, 3, 64, 1024])
def test_vector_add_explicit_local_size(rng, local_size):
    n = 50_001
    x, y = float32(rng, n), float32(rng, n)
    out = dc.zeros(n, dtype="float32")
    vadd_plan()(n, dc.asarray(x), dc.asarray(y), out, local_size=local_size)
    np.testing.assert_array_equal(out.numpy(), x + y)


@pytest.mark.parametrize(
    ("shape", "local_size"),
    [((1, 1), None), ((37, 129), None), ((300, 257), (16, 4)), ((5, 3000), (7, 1))],
)
def test_2d_kernel(rng, shape, local_size):
    rows, cols = shape
    a = float32(rng, rows, cols)
    out = dc.zeros(shape, dtype="float32")
    plan = cache.load_cpu_module(SCALE_2D, "cpu").kernel(
        "scale2d",
        [
            ("array", "float32", 2, "a"),
            ("scalar", "float32", "alpha"),
            ("array", "float32", 2, "out"),
        ],
        name="scale2d",
    )
    plan.launch((cols, rows), (dc.asarray(a), 1.5, out), local_size)
    expected = np.float32(1.5) * a + np.arange(cols, dtype=np.float32)
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize(
    ("global_size", "local_size"),
    [((5, 3, 2), None), ((33, 17, 9), (4, 4, 2)), ((2000, 3, 3), (1000, 1, 1))],
)
def test_3d_kernel_ids_and_groups(global_size, local_size):
    nx, ny, nz = global_size
    out = dc.full((nz, ny, nx), -1, dtype="int64")
    groups = dc.full((nz, ny, nx), -1, dtype="int64")
    plan = cache.load_cpu_module(IDS_3D, "cpu").kernel(
        "ids3d", [("array", "int64", 3, "out"), ("array", "int64", 3, "groups")], name="ids3d"
    )
    plan.launch(global_size, (out, groups), local_size)
    k, j, i = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    np.testing.assert_array_equal(out.numpy(), i + 1000 * j + 1000000 * k)
    if local_size is not None:
        lx, ly, lz = local_size
        gx, gy = -(-nx // lx), -(-ny // ly)
        np.testing.assert_array_equal(groups.numpy(), i // lx + gx * (j // ly + gy * (k // lz)))


@pytest.mark.parametrize(
    ("n", "local_size"), [(10, 10), (1000, 7), (300_001, 256), (1 << 20, 1024)]
)
def test_scratch_memory_per_group(rng, n, local_size):
    """Many groups over both threads: each chunk gets its own aligned scratch of the right size."""
    x = float32(rng, n)
    out = dc.zeros(n, dtype="float32")
    plan = cache.load_cpu_module(REVERSE_GROUPS, "cpu").kernel(
        "reverse_groups",
        [("array", "float32", 1, "x"), ("array", "float32", 1, "out")],
        per_item_bytes=4,
        uses_barrier=True,
        default_local_size=(local_size,),
        name="reverse_groups",
    )
    assert plan.default_local_size == [local_size]
    plan.launch(n, (dc.asarray(x), out))
    expected = np.empty_like(x)
    for begin in range(0, n, local_size):
        chunk = x[begin : begin + local_size]
        padded = np.concatenate([chunk, np.full(local_size - len(chunk), -1.0, np.float32)])
        expected[begin : begin + local_size] = padded[::-1][: len(chunk)]
    np.testing.assert_array_equal(out.numpy(), expected)


def test_scalars_of_every_kind_are_converted():
    ints, floats = dc.zeros(6, dtype="int64"), dc.zeros(2, dtype="float64")
    scalars_plan().launch(
        1, (ints, floats, -128, 65535, -(2**31), 2**63 - 1, 2**64 - 1, 0.1, 0.1, True)
    )
    assert ints.numpy().tolist() == [-128, 65535, -(2**31), 2**63 - 1, (2**64 - 1) >> 1, 1]
    assert floats.numpy().tolist() == [float(np.float32(0.1)), 0.1]
    # numpy scalars, ints into floating parameters, bools into integers
    scalars_plan().launch(
        1,
        (
            ints,
            floats,
            np.int8(5),
            np.uint16(7),
            np.int64(9),
            True,
            np.uint64(4),
            3,
            np.float32(2.5),
            np.False_,
        ),
    )
    assert ints.numpy().tolist() == [5, 7, 9, 1, 2, 0]
    assert floats.numpy().tolist() == [3.0, 2.5]


def test_zero_global_size_is_a_no_op():
    out = dc.full(4, 7.0, dtype="float32")
    vadd_plan().launch(0, (out, out, out))
    vadd_plan().launch((0,), (out, out, out))
    assert out.numpy().tolist() == [7.0] * 4


def test_two_python_threads_launch_at_once(rng):
    import threading

    plan = vadd_plan()
    n = 1 << 18
    data = [(float32(rng, n), float32(rng, n)) for _ in range(4)]
    outs = [dc.empty(n, dtype="float32") for _ in data]
    errors = []

    def work(index):
        try:
            x, y = data[index]
            for _ in range(20):
                plan.launch(n, (dc.asarray(x), dc.asarray(y), outs[index]))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(data))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for (x, y), out in zip(data, outs, strict=True):
        np.testing.assert_array_equal(out.numpy(), x + y)


# -- validation: every error names the argument and the fix -------------------------------------


def test_argument_count():
    x = dc.zeros(4, dtype="float32")
    with pytest.raises(TypeError, match=r"^vadd\(\) takes 3 arguments \(x, y, out\), got 2$"):
        vadd_plan().launch(4, (x, x))
    with pytest.raises(TypeError, match=r"takes 3 arguments"):
        vadd_plan()(4, x, x, x, x)


def test_array_dtype_ndim_and_type():
    x = dc.zeros(4, dtype="float32")
    with pytest.raises(
        dc.DTypeError, match=r"argument 'y' of vadd\(\) must be a float32 array, got int32"
    ):
        vadd_plan().launch(4, (x, dc.zeros(4, dtype="int32"), x))
    with pytest.raises(
        dc.ShapeError, match=r"argument 'out' of vadd\(\) must be 1-D, got shape \(2, 2\)"
    ):
        vadd_plan().launch(4, (x, x, dc.zeros((2, 2), dtype="float32")))
    with pytest.raises(
        dc.DTypeError, match=r"must be a float32 array \(dc.Array\), got numpy.ndarray; wrap"
    ):
        vadd_plan().launch(4, (np.zeros(4, np.float32), x, x))
    with pytest.raises(dc.DTypeError, match=r"argument 'x' .* got float"):
        vadd_plan().launch(4, (1.0, x, x))


def test_released_array():
    x, y = dc.zeros(4, dtype="float32"), dc.zeros(4, dtype="float32")
    y.release()
    with pytest.raises(dc.ReleasedArrayError, match=r"argument 'y' of vadd\(\).*released"):
        vadd_plan().launch(4, (x, y, x))


@pytest.mark.parametrize(
    ("position", "value", "error", "message"),
    [
        (
            2,
            128,
            dc.InvalidArgumentError,
            r"argument 'a' of scalars\(\) is 128, which does not fit in int8 \(-128..127\)",
        ),
        (3, -1, dc.InvalidArgumentError, r"'b' .* does not fit in uint16"),
        (4, 2**31, dc.InvalidArgumentError, r"'c' .* does not fit in int32"),
        (5, 2**63, dc.InvalidArgumentError, r"'d' .* does not fit in int64"),
        (6, 2**64, dc.InvalidArgumentError, r"'e' .* does not fit in uint64"),
        (6, -1, dc.InvalidArgumentError, r"'e' .* does not fit in uint64"),
        (7, 1e300, dc.InvalidArgumentError, r"'f' .* does not fit in float32"),
        (
            4,
            2.5,
            dc.DTypeError,
            r"'c' of scalars\(\) must be a int32 scalar, got float 2.5; convert",
        ),
        (4, np.float64(2.0), dc.DTypeError, r"'c' .* must be a int32 scalar"),
        (9, 2, dc.DTypeError, r"'h' .* must be a bool scalar, got int 2 \(pass True or False\)"),
        (8, "1.0", dc.DTypeError, r"'g' .* must be a float64 scalar, got str"),
        (8, None, dc.DTypeError, r"'g' .* got NoneType"),
    ],
)
def test_scalar_conversion_errors(position, value, error, message):
    args = [dc.zeros(6, dtype="int64"), dc.zeros(2, dtype="float64"), 1, 1, 1, 1, 1, 1.0, 1.0, True]
    args[position] = value
    with pytest.raises(error, match=message):
        scalars_plan().launch(1, tuple(args))


@pytest.mark.parametrize(
    ("global_size", "local_size", "message"),
    [
        (-1, None, r"global size must be >= 0"),
        ("10", None, r"global size must be an int or a tuple of 1 to 3 ints, got '10'"),
        ((1, 2, 3, 4), None, r"tuple of 1 to 3 ints"),
        ((), None, r"tuple of 1 to 3 ints"),
        (True, None, r"global size must be an int"),
        (8, 0, r"local_size must be >= 1"),
        (8, (2, 2), r"local_size \(2, 2\) has 2 dimension\(s\) but the global size 8 has 1"),
        (8, 2048, r"more work-items per group than device 'cpu' allows \(1024\)"),
    ],
)
def test_launch_geometry_errors(global_size, local_size, message):
    x = dc.zeros(8, dtype="float32")
    with pytest.raises(dc.InvalidArgumentError, match=message):
        vadd_plan().launch(global_size, (x, x, x), local_size)


def test_missing_kernel_symbol_is_named():
    module = cache.load_cpu_module(VADD, "cpu")
    with pytest.raises(dc.InvalidArgumentError, match=r"has no kernel 'nope'"):
        module.kernel("nope", VADD_PARAMS)


def test_bad_param_specs():
    module = cache.load_cpu_module(VADD, "cpu")
    with pytest.raises(dc.InvalidArgumentError, match=r"a kernel parameter is"):
        module.kernel("vadd", [("array", "float32")])
    with pytest.raises(dc.DTypeError):
        module.kernel("vadd", [("scalar", "float128")])
    with pytest.raises(dc.InvalidArgumentError, match=r"default_local_size"):
        module.kernel("vadd", VADD_PARAMS, default_local_size=(64, 64))


def test_modules_keep_the_plugin_loaded():
    plan = vadd_plan()
    with pytest.raises(dc.PluginError, match=r"cannot unload 'cpu'.*module"):
        dc.plugins.unload("cpu")
    x = dc.ones(3, dtype="float32")
    plan.launch(3, (x, x, x))  # refused means nothing happened
    assert x.numpy().tolist() == [2.0, 2.0, 2.0]


def test_load_refuses_files_that_are_not_kernel_modules(tmp_path):
    plain = tmp_path / "plain.so"
    compiler.compile_shared_object("int x;", plain, compiler.find_compiler())
    with pytest.raises(dc.InvalidArgumentError, match=r"does not export dc_cpu_kernel_abi_version"):
        _core.load_module("cpu", os.fsencode(plain) + b"\0")
    future = tmp_path / "future.so"
    source = PRELUDE.replace("dc_cpu_kernel_abi_version = 1", "dc_cpu_kernel_abi_version = 99")
    compiler.compile_shared_object(source, future, compiler.find_compiler())
    with pytest.raises(dc.InvalidArgumentError, match=r"built for CPU kernel ABI version 99"):
        _core.load_module("cpu", os.fsencode(future) + b"\0")
    with pytest.raises(dc.InvalidArgumentError, match=r"cannot load kernel module"):
        _core.load_module("cpu", os.fsencode(tmp_path / "missing.so") + b"\0")
    with pytest.raises(dc.InvalidArgumentError, match=r"NUL-terminated path"):
        _core.load_module("cpu", b"no terminator")


# -- a second device: the test plugin of tests/plugins --------------------------------------------


@pytest.fixture(scope="module")
def testbackend(tmp_path_factory):
    import shutil

    if shutil.which("cmake") is None:
        pytest.fail("cmake is not installed (it is part of the test extra)")
    plugins = build_test_plugins(tmp_path_factory.mktemp("runtime-plugins"))
    dc.plugins.load(plugins["good_v1"])
    yield "testbackend"
    gc.collect()
    dc.plugins.unload("testbackend", defer=True)


def test_device_mismatch(testbackend):
    x = dc.zeros(4, dtype="float32")
    other = dc.zeros(4, dtype="float32", device=testbackend)
    with pytest.raises(
        dc.DeviceError,
        match=r"are on different devices: 'x' is on 'cpu', 'y' on 'testbackend:0'",
    ):
        vadd_plan().launch(4, (x, other, x))
    with pytest.raises(
        dc.DeviceError,
        match=r"argument 'x' is on device 'testbackend:0', but vadd\(\) was compiled for",
    ):
        vadd_plan().launch(4, (other, other, other))
    del other
    gc.collect()


def test_backend_without_module_table(testbackend):
    with pytest.raises(dc.UnsupportedError, match=r"'testbackend' runs no user kernels"):
        _core.load_module(testbackend, b"whatever\0")


# -- compiler and cache --------------------------------------------------------------------------


def test_cache_hit_does_not_run_the_compiler():
    source = unique(VADD)
    before = cache.cache_info()["compiles"]
    start = time.perf_counter()
    first = cache.compile_cpu_source(source)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    second = cache.compile_cpu_source(source)
    warm = time.perf_counter() - start
    assert first == second
    assert cache.cache_info()["compiles"] == before + 1
    assert warm < cold / 10
    module = cache.load_cpu_module(source, "cpu")
    assert cache.load_cpu_module(source, "cpu") is module  # memory hit


def test_source_change_is_a_new_entry():
    source = unique(VADD)
    changed = source.replace("x[i] + y[i]", "x[i] - y[i]")
    assert cache.compile_cpu_source(source) != cache.compile_cpu_source(changed)
    x, y = np.float32([1, 2]), np.float32([3, 5])
    out = dc.empty(2, dtype="float32")
    plan = cache.load_cpu_module(changed, "cpu").kernel("vadd", VADD_PARAMS)
    plan.launch(2, (dc.asarray(x), dc.asarray(y), out))
    assert out.numpy().tolist() == [-2.0, -3.0]


def test_key_covers_flags_and_isa(monkeypatch):
    source = unique(VADD)
    native = cache.compile_cpu_source(source)
    monkeypatch.setenv(
        "DOTCOMPUTE_CPU_ARCH", "x86-64" if os.uname().machine == "x86_64" else "generic"
    )
    portable = cache.compile_cpu_source(source)
    assert native != portable


@pytest.mark.parametrize("damage", ["truncate", "no_version_symbol"])
def test_corrupt_entry_is_rebuilt(damage, tmp_path):
    source = unique(VADD)
    path = Path(cache.compile_cpu_source(source))
    if damage == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    else:
        compiler.compile_shared_object("int unrelated;", path, compiler.find_compiler())
    before = cache.cache_info()
    plan = cache.load_cpu_module(source, "cpu").kernel("vadd", VADD_PARAMS)
    after = cache.cache_info()
    assert after["rebuilt_corrupt"] == before["rebuilt_corrupt"] + 1
    assert after["compiles"] == before["compiles"] + 1
    x = dc.ones(5, dtype="float32")
    plan.launch(5, (x, x, x))
    assert x.numpy().tolist() == [2.0] * 5


CONCURRENT_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from dotcompute.kernel import cache
    source = sys.stdin.read()
    deadline = float(sys.argv[1])
    while time.time() < deadline:  # start both compilations at the same moment
        pass
    path = cache.compile_cpu_source(source)
    module = cache.load_cpu_module(source, "cpu")
    print(json.dumps({"path": path, "compiles": cache.cache_info()["compiles"]}))
    """
)


def test_two_processes_compile_the_same_kernel(tmp_path):
    directory = tmp_path / "shared-cache"
    env = {**os.environ, "DOTCOMPUTE_CACHE_DIR": str(directory)}
    source = unique(VADD)
    deadline = str(time.time() + 1.5)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_SCRIPT, deadline],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(source, timeout=120)
        assert process.returncode == 0, stderr
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    assert results[0]["path"] == results[1]["path"]
    entries = sorted(p.name for p in (directory / "cpu").iterdir())
    assert entries == [Path(results[0]["path"]).name]  # one entry, no temporary files left
    module = _core.load_module("cpu", os.fsencode(results[0]["path"]) + b"\0")
    module.kernel("vadd", VADD_PARAMS)


def test_compilation_error_has_log_and_source():
    source = unique(PRELUDE + "EXPORT void broken(void) { this is not C; }\n")
    with pytest.raises(
        dc.CompilationError, match=r"rejected the generated kernel source"
    ) as caught:
        cache.compile_cpu_source(source)
    assert "error" in caught.value.log
    assert caught.value.source == source
    assert not [p for p in (cache.cache_dir() / "cpu").iterdir() if ".tmp-" in p.name]


def test_missing_compiler(monkeypatch, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("CC", "/nonexistent")
    with pytest.raises(
        dc.CompilationError, match=r"CC is set to '/nonexistent'.*install a C compiler"
    ):
        cache.compile_cpu_source(unique(VADD))
    monkeypatch.delenv("CC")
    with pytest.raises(
        dc.CompilationError,
        match=r"no C compiler found.*apt-get install gcc.*xcode-select --install",
    ):
        cache.load_cpu_module(unique(VADD), "cpu")


def test_compiler_identity_is_cached_on_disk(monkeypatch):
    # The identity is memoized per process; start from an empty memo so this process asks the
    # compiler (and writes compilers.json) whatever other tests looked up before.
    monkeypatch.setattr(compiler, "_compiler_memo", {})
    cache.compile_cpu_source(unique(VADD))
    identities = json.loads((cache.cache_dir() / "compilers.json").read_text())
    found = compiler.find_compiler()
    assert any(entry["identity"] == found.identity for entry in identities.values())
    assert os.path.realpath(found.path) in found.identity


def run_cli(*args: str, cache_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOTCOMPUTE_CACHE_DIR": str(cache_dir)}
    return subprocess.run(
        [sys.executable, "-m", "dotcompute", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_cache_cli_info_and_clear(tmp_path, monkeypatch):
    directory = tmp_path / "cli-cache"
    monkeypatch.setenv("DOTCOMPUTE_CACHE_DIR", str(directory))
    cache.compile_cpu_source(unique(VADD))
    cache.compile_cpu_source(unique(SCALARS))
    info = run_cli("cache", "info", "--json", cache_dir=directory)
    assert info.returncode == 0, info.stderr
    document = json.loads(info.stdout)
    assert document["directory"] == str(directory)
    assert document["entries"] == 2 and document["bytes"] > 0
    table = run_cli("cache", cache_dir=directory)
    assert "entries" in table.stdout and str(directory) in table.stdout
    cleared = run_cli("cache", "clear", cache_dir=directory)
    assert cleared.returncode == 0, cleared.stderr
    assert "Removed 2 cached kernel(s)" in cleared.stdout
    assert cache.cache_info()["entries"] == 0


def test_default_cache_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("DOTCOMPUTE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "dotcompute"
    monkeypatch.delenv("XDG_CACHE_HOME")
    if sys.platform != "darwin":
        assert cache.cache_dir() == Path.home() / ".cache" / "dotcompute"


def test_kernel_and_its_launchers_are_garbage_collected(tmp_path):
    """kernel[n] objects and their kernel refer to each other (Note [Launcher]); the cycle must
    not keep a dynamically made kernel alive."""
    import gc
    import weakref

    source = tmp_path / "dynamic_kernel.py"
    source.write_text(
        "import dotcompute as dc\n\n"
        "@dc.kernel\n"
        "def fill_ones(out: dc.Array[dc.float32]):\n"
        "    out[dc.global_id(0)] = 1.0\n"
    )
    namespace = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    kernel = namespace.pop("fill_ones")
    out = dc.zeros(5)
    kernel[5](out)
    assert out.numpy().tolist() == [1.0] * 5
    launcher = kernel[5]
    assert launcher.global_size == 5 and kernel[5] is launcher
    reference = weakref.ref(kernel)
    del kernel, launcher, namespace
    gc.collect()
    assert reference() is None


def test_launcher_routes_keywords_and_other_specializations_through_launch(rng):
    @dc.kernel
    def copy_generic(source: dc.Array, target: dc.Array):
        i = dc.global_id(0)
        target[i] = source[i]

    for dtype in ("float32", "int64", "float32"):
        host = random_array(rng, 33, dtype)
        source, target = dc.asarray(host), dc.empty(33, dtype)
        copy_generic[33](source, target)  # a new dtype: the last plan refuses, Python builds one
        np.testing.assert_array_equal(target.numpy(), host)
    target = dc.empty(33, "float32")
    copy_generic[33](dc.asarray(host), target, local_size=11)  # keywords: Kernel.launch
    np.testing.assert_array_equal(target.numpy(), host)
    with pytest.raises(TypeError, match="takes 2 arguments"):
        copy_generic[33](target)
