# tests/_conformance_sources.py
# The conformance kernels and their specializations, shared by the generator tests.
"""Every kernel of ``test_kernels.py`` that type-checks, specialized for the dtypes a target uses.

The generator tests (CUDA, OpenCL, MSL) print and check the source of each of these; collecting
them here keeps the three suites covering exactly the same kernels.
"""

from __future__ import annotations

from collections.abc import Sequence

import test_kernels

import dotcompute as dc
from dotcompute.kernel import ir

# Generic kernels are generated for these dtypes (each one the kernel accepts): float16 arrays
# are raw bits with conversions, 8-bit atomics work on 32-bit words, 64-bit ones go through the
# unsigned overloads.
GENERIC_DTYPES = ("float32", "float16", "float64", "int8", "int32", "int64", "uint64")


def conformance_specializations(
    generic_dtypes: Sequence[str] = GENERIC_DTYPES,
) -> dict[str, ir.Function]:
    """Every kernel of test_kernels.py that type-checks, by a readable id (``name-dtype``)."""
    found: dict[str, ir.Function] = {}
    for name, value in vars(test_kernels).items():
        if not isinstance(value, dc.Kernel):
            continue
        combos = [()] if not value.is_generic else [(d,) for d in generic_dtypes]
        for combo in combos:
            try:
                function = value.specialize(*(combo * value.generic_argument_count))
            except dc.DotComputeError:
                continue  # a generic kernel that refuses this dtype (or a debug-only kernel)
            found["-".join((name, *combo))] = function
    return found
