# bench/native.py
# Builds the small C libraries of the floor benchmarks with the system C compiler.
"""One helper for bench/*_floor.py: compile a C file into a shared library and load it."""

from __future__ import annotations

import ctypes
import pathlib
import shutil
import subprocess
import sys


def build_shared_library(
    source: pathlib.Path, directory: str, flags: list[str], libraries: list[str] = ()
) -> ctypes.CDLL:
    """Compiles source with cc (or gcc, or clang) and flags into directory and loads it; exits
    with a message naming the script when no C compiler is on PATH."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        sys.exit(f"{source.stem}: no C compiler (cc, gcc or clang) on PATH")
    target = pathlib.Path(directory) / f"{source.stem}.so"
    command = [compiler, *flags, "-shared", "-fPIC", str(source), "-o", str(target), *libraries]
    subprocess.run(command, check=True)
    return ctypes.CDLL(str(target))
