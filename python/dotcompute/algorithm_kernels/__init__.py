# python/dotcompute/algorithm_kernels/__init__.py
# Generated-kernel implementations of the algorithm library (docs/algorithms.md §Fallback).
"""Portable kernels behind dc.matmul, dc.fft, axis reductions, dc.cumsum and dc.sort (and the
only kernels of dc.argmax / dc.argmin, which no plugin has a slot for).

They run wherever a backend has no plugin slot for an algorithm (or answers UNSUPPORTED): the
CUDA backend without cuBLAS/cuFFT, OpenCL, and the CPU when forced with
``dc.algorithms.use_generated_kernels()``. Every kernel is a plain SIMT kernel of the dotcompute
language (work-groups, shared arrays, barriers), so the same source prints as C, CUDA C++ and
OpenCL C. The drivers here take arrays the core has already checked and allocated.
"""

from . import arg_extreme, convert, fft_plans, layout, radix_sort, ranges, real_fft
from .fft import run_fft
from .gemm import run_matmul
from .reduce import run_reduce_axis
from .scan import run_cumsum
from .sort import run_sort

__all__ = [
    "arg_extreme",
    "convert",
    "fft_plans",
    "layout",
    "radix_sort",
    "ranges",
    "real_fft",
    "run_cumsum",
    "run_fft",
    "run_matmul",
    "run_reduce_axis",
    "run_sort",
]
