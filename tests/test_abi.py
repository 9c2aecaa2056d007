# tests/test_abi.py
# The ABI layout test compiles (C11 and C++17) against the header the package ships.
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import dotcompute as dc

LAYOUT_TESTS = Path(__file__).parent / "abi"


@pytest.mark.parametrize(
    ("compiler", "source", "flags"),
    [
        ("cc", "abi_layout.c", ["-std=c11"]),
        ("c++", "abi_layout.cpp", ["-std=c++17"]),
    ],
)
def test_abi_layout_static_asserts_compile(compiler, source, flags):
    if shutil.which(compiler) is None:
        pytest.fail(f"{compiler} is needed to build dotcompute and its test plugins")
    command = [
        compiler,
        *flags,
        "-Wall",
        "-Wextra",
        "-Werror",
        "-fsyntax-only",
        "-I",
        dc.get_include(),
        str(LAYOUT_TESTS / source),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_core_and_header_agree_on_the_abi_version():
    header = Path(dc.get_include(), "dotcompute", "backend_abi.h").read_text()
    assert f"#define DC_ABI_MAJOR {dc._core.ABI_MAJOR}" in header
    assert f"#define DC_ABI_MINOR {dc._core.ABI_MINOR}" in header
