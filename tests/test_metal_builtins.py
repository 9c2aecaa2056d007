# tests/test_metal_builtins.py
# The MSL of the Metal plugin's built-in ops, every variant, syntax-checked on Linux.
"""``metal/metal_builtin_source.cpp`` (plain C++) writes the MSL of the built-in ops per dtype and
operation; the Metal plugin compiles it with ``newLibraryWithSource`` on first use. Here a small
host program prints every variant, and clang checks each one with ``-fsyntax-only`` against the
MSL shim (``tests/msl/metal_compat.h``), as ``test_codegen_msl.py`` does for generated kernels.
Variants Metal has no answer for (float64, complex128, bool arithmetic, integer true division,
complex min/max) must be refused with a reason instead. Nothing here runs MSL.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLANG = shutil.which("clang++") or shutil.which("clang")
pytestmark = pytest.mark.skipif(
    CLANG is None, reason="clang not installed (apt-get install clang; .ci/run installs it)"
)

DTYPES = {
    "bool": 0,
    "int8": 1,
    "int16": 2,
    "int32": 3,
    "int64": 4,
    "uint8": 5,
    "uint16": 6,
    "uint32": 7,
    "uint64": 8,
    "float16": 9,
    "float32": 10,
    "float64": 11,
    "complex64": 12,
    "complex128": 13,
}
BINARY_OPS = {"add": 0, "subtract": 1, "multiply": 2, "divide": 3, "floor_divide": 4}
REDUCE_OPS = {"sum": 0, "min": 1, "max": 2}

_DRIVER = r"""
#include <cstdio>
#include <cstdlib>
#include <string>
#include "metal_builtin_source.hpp"
using namespace dotcompute::metal;
int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const Builtin kinds[3] = {Builtin::kBinary, Builtin::kAxpy, Builtin::kReduce};
  std::string why;
  const std::string source = builtin_source(kinds[std::atoi(argv[1])], std::atoi(argv[2]),
                                            std::atoi(argv[3]), &why);
  if (source.empty()) {
    std::printf("REFUSED %s\n", why.c_str());
    return 0;
  }
  std::fputs(source.c_str(), stdout);
  return 0;
}
"""


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("builtins")
    (directory / "driver.cpp").write_text(_DRIVER)
    binary = directory / "driver"
    build = [CLANG, "-x", "c++", "-std=c++17", "-Wall", "-Wextra", "-Werror"]
    build += [f"-I{ROOT / 'metal'}", f"-I{ROOT / 'cpp' / 'include'}", str(directory / "driver.cpp")]
    build += ["-x", "c++", str(ROOT / "metal" / "metal_builtin_source.cpp"), "-o", str(binary)]
    done = subprocess.run(build, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return binary


def _variants() -> list[tuple[str, int, int, int]]:
    variants = []
    for dtype, code in DTYPES.items():
        variants += [(f"binary-{op}-{dtype}", 0, code, value) for op, value in BINARY_OPS.items()]
        variants.append((f"axpy-{dtype}", 1, code, 0))
        variants += [(f"reduce-{op}-{dtype}", 2, code, value) for op, value in REDUCE_OPS.items()]
    return variants


VARIANTS = _variants()


def _refused(key: str) -> bool:
    kind, _, rest = key.partition("-")
    dtype = rest.rsplit("-", 1)[-1]
    op = rest.rsplit("-", 1)[0] if "-" in rest else ""
    if dtype in ("float64", "complex128"):
        return True
    integer = dtype not in ("float16", "float32", "complex64")
    if kind in ("binary", "axpy") and dtype == "bool":
        return True
    if kind == "binary" and op == "divide" and integer:
        return True
    if kind == "binary" and op == "floor_divide" and not integer:
        return True
    return kind == "reduce" and dtype == "complex64" and op != "sum"


@pytest.mark.parametrize(("key", "kind", "dtype", "op"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_builtin_msl_compiles_or_is_refused(driver, tmp_path, key, kind, dtype, op):
    printed = subprocess.run(
        [str(driver), str(kind), str(dtype), str(op)], capture_output=True, text=True, check=True
    ).stdout
    if _refused(key):
        assert printed.startswith("REFUSED ") and len(printed) > len("REFUSED x")
        return
    assert "kernel void dc_" in printed
    path = tmp_path / f"{key}.metal"
    path.write_text(printed)
    command = [CLANG, "-x", "c++", "-std=c++17", "-fsyntax-only", f"-I{ROOT / 'tests' / 'msl'}"]
    command += ["-D__METAL_VERSION__=300", "-Wall", "-Wextra", "-Werror"]
    command += ["-Wno-unknown-attributes", "-Wno-unused-function", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{key}:\n{done.stderr}"
