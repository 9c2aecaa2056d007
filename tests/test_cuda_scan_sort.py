# tests/test_cuda_scan_sort.py
# The CUDA plugin's cumsum and sort slots: their kernel sources everywhere, their results on a GPU.
"""The scan and sort built-ins of the CUDA plugin (cuda/cuda_scan*.cpp, cuda/cuda_sort*.cpp).

Without a GPU: ``cuda/tools/dump_builtin_sources.cpp`` is compiled with the host C++ compiler
against the plugin's own source generators; it writes the exact CUDA C++ the plugin hands to
NVRTC (one file per dtype) and checks the scratch layouts. Where ``nvcc`` is installed every
source is compiled for sm_90 with warnings as errors and the same ``--fmad=false`` as NVRTC.

With a GPU: the slots must compute (no silent fall back to the generated kernels) and match
numpy on long rows, odd sizes, batches of short rows and batches beyond one grid's y range.
tests/test_algorithms.py runs the common conformance suite through the same slots.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import dotcompute as dc
from dotcompute import _core

from conftest import random_array

ROOT = Path(__file__).resolve().parent.parent
CUDA_DIR = ROOT / "cuda"
CXX = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
NVCC = shutil.which("nvcc")
HAS_CUDA = any(d.backend == "cuda" for d in dc.devices())

#: nvcc with the options the plugin gives NVRTC (--fmad=false), for the H100's architecture.
NVCC_FLAGS = [str(NVCC), "-arch=sm_90", "-cubin", "--fmad=false", "-Werror", "all-warnings"]

needs_cxx = pytest.mark.skipif(CXX is None, reason="no host C++ compiler to build the source dump")
needs_nvcc = pytest.mark.skipif(
    NVCC is None, reason="nvcc not installed: the built-in sources are compiled where it is"
)
needs_emulation = pytest.mark.skipif(
    os.environ.get("DOTCOMPUTE_CUDA_EMULATION") != "1",
    reason="set DOTCOMPUTE_CUDA_EMULATION=1 to run the kernels on CPU threads (minutes)",
)
needs_cuda = pytest.mark.skipif(
    not HAS_CUDA, reason="no CUDA device (the cuda backend is not loaded here)"
)

ENTRY_POINT = re.compile(r'extern "C" __global__ void __launch_bounds__\(THREADS[^)]*\)\s+(\w+)')
SCAN_DTYPES = [
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "complex64",
    "complex128",
]
SORT_DTYPES = [d for d in SCAN_DTYPES if not d.startswith("complex")] + ["float16"]


@pytest.fixture(scope="module")
def dumped(tmp_path_factory) -> tuple[Path, dict[str, list[str]], str]:
    """(directory, file name -> kernel names, the tool's output) of the dump tool's run."""
    if CXX is None:
        pytest.skip("no host C++ compiler")
    work = tmp_path_factory.mktemp("cuda_builtins")
    tool = work / "dump_builtin_sources"
    sources = [
        CUDA_DIR / "tools" / "dump_builtin_sources.cpp",
        CUDA_DIR / "cuda_scan_source.cpp",
        CUDA_DIR / "cuda_sort_source.cpp",
        CUDA_DIR / "cuda_preamble.cpp",
        ROOT / "cpp" / "core" / "dtype.cpp",
    ]
    command = [CXX, "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror"]
    command += [f"-I{ROOT / 'cpp' / 'include'}", "-o", str(tool), *map(str, sources)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    run = subprocess.run([str(tool), str(work)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    files = {}
    for line in run.stdout.splitlines():
        if line.endswith(".cu") or ".cu " in line:
            path, *kernels = line.split()
            files[Path(path).name] = kernels
    return work, files, run.stdout


@needs_cxx
def test_every_supported_dtype_has_sources(dumped):
    _, files, _ = dumped
    assert sorted(files) == sorted(
        [f"cumsum_{d}.cu" for d in SCAN_DTYPES]
        + [f"sort_{d}.cu" for d in SORT_DTYPES]
        + [f"sort_indexed_{d}.cu" for d in SORT_DTYPES]
    )


@needs_cxx
def test_sources_are_self_contained_with_the_named_entry_points(dumped):
    work, files, _ = dumped
    for name, kernels in files.items():
        text = (work / name).read_text()
        assert "#include" not in text, name
        entries = re.findall(
            r'extern "C" __global__ void __launch_bounds__\(THREADS[^)]*\)\s+(\w+)', text
        )
        assert sorted(entries) == sorted(kernels), name


@needs_cxx
def test_scratch_layouts_are_aligned_and_large_enough(dumped):
    assert dumped[2].rstrip().endswith("layouts ok")


@needs_cxx
@needs_nvcc
def test_sources_compile_with_nvcc_warnings_as_errors(dumped):
    work, files, _ = dumped
    for name in files:
        result = subprocess.run(  # the flags NVRTC gets, with warnings as errors
            [*NVCC_FLAGS, "-o", str(work / (name + ".cubin")), str(work / name)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"{name}:\n{result.stderr}"


# --- the kernels on CPU threads (tests/cuda_emulation) ------------------------------------

#: (kernel family, dtype, host element type for the sort check).
EMULATED = [
    ("cumsum", "int8", ""),
    ("cumsum", "float32", ""),
    ("cumsum", "complex64", ""),
    ("sort", "uint8", "uint8_t"),
    ("sort_indexed", "uint8", "uint8_t"),
    ("sort_indexed", "int16", "int16_t"),
    ("sort", "float32", "float"),
    ("sort_indexed", "float32", "float"),
    ("sort_indexed", "int64", "int64_t"),
    ("sort", "float64", "double"),  # 8-byte keys without positions: 12 keys a thread
]


def _without_ptx_helpers(source: str) -> str:
    """The source less the preamble's float16 conversions (inline PTX, unused by these kernels)."""
    start = source.index("__device__ __forceinline__ float half_to_float")
    end = source.index("return h;\n}\n", start) + len("return h;\n}\n")
    return source[:start] + source[end:]


@needs_cxx
@needs_emulation
@pytest.mark.parametrize("family,dtype,element", EMULATED)
def test_kernels_under_cpu_emulation(dumped, tmp_path, family, dtype, element):
    """Every kernel of the family run by emulation.hpp as the plugin drives it; compared with a
    sequential scan / std::stable_sort (indexing, barriers, warp ranking, tile and row edges)."""
    work, _, _ = dumped
    source = tmp_path / f"{family}_{dtype}.inc"
    source.write_text(_without_ptx_helpers((work / f"{family}_{dtype}.cu").read_text()))
    check = ROOT / "tests" / "cuda_emulation" / ("sort_check.cpp" if element else "scan_check.cpp")
    binary = tmp_path / "check"
    command = [CXX, "-std=c++20", "-O1", "-pthread", f"-I{check.parent}"]
    command += [f'-DKERNEL_SOURCE="{source}"', "-o", str(binary), str(check)]
    if element:
        command.append(f"-DELEMENT={element}")
    subprocess.run(command, check=True, capture_output=True, text=True)
    run = subprocess.run([str(binary)], capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr


# --- on a GPU -------------------------------------------------------------------------------


def _cumsum_on_gpu(x: np.ndarray) -> np.ndarray:
    out, computed = _core._algorithm_cumsum(dc.asarray(x, device="cuda:0"), x.ndim - 1, True)
    assert computed, "the CUDA cumsum slot did not compute (fell back to generated kernels)"
    return out.to("cpu").numpy()


def _sort_on_gpu(x: np.ndarray, values: bool, indices: bool):
    got_values, got_indices, computed = _core._algorithm_sort(
        dc.asarray(x, device="cuda:0"), x.ndim - 1, values, indices, True
    )
    assert computed, "the CUDA sort slot did not compute (fell back to generated kernels)"
    return (
        got_values.to("cpu").numpy() if values else None,
        got_indices.to("cpu").numpy() if indices else None,
    )


def _check_cumsum(x: np.ndarray):
    got = _cumsum_on_gpu(x)
    expected = np.cumsum(x, axis=-1)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    if np.issubdtype(expected.dtype, np.integer):
        np.testing.assert_array_equal(got, expected)
        return
    wide = np.complex128 if np.iscomplexobj(x) else np.float64
    exact = np.cumsum(x.astype(wide), axis=-1)
    scale = np.cumsum(np.abs(x).astype(np.float64), axis=-1)
    epsilon = np.finfo(expected.real.dtype).eps
    assert np.all(np.abs(got - exact) <= scale * epsilon * 4 + 1e-30)


@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("dtype", SCAN_DTYPES)
@pytest.mark.parametrize("shape", [(1,), (2,), (4095,), (4097,), (1_000_003,), (5, 3), (37, 9001)])
def test_cumsum_slot_matches_numpy(rng, dtype, shape):
    _check_cumsum(random_array(rng, shape, dtype))


@needs_cuda
@pytest.mark.cuda
def test_cumsum_long_row_and_rows_beyond_one_grid(rng):
    _check_cumsum(random_array(rng, (1 << 24) + 11, "float32"))
    _check_cumsum(random_array(rng, (70_001, 3), "int32"))


def _check_sort(x: np.ndarray):
    expected_values = np.sort(x, axis=-1, kind="stable")
    expected_indices = np.argsort(x, axis=-1, kind="stable")
    both_values, both_indices = _sort_on_gpu(x, True, True)
    only_values, _ = _sort_on_gpu(x, True, False)
    _, only_indices = _sort_on_gpu(x, False, True)
    bits = f"u{x.itemsize}"
    # Bit for bit: -0.0 stays -0.0 and a NaN keeps its payload.
    np.testing.assert_array_equal(both_values.view(bits), expected_values.view(bits))
    np.testing.assert_array_equal(only_values.view(bits), expected_values.view(bits))
    assert both_indices.dtype == np.int64
    np.testing.assert_array_equal(both_indices, expected_indices)
    np.testing.assert_array_equal(only_indices, expected_indices)


@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("dtype", SORT_DTYPES)
@pytest.mark.parametrize("shape", [(1,), (2,), (4095,), (4097,), (300_007,), (7, 3), (41, 5003)])
def test_sort_slot_matches_numpy_stable(rng, dtype, shape):
    x = random_array(rng, shape, dtype)
    if np.dtype(dtype).kind in "iu":
        x = (x % 17).astype(dtype)  # many ties: stability shows
    _check_sort(x)


@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_sort_slot_nan_and_signed_zero_keep_their_bits(rng, dtype):
    x = random_array(rng, 100_003, dtype) - np.asarray(0.5, dtype)
    x[::7] = 0.0
    x[::11] = -0.0
    x[::13] = np.nan
    x[5::17] = -np.nan
    x[3::19] = np.inf
    x[4::23] = -np.inf
    _check_sort(x)


@needs_cuda
@pytest.mark.cuda
def test_sort_long_row_and_rows_beyond_one_grid(rng):
    _check_sort(random_array(rng, (1 << 24) + 5, "float32"))
    _check_sort((random_array(rng, (70_001, 6), "int64") % 5).astype("int64"))


@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("dtype", ["int16", "int32", "uint32", "int64", "uint64"])
def test_sort_slot_full_range_integers(rng, dtype):
    """Every key byte varies, so every radix pass moves elements."""
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, size=(3, 100_001), dtype=dtype, endpoint=True)
    x[:, ::9] = x[:, 1::9]  # and ties
    _check_sort(x)
