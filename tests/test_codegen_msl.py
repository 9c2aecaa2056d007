# tests/test_codegen_msl.py
# The MSL generator without a Mac: every conformance kernel's MSL, checked and syntax-compiled.
"""Metal Shading Language generated from every kernel of the conformance suite
(``test_kernels.py``), on any machine.

Every specialization either generates MSL or is refused with a
:class:`~dotcompute.kernel.codegen_msl.MetalUnsupportedError` for exactly the reasons Metal
lacks (float64 anywhere, 64-bit atomics). The MSL is checked for its structure (one ``kernel``
entry point whose buffers and argument struct match the launch plan's slots, the position
attributes, barriers exactly where the kernel has them, relaxed atomics) and compiled by clang
in C++ mode with ``-fsyntax-only`` against ``tests/msl/metal_compat.h``, a syntax shim of the
MSL built-ins the generator uses, once as MSL 3.0 and once as MSL 2.4 (``__METAL_VERSION__``),
so both sides of the float-atomics ``#if`` are checked. This catches generator mistakes on
Linux; it is not the Metal compiler, and nothing here runs MSL (``tests/test_metal.py`` does,
on a Mac).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import test_kernels
from _conformance_sources import conformance_specializations

import dotcompute as dc
from dotcompute import algorithm_kernels
from dotcompute.kernel import ir
from dotcompute.kernel import kernel as kernel_module
from dotcompute.kernel.codegen_base import walk_exprs, walk_stmts
from dotcompute.kernel.codegen_msl import MetalUnsupportedError, generate_msl
from dotcompute.kernel.types import FLOAT64, ArrayType, SharedArrayType

GENERIC_DTYPES = ["float32", "float16", "float64", "int8", "int32", "int64", "uint32", "uint64"]
SHIM_DIRECTORY = Path(__file__).parent / "msl"
METAL_VERSIONS = (300, 240)


def _find_clang() -> str | None:
    for name in ("clang++", "clang", *(f"clang++-{v}" for v in range(25, 13, -1))):
        found = shutil.which(name)
        if found:
            return found
    return None


CLANG = _find_clang()
needs_clang = pytest.mark.skipif(
    CLANG is None, reason="clang not installed (apt-get install clang; .ci/run installs it)"
)


def _algorithm_specializations() -> dict[str, ir.Function]:
    """The generated fallback kernels of the algorithm library (they run on Metal too)."""
    found: dict[str, ir.Function] = {}
    for info in pkgutil.iter_modules(algorithm_kernels.__path__):
        module = importlib.import_module(f"{algorithm_kernels.__name__}.{info.name}")
        for name, value in vars(module).items():
            if not isinstance(value, dc.Kernel):
                continue
            combos = [()] if not value.is_generic else [("float32",), ("int32",)]
            for combo in combos:
                try:
                    function = value.specialize(*(combo * value.generic_argument_count))
                except dc.DotComputeError:
                    continue
                found["-".join((f"algorithm.{info.name}.{name}", *combo))] = function
    return found


SPECIALIZATIONS = conformance_specializations(GENERIC_DTYPES) | _algorithm_specializations()


def _uses_float64(function: ir.Function) -> bool:
    functions = [function, *function.callees]
    pending = list(function.callees)
    while pending:
        callee = pending.pop()
        functions += callee.callees
        pending += callee.callees
    for f in functions:
        types = [p.type for p in f.params] + list(f.locals.values())
        types += list(f.shared_arrays.values())
        types += [e.type for e in walk_exprs(f.body)]
        for t in types:
            if t == FLOAT64 or (isinstance(t, ArrayType | SharedArrayType) and t.dtype == FLOAT64):
                return True
    return False


def _wide_atomics(function: ir.Function) -> bool:
    return any(
        isinstance(e, ir.AtomicOp) and e.array.type.dtype.bits != 32
        for e in walk_exprs(function.body)
    )


def _generate_all() -> tuple[dict[str, str], dict[str, str]]:
    sources, refusals = {}, {}
    for key, function in SPECIALIZATIONS.items():
        try:
            sources[key] = generate_msl(function).source
        except MetalUnsupportedError as error:
            refusals[key] = str(error)
    return sources, refusals


SOURCES, REFUSALS = _generate_all()


def test_every_conformance_kernel_is_covered():
    names = {key.split("-")[0] for key in SPECIALIZATIONS}
    kernels = {n for n, v in vars(test_kernels).items() if isinstance(v, dc.Kernel)}
    assert kernels - names == {"print_items"}  # print() runs in debug mode only
    assert len(SOURCES) > len(REFUSALS)  # most of the suite runs on Metal


@pytest.mark.parametrize("key", sorted(SPECIALIZATIONS))
def test_refused_exactly_for_what_metal_lacks(key):
    function = SPECIALIZATIONS[key]
    expected = _uses_float64(function) or _wide_atomics(function)
    assert (key in REFUSALS) == expected, REFUSALS.get(key, "generated")
    if key in REFUSALS:
        message = REFUSALS[key]
        assert f"kernel {function.python_name!r} cannot run on Metal" in message
        assert "float64" in message or "32-bit" in message
        assert re.search(r"\.py:\d+:\d+: kernel", message)  # points at the source line


def test_the_float64_refusal_names_the_construct_and_the_fix():
    with pytest.raises(MetalUnsupportedError, match=r"float64 array parameter 'f'.*float32"):
        test_kernels.float_to_int32.source("metal")
    with pytest.raises(dc.UnsupportedError, match="no float64"):
        test_kernels.row_sums_2d.source("metal")


def test_64_bit_atomics_are_refused_with_the_types_that_work():
    with pytest.raises(MetalUnsupportedError, match=r"atomic_add on a int64 array.*int32, uint32"):
        generate_msl(test_kernels.histogram.specialize("int64", "int64", "int64"))


def _signature(source: str, symbol: str) -> list[str]:
    match = re.search(rf"kernel void {symbol}\(\n(.*?)\)\n\{{", source, re.S)
    assert match, source
    return [p.strip() for p in match.group(1).split(",\n")]


def _struct_fields(source: str, symbol: str) -> list[str]:
    match = re.search(rf"struct {symbol}_arguments \{{\n(.*?)\n\}};", source, re.S)
    assert match, source
    return [f.strip() for f in match.group(1).splitlines()]


@pytest.mark.parametrize("key", sorted(SOURCES))
def test_generated_structure(key):
    function = SPECIALIZATIONS[key]
    generated = generate_msl(function)
    source = generated.source
    assert source.count("#include") == 1 and "#include <metal_stdlib>" in source
    assert "using namespace metal;" in source
    assert "double" not in source
    assert re.search(r"\bkernel void\b", source) and source.count("kernel void ") == 1
    assert generated.appends_global_size
    assert (generated.shared_bytes, generated.per_item_bytes) == (0, 0)

    # Note [Metal arguments]: one device buffer per array, in order, then the struct of every
    # scalar slot (user scalars, extents, the three global sizes), then the positions.
    params = _signature(source, generated.symbol)
    arrays = [p for p in function.params if isinstance(p.type, ArrayType)]
    for index, param in enumerate(params[: len(arrays)]):
        assert param.startswith("device ") and param.endswith(f"[[buffer({index})]]")
    assert params[len(arrays)].startswith(f"constant {generated.symbol}_arguments& ")
    assert params[len(arrays)].endswith(f"[[buffer({len(arrays)})]]")
    assert params[len(arrays) + 1].endswith("[[thread_position_in_grid]]")
    for position in params[len(arrays) + 1 :]:
        assert re.fullmatch(r"uint3 \w+ \[\[\w+\]\]", position)
    fields = _struct_fields(source, generated.symbol)
    scalar_slots = sum(p.type.ndim if isinstance(p.type, ArrayType) else 1 for p in function.params)
    assert len(fields) == scalar_slots + 3
    assert all(f.startswith("long global_size_") for f in fields[-3:])

    barriers = sum(isinstance(s, ir.Barrier) for s in walk_stmts(function.body))
    assert generated.uses_barrier == (barriers > 0)
    full_barrier = "threadgroup_barrier(mem_flags::mem_device | mem_flags::mem_threadgroup);"
    assert source.count(full_barrier) == source.count("threadgroup_barrier(") == barriers
    has_shared = bool(function.shared_arrays) or any(
        isinstance(s, ir.SharedArrayDecl) for s in walk_stmts(function.body)
    )
    assert bool(re.search(r"^\s+threadgroup \w+ \w+\[\d+\];", source, re.M)) == has_shared
    if "atomic_" in source:
        assert "memory_order_relaxed" in source
        assert not re.search(r"memory_order_(seq_cst|acquire|release)", source)


def test_atomics_use_metal_atomic_types():
    source = generate_msl(test_kernels.histogram.specialize("int32", "int32", "int32")).source
    assert "atomic_fetch_add_explicit((device atomic_int*)p, value, memory_order_relaxed)" in source
    source = generate_msl(test_kernels.histogram.specialize("float32", "float32", "float32"))
    text = source.source
    # atomic_float from MSL 3.0, a compare-exchange loop on the bits before.
    assert "#if __METAL_VERSION__ >= 300" in text
    assert "atomic_fetch_add_explicit((device atomic_float*)p, value" in text
    assert "atomic_compare_exchange_weak_explicit(word, &expected, as_type<uint>(" in text


def test_shared_array_atomics_are_threadgroup_atomics():
    source = test_kernels.histogram_in_shared_memory.source("metal")
    assert "threadgroup atomic_int*" in source
    assert "device atomic_int*" in source


def test_float16_arrays_are_half_and_compute_in_float():
    source = test_kernels.axpy_generic.source("metal", "float16", "float16", "float16")
    assert "device half* " in source
    assert "(half)" in source and "(float)" in source


def test_early_return_in_a_barrier_kernel_clears_a_flag():
    # Every thread of a threadgroup must reach each barrier (Note [OpenCL barriers and return]).
    source = test_kernels.group_maxima_with_return_and_break.source("metal")
    body = source[source.index("kernel void") :]
    assert "bool active = !(" in body
    assert "active = false;" in body
    assert body.count("return;") == 0


def test_math_functions_metal_lacks_are_helpers():
    source = test_kernels.math_functions_math_module.source("metal", *["float32"] * 4)
    assert "static inline float dc_hypot(float x, float y)" in source
    assert "dc_hypot(" in source.split("kernel void")[1]


def test_the_metal_generator_is_registered():
    assert kernel_module._GENERATORS["metal"] is generate_msl
    assert "kernel void dc_kernel_saxpy_" in test_kernels.saxpy.source("metal")


# ---------------------------------------------------------------------------------------------
# Syntax check with clang and the MSL shim
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clang_results(tmp_path_factory) -> dict[tuple[str, int], tuple[int, str]]:
    """Every generated source checked once per MSL version, in parallel."""
    directory = tmp_path_factory.mktemp("msl-sources")

    def check(job: tuple[str, int]) -> tuple[int, str]:
        key, version = job
        path = directory / f"{key}-{version}.metal"  # one file per job: jobs run in parallel
        path.write_text(SOURCES[key])
        command = [CLANG, "-x", "c++", "-std=c++17", "-fsyntax-only", f"-I{SHIM_DIRECTORY}"]
        command += [f"-D__METAL_VERSION__={version}", "-Wall", "-Wextra", "-Werror"]
        # Attributes are checked by pattern (the shim cannot declare them); generated locals
        # and extents a kernel does not read are expected, and so is a generic kernel's NaN
        # test (v != v) specialized for an integer type.
        command += ["-Wno-unknown-attributes", "-Wno-unused-variable", "-Wno-unused-parameter"]
        command += ["-Wno-tautological-compare"]
        command += ["-Wno-unused-function", "-Wno-unused-but-set-variable", str(path)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        return done.returncode, done.stdout + done.stderr

    jobs = [(key, version) for key in SOURCES for version in METAL_VERSIONS]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(zip(jobs, pool.map(check, jobs), strict=True))


@needs_clang
@pytest.mark.parametrize("version", METAL_VERSIONS)
@pytest.mark.parametrize("key", sorted(SOURCES))
def test_clang_accepts_the_generated_msl(clang_results, key, version):
    code, log = clang_results[(key, version)]
    assert code == 0, f"clang rejected the MSL of {key} (__METAL_VERSION__={version}):\n{log}"
    assert log.strip() == ""


@needs_clang
def test_the_shim_catches_a_float_atomic_that_msl_2_lacks(tmp_path):
    # The check is only worth something if the shim refuses what MSL refuses.
    path = tmp_path / "bad.metal"
    path.write_text(
        "#include <metal_stdlib>\nusing namespace metal;\n"
        "kernel void k(device float* p [[buffer(0)]]) {\n"
        "    atomic_fetch_add_explicit((device atomic_float*)p, 1.0f, memory_order_relaxed);\n}\n"
    )
    command = [CLANG, "-x", "c++", "-std=c++17", "-fsyntax-only", f"-I{SHIM_DIRECTORY}"]
    command += ["-Wno-unknown-attributes", str(path)]
    old = subprocess.run([*command, "-D__METAL_VERSION__=240"], capture_output=True, text=True)
    new = subprocess.run([*command, "-D__METAL_VERSION__=300"], capture_output=True, text=True)
    assert old.returncode != 0 and "atomic_float" in old.stderr
    assert new.returncode == 0, new.stderr
