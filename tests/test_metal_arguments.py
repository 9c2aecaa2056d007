# tests/test_metal_arguments.py
# The Metal plugin packs scalars exactly as the generated MSL struct lays them out (on Linux).
"""Note [Metal arguments] in ``codegen_msl.py`` is a contract between two sides: the generator
declares ``struct <kernel>_arguments`` with one field per scalar slot of the launch plan, and the
plugin (``metal/metal_launch.cpp``, plain C++) packs the slots' bytes with natural alignment.
This test builds both sides with the host's C++ compiler -- the generated struct (with the MSL
syntax shim's types, which have MSL's sizes) and the plugin's ``pack_scalar_arguments`` -- packs
distinct values and reads every field back through the struct, for kernels whose scalars mix 1-,
2-, 4- and 8-byte types. It needs no Metal: the layout rules are C++'s.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import test_kernels

import dotcompute as dc
from dotcompute.kernel.codegen_msl import generate_msl
from dotcompute.kernel.types import ArrayType

ROOT = Path(__file__).resolve().parents[1]
COMPILER = shutil.which("clang++") or shutil.which("g++")
pytestmark = pytest.mark.skipif(COMPILER is None, reason="no C++ compiler (clang++ or g++)")


@dc.kernel
def mixed_scalars(
    flag: dc.bool_,
    small: dc.int8,
    wide: dc.int64,
    half: dc.float16,
    byte: dc.uint8,
    short: dc.int16,
    single: dc.float32,
    grid: dc.Array[dc.float32, 2],
    huge: dc.uint64,
    word: dc.uint32,
):
    i = dc.global_id(0)
    if i < grid.shape[0] and flag:
        grid[i, 0] = small + wide + half + byte + short + single + huge + word


# Kernels whose scalar parameters cover bool, 8-, 16-, 32- and 64-bit types and float16, with
# array extents between them.
KERNELS = {
    "saxpy": (test_kernels.saxpy, ()),
    "mixed_scalars": (mixed_scalars, ()),
    "axpy_half": (test_kernels.axpy_generic, ("float16", "float16", "float16")),
}

_STORAGE = {"bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "float16": 2}


def _slots(function) -> list[tuple[str, int]]:
    """(field name, bytes) of every scalar slot, in the launch plan's order."""
    slots = []
    for param in function.params:
        if isinstance(param.type, ArrayType):
            slots += [(f"{param.name}_shape{d}", 8) for d in range(param.type.ndim)]
        else:
            slots.append((param.name, _STORAGE.get(param.type.name, param.type.bits // 8)))
    return slots + [(f"global_size_{d}", 8) for d in range(3)]


def _program(struct: str, name: str, sizes: list[int]) -> str:
    args = []
    for index, size in enumerate(sizes):
        pattern = ", ".join(str((index * 16 + b + 1) & 0xFF) for b in range(size))
        args.append(f"make_scalar({size}, {{{pattern}}})")
    fields = re.findall(r"^\s+\w+ (\w+);$", struct, re.M)
    checks = "\n".join(
        f"  check(bytes, offsetof({name}, {field}), sizeof(((const {name}*)0)->{field}), {i});"
        for i, field in enumerate(fields)
    )
    return f"""
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <vector>
#include "metal_launch.hpp"
#include "plugin_support/last_error.hpp"
// After the plugin's headers: the shim's address-space macros must not touch them.
#include "metal_compat.h"
using namespace metal;
{struct}

static dc_kernel_arg make_scalar(unsigned size, std::initializer_list<int> bytes) {{
  dc_kernel_arg arg{{}};
  arg.kind = DC_ARG_SCALAR;
  arg.size = size;
  unsigned at = 0;
  for (int b : bytes) arg.value.scalar[at++] = static_cast<uint8_t>(b);
  return arg;
}}

static void check(const std::vector<uint8_t>& bytes, size_t offset, size_t size, int index) {{
  for (size_t b = 0; b < size; ++b) {{
    const int expected = (index * 16 + static_cast<int>(b) + 1) & 0xFF;
    if (offset + b >= bytes.size() || bytes[offset + b] != expected) {{
      std::printf("field %d: byte %zu at offset %zu differs\\n", index, b, offset);
      std::exit(1);
    }}
  }}
}}

int main() {{
  dc_kernel_arg buffer{{}};
  buffer.kind = DC_ARG_BUFFER;
  std::vector<dc_kernel_arg> args = {{buffer, {", ".join(args)}, buffer}};
  std::vector<uint8_t> bytes;
  if (dotcompute::metal::pack_scalar_arguments("k", args.data(),
                                                static_cast<uint32_t>(args.size()), &bytes)) {{
    std::printf("fail: %s\\n", dotcompute::plugin_support::last_error_text());
    return 2;
  }}
{checks}
  if (bytes.size() != sizeof({name})) {{
    std::printf("packed %zu bytes, the struct has %zu\\n", bytes.size(), sizeof({name}));
    return 1;
  }}
  std::printf("ok %zu\\n", bytes.size());
  return 0;
}}
"""


@pytest.mark.parametrize("key", sorted(KERNELS))
def test_packed_scalars_land_in_the_struct_fields(tmp_path, key):
    kernel, dtypes = KERNELS[key]
    function = kernel.specialize(*dtypes)
    generated = generate_msl(function)
    name = f"{generated.symbol}_arguments"
    struct = re.search(rf"struct {name} \{{\n.*?\n\}};", generated.source, re.S).group(0)
    slots = _slots(function)
    assert len(re.findall(r"^\s+\w+ \w+;$", struct, re.M)) == len(slots)
    source = tmp_path / "layout.cpp"
    source.write_text(_program(struct, name, [size for _, size in slots]))
    binary = tmp_path / "layout"
    build = [COMPILER, "-std=c++17", "-Wall", "-Wextra", "-Werror", "-D__METAL_VERSION__=300"]
    build += [f"-I{ROOT / 'tests' / 'msl'}", f"-I{ROOT / 'metal'}", f"-I{ROOT / 'cpp' / 'include'}"]
    # fail() comes from cpp/plugin_support, as in the plugin (8192: the Metal plugin's capacity).
    build += [f"-I{ROOT / 'cpp'}", "-DDOTCOMPUTE_PLUGIN_ERROR_CAPACITY=8192"]
    build += [str(source), str(ROOT / "metal" / "metal_launch.cpp")]
    build += [str(ROOT / "cpp" / "plugin_support" / "last_error.cpp"), "-o", str(binary)]
    built = subprocess.run(build, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    ran = subprocess.run([str(binary)], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.startswith("ok ")
