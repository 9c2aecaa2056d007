# python/dotcompute/kernel/tooling.py
# `python -m dotcompute check FILE` and `compile FILE`: validate or pre-compile a file's kernels.
"""Ahead-of-time tooling over the kernels of a Python file.

The file is imported as a module (not as ``__main__``, so its ``if __name__ == "__main__":`` block
does not run) while kernels are being collected: every ``@dc.kernel`` in it is recorded, and a
kernel that fails to parse is reported instead of stopping the import. ``check`` then types and
generates code for every kernel; ``compile`` also compiles it into the kernel cache.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DotComputeError
from . import compiler
from . import kernel as kernel_module


@dataclass
class Report:
    """What checking or compiling a file found."""

    kernels: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _import_collecting(path: Path) -> tuple[list, list[DotComputeError]]:
    module_name = f"dotcompute_checked_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise DotComputeError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))  # the file's own imports resolve as when run
    try:
        with kernel_module.collecting() as collection:
            spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return collection.kernels, collection.errors


def _specializations(kernel, dtypes: list[str]) -> list[tuple[str, ...]]:
    """The dtypes to check a kernel with: nothing for typed kernels, and for generic ones each
    of ``dtypes`` given to every generic argument at once."""
    if not kernel.is_generic:
        return [()]
    return [(dtype,) * kernel.generic_argument_count for dtype in dtypes]


def process_file(path: str | Path, *, compile_code: bool, dtypes: list[str]) -> Report:
    """Checks (and with ``compile_code`` compiles for the CPU) every kernel in a file."""
    path = Path(path)
    report = Report()
    try:
        kernels, errors = _import_collecting(path)
    except DotComputeError as error:
        report.errors.append(str(error))
        return report
    report.errors += [str(error) for error in errors]
    seen: set[str] = set()
    for kernel in kernels:
        report.kernels.append(kernel.__name__)
        specializations = _specializations(kernel, dtypes)
        if not specializations:
            report.notes.append(f"{kernel.__name__} is generic: pass --dtypes to check it")
        for arg_dtypes in specializations:
            try:
                source = kernel.source("cpu", *arg_dtypes)
                if compile_code:
                    compiler.compile_cpu_source(source)
            except DotComputeError as error:
                # A generic kernel's error is usually the same for every dtype: report it once,
                # naming the first dtype it was found with.
                if str(error) in seen:
                    continue
                seen.add(str(error))
                where = f" (specialized for {', '.join(arg_dtypes)})" if arg_dtypes else ""
                report.errors.append(f"{error}{where}")
    return report
